"""Buildings (address, currency, free metadata) and their units (number, size, bedrooms,
market rent)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.money import minor_units

MAX_NAME = 200
MAX_ADDRESS = 500
MAX_UNIT_NUMBER = 32
MAX_DETAILS = 32
MAX_DETAIL_KEY = 64
MAX_DETAIL_VALUE = 500


@dataclass(frozen=True, slots=True)
class Building:
    id: UUID
    org_id: UUID
    name: str
    currency: str
    address: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Unit:
    id: UUID
    org_id: UUID
    building_id: UUID
    number: str
    size: Decimal | None = None
    bedrooms: int | None = None
    market_rent: Decimal | None = None
    created_at: datetime | None = None


def _text(value: str, field_name: str, max_length: int) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValidationFailed([FieldIssue(field_name, "REQUIRED", "This field is required.")])
    if len(cleaned) > max_length:
        raise ValidationFailed(
            [FieldIssue(field_name, "TOO_LONG", f"At most {max_length} characters.")]
        )
    return cleaned


def building_name(name: str) -> str:
    return _text(name, "name", MAX_NAME)


def building_address(address: str | None) -> str | None:
    if address is None or not address.strip():
        return None
    return _text(address, "address", MAX_ADDRESS)


def building_details(details: Mapping[str, str]) -> dict[str, str]:
    """Free metadata (year built, parcel number...): string keys and values."""
    if len(details) > MAX_DETAILS:
        raise ValidationFailed(
            [FieldIssue("details", "INVALID", f"At most {MAX_DETAILS} entries.")]
        )
    clean: dict[str, str] = {}
    for key, value in details.items():
        k = key.strip()
        if not k or len(k) > MAX_DETAIL_KEY or len(value) > MAX_DETAIL_VALUE:
            raise ValidationFailed(
                [
                    FieldIssue(
                        f"details.{key}",
                        "INVALID",
                        f"Keys are 1-{MAX_DETAIL_KEY} characters, values at most "
                        f"{MAX_DETAIL_VALUE}.",
                    )
                ]
            )
        clean[k] = value.strip()
    return clean


def unit_number(number: str) -> str:
    return _text(number, "number", MAX_UNIT_NUMBER)


def check_unit_figures(
    size: Decimal | None, bedrooms: int | None, market_rent: Decimal | None, currency: str
) -> None:
    issues: list[FieldIssue] = []
    if size is not None and (not size.is_finite() or size <= 0 or size >= 10**10):
        issues.append(FieldIssue("size", "INVALID", "A size is positive."))
    elif size is not None and size.as_tuple().exponent < -2:  # type: ignore[operator]
        issues.append(FieldIssue("size", "INVALID", "At most two decimal places."))
    if bedrooms is not None and not 0 <= bedrooms <= 100:
        issues.append(FieldIssue("bedrooms", "INVALID", "Between 0 and 100."))
    if market_rent is not None:
        places = minor_units(currency)
        if not market_rent.is_finite() or market_rent < 0 or market_rent >= 10**15:
            issues.append(FieldIssue("marketRent", "INVALID", "Not a valid amount."))
        elif market_rent.as_tuple().exponent < -places:  # type: ignore[operator]
            issues.append(FieldIssue("marketRent", "INVALID", f"At most {places} decimal places."))
    if issues:
        raise ValidationFailed(issues)
