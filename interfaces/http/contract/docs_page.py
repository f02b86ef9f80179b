"""The docs page at /api/v1/docs: Swagger UI from the pinned `swagger-ui-bundle-v2` wheel, served
by the service itself, so the page works on a host without internet (no external URL in the
HTML; tests/e2e/test_contract.py checks). The Authorize button takes an API key or token for the
bearer scheme and keeps it across reloads; "Try it out" then sends it.

Also the document itself at /api/v1/docs/openapi.json.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path
from typing import Any, Final

from litestar import Request, Router
from litestar.enums import MediaType, OpenAPIMediaType
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

from interfaces.http.contract.document import Contract

SWAGGER_UI_VERSION: Final = "5.31.0"  # the swagger-ui-bundle-v2 release pinned in pyproject
ASSETS: Final = "/assets"


def swagger_ui_directory() -> Path:
    root = resources.files("swagger_ui_bundle") / "vendor" / f"swagger-ui-{SWAGGER_UI_VERSION}"
    return Path(str(root))


class DocumentPlugin(OpenAPIRenderPlugin):
    """`openapi.json`: the completed document (contract/document.py), not Litestar's draft."""

    def __init__(self, contract: Contract) -> None:
        super().__init__(path="/openapi.json", media_type=OpenAPIMediaType.OPENAPI_JSON)
        self._contract = contract

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return json.dumps(self._contract.document(request.app)).encode()


class SwaggerPage(OpenAPIRenderPlugin):
    def __init__(self, contract: Contract, docs_path: str) -> None:
        super().__init__(path="/swagger", media_type=MediaType.HTML)
        self._contract = contract
        self._assets = f"{docs_path}{ASSETS}"

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(self._contract.document(request.app)["info"]["title"]))
        document_url = json.dumps(self.get_openapi_json_route(request))
        assets = self._assets
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} API</title>
  <link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
  <style>body {{ margin: 0; }}</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script src="{assets}/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: {document_url},
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      displayRequestDuration: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout"
    }});
  </script>
</body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        router.register(
            create_static_files_router(
                path=ASSETS,
                directories=[swagger_ui_directory()],
                include_in_schema=False,
                # Pinned files: a browser may keep them for a day.
                cache_control=None,
            )
        )
