"""GraphiQL served entirely from our own origin (works offline, strict CSP).

The page loads React, GraphiQL and graphql-ws from ``asset_base`` (see
``fiscus.transport.assets``). Queries and mutations go over HTTP with the headers typed
in GraphiQL's Headers tab; subscriptions go over graphql-transport-ws, and the
``Authorization`` header from that tab is sent as ``connectionParams.authorization``.
When the header changes, the WebSocket client is replaced so the new token is used.
The placeholder token (anything containing ``<``) is never sent.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from pathlib import Path

from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from fiscus.transport.assets import GRAPHIQL, GRAPHQL_WS, REACT, REACT_DOM

GRAPHQL_PATH = "/graphql"
DEFAULT_HEADERS = '{\n  "Authorization": "Bearer <paste accessToken from logIn>"\n}'
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}

BOOTSTRAP_SCRIPT = """
(function () {
  "use strict";
  var httpUrl = "%(path)s";
  var wsUrl = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + httpUrl;
  var current = { auth: undefined, fetcher: null, client: null };

  function authorization(headers) {
    var value = headers && (headers.Authorization || headers.authorization);
    return typeof value === "string" && value.indexOf("<") === -1 ? value : null;
  }

  function withoutPlaceholder(opts) {
    var headers = Object.assign({}, (opts && opts.headers) || {});
    ["Authorization", "authorization"].forEach(function (name) {
      if (typeof headers[name] === "string" && headers[name].indexOf("<") !== -1) {
        delete headers[name];
      }
    });
    return Object.assign({}, opts, { headers: headers });
  }

  function fetcherFor(auth) {
    if (current.fetcher && current.auth === auth) { return current.fetcher; }
    if (current.client) { current.client.dispose(); }
    current.client = graphqlWs.createClient({
      url: wsUrl,
      lazy: true,
      connectionParams: function () { return auth ? { authorization: auth } : {}; }
    });
    current.auth = auth;
    current.fetcher = GraphiQL.createFetcher({ url: httpUrl, wsClient: current.client });
    return current.fetcher;
  }

  function fetcher(params, opts) {
    var cleaned = withoutPlaceholder(opts);
    return fetcherFor(authorization(cleaned.headers))(params, cleaned);
  }

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultHeaders: %(headers)s,
    defaultEditorToolsVisibility: "headers",
    shouldPersistHeaders: false
  }));
})();
"""

PAGE_STYLE = "html, body, #graphiql { height: 100%; margin: 0; }"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <title>fiscus GraphiQL</title>
  <link rel="stylesheet" href="%(base)s/%(css)s">
  <style>%(style)s</style>
</head>
<body>
  <div id="graphiql">Loading...</div>
  <script src="%(base)s/%(react)s"></script>
  <script src="%(base)s/%(react_dom)s"></script>
  <script src="%(base)s/%(graphiql)s"></script>
  <script src="%(base)s/%(graphql_ws)s"></script>
  <script>%(bootstrap)s</script>
</body>
</html>
"""


def _bootstrap_script() -> str:
    return BOOTSTRAP_SCRIPT % {"path": GRAPHQL_PATH, "headers": _js_string(DEFAULT_HEADERS)}


def _js_string(value: str) -> str:
    return json.dumps(value).replace("<", "\\u003c")


def _sha256_source(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def asset_filenames() -> dict[str, str]:
    return {
        "react": REACT.files[0].filename,
        "react_dom": REACT_DOM.files[0].filename,
        "graphiql": GRAPHIQL.files[0].filename,
        "css": GRAPHIQL.files[1].filename,
        "graphql_ws": GRAPHQL_WS.files[0].filename,
    }


def graphiql_html(asset_base: str = "/graphql/assets") -> str:
    base = html.escape(asset_base.rstrip("/"), quote=True)
    return PAGE % {
        "base": base,
        "style": PAGE_STYLE,
        "bootstrap": _bootstrap_script(),
        **asset_filenames(),
    }


def csp_header() -> str:
    """Only our origin; the inline bootstrap script is allowed by its hash."""
    directives = [
        "default-src 'self'",
        f"script-src 'self' {_sha256_source(_bootstrap_script())}",
        f"style-src 'self' {_sha256_source(PAGE_STYLE)}",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


class ImmutableStaticFiles(StaticFiles):
    """Versioned asset files: cache forever, exact content types, no sniffing."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        media_type = _MEDIA_TYPES.get(Path(full_path).suffix)
        if media_type and isinstance(response, FileResponse):
            response.headers["content-type"] = media_type
        response.headers["Cache-Control"] = IMMUTABLE_CACHE
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def assets_app(directory: Path) -> StaticFiles:
    """Mount at ``/graphql/assets``; ``directory`` comes from ``ensure_assets``."""
    return ImmutableStaticFiles(directory=directory, check_dir=False)
