"""The SDK's async resources are its sync resources with `await`: the committed
`async_resources/` package is exactly what clients/python/unasync.py makes of `resources/`,
module by module, none missing and none left over."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

TOOL = Path(__file__).resolve().parents[2] / "clients" / "python" / "unasync.py"


def test_the_async_resources_are_the_sync_ones_made_async() -> None:
    spec = importlib.util.spec_from_file_location("sdk_unasync", TOOL)
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    made = tool.made()
    assert set(made) == set(tool.TARGET.glob("*.py")), "run: python clients/python/unasync.py"
    for path, text in made.items():
        assert text == path.read_text(), (
            f"{path.name} differs: run python clients/python/unasync.py"
        )
