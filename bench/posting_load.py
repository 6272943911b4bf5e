"""What bench/ledger_posting.py measures with: phases (entries/s, latency, CPU per entry of
PostgreSQL's backends and of a process) and the GraphQL load generators (wrk with a Lua
script giving every request its own idempotency key, or an httpx loop)."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import psutil

POST = """mutation($input: PostJournalEntryInput!) { postJournalEntry(input: $input) {
  __typename ... on JournalEntrySuccess { entry { id } } } }"""


@dataclass
class Phase:
    name: str
    entries: int
    seconds: float
    latencies: list[float]
    postgres_cpu: float | None
    process_cpu: float
    note: str = ""
    reported: tuple[float, float] | None = None
    """(p50, p99) seconds as the load generator reported them."""

    @property
    def rate(self) -> float:
        return self.entries / self.seconds

    def line(self, floor: float) -> str:
        p50, p99 = (
            (self.reported[0] * 1e3, self.reported[1] * 1e3)
            if self.reported
            else _percentiles(self.latencies)
        )
        pg = (
            "   n/a"
            if self.postgres_cpu is None
            else f"{self.postgres_cpu / self.entries * 1e3:6.2f}"
        )
        ratio = "" if floor == 0 else f"{self.rate / floor:5.2f}x"
        return (
            f"  {self.name:44} {self.rate:7.0f} {ratio:>6} {p50:8.1f} {p99:8.1f}"
            f" {pg} {self.process_cpu / self.entries * 1e3:7.2f}{self.note}"
        )


def _percentiles(samples: Sequence[float]) -> tuple[float, float]:
    if not samples:
        return float("nan"), float("nan")
    ordered = sorted(samples)
    return (
        statistics.median(ordered) * 1e3,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3,
    )


class Backends:
    """CPU seconds of the scratch database's PostgreSQL backends (from /proc)."""

    def __init__(self, dsn: str, database: str) -> None:
        self._dsn, self._database = dsn, database
        self._seen: dict[int, float] = {}

    async def cpu(self) -> float | None:
        connection = await asyncpg.connect(self._dsn)
        try:
            pids = await connection.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                self._database,
            )
        finally:
            await connection.close()
        try:
            for row in pids:
                times = psutil.Process(row["pid"]).cpu_times()
                self._seen[row["pid"]] = times.user + times.system
        except (psutil.Error, OSError):
            return None
        return sum(self._seen.values())


async def measured(
    name: str,
    backends: Backends,
    process: psutil.Process,
    entries_of: Callable[[], Awaitable[int]],
    run: Callable[[list[float]], Awaitable[tuple[float, float] | None]],
    note: str = "",
) -> Phase:
    latencies: list[float] = []
    before_entries, before_pg = await entries_of(), await backends.cpu()
    before_cpu = _cpu(process)
    started = time.perf_counter()
    reported = await run(latencies)
    seconds = time.perf_counter() - started
    process_cpu = _cpu(process) - before_cpu
    after_pg = await backends.cpu()
    entries = await entries_of() - before_entries
    postgres = None if before_pg is None or after_pg is None else after_pg - before_pg
    return Phase(name, entries, seconds, latencies, postgres, process_cpu, note, reported)


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def run_writers(
    writers: int, work: Sequence[Any], post_one: Callable[[int, Any], Awaitable[None]]
) -> Callable[[list[float]], Awaitable[None]]:
    async def run(latencies: list[float]) -> None:
        queue = list(enumerate(work))

        async def writer() -> None:
            while queue:
                i, item = queue.pop()
                started = time.perf_counter()
                await post_one(i, item)
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(writer() for _ in range(writers)))

    return run


