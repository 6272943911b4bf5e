"""``fiscus import`` end to end: a real process imports a statement into an account with a
progress bar (re-imports are the service's: tests/services/test_imports.py)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from fiscus.config import Settings
from tests.services.imports_fixtures import FIXTURES, household

ROOT = str(Path(__file__).resolve().parents[1])


async def fiscus_import(settings: Settings, *args: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "FISCUS_DATABASE_URL": settings.database.url.get_secret_value(),  # type: ignore[union-attr]
        "FISCUS_REDIS_URL": str(settings.redis.url),
        "FISCUS_REDIS_PREFIX": settings.redis.prefix,
        "FISCUS_DATA_DIR": str(settings.data_dir),
        "FISCUS_ENV": "test",
        "PYTHONPATH": ROOT,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fiscus",
        "import",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode(), err.decode()


async def test_the_cli_imports_a_statement_with_a_progress_bar(runtime, settings):
    h = await household(runtime)
    path = str(FIXTURES / "chase_checking.csv")
    code, out, err = await fiscus_import(
        settings, path, "--org", str(h.principal.org_id), "--account", "1010"
    )
    assert code == 0, err
    assert "7 created, 0 duplicates, 1 skipped, 0 failed" in out
    assert "chase_checking.csv [" in err and "done" in err
    code, _, err = await fiscus_import(
        settings, path, "--org", str(h.principal.org_id), "--account", "nope"
    )
    assert code == 2 and "no account 'nope'" in err
