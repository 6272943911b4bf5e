"""Synthetic household bank lines with their true categories (account codes of the
household chart), and a Chase-checking CSV of them: for the demo, the benchmarks and the
accuracy measurement of learned suggestions. Deterministic for a seed. Descriptions vary the
way real ones do (store numbers, card dates, processor prefixes, ACH boilerplate), so a
model has to generalize; a few merchants sell more than one kind of thing, so it cannot be
perfect."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class SampleLine:
    date: date
    description: str
    amount: Decimal
    category: str
    """The household chart's account code the line truly belongs to."""


# (description template, category code, low, high, share of lines). {s}: a store number,
# {d}: a card date (MM/DD), {n}: a long reference. Amounts are money out unless high < 0.
_DAILY: tuple[tuple[str, str, int, int, float], ...] = (
    ("WHOLEFDS MKT #{s}", "5100", 2_000, 18_000, 6),
    ("TRADER JOE'S #{s}", "5100", 1_500, 12_000, 6),
    ("SAFEWAY #{s}", "5100", 1_000, 15_000, 5),
    ("SQ *FARMERS MARKET {d}", "5100", 800, 4_000, 2),
    ("KROGER #{s}", "5100", 1_500, 16_000, 3),
    ("SHELL OIL {n}", "5200", 2_500, 7_000, 3),
    ("CHEVRON {s}", "5200", 2_500, 7_500, 3),
    ("UBER *TRIP {d}", "5200", 900, 4_500, 3),
    ("LYFT *RIDE {d}", "5200", 800, 4_000, 2),
    ("CLIPPER TRANSIT FARE", "5200", 250, 900, 2),
    ("CVS/PHARMACY #{s}", "5300", 500, 6_000, 2),
    ("WALGREENS #{s}", "5300", 400, 5_000, 2),
    ("SQ *BLUE BOTTLE COFFEE {d}", "5400", 450, 900, 6),
    ("STARBUCKS STORE {s} SEATTLE WA", "5400", 350, 1_200, 6),
    ("TST* PIZZERIA NAPOLI {d}", "5400", 1_800, 6_500, 2),
    ("DOORDASH*{r}", "5400", 1_500, 6_000, 3),
    ("AMC THEATRES {s}", "5400", 1_200, 4_000, 1),
    ("AMAZON.COM*{n}", "5900", 800, 12_000, 4),
    ("AMAZON.COM*{n}", "5100", 1_500, 6_000, 1),
    ("TARGET #{s}", "5900", 1_000, 15_000, 3),
    ("TARGET #{s}", "5100", 1_500, 9_000, 1),
    ("HOME DEPOT #{s}", "5900", 1_500, 30_000, 2),
    ("PAYPAL *EBAY {n}", "5900", 500, 8_000, 1),
)
# (day of month, description, category, low, high); negative amounts are money in.
_MONTHLY: tuple[tuple[int, str, str, int, int], ...] = (
    (
        1,
        "ORIG CO NAME:OAKWOOD PROPERTY MGMT ORIG ID:1234567890 DESC DATE:{ymd} "
        "CO ENTRY DESCR:RENT SEC:WEB",
        "5010",
        185_000,
        185_000,
    ),
    (4, "CITY LIGHT UTILITY WEB PMT", "5020", 6_000, 14_000),
    (9, "COMCAST CABLE COMM {n}", "5020", 8_999, 8_999),
    (12, "NETFLIX.COM", "5400", 1_549, 1_549),
    (14, "SPOTIFY USA", "5400", 1_099, 1_099),
    (17, "PLANET FITNESS CLUB FEES", "5300", 2_499, 2_499),
    (20, "GEICO *AUTO {n}", "5200", 11_200, 11_200),
    (27, "ONLINE TRANSFER TO SAV XXXXXX4821", "1020", 50_000, 50_000),
    (28, "INTEREST PAYMENT", "4100", -180, -40),
)
_PAYROLL = (
    "ORIG CO NAME:ACME CORP PAYROLL ORIG ID:9876543210 DESC DATE:{ymd} "
    "CO ENTRY DESCR:PAYROLL SEC:PPD"
)
_RESTAURANTS = ("CHIPOTLE", "PANDA EXPRESS", "THAI BASIL", "SUSHI ZEN", "SHAKE SHACK")


def _fill(template: str, day: date, rng: random.Random) -> str:
    return template.format(
        s=rng.choice(("0123", "1042", "552", "10234", "7781", "306")),
        d=day.strftime("%m/%d"),
        n=str(rng.randint(10_000_000, 99_999_999)),
        r=rng.choice(_RESTAURANTS),
        ymd=day.strftime("%y%m%d"),
    )


def _cents(rng: random.Random, low: int, high: int) -> Decimal:
    return (Decimal(rng.randint(min(low, high), max(low, high))) / 100).quantize(Decimal("0.01"))


def sample_lines(start: date, count: int, *, seed: int = 7) -> list[SampleLine]:
    """About ``count`` lines from ``start`` on, oldest first: daily spending, monthly bills
    and transfers, biweekly pay; every tenth day a double coffee (two identical lines)."""
    rng = random.Random(seed)
    weights = [w for *_, w in _DAILY]
    per_day = 3
    lines: list[SampleLine] = []
    offset = -1
    while len(lines) < count:
        offset += 1
        day = start + timedelta(days=offset)
        if offset % 14 == 4:
            lines.append(SampleLine(day, _fill(_PAYROLL, day, rng), Decimal("3150.00"), "4000"))
        for dom, template, category, low, high in _MONTHLY:
            if day.day == dom:
                amount = _cents(rng, low, high)
                lines.append(SampleLine(day, _fill(template, day, rng), -amount, category))
        for template, category, low, high, _ in rng.choices(_DAILY, weights, k=per_day - 1):
            lines.append(
                SampleLine(day, _fill(template, day, rng), -_cents(rng, low, high), category)
            )
        if offset % 10 == 3:
            coffee = SampleLine(
                day, f"SQ *BLUE BOTTLE COFFEE {day:%m/%d}", Decimal("-5.50"), "5400"
            )
            lines.extend((coffee, coffee))
    return lines[:count]


def chase_checking_csv(lines: Sequence[SampleLine], *, opening: Decimal = Decimal("5000")) -> bytes:
    """The lines as Chase exports checking: newest first, a running balance, CRLF."""
    balance = opening
    rows: list[str] = []
    for line in lines:
        balance += line.amount
        details = "CREDIT" if line.amount > 0 else "DEBIT"
        kind = "ACH_CREDIT" if line.amount > 0 else "DEBIT_CARD"
        description = line.description.replace('"', '""')
        rows.append(
            f'{details},{line.date:%m/%d/%Y},"{description}",{line.amount},{kind},{balance},,'
        )
    header = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #"
    return ("\r\n".join([header, *reversed(rows)]) + "\r\n").encode()


def iter_months(start: date, months: int) -> Iterator[date]:
    for i in range(months):
        year, month = divmod(start.year * 12 + start.month - 1 + i, 12)
        yield date(year, month + 1, 1)
