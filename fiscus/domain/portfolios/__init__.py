"""Portfolios: transactions, tax lots, gains, income, valuation and returns (issue 6)."""

from fiscus.domain.portfolios.engine import (
    PortfolioRuleViolation,
    open_lots,
    replay,
    term_of,
)
from fiscus.domain.portfolios.model import (
    AMOUNT_SCALE,
    EXTERNAL_FLOW_TYPES,
    MAX_TRANSACTIONS_PER_CALL,
    PRICE_SCALE,
    QUANTITY_SCALE,
    Books,
    ConsumedLot,
    CostBasisMethod,
    IncomeItem,
    Lot,
    LotPick,
    Position,
    RealizedGain,
    Term,
    Transaction,
    TransactionType,
    TransferredLot,
)
from fiscus.domain.portfolios.shape import validate_shape

__all__ = [
    "AMOUNT_SCALE",
    "EXTERNAL_FLOW_TYPES",
    "MAX_TRANSACTIONS_PER_CALL",
    "PRICE_SCALE",
    "QUANTITY_SCALE",
    "Books",
    "ConsumedLot",
    "CostBasisMethod",
    "IncomeItem",
    "Lot",
    "LotPick",
    "PortfolioRuleViolation",
    "Position",
    "RealizedGain",
    "Term",
    "Transaction",
    "TransactionType",
    "TransferredLot",
    "open_lots",
    "replay",
    "term_of",
    "validate_shape",
]
