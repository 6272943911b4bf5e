"""Global ids of receivables inputs. A malformed id or one naming another type becomes the
nil UUID, which nothing has: the service then answers NOT_FOUND, exactly as for another
organization's id."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from fiscus.domain.receivables import Requested
from fiscus.schema.ledger import TagInput
from fiscus.schema.receivables_inputs import AllocationInput
from fiscus.schema.relay import parse_global_id

NIL = UUID(int=0)


def of(raw: str, type_name: str, field: str) -> UUID:
    return parse_global_id(raw, type_name, field=field) or NIL


def maybe(raw: str | None, type_name: str, field: str) -> UUID | None:
    return None if raw is None else of(raw, type_name, field)


def counterparty(raw: str) -> UUID:
    return of(raw, "Counterparty", "counterpartyId")


def account(raw: str | None, field: str = "accountId") -> UUID | None:
    return maybe(raw, "Account", field)


def tags(raw: Sequence[TagInput] | None) -> dict[str, str]:
    return {t.key: t.value for t in raw or []}


def requested(raw: Sequence[AllocationInput] | None) -> list[Requested]:
    return [Requested(of(r.charge_id, "Charge", "chargeId"), r.amount) for r in raw or []]
