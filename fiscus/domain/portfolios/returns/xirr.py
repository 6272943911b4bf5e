"""Money-weighted return: the XIRR of dated flows, actual/365, solved by bracketing.

Sign convention (the investor's, as Excel's XIRR): money the investor puts in is
NEGATIVE (a deposit, the portfolio's value at the start), money the investor gets back is
POSITIVE (a withdrawal, the value at the end). The rate does not depend on the convention
(negating every flow leaves the roots of the NPV unchanged); it needs flows of both signs.

    NPV(r) = sum_i c_i / (1 + r) ^ ((d_i - d_0) / 365)

Solved in ``x = ln(1 + r)`` (so ``r > -1`` always): ``f(x) = sum_i c_i * exp(-x * t_i)``,
evaluated with the largest exponent factored out (no overflow; the sign is unchanged).
From a guess, the search steps outward on both sides (doubling steps) to the nearest sign
change within ``x`` in [-700, 700] (r from -100% + 1e-304 to about 1e304), then Newton
steps that fall outside the shrinking bracket are replaced by bisection, to
``|hi - lo| < 1e-12``. Two
roots between two scan points of the same sign are found through the turning point of
``f`` between them (where ``f'`` changes sign). No bracket: ``rate`` None with the reason;
never a silent non-convergence. When the flows change sign more than once there may be
several rates; the one nearest the guess is returned.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fiscus.domain.portfolios.returns.twr import DAYS_PER_YEAR, to_rate

X_MIN, X_MAX = -700.0, 700.0
_TOLERANCE = 1e-12
_MAX_STEPS = 300


@dataclass(frozen=True, slots=True)
class XirrResult:
    rate: Decimal | None
    """Annual rate, 10 places; None when no rate exists (see ``reason``)."""
    reason: str | None = None


def _npv(flows: Sequence[tuple[float, float]], x: float) -> tuple[float, float]:
    """(f(x), f'(x)) both scaled by the same positive factor ``exp(-max_i(-x * t_i))``."""
    top = max(-x * t for t, _ in flows)
    value = slope = 0.0
    for t, c in flows:
        term = c * math.exp(-x * t - top)
        value += term
        slope -= t * term
    return value, slope


def _solve(flows: Sequence[tuple[float, float]], lo: float, hi: float, f_lo: float) -> float | None:
    x = (lo + hi) / 2
    for _ in range(_MAX_STEPS):
        value, slope = _npv(flows, x)
        if value == 0:
            return x
        if (value < 0) == (f_lo < 0):
            lo, f_lo = x, value
        else:
            hi = x
        if hi - lo < _TOLERANCE:
            return (lo + hi) / 2
        step = x - value / slope if slope else lo - 1
        x = step if lo < step < hi else (lo + hi) / 2
    return None


def xirr(flows: Sequence[tuple[date, Decimal]]) -> XirrResult:
    by_day: dict[date, Decimal] = {}
    for day, amount in flows:
        by_day[day] = by_day.get(day, Decimal(0)) + amount
    dated = sorted((day, amount) for day, amount in by_day.items() if amount)
    if len(dated) < 2:
        return XirrResult(None, "XIRR needs non-zero flows on at least two dates.")
    if all(amount > 0 for _, amount in dated) or all(amount < 0 for _, amount in dated):
        return XirrResult(None, "XIRR needs money both in and out (flows of both signs).")
    origin = dated[0][0]
    years = [((day - origin).days / DAYS_PER_YEAR, float(amount)) for day, amount in dated]
    scale = max(abs(c) for _, c in years)
    points = [(t, c / scale) for t, c in years]
    # Guess: the money multiple spread over half the span, x = ln(multiple) / (span / 2).
    gained = sum(c for _, c in points if c > 0)
    paid = -sum(c for _, c in points if c < 0)
    span = max(points[-1][0] / 2, 1 / DAYS_PER_YEAR)
    guess = min(max(math.log(gained / paid) / span, X_MIN / 2), X_MAX / 2)
    try:
        root = _nearest_root(points, guess)
    except ArithmeticError:
        return XirrResult(None, "The solver did not converge within its bracket.")
    if root is None:
        return XirrResult(None, "No rate above -100% makes the flows' NPV zero.")
    rate = math.expm1(root)
    return XirrResult(to_rate(rate), None)


def _turning_point(points: Sequence[tuple[float, float]], a: float, b: float) -> float:
    """Where ``f'`` changes sign between ``a`` and ``b`` (bisection on the slope's sign)."""
    slope_a = _npv(points, a)[1]
    for _ in range(_MAX_STEPS):
        middle = (a + b) / 2
        if abs(b - a) < _TOLERANCE:
            break
        slope = _npv(points, middle)[1]
        if (slope < 0) == (slope_a < 0):
            a, slope_a = middle, slope
        else:
            b = middle
    return (a + b) / 2


def _bracket(
    points: Sequence[tuple[float, float]],
    near: tuple[float, float, float],
    far: tuple[float, float, float],
) -> tuple[float, float, float] | None:
    """A bracket ``(lo, hi, f(lo))`` of the root between ``near`` and ``far`` closest to
    ``near``: where ``f`` changes sign, or -- two roots hidden between two points of the
    same sign -- between ``near`` and the turning point of ``f`` when it crosses zero."""
    (x0, f0, s0), (x1, f1, s1) = near, far
    if (f1 < 0) != (f0 < 0):
        return (x0, x1, f0) if x0 < x1 else (x1, x0, f1)
    if (s1 < 0) == (s0 < 0):
        return None
    turn = _turning_point(points, x0, x1)
    f_turn = _npv(points, turn)[0]
    if f_turn == 0 or (f_turn < 0) != (f0 < 0):
        return (x0, turn, f0) if x0 < turn else (turn, x0, f_turn)
    return None


def _nearest_root(points: Sequence[tuple[float, float]], guess: float) -> float | None:
    value, slope = _npv(points, guess)
    if value == 0:
        return guess
    sides = {1: (guess, value, slope), -1: (guess, value, slope)}
    step = 0.05
    while sides:
        for direction in (1, -1):
            if direction not in sides:
                continue
            near = sides[direction]
            x = min(max(guess + direction * step, X_MIN), X_MAX)
            value, slope = _npv(points, x)
            if value == 0:
                return x
            found = _bracket(points, near, (x, value, slope))
            if found is not None:
                lo, hi, f_lo = found
                root = _solve(points, lo, hi, f_lo)
                if root is None:
                    raise ArithmeticError("no convergence")
                return root
            if x in (X_MIN, X_MAX):
                del sides[direction]
            else:
                sides[direction] = (x, value, slope)
        step *= 2
    return None
