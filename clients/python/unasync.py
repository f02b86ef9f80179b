"""Makes the package `ledgerline_sdk/async_resources/` from `ledgerline_sdk/resources/`, module
by module, so the asynchronous client is the synchronous one with `await`
(tests/unit/test_sdk_unasync.py checks the committed files are what this makes). A development
tool, not shipped with the SDK:

    python clients/python/unasync.py
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent / "ledgerline_sdk"
SOURCE = HERE / "resources"
TARGET = HERE / "async_resources"
HEADER = '''"""The API's resources for the asynchronous client: made from `resources/{name}` by
`clients/python/unasync.py`. Do not edit: edit `resources/{name}` and run
`python clients/python/unasync.py`.
"""
'''
_REPLACEMENTS = (
    (r"^    def (?!__)", "    async def "),
    (r"return self\._(send|adjust|command)\(", r"return await self._\1("),
    (r"page = self\.list\(", "page = await self.list("),
    (r"\bIterator\[", "AsyncIterator["),
    (r"import Iterator\b", "import AsyncIterator"),
    (r"import Call, Page, SyncSender, page_of$", "import AsyncSender, Call, Page, page_of"),
    (r"\bSyncSender\b", "AsyncSender"),
    (r"^( +)yield from page\.items$", r"\1for item in page.items:\n\1    yield item"),
    (r"\bledgerline_sdk\.resources\b", "ledgerline_sdk.async_resources"),
)


def unasync(source: str, name: str = "__init__.py") -> str:
    """The async module for `source` (the module `name` of `resources/`), formatted by ruff as
    the rest of the code is."""
    body = source[source.index('"""', 3) + 3 :]  # past the module docstring
    for pattern, replacement in _REPLACEMENTS:
        body = re.sub(pattern, replacement, body, flags=re.MULTILINE)
    formatted = subprocess.run(  # noqa: S603  (our own interpreter running ruff)
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(TARGET / name), "-"],
        input=HEADER.format(name=name) + body,
        capture_output=True,
        text=True,
        check=True,
    )
    return formatted.stdout


def made() -> dict[Path, str]:
    """Every async module, by its path, as this tool makes it."""
    return {
        TARGET / source.name: unasync(source.read_text(), source.name)
        for source in sorted(SOURCE.glob("*.py"))
    }


def main() -> None:
    TARGET.mkdir(exist_ok=True)
    for stale in set(TARGET.glob("*.py")) - set(made_now := made()):
        stale.unlink()
    for path, text in made_now.items():
        path.write_text(text)


if __name__ == "__main__":
    main()
