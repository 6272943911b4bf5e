"""The official GraphQL-over-HTTP audit suite (npm ``graphql-http``) against a live server."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.transport.toy_app import LiveServer

AUDIT_DIR = Path(__file__).parent / "audit"


def _node_modules() -> Path:
    installed = AUDIT_DIR / "node_modules" / "graphql-http"
    if not installed.is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is required to install the graphql-http audit suite")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=AUDIT_DIR, check=True, timeout=300
        )
    return installed


def _run_audit(url: str) -> list[dict[str, str | None]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required to run the graphql-http audit suite")
    completed = subprocess.run(
        [node, str(AUDIT_DIR / "run-audit.mjs"), url],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    results: list[dict[str, str | None]] = json.loads(completed.stdout)
    return results


def test_every_must_and_should_audit_passes(live_server: LiveServer) -> None:
    _node_modules()
    results = _run_audit(f"{live_server.url}/graphql")
    required = [r for r in results if str(r["name"]).startswith(("MUST", "SHOULD"))]
    failing = [f"{r['id']} {r['name']}: {r['reason']}" for r in required if r["status"] != "ok"]
    levels = [str(r["name"]).split(" ", 1)[0] for r in required]
    assert (levels.count("MUST"), levels.count("SHOULD")) == (13, 23)  # graphql-http 1.23.1
    assert not failing, "\n".join(failing)
