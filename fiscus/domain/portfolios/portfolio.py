"""A portfolio: a named book of investment transactions kept in one base currency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.portfolios.model import CostBasisMethod

MAX_NAME = 200
MAX_REFERENCE = 100
MAX_NOTE = 500


@dataclass(frozen=True, slots=True)
class Portfolio:
    id: UUID
    org_id: UUID
    name: str
    base_currency: str
    cost_basis_method: CostBasisMethod
    allow_margin: bool
    cash: Decimal
    """Cached: the replay's cash in the base currency after the last transaction."""
    archived: bool
    created_at: datetime


def normalize_portfolio_name(raw: str, *, field_name: str = "name") -> str:
    name = " ".join(raw.split())
    if not name:
        raise ValidationFailed([FieldIssue(field_name, "REQUIRED", "A name is required.")])
    if len(name) > MAX_NAME:
        raise ValidationFailed(
            [FieldIssue(field_name, "TOO_LONG", f"At most {MAX_NAME} characters.")]
        )
    return name
