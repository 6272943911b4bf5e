"""Debts: terms, amortization schedules, the state derived from payments, the payoff
planner, and their events. Pure: no I/O."""

from fiscus.domain.debts.amortization import Schedule, ScheduleRow, annuity_payment
from fiscus.domain.debts.arithmetic import Rounding
from fiscus.domain.debts.events import DebtPaidOff, DebtPaymentDue
from fiscus.domain.debts.model import (
    Accrual,
    Debt,
    DebtKind,
    DebtPayment,
    DebtStatus,
    DebtTermsInput,
    PaymentRule,
    PaymentRuleKind,
    RateChange,
    RatePolicy,
    check_rate,
    checked_terms,
)
from fiscus.domain.debts.payoff import (
    BudgetBelowMinimums,
    LumpSum,
    Minimum,
    NeverPaidOff,
    PayoffPlan,
    PlanDebt,
    PlanInput,
    Strategy,
    plan_payoff,
)
from fiscus.domain.debts.state import (
    DebtState,
    Overpayment,
    Split,
    full_schedule,
    next_payment_date,
    projection,
    replay,
    split_payment,
)

__all__ = [
    "Accrual",
    "BudgetBelowMinimums",
    "Debt",
    "DebtKind",
    "DebtPaidOff",
    "DebtPayment",
    "DebtPaymentDue",
    "DebtState",
    "DebtStatus",
    "DebtTermsInput",
    "LumpSum",
    "Minimum",
    "NeverPaidOff",
    "Overpayment",
    "PaymentRule",
    "PaymentRuleKind",
    "PayoffPlan",
    "PlanDebt",
    "PlanInput",
    "RateChange",
    "RatePolicy",
    "Rounding",
    "Schedule",
    "ScheduleRow",
    "Split",
    "Strategy",
    "annuity_payment",
    "check_rate",
    "checked_terms",
    "full_schedule",
    "next_payment_date",
    "plan_payoff",
    "projection",
    "replay",
    "split_payment",
]