def body_of(key: str, ids: list[str], rng: random.Random) -> dict[str, Any]:
    debit, credit = rng.sample(ids, 2)
    amount = Decimal(rng.randint(1, 100_000)) / 100
    day = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
    return {
        "query": POST,
        "variables": {
            "input": {
                "date": day.isoformat(),
                "memo": "bench",
                "idempotencyKey": key,
                "lines": [
                    {"accountId": debit, "amount": str(amount)},
                    {"accountId": credit, "amount": str(-amount)},
                ],
            }
        },
    }


async def httpx_load(
    base: str, token: str, ids: list[str], count: int, connections: int, latencies: list[float]
) -> None:
    rng = random.Random(count)
    prefix = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(
        base_url=base,
        timeout=60,
        limits=httpx.Limits(max_connections=connections),
        headers={"authorization": f"Bearer {token}"},
    ) as client:
        queue = list(range(count))

        async def one() -> None:
            while queue:
                body = body_of(f"api-{prefix}-{queue.pop()}", ids, rng)
                started = time.perf_counter()
                response = (await client.post("/graphql", json=body)).json()
                latencies.append(time.perf_counter() - started)
                kind = response["data"]["postJournalEntry"]["__typename"]
                assert kind == "JournalEntrySuccess", response

        await asyncio.gather(*(one() for _ in range(connections)))


WRK_SCRIPT = """
local accounts = {ACCOUNTS}
local token = "TOKEN"
local query = "QUERY"
local threads = {}
local made = 0
function setup(thread)
  made = made + 1
  thread:set("tid", made)
  table.insert(threads, thread)
end
function init(args)
  counter = 0
  failures = 0
  math.randomseed(tid * 7919)
end
function request()
  counter = counter + 1
  local a = math.random(#accounts)
  local b = math.random(#accounts - 1)
  if b >= a then b = b + 1 end
  local cents = math.random(1, 100000)
  local amount = string.format("%d.%02d", math.floor(cents / 100), cents % 100)
  local day = string.format("2026-%02d-%02d", math.random(1, 12), math.random(1, 28))
  local body = '{"query":"' .. query .. '","variables":{"input":{"date":"' .. day
    .. '","memo":"bench","idempotencyKey":"wrk-PREFIX-' .. tid .. '-' .. counter
    .. '","lines":[{"accountId":"' .. accounts[a] .. '","amount":"' .. amount
    .. '"},{"accountId":"' .. accounts[b] .. '","amount":"-' .. amount .. '"}]}}}'
  return wrk.format("POST", "/graphql", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token}, body)
end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, "JournalEntrySuccess", 1, true) then
    failures = failures + 1
    if failures < 3 then io.write("unexpected: " .. body .. "\\n") end
  end
end
function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("failures") end
  io.write("failures: " .. failed .. "\\n")
  io.write(string.format("p50 %d p99 %d\\n", latency:percentile(50), latency:percentile(99)))
end
"""


async def wrk_load(
    base: str, token: str, ids: list[str], connections: int, seconds: float
) -> tuple[float, float]:
    """Loads with wrk; answers (p50, p99) in seconds, as wrk reports them."""
    script = (
        WRK_SCRIPT.replace("ACCOUNTS", ",".join(f'"{i}"' for i in ids))
        .replace("TOKEN", token)
        .replace("QUERY", " ".join(POST.split()).replace('"', '\\"'))
        .replace("PREFIX", uuid.uuid4().hex[:8])
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        process = await asyncio.create_subprocess_exec(
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            handle.name,
            f"{base}/graphql",
            stdout=subprocess.PIPE,
        )
        out, _ = await process.communicate()
    finally:
        os.unlink(handle.name)
    text = out.decode()
    failures = next(
        (int(line.split()[1]) for line in text.splitlines() if line.startswith("failures:")), -1
    )
    if failures != 0:
        raise RuntimeError(f"wrk saw failed postings:\n{text}")
    p50, p99 = next(
        (line.split()[1], line.split()[3]) for line in text.splitlines() if line.startswith("p50")
    )
    return int(p50) / 1e6, int(p99) / 1e6
