"""Every table, imported here so ``Base.metadata`` is complete for alembic."""

from fiscus.persistence.models.base import Base
from fiscus.persistence.models.identity import (
    AuditEventRow,
    AuthSessionRow,
    InvitationRow,
    MembershipRow,
    OrganizationRow,
    PasswordResetRow,
    PendingSignUpRow,
    RefreshTokenRow,
    UserRow,
)
from fiscus.persistence.models.marketdata import (
    CorporateActionRow,
    DailyPriceRow,
    InstrumentRow,
    InstrumentWatchRow,
    ManualInstrumentRow,
    ManualPriceRow,
)

__all__ = [
    "AuditEventRow",
    "AuthSessionRow",
    "Base",
    "CorporateActionRow",
    "DailyPriceRow",
    "InstrumentRow",
    "InstrumentWatchRow",
    "InvitationRow",
    "ManualInstrumentRow",
    "ManualPriceRow",
    "MembershipRow",
    "OrganizationRow",
    "PasswordResetRow",
    "PendingSignUpRow",
    "RefreshTokenRow",
    "UserRow",
]
