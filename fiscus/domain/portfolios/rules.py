"""What a replay refuses (a typed error naming the row and field) and the holding-period
rule (short or long term)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fiscus.domain.errors import ErrorCode, RuleViolation
from fiscus.domain.portfolios.kinds import LONG, SHORT
from fiscus.domain.portfolios.model import Term


class PortfolioRuleViolation(RuleViolation):
    """A row breaks a rule of the books. ``index`` is the row's position in the sequence
    given to ``replay`` (for ``transactions[index].field``); ``field`` is camelCase."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        field: str,
        transaction_id: UUID,
        index: int | None = None,
    ) -> None:
        super().__init__(code, message, field)
        self.code: ErrorCode = code
        self.field: str = field
        self.transaction_id = transaction_id
        self.index = index


def term_of(acquired_on: date, sold_on: date) -> Term:
    held = sold_on.toordinal() - acquired_on.toordinal()
    if held > 366:
        return LONG
    if held < 365:
        return SHORT
    try:
        anniversary = acquired_on.replace(year=acquired_on.year + 1)
    except ValueError:  # 29 February
        anniversary = date(acquired_on.year + 1, 2, 28)
    return LONG if sold_on > anniversary else SHORT
