"""Reference JavaScript clients (tests/node_clients), run with node against live servers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

NODE_CLIENTS = Path(__file__).parent / "node_clients"


def ensure_installed() -> Path:
    """``npm ci`` once (node_modules is not committed); fails, never skips, without npm."""
    if not (NODE_CLIENTS / "node_modules" / "graphql-ws").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is required to install the reference JavaScript clients")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_CLIENTS, check=True, timeout=300
        )
    return NODE_CLIENTS


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is required to run the reference JavaScript clients")
    return found
