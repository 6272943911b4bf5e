"""Enum members as plain module constants, for the hot paths.

In Python 3.11, reading a member off its enum class (``TransactionType.BUY``) and hashing
a member (set membership, dict keys) run Python code, about 0.5 µs each, measured with
``bench/portfolio_recompute.py``; a replay would pay it several times per row. The engine
compares ``tx.type`` with these constants by identity and tests membership in tuples
(identity first, no hashing).
"""

from __future__ import annotations

from fiscus.domain.portfolios.model import CostBasisMethod, Term, TransactionType

DEPOSIT = TransactionType.DEPOSIT
WITHDRAWAL = TransactionType.WITHDRAWAL
BUY = TransactionType.BUY
SELL = TransactionType.SELL
DIVIDEND = TransactionType.DIVIDEND
INTEREST = TransactionType.INTEREST
FEE = TransactionType.FEE
SPLIT = TransactionType.SPLIT
TRANSFER_IN = TransactionType.TRANSFER_IN
TRANSFER_OUT = TransactionType.TRANSFER_OUT

LOT_TYPES = (BUY, SELL, DIVIDEND, SPLIT, TRANSFER_IN, TRANSFER_OUT)
"""Rows that may change an instrument's quantity (a DIVIDEND only when reinvested)."""
ACQUIRING = (BUY, DIVIDEND, TRANSFER_IN)
PRICED = (BUY, SELL, DIVIDEND)

FIFO = CostBasisMethod.FIFO
LIFO = CostBasisMethod.LIFO
HIFO = CostBasisMethod.HIFO
AVERAGE = CostBasisMethod.AVERAGE
SPECIFIC = CostBasisMethod.SPECIFIC

SHORT = Term.SHORT
LONG = Term.LONG
