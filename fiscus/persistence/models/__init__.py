"""Every table, imported here so ``Base.metadata`` is complete for alembic."""

from fiscus.persistence.models.base import Base
from fiscus.persistence.models.categorization import (
    CategorizationModelRow,
    CategorizationRuleRow,
)
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
from fiscus.persistence.models.imports import (
    BankConnectionRow,
    BankImportRow,
    BankImportRowRow,
    BankLineRow,
    ImportCsvMappingRow,
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

__all__ = [
    "AuditEventRow",
    "AuthSessionRow",
    "BankConnectionRow",
    "BankImportRow",
    "BankImportRowRow",
    "BankLineRow",
    "Base",
    "CategorizationModelRow",
    "CategorizationRuleRow",
    "CorporateActionRow",
    "DailyPriceRow",
    "IdempotencyKeyRow",
    "ImportCsvMappingRow",
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
    "RefreshTokenRow",
    "UserRow",
]
