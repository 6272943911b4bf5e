"""Every table, imported here so ``Base.metadata`` is complete for alembic."""

from fiscus.persistence.models.analytics import AnalyticsSettingsRow, BacktestRow
from fiscus.persistence.models.attachments import AttachmentRow
from fiscus.persistence.models.base import Base
from fiscus.persistence.models.budgets import BudgetAlertRow, BudgetRow
from fiscus.persistence.models.categorization import (
    CategorizationModelRow,
    CategorizationRuleRow,
)
from fiscus.persistence.models.debts import (
    DebtDueNoticeRow,
    DebtPaymentRow,
    DebtRateChangeRow,
    DebtRow,
)
from fiscus.persistence.models.goals import (
    GoalAccountRow,
    GoalContributionRow,
    GoalMilestoneRow,
    GoalRow,
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
from fiscus.persistence.models.portfolios import (
    PortfolioCsvMappingRow,
    PortfolioHoldingRow,
    PortfolioRow,
    PortfolioTransactionRow,
)
from fiscus.persistence.models.properties import (
    BuildingRow,
    LeaseDocumentRow,
    LeasePartyRow,
    LeaseRow,
    PropertyExpenseRow,
    UnitRow,
)
from fiscus.persistence.models.receivables import (
    AllocationRow,
    ChargeRow,
    CounterpartyRow,
    DelinquencySnapshotRow,
    PaymentRow,
)

__all__ = [
    "AllocationRow",
    "AnalyticsSettingsRow",
    "AttachmentRow",
    "AuditEventRow",
    "AuthSessionRow",
    "BacktestRow",
    "BankConnectionRow",
    "BankImportRow",
    "BankImportRowRow",
    "BankLineRow",
    "Base",
    "BudgetAlertRow",
    "BudgetRow",
    "BuildingRow",
    "CategorizationModelRow",
    "CategorizationRuleRow",
    "ChargeRow",
    "CorporateActionRow",
    "CounterpartyRow",
    "DailyPriceRow",
    "DebtDueNoticeRow",
    "DebtPaymentRow",
    "DebtRateChangeRow",
    "DebtRow",
    "DelinquencySnapshotRow",
    "GoalAccountRow",
    "GoalContributionRow",
    "GoalMilestoneRow",
    "GoalRow",
    "IdempotencyKeyRow",
    "ImportCsvMappingRow",
    "InstrumentRow",
    "InstrumentWatchRow",
    "InvitationRow",
    "JournalEntryRow",
    "JournalLineRow",
    "LeaseDocumentRow",
    "LeasePartyRow",
    "LeaseRow",
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
    "PaymentRow",
    "PendingSignUpRow",
    "PortfolioCsvMappingRow",
    "PortfolioHoldingRow",
    "PortfolioRow",
    "PortfolioTransactionRow",
    "PropertyExpenseRow",
    "RefreshTokenRow",
    "UnitRow",
    "UserRow",
]
