"""Full recomputation of one portfolio in the pure domain (no database): replaying 10,000
transactions into lots, the daily valuation over 10 years, the time-weighted return and
the XIRR over the whole history.

Synthetic, deterministic data (seeded): 30 instruments (20 in USD, the base currency, 6 in
EUR, 4 in GBP), 2,520 trading days of raw closes (a random walk; splits divide the closes
from their day on), daily EUR and GBP rates, and 10,000 mixed transactions: buys, sells,
cash and reinvested dividends, deposits, withdrawals, fees, interest and splits, all valid
(no margin). Timed per phase over --rounds runs: p50/p99 wall time next to the target
(250 ms in total) and the issue's figure for Ghostfolio (~16 s).

Also printed: replay alone (the books without prices), a floor measured in the same run --
the bare Decimal arithmetic of the job in a plain loop -- the CPU time of each phase
beside its wall time, and the load average, as the machine may be shared (wall time then
includes waiting for a CPU).

    PYTHONPATH=. python bench/portfolio_recompute.py [--rounds 20] [--method FIFO]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fiscus.domain.portfolios import (
    CostBasisMethod,
    FxHistory,
    PriceHistory,
    Transaction,
    TransactionType,
    ValuationPoint,
    XirrResult,
    recompute,
    replay,
    time_weighted_return,
    xirr,
)

T = TransactionType
TARGET_MS = 250.0
ISSUE_FIGURE = "~16 s (issue's figure, Ghostfolio)"
CURRENCIES = ["USD"] * 20 + ["EUR"] * 6 + ["GBP"] * 4
SPLITS = 12


def trading_days(first: date, count: int) -> list[date]:
    days: list[date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def synthetic(
    seed: int, instruments: int, days: int, transactions: int
) -> tuple[list[Transaction], dict[uuid.UUID, PriceHistory], dict[str, FxHistory], list[date]]:
    rng = random.Random(seed)
    calendar = trading_days(date(2015, 1, 5), days)
    ids = [uuid.UUID(int=n + 1) for n in range(instruments)]
    currency = {iid: CURRENCIES[n % len(CURRENCIES)] for n, iid in enumerate(ids)}
    split_at = {
        (rng.randrange(instruments), rng.randrange(100, days)): rng.choice(["2", "3", "1.5", "0.5"])
        for _ in range(SPLITS)
    }
    closes: dict[uuid.UUID, list[Decimal]] = {}
    for n, iid in enumerate(ids):
        level, series = rng.uniform(20, 200), []
        for k in range(days):
            level *= math.exp(rng.gauss(0.0003, 0.015))
            ratio = split_at.get((n, k))
            if ratio is not None:
                level /= float(ratio)
            series.append(Decimal(f"{level:.4f}"))
        closes[iid] = series
    rates: dict[str, list[Decimal]] = {}
    for code, level in (("EUR", 1.10), ("GBP", 1.30)):
        series = []
        for _ in range(days):
            level *= math.exp(rng.gauss(0, 0.004))
            series.append(Decimal(f"{level:.6f}"))
        rates[code] = series
    prices = {iid: PriceHistory(currency[iid], calendar, closes[iid]) for iid in ids}
    fx = {code: FxHistory(calendar, series) for code, series in rates.items()}

    rows: list[Transaction] = []
    held = dict.fromkeys(ids, Decimal(0))
    cash = Decimal(0)

    def add(kind: TransactionType, k: int, **fields: Any) -> None:
        rows.append(
            Transaction(
                id=uuid.UUID(int=len(rows) + 10**6),
                seq=len(rows) + 1,
                type=kind,
                date=calendar[k],
                **fields,
            )
        )

    def rate(code: str, k: int) -> Decimal:
        return Decimal(1) if code == "USD" else rates[code][k]

    add(T.DEPOSIT, 0, currency="USD", amount=Decimal(2_000_000))
    cash += 2_000_000
    splits = sorted((k, n) for (n, k) in split_at)
    moments = sorted(rng.randrange(days) for _ in range(transactions - 1 - len(splits)))
    for k in moments:
        while splits and splits[0][0] <= k:
            on, n = splits.pop(0)
            iid, ratio = ids[n], Decimal(split_at[(n, on)])
            add(T.SPLIT, on, currency=currency[iid], instrument_id=iid, ratio=ratio)
            held[iid] *= ratio
        iid = rng.choice(ids)
        code, close = currency[iid], closes[iid][k]
        x = rate(code, k)
        roll = rng.random()
        if roll < 0.50:
            q = Decimal(rng.randint(1, 40))
            cost = (q * close + 1) * x
            if cost < cash * Decimal("0.5"):
                add(
                    T.BUY,
                    k,
                    currency=code,
                    fx_rate=x,
                    instrument_id=iid,
                    quantity=q,
                    price=close,
                    fee=Decimal(1),
                )
                held[iid] += q
                cash -= cost + 1
                continue
            roll = 0.6
        if roll < 0.75 and held[iid] > 0:
            q = min(held[iid], Decimal(rng.randint(1, 30)))
            add(
                T.SELL,
                k,
                currency=code,
                fx_rate=x,
                instrument_id=iid,
                quantity=q,
                price=close,
                fee=Decimal(1),
            )
            held[iid] -= q
            cash += q * close * x - 2
        elif roll < 0.82 and held[iid] > 0:
            amount = max((held[iid] * close / 200).quantize(Decimal("0.01")), Decimal("0.01"))
            add(T.DIVIDEND, k, currency=code, fx_rate=x, instrument_id=iid, amount=amount)
            cash += amount * x
        elif roll < 0.85 and held[iid] > 0:
            add(
                T.DIVIDEND,
                k,
                currency=code,
                fx_rate=x,
                instrument_id=iid,
                quantity=Decimal("0.1"),
                price=close,
            )
            held[iid] += Decimal("0.1")
        elif roll < 0.91:
            amount = Decimal(rng.randint(1_000, 20_000))
            add(T.DEPOSIT, k, currency="USD", amount=amount)
            cash += amount
        elif roll < 0.93 and cash > 100_000:
            amount = Decimal(rng.randint(1_000, 20_000))
            add(T.WITHDRAWAL, k, currency="USD", amount=amount)
            cash -= amount
        elif roll < 0.97:
            add(T.FEE, k, currency="USD", amount=Decimal("2.50"))
            cash -= Decimal("2.5")
        else:
            add(T.INTEREST, k, currency="USD", amount=Decimal("3.75"))
            cash += Decimal("3.75")
    return rows, prices, fx, calendar


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


CPU: dict[str, list[float]] = {}


def timed(run: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """The result and the wall time in ms; the CPU time goes to ``CPU[run's name]``."""
    cpu, started = time.process_time(), time.perf_counter()
    result = run(*args, **kwargs)
    wall = (time.perf_counter() - started) * 1000
    CPU.setdefault(run.__name__, []).append((time.process_time() - cpu) * 1000)
    return result, wall


def money_weighted(points: list[ValuationPoint]) -> XirrResult:
    """XIRR of the whole history: each day's OUT - IN, and the end value."""
    flows = [(p.date, p.outflow - p.inflow) for p in points if p.inflow or p.outflow]
    flows.append((points[-1].date, points[-1].value))
    return xirr(flows)


def decimal_floor(rows: list[Transaction], prices: dict[uuid.UUID, PriceHistory]) -> None:
    """The arithmetic any implementation must do, in a bare loop: cash += q * p for every
    row, and value = sum of q * close for 30 instruments on every trading day."""
    cash = Decimal(0)
    for tx in rows:
        if tx.quantity is not None and tx.price is not None:
            cash += tx.quantity * tx.price
    quantity = Decimal(7)
    histories = [history.closes for history in prices.values()]
    for k in range(len(histories[0])):
        value = Decimal(0)
        for closes in histories:
            value += quantity * closes[k]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--method", default="FIFO", choices=[m.value for m in CostBasisMethod])
    parser.add_argument("--transactions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    method = CostBasisMethod(args.method)
    if method is CostBasisMethod.SPECIFIC:
        parser.error("SPECIFIC needs named lots; the synthetic sells do not name them")
    rows, prices, fx, calendar = synthetic(args.seed, 30, 2_520, args.transactions)
    start, end = calendar[0] - timedelta(days=1), calendar[-1]
    names = ("replay", "recompute", "twr", "xirr", "total", "floor")
    samples: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(args.rounds):
        books, replay_ms = timed(replay, rows, method=method)
        both, recompute_ms = timed(
            recompute,
            rows,
            method=method,
            prices=prices,
            fx=fx,
            base_currency="USD",
            start=start,
            end=end,
            allow_margin=False,
        )
        twr, twr_ms = timed(time_weighted_return, both.points, start, end)
        mwr, xirr_ms = timed(money_weighted, both.points)
        _, floor_ms = timed(decimal_floor, rows, prices)
        total_ms = recompute_ms + twr_ms + xirr_ms
        for name, ms in zip(
            names, (replay_ms, recompute_ms, twr_ms, xirr_ms, total_ms, floor_ms), strict=True
        ):
            samples[name].append(ms)
    assert both.books == books, "the one-pass books differ from replay's"
    kinds: dict[str, int] = {}
    for tx in rows:
        kinds[tx.type.value] = kinds.get(tx.type.value, 0) + 1
    print(
        f"portfolio_recompute: {len(rows):,} transactions, 30 instruments, "
        f"{len(calendar):,} trading days ({len(both.points):,} calendar-day points), "
        f"method {method.value}, {args.rounds} rounds, load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    print("  mix: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print(
        f"  open positions {len(books.positions)}, realized rows {len(books.realized)}, "
        f"TWR {twr.cumulative}, XIRR {mwr.rate} {mwr.reason or ''}"
    )
    labels = {
        "replay": "replay alone (lots, gains, cash)",
        "recompute": "replay + daily valuation, one pass",
        "twr": "time-weighted return",
        "xirr": "XIRR",
        "total": "full recomputation (recompute + twr + xirr)",
        "floor": "floor: bare Decimal loop (rows q*p, days x 30 q*close)",
    }
    functions = {
        "replay": "replay",
        "recompute": "recompute",
        "twr": "time_weighted_return",
        "xirr": "money_weighted",
        "floor": "decimal_floor",
    }
    cpu = {name: CPU[function] for name, function in functions.items()}
    phases = zip(cpu["recompute"], cpu["twr"], cpu["xirr"], strict=True)
    cpu["total"] = [sum(parts) for parts in phases]
    print(f"  {'phase':<52} {'wall p50':>9} {'wall p99':>9} {'CPU p50':>8}  (ms)")
    for name in names:
        values = samples[name]
        print(
            f"  {labels[name]:<52} {statistics.median(values):9.1f} "
            f"{percentile(values, 0.99):9.1f} {statistics.median(cpu[name]):8.1f}"
        )
    verdict = "under" if statistics.median(samples["total"]) < TARGET_MS else "OVER"
    print(
        f"  target: full recomputation under {TARGET_MS:.0f} ms -> wall p50 {verdict}; "
        f"peer: {ISSUE_FIGURE}"
    )


if __name__ == "__main__":
    main()
