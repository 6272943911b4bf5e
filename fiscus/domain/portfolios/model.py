"""The books of a portfolio: what was recorded (transactions) and what is derived from it
(lots, realized gains, income, cash, holdings).

Contract shared by every layer of the portfolios area (issue 6). Only transactions are
stored; everything else is derived by replaying them in order (``engine.replay``).

Units and currencies:
- ``quantity`` is in units of the instrument; ``price`` and ``fee`` of a trade are in the
  transaction's ``currency`` (the instrument's currency); ``amount`` of a cash transaction
  (DEPOSIT, WITHDRAWAL, DIVIDEND, INTEREST, FEE) is in ``currency`` too.
- ``fx_rate`` is units of the portfolio's base currency per unit of ``currency`` on the
  transaction's date (1 when they are the same); the service fills it from market data.
- Cash is kept in the base currency: a foreign buy spends ``(q * price + fee) * fx_rate``.
- Lots keep their cost twice: in the instrument's currency (``cost_local``) and in the base
  currency at the acquisition date's rate (``cost_basis``); the gap between them, revalued,
  is the currency effect.

Ordering: transactions replay by ``(date, seq)``; ``seq`` is the recording order (a
database sequence), so edits keep their place and same-day rows keep the order in which
they were recorded.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

QUANTITY_SCALE = 10
"""Quantities and ratios: ``NUMERIC(28, 10)``."""
PRICE_SCALE = 10
"""Prices: ``NUMERIC(28, 10)``."""
AMOUNT_SCALE = 4
"""Money amounts (cash, fees, cost, proceeds, gains): ``NUMERIC(20, 4)``; derived money
figures are rounded half-even to this scale at the boundary of the engine."""
MAX_TRANSACTIONS_PER_CALL = 10_000


class CostBasisMethod(enum.StrEnum):
    FIFO = "FIFO"
    LIFO = "LIFO"
    HIFO = "HIFO"
    """Highest cost per unit first; per-unit cost includes the buy fee; ties: oldest first."""
    AVERAGE = "AVERAGE"
    """Moving-average cost per instrument; lots still deplete oldest first (holding period)."""
    SPECIFIC = "SPECIFIC"
    """A SELL (or TRANSFER_OUT) names its lots; partial lots allowed."""


class TransactionType(enum.StrEnum):
    DEPOSIT = "DEPOSIT"
    WITHDRAWAL = "WITHDRAWAL"
    BUY = "BUY"
    SELL = "SELL"
    DIVIDEND = "DIVIDEND"
    """Cash (``amount``), or reinvested (``quantity`` and ``price`` set: a new lot)."""
    INTEREST = "INTEREST"
    FEE = "FEE"
    SPLIT = "SPLIT"
    """``ratio`` new shares per old share (2, 1.5, 0.25); lots keep dates, cost is unchanged."""
    TRANSFER_IN = "TRANSFER_IN"
    """Lots arriving with their acquisition dates and cost (``transferred_lots``)."""
    TRANSFER_OUT = "TRANSFER_OUT"
    """Lots leaving at cost, no gain realized."""


EXTERNAL_FLOW_TYPES = frozenset(
    {
        TransactionType.DEPOSIT,
        TransactionType.WITHDRAWAL,
        TransactionType.TRANSFER_IN,
        TransactionType.TRANSFER_OUT,
    }
)
"""External flows for returns: a transfer counts at the market value of what moved."""


class Term(enum.StrEnum):
    SHORT = "SHORT"
    LONG = "LONG"
    """Held more than one year: sold after the first anniversary of acquisition."""


@dataclass(frozen=True, slots=True)
class LotPick:
    """A SPECIFIC sell's choice: ``quantity`` units of the open lot ``lot_id``."""

    lot_id: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class TransferredLot:
    """A lot arriving by TRANSFER_IN: kept with its own acquisition date and cost."""

    acquired_on: date
    quantity: Decimal
    cost_basis: Decimal
    """In the receiving portfolio's base currency."""
    cost_local: Decimal
    """In the instrument's currency."""


@dataclass(frozen=True, slots=True)
class Transaction:
    id: UUID
    seq: int
    type: TransactionType
    date: date
    currency: str
    fx_rate: Decimal = Decimal(1)
    instrument_id: UUID | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    fee: Decimal = Decimal(0)
    amount: Decimal | None = None
    ratio: Decimal | None = None
    lots: Sequence[LotPick] = ()
    transferred_lots: Sequence[TransferredLot] = ()
    reference: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Lot:
    """An open (or partly consumed) lot. ``id`` is the acquiring transaction's id as text,
    suffixed ``:n`` for the n-th lot a TRANSFER_IN brought (``n`` from 0)."""

    id: str
    instrument_id: UUID
    acquired_on: date
    quantity: Decimal
    cost_basis: Decimal
    cost_local: Decimal
    opened_by: UUID

    @property
    def cost_per_unit(self) -> Decimal:
        return self.cost_basis / self.quantity if self.quantity else Decimal(0)


@dataclass(frozen=True, slots=True)
class ConsumedLot:
    lot_id: str
    acquired_on: date
    quantity: Decimal
    cost_basis: Decimal
    cost_local: Decimal = Decimal(0)
    """In the instrument's currency (what a TRANSFER_IN on the receiving side carries)."""


@dataclass(frozen=True, slots=True)
class RealizedGain:
    """One SELL: proceeds net of nothing; ``gain = proceeds - fee - cost_basis`` (base
    currency). ``term`` is LONG when every consumed lot is long, SHORT when every one is
    short; a sale mixing both is reported per term (two rows sharing ``transaction_id``)."""

    transaction_id: UUID
    instrument_id: UUID
    date: date
    quantity: Decimal
    proceeds: Decimal
    fee: Decimal
    cost_basis: Decimal
    gain: Decimal
    term: Term
    lots: Sequence[ConsumedLot]


@dataclass(frozen=True, slots=True)
class IncomeItem:
    transaction_id: UUID
    type: TransactionType
    """DIVIDEND or INTEREST."""
    date: date
    instrument_id: UUID | None
    amount: Decimal
    """Base currency."""
    reinvested: bool = False


@dataclass(frozen=True, slots=True)
class Position:
    """Quantity and cost of one instrument after a replay (no prices yet)."""

    instrument_id: UUID
    quantity: Decimal
    cost_basis: Decimal
    cost_local: Decimal
    lots: Sequence[Lot]

    @property
    def average_cost(self) -> Decimal:
        return self.cost_basis / self.quantity if self.quantity else Decimal(0)


@dataclass(frozen=True, slots=True)
class Books:
    """Everything a replay derives: the state after the last transaction."""

    cash: Decimal
    positions: Sequence[Position]
    realized: Sequence[RealizedGain]
    income: Sequence[IncomeItem]
    fees: Decimal
    """Fees paid (base currency): buy and sell fees plus FEE transactions."""
    net_invested: Decimal
    """Deposits minus withdrawals plus transfers in at cost minus transfers out at cost."""
    closed_lots_for: dict[UUID, Sequence[ConsumedLot]] = field(default_factory=dict)
    """Lots a TRANSFER_OUT took away, by transaction id (what the receiving side gets)."""
