"""The official GraphQL-over-HTTP audit suite (npm ``graphql-http``) against a live server."""

from __future__ import annotations

import json
import subprocess

from fiscus.app import create_app
from fiscus.config import Settings
from tests.node_clients import ensure_installed, node
from tests.transport.toy_app import LiveServer


def _run_audit(url: str) -> list[dict[str, str | None]]:
    completed = subprocess.run(
        [node(), str(ensure_installed() / "run-audit.mjs"), url],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    results: list[dict[str, str | None]] = json.loads(completed.stdout)
    return results


def test_every_must_and_should_audit_passes(live_server: LiveServer) -> None:
    _assert_audit_passes(f"{live_server.url}/graphql")


def test_the_real_application_passes_the_audit_too(settings: Settings) -> None:
    with LiveServer(create_app(settings), lifespan="on") as server:
        _assert_audit_passes(f"{server.url}/graphql")


def _assert_audit_passes(url: str) -> None:
    results = _run_audit(url)
    required = [r for r in results if str(r["name"]).startswith(("MUST", "SHOULD"))]
    failing = [f"{r['id']} {r['name']}: {r['reason']}" for r in required if r["status"] != "ok"]
    levels = [str(r["name"]).split(" ", 1)[0] for r in required]
    assert (levels.count("MUST"), levels.count("SHOULD")) == (13, 23)  # graphql-http 1.23.1
    assert not failing, "\n".join(failing)
