from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from fiscus.transport.assets import PACKAGES, assets_present, ensure_assets
from fiscus.transport.graphiql import csp_header, graphiql_html
from tests.transport.toy_app import LiveServer, build_app

INSTALL_CHROMIUM = (
    "chromium is required for this test and is not installed: `apt-get install chromium` "
    "(scripts/test installs it when run as root), or set FISCUS_TEST_SKIP_BROWSER=1 to skip "
    "this test deliberately"
)
ASSET_URL = re.compile(r'(?:src|href)="([^"]+)"')


def test_page_references_only_local_assets() -> None:
    page = graphiql_html()
    urls = ASSET_URL.findall(page)
    assert len(urls) == 5
    assert all(url.startswith("/graphql/assets/") for url in urls)
    assert "http://" not in page and "https://" not in page and "//cdn" not in page


def test_csp_allows_only_self_and_the_bootstrap_script_hash() -> None:
    policy = csp_header()
    assert "default-src 'self'" in policy
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert re.fullmatch(r"script-src 'self' 'sha256-[A-Za-z0-9+/=]+'", script_src)
    assert "unsafe-eval" not in policy
    assert "connect-src 'self' ws: wss:" in policy


def test_subscriptions_send_the_authorization_header_as_connection_params() -> None:
    page = graphiql_html()
    assert "graphqlWs.createClient" in page
    assert "authorization: auth" in page
    assert "Bearer \\u003cpaste accessToken from logIn>" in page


def test_ensure_assets_is_a_no_op_when_present(asset_dir: Path) -> None:
    assert assets_present(asset_dir)
    before = {p.name: p.stat().st_mtime_ns for p in asset_dir.iterdir()}
    ensure_assets(asset_dir, registry="http://127.0.0.1:9")  # unreachable: must not be used
    assert {p.name: p.stat().st_mtime_ns for p in asset_dir.iterdir()} == before


async def test_every_asset_in_the_page_is_served_with_its_type(asset_dir: Path) -> None:
    transport = httpx.ASGITransport(app=build_app(asset_dir=asset_dir))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        assert page.headers["content-security-policy"] == csp_header()
        for url in ASSET_URL.findall(page.text):
            response = await client.get(url)
            assert response.status_code == 200, url
            expected = "text/css" if url.endswith(".css") else "text/javascript"
            assert response.headers["content-type"].startswith(expected), url
            assert "immutable" in response.headers["cache-control"]
    assert len({f.filename for p in PACKAGES for f in p.files}) == 5


def test_graphiql_renders_offline_in_headless_chromium(
    live_server: LiveServer, tmp_path: Path
) -> None:
    if os.environ.get("FISCUS_TEST_SKIP_BROWSER"):
        pytest.skip("FISCUS_TEST_SKIP_BROWSER is set")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail(INSTALL_CHROMIUM)
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        f"{live_server.url}/graphql",
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=90, check=True).stdout
    assert "graphiql-container" in dom
    assert "graphiql-editor" in dom
    assert ">Loading...<" not in dom
