"""Cash-flow statements, direct and indirect. Both reconcile to the change in cash, which is
asserted for every column.

Cash accounts: asset accounts tagged ``cash`` (any value but "false"/"no"/"0"), and their
descendants. Every other account has a cash-flow activity: its ``cashflow`` tag
(``operating``, ``investing``, ``financing``, or ``noncash`` for accounts such as
accumulated depreciation), inherited from the nearest tagged ancestor; untagged, equity is
financing and everything else operating.

Direct: for each entry that touches cash, every non-cash line contributes -amount to the
cash moved "from" its account (an entry balances, so these contributions sum to the cash
lines' total). Lines are grouped by activity, then by the counterpart's type and top-level
parent account.

Indirect: net income, plus -change in balance of every non-cash balance-sheet account,
grouped as non-cash adjustments (``noncash``), working capital (other ``operating``),
investing and financing. Since all balances sum to zero, this equals the change in cash.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal
from uuid import UUID

from fiscus.domain.ledger.accounts import Account, AccountType
from fiscus.domain.ledger.statements.books import net_income_per_column
from fiscus.domain.ledger.statements.figures import ZERO, Figures, StatementIntegrityError
from fiscus.domain.ledger.statements.model import (
    Line,
    LineKind,
    Statement,
    StatementKind,
    heading,
    total,
)

_FALSE = {"false", "no", "0", ""}


class Activity(enum.StrEnum):
    OPERATING = "operating"
    INVESTING = "investing"
    FINANCING = "financing"
    NONCASH = "noncash"


def _ancestry(account: Account, by_id: Mapping[UUID, Account]) -> list[Account]:
    chain = [account]
    seen = {account.id}
    while chain[-1].parent_id is not None and chain[-1].parent_id in by_id:
        parent = by_id[chain[-1].parent_id]
        if parent.id in seen:
            break
        seen.add(parent.id)
        chain.append(parent)
    return chain


def cash_account_ids(accounts: list[Account] | tuple[Account, ...]) -> frozenset[UUID]:
    by_id = {a.id: a for a in accounts}
    found = set()
    for account in accounts:
        if account.type is not AccountType.ASSET:
            continue
        for ancestor in _ancestry(account, by_id):
            flag = ancestor.tags.get("cash")
            if flag is not None:
                if flag.strip().lower() not in _FALSE:
                    found.add(account.id)
                break
    return frozenset(found)


def activity(account: Account, by_id: Mapping[UUID, Account]) -> Activity:
    for ancestor in _ancestry(account, by_id):
        tag = ancestor.tags.get("cashflow")
        if tag and tag.strip().lower() in Activity.__members__.values():
            return Activity(tag.strip().lower())
    return Activity.FINANCING if account.type is AccountType.EQUITY else Activity.OPERATING


def _top(account: Account, by_id: Mapping[UUID, Account]) -> Account:
    return _ancestry(account, by_id)[-1]


def _cash_change(figures: Figures, cash: frozenset[UUID]) -> tuple[Decimal, ...]:
    return tuple(
        sum((figures.movement(a, c) for a in cash), ZERO) for c in range(len(figures.columns))
    )


def _check(kind: str, flows: tuple[Decimal, ...], change: tuple[Decimal, ...]) -> None:
    for column, (flow, moved) in enumerate(zip(flows, change, strict=True)):
        if flow != moved:
            raise StatementIntegrityError(
                f"{kind} cash flow column {column}: flows {flow} != change in cash {moved}"
            )


def _cash_lines(figures: Figures, cash: frozenset[UUID], net: tuple[Decimal, ...]) -> list[Line]:
    width = len(figures.columns)
    opening = tuple(
        sum((figures.closing(a, c - 1) if c else figures.opening.get(a, ZERO) for a in cash), ZERO)
        for c in range(width)
    )
    closing = tuple(sum((figures.closing(a, c) for a in cash), ZERO) for c in range(width))
    return [
        total("net_change_in_cash", "Net change in cash", net),
        total("cash_at_start", "Cash at the start of the period", opening),
        total("cash_at_end", "Cash at the end of the period", closing),
    ]


def direct_cash_flow(
    figures: Figures, counterpart_flows: Mapping[UUID, tuple[Decimal, ...]]
) -> Statement:
    """``counterpart_flows``: per non-cash account, per column, -sum of its lines in entries
    that also have a cash line (see the module docstring)."""
    width = len(figures.columns)
    by_id = figures.by_id
    cash = cash_account_ids(list(figures.accounts))
    groups: dict[Activity, dict[tuple[AccountType, UUID], list[Decimal]]] = {}
    for account_id, flows in counterpart_flows.items():
        account = by_id.get(account_id)
        if account is None or account_id in cash:
            raise StatementIntegrityError(f"counterpart {account_id} is not a non-cash account")
        group = groups.setdefault(activity(account, by_id), {})
        key = (account.type, _top(account, by_id).id)
        row = group.setdefault(key, [ZERO] * width)
        for column, flow in enumerate(flows):
            row[column] += flow
    lines: list[Line] = []
    grand = [ZERO] * width
    for act in (Activity.OPERATING, Activity.INVESTING, Activity.FINANCING, Activity.NONCASH):
        found = groups.get(act)
        if not found:
            continue
        lines.append(heading(act.value, f"{act.value.capitalize()} activities", width))
        subtotal = [ZERO] * width
        for (account_type, top_id), amounts in sorted(
            found.items(), key=lambda item: (item[0][0].value, by_id[item[0][1]].code)
        ):
            top = by_id[top_id]
            lines.append(
                Line(
                    key=f"{act.value}:{account_type.value}:{top_id}",
                    label=top.name,
                    kind=LineKind.ACCOUNT,
                    depth=1,
                    amounts=tuple(amounts),
                    account_id=top_id,
                    code=top.code,
                )
            )
            subtotal = [s + a for s, a in zip(subtotal, amounts, strict=True)]
        lines.append(total(f"total_{act.value}", f"Net cash from {act.value} activities", subtotal))
        grand = [g + s for g, s in zip(grand, subtotal, strict=True)]
    change = _cash_change(figures, cash)
    _check("direct", tuple(grand), change)
    lines.extend(_cash_lines(figures, cash, change))
    return Statement(
        StatementKind.CASH_FLOW_DIRECT, figures.currency, figures.columns, tuple(lines)
    )


def indirect_cash_flow(figures: Figures) -> Statement:
    width = len(figures.columns)
    by_id = figures.by_id
    cash = cash_account_ids(list(figures.accounts))
    net = net_income_per_column(figures)
    sections: dict[str, list[Line]] = {
        "noncash": [],
        "working_capital": [],
        "investing": [],
        "financing": [],
    }
    section_of = {
        Activity.NONCASH: "noncash",
        Activity.OPERATING: "working_capital",
        Activity.INVESTING: "investing",
        Activity.FINANCING: "financing",
    }
    balance_sheet = figures.of_type(AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY)
    for account in sorted(balance_sheet, key=lambda a: (a.code, a.name)):
        if account.id in cash:
            continue
        amounts = tuple(-figures.movement(account.id, c) for c in range(width))
        if not any(amounts):
            continue
        sections[section_of[activity(account, by_id)]].append(
            Line(
                key=f"account:{account.id}",
                label=account.name,
                kind=LineKind.ACCOUNT,
                depth=2,
                amounts=amounts,
                account_id=account.id,
                code=account.code,
            )
        )

    def summed(lines: list[Line]) -> tuple[Decimal, ...]:
        return tuple(sum((line.amounts[c] for line in lines), ZERO) for c in range(width))

    adjustments, working = summed(sections["noncash"]), summed(sections["working_capital"])
    operating = tuple(n + a + w for n, a, w in zip(net, adjustments, working, strict=True))
    investing, financing = summed(sections["investing"]), summed(sections["financing"])
    lines: list[Line] = [
        heading("operating", "Operating activities", width),
        total("net_income", "Net income", net, depth=1),
        heading("noncash", "Adjustments for non-cash items", width),
        *sections["noncash"],
        heading("working_capital", "Changes in working capital", width),
        *sections["working_capital"],
        total("total_operating", "Net cash from operating activities", operating),
        heading("investing", "Investing activities", width),
        *sections["investing"],
        total("total_investing", "Net cash from investing activities", investing),
        heading("financing", "Financing activities", width),
        *sections["financing"],
        total("total_financing", "Net cash from financing activities", financing),
    ]
    flows = tuple(o + i + f for o, i, f in zip(operating, investing, financing, strict=True))
    change = _cash_change(figures, cash)
    _check("indirect", flows, change)
    lines.extend(_cash_lines(figures, cash, change))
    return Statement(
        StatementKind.CASH_FLOW_INDIRECT, figures.currency, figures.columns, tuple(lines)
    )
