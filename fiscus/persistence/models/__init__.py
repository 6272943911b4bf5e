"""Every table, imported here so ``Base.metadata`` is complete for alembic."""

from fiscus.persistence.models.analytics import AnalyticsSettingsRow, BacktestRow
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
from fiscus.persistence.models.ledger import (
    IdempotencyKeyRow,
    JournalEntryRow,
    JournalLineRow,
    LedgerAccountDayRow,
    LedgerAccountRow,
    LedgerBalanceAssertionRow,
    LedgerPeriodCloseRow,
)
from fiscus.persistence.models.ledger_summaries import LedgerAccountMonthRow
from fiscus.persistence.models.marketdata import (
    CorporateActionRow,
    DailyPriceRow,
    InstrumentRow,
    InstrumentWatchRow,
    ManualInstrumentRow,
    ManualPriceRow,
)
from fiscus.persistence.models.portfolios import (
    PortfolioCsvMappingRow,
    PortfolioHoldingRow,
    PortfolioRow,
    PortfolioTransactionRow,
)

__all__ = [
    "AnalyticsSettingsRow",
    "AuditEventRow",
    "AuthSessionRow",
    "BacktestRow",
    "Base",
    "CorporateActionRow",
    "DailyPriceRow",
    "IdempotencyKeyRow",
    "InstrumentRow",
    "InstrumentWatchRow",
    "InvitationRow",
    "JournalEntryRow",
    "JournalLineRow",
    "LedgerAccountDayRow",
    "LedgerAccountMonthRow",
    "LedgerAccountRow",
    "LedgerBalanceAssertionRow",
    "LedgerPeriodCloseRow",
    "ManualInstrumentRow",
    "ManualPriceRow",
    "MembershipRow",
    "OrganizationRow",
    "PasswordResetRow",
    "PendingSignUpRow",
    "PortfolioCsvMappingRow",
    "PortfolioHoldingRow",
    "PortfolioRow",
    "PortfolioTransactionRow",
    "RefreshTokenRow",
    "UserRow",
]
