"""``fiscus import FILE --org ORG --account CODE``: imports a statement into a ledger account
in this process, with a progress bar, through the same use case as ``importStatement`` and
its job (dedupe, rules, suggestions, one transaction). ``--org`` is the organization's id
(the UUID, or the global id GraphQL shows as ``organization { id }``)."""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import sys
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

from fiscus.config import Settings, with_jwt_secret

BAR_WIDTH = 30


def add_import_command(commands: Any, handler: Any) -> None:
    command = commands.add_parser("import", help="import a bank statement into a ledger account")
    command.add_argument("file", type=Path, help="CSV, OFX or QFX statement")
    command.add_argument("--org", required=True, help="organization id")
    command.add_argument("--account", required=True, help="ledger account code (or id)")
    command.add_argument(
        "--format",
        help="chase_checking, chase_card, discover_card, capital_one_card, "
        "capital_one_360, ofx (default: detected)",
    )
    command.add_argument("--mapping", help="name of a saved CSV mapping (generic CSV)")
    command.set_defaults(handler=handler)


def organization_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        pass
    try:
        kind, _, value = base64.urlsafe_b64decode(raw.encode()).decode().partition(":")
        if kind == "Organization":
            return UUID(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise SystemExit(f"--org: {raw!r} is not an organization id")


class ProgressBar:
    def __init__(self, name: str, out: TextIO = sys.stderr) -> None:
        self._name = name
        self._out = out

    async def __call__(self, payload: dict[str, Any]) -> None:
        rows = max(int(payload.get("rows") or 0), 1)
        done = int(payload.get("processed") or 0) + int(payload.get("skipped") or 0)
        done += int(payload.get("failed") or 0) if payload.get("status") == "done" else 0
        filled = min(BAR_WIDTH, BAR_WIDTH * done // rows)
        self._out.write(
            f"\r{self._name} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] "
            f"{payload.get('processed', 0):,}/{payload.get('rows', 0):,} lines  "
            f"created {payload.get('created', 0):,}  duplicates {payload.get('duplicates', 0):,}"
            f"  {payload.get('status', '')}   "
        )
        self._out.flush()

    def finish(self) -> None:
        self._out.write("\n")
        self._out.flush()


async def run_import_command(settings: Settings, args: argparse.Namespace) -> int:
    from fiscus.domain.errors import DomainError
    from fiscus.domain.imports import StatementFormat
    from fiscus.runtime import Runtime
    from fiscus.services.categorization.context import Actor
    from fiscus.services.imports import mappings, running, statements

    org_id = organization_id(args.org)
    data = args.file.read_bytes()
    runtime = await Runtime.open(with_jwt_secret(settings))
    try:
        actor = Actor(org_id, None)
        async with runtime.imports.reading(org_id, None) as reads:
            chart = await reads.ledger.accounts()
        account = next(
            (a for a in chart if a.code == args.account or str(a.id) == args.account), None
        )
        if account is None:
            print(f"no account {args.account!r} in organization {org_id}", file=sys.stderr)
            return 2
        mapping_id = None
        if args.mapping:
            saved = await mappings.mappings(runtime.imports, actor)
            found = next((m for m in saved if m.name == args.mapping), None)
            if found is None:
                print(f"no saved mapping named {args.mapping!r}", file=sys.stderr)
                return 2
            mapping_id = found.id
        try:
            started = await statements.start_import(
                runtime.imports,
                actor,
                account_id=account.id,
                upload=statements.Upload(data, args.file.name),
                format=StatementFormat(args.format) if args.format else None,
                mapping_id=mapping_id,
                enqueue=False,
            )
        except DomainError as error:
            print(f"{error.field or 'file'}: {error.message}", file=sys.stderr)
            return 2
        bar = ProgressBar(args.file.name)
        done = await running.run_import(runtime.imports, org_id, started.id, progress=bar)
        bar.finish()
    finally:
        await runtime.close()
    if done.failure is not None:
        print(f"failed: {done.failure.field}: {done.failure.message}", file=sys.stderr)
        return 1
    print(
        f"import {done.id}: {done.rows} rows, {done.created} created, {done.duplicates} "
        f"duplicates, {done.skipped} skipped, {done.failed} failed"
    )
    return 0


def import_command(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(run_import_command(settings, args))
