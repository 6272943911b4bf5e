"""Spending segments: payees grouped by how money goes to them.

Each payee with money going out becomes a point: typical size (log of the mean amount), how
often (log of lines per month), how much the amount varies (coefficient of variation), how
much of it falls on weekends, and its category (one-hot over the organization's most used
categories, half weight). Points are standardized and grouped by k-means (k up to
``MAX_SEGMENTS``, fewer for few payees; deterministic seed). Each segment is named from its
centre: everyday small purchases, fixed bills and subscriptions, large occasional spending,
weekend leisure, regular shopping.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

import numpy as np
from sklearn.cluster import KMeans

MAX_SEGMENTS = 5
TOP_CATEGORIES = 8


@dataclass(frozen=True, slots=True)
class SegmentInput:
    payee: str
    date: date
    amount: Decimal
    category_account_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class PayeeProfile:
    payee: str
    lines: int
    total: Decimal
    """Money out, as a positive amount."""
    average: Decimal
    per_month: float
    variation: float
    weekend_share: float
    category_account_id: UUID | None


@dataclass(frozen=True, slots=True)
class SpendingSegment:
    name: str
    description: str
    payees: tuple[PayeeProfile, ...]
    lines: int
    total: Decimal
    average: Decimal
    per_month: float
    weekend_share: float


def _profiles(lines: Sequence[SegmentInput], months: float) -> list[PayeeProfile]:
    by_payee: dict[str, list[SegmentInput]] = defaultdict(list)
    for line in lines:
        if line.amount < 0 and line.payee.strip():
            by_payee[line.payee.strip()].append(line)
    profiles = []
    for payee, group in sorted(by_payee.items()):
        sizes = [float(-line.amount) for line in group]
        mean = sum(sizes) / len(sizes)
        deviation = math.sqrt(sum((s - mean) ** 2 for s in sizes) / len(sizes))
        total = sum((-line.amount for line in group), Decimal(0))
        categories = Counter(line.category_account_id for line in group if line.category_account_id)
        profiles.append(
            PayeeProfile(
                payee=payee,
                lines=len(group),
                total=total,
                average=(total / len(group)).quantize(Decimal("0.01")),
                per_month=round(len(group) / months, 3),
                variation=round(deviation / mean if mean else 0.0, 3),
                weekend_share=round(
                    sum(line.date.weekday() >= 5 for line in group) / len(group), 3
                ),
                category_account_id=categories.most_common(1)[0][0] if categories else None,
            )
        )
    return profiles


def _name(center: dict[str, float]) -> tuple[str, str]:
    if center["per_month"] >= 4 and center["average"] <= 30:
        return "Everyday small purchases", "Frequent, small amounts: coffee, snacks, transit."
    if center["per_month"] <= 1.6 and center["variation"] <= 0.15:
        if center["average"] < 50:
            return "Subscriptions", "About once a month, the same small amount."
        return "Fixed bills", "About once a month, about the same amount: rent, insurance, bills."
    if center["average"] >= 150:
        return "Large occasional spending", "Big amounts, now and then."
    if center["weekend_share"] >= 0.45:
        return "Weekend leisure", "Most of it on Saturdays and Sundays."
    return "Regular shopping", "Several times a month, moderate amounts: groceries, fuel."


def spending_segments(
    lines: Sequence[SegmentInput], *, max_segments: int = MAX_SEGMENTS
) -> list[SpendingSegment]:
    """Segments, the most money first. Frequencies are per month of the lines' own span."""
    if not lines:
        return []
    first, last = min(line.date for line in lines), max(line.date for line in lines)
    months = max(((last - first).days + 1) / 30.44, 1.0)
    profiles = _profiles(lines, months)
    if not profiles:
        return []
    counts = Counter(p.category_account_id for p in profiles if p.category_account_id)
    top = [c for c, _ in counts.most_common(TOP_CATEGORIES)]
    points = np.array(
        [
            [
                math.log10(float(p.average) + 1),
                math.log10(p.per_month + 0.1),
                p.variation,
                p.weekend_share,
                *(0.5 if p.category_account_id == c else 0.0 for c in top),
            ]
            for p in profiles
        ]
    )
    k = min(max_segments, len(profiles), max(1, len(profiles) // 2))
    if k > 1:
        spread = points.std(axis=0)
        spread[spread == 0] = 1.0
        scaled = (points - points.mean(axis=0)) / spread
        labels = KMeans(n_clusters=k, n_init=4, random_state=0).fit_predict(scaled).tolist()
    else:
        labels = [0] * len(profiles)
    segments: list[SpendingSegment] = []
    used: Counter[str] = Counter()
    for label in sorted(set(labels)):
        members = tuple(p for p, at in zip(profiles, labels, strict=True) if at == label)
        count = sum(p.lines for p in members)
        total = sum((p.total for p in members), Decimal(0))
        center = {
            "average": float(total) / count,
            "per_month": sum(p.per_month for p in members) / len(members),
            "variation": sum(p.variation for p in members) / len(members),
            "weekend_share": sum(p.weekend_share * p.lines for p in members) / count,
        }
        name, description = _name(center)
        used[name] += 1
        if used[name] > 1:  # a second segment of one kind: name it after its biggest payee
            biggest = max(members, key=lambda p: p.total).payee
            name = f"{name}: {biggest}"
        segments.append(
            SpendingSegment(
                name=name,
                description=description,
                payees=tuple(sorted(members, key=lambda p: p.total, reverse=True)),
                lines=count,
                total=total,
                average=(total / count).quantize(Decimal("0.01")),
                per_month=round(sum(p.per_month for p in members), 2),
                weekend_share=round(center["weekend_share"], 3),
            )
        )
    segments.sort(key=lambda s: s.total, reverse=True)
    return segments
