"""The simulated market's instruments: a few dozen symbols spelled as Yahoo spells them,
with the parameters of their random walks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fiscus.domain.marketdata import InstrumentKind

EPOCH = date(2012, 1, 3)
"""The first day of every simulated series (or the listing day, when later)."""


@dataclass(frozen=True, slots=True)
class SimulatedSymbol:
    symbol: str
    name: str
    kind: InstrumentKind
    currency: str
    exchange: str
    start_price: float
    drift: float
    """Expected yearly growth of the price, dividends aside (the walk adds the dividend
    yield back, since each ex-date takes it off the price)."""
    volatility: float
    """Yearly standard deviation of log returns."""
    precision: int
    dividend_yield: float = 0.0
    """Paid quarterly (ex-dates in Feb, May, Aug, Nov) when > 0."""
    listed: date = EPOCH
    splits: bool = False
    """Splits 2:1 (or 3:1, 4:1) when the unadjusted price runs past ``split_above``."""
    split_above: float = 400.0
    base_volume: int = 1_000_000

    @property
    def every_day(self) -> bool:
        """Crypto and FX have a price every calendar day; the rest on trading days."""
        return self.kind in (InstrumentKind.CRYPTO, InstrumentKind.CURRENCY)


E, ETF, C, FX = (
    InstrumentKind.EQUITY,
    InstrumentKind.ETF,
    InstrumentKind.CRYPTO,
    InstrumentKind.CURRENCY,
)


def _equity(
    symbol: str, name: str, price: float, drift: float, vol: float, **kw: Any
) -> SimulatedSymbol:
    currency, exchange = kw.pop("currency", "USD"), kw.pop("exchange", "NMS")
    return SimulatedSymbol(symbol, name, E, currency, exchange, price, drift, vol, 2, **kw)


def _etf(
    symbol: str, name: str, price: float, drift: float, vol: float, **kw: Any
) -> SimulatedSymbol:
    currency, exchange = kw.pop("currency", "USD"), kw.pop("exchange", "PCX")
    return SimulatedSymbol(symbol, name, ETF, currency, exchange, price, drift, vol, 2, **kw)


def _crypto(
    symbol: str, name: str, price: float, drift: float, vol: float, listed: date, volume: int
) -> SimulatedSymbol:
    return SimulatedSymbol(
        symbol, name, C, "USD", "CCC", price, drift, vol, 2, listed=listed, base_volume=volume
    )


def _fx(symbol: str, name: str, rate: float, precision: int = 5) -> SimulatedSymbol:
    quote = symbol[3:6]
    return SimulatedSymbol(
        symbol, name, FX, quote, "CCY", rate, 0.0, 0.08, precision, base_volume=0
    )


# fmt: off
CATALOGUE: dict[str, SimulatedSymbol] = {s.symbol: s for s in (
    _equity("AAPL", "Apple Inc.", 410.0, 0.14, 0.26, dividend_yield=0.006, splits=True, split_above=600),
    _equity("MSFT", "Microsoft Corporation", 26.0, 0.14, 0.24, dividend_yield=0.009, splits=True),
    _equity("NVDA", "NVIDIA Corporation", 14.0, 0.30, 0.45, dividend_yield=0.001, splits=True, split_above=500),
    _equity("AMZN", "Amazon.com, Inc.", 180.0, 0.16, 0.32, splits=True, split_above=1500),
    _equity("GOOGL", "Alphabet Inc.", 330.0, 0.13, 0.27, splits=True, split_above=1200),
    _equity("META", "Meta Platforms, Inc.", 38.0, 0.14, 0.38, listed=date(2012, 5, 18)),
    _equity("TSLA", "Tesla, Inc.", 28.0, 0.22, 0.55, splits=True, split_above=700),
    _equity("JPM", "JPMorgan Chase & Co.", 34.0, 0.10, 0.24, exchange="NYQ", dividend_yield=0.025),
    _equity("V", "Visa Inc.", 100.0, 0.12, 0.22, exchange="NYQ", dividend_yield=0.007, splits=True),
    _equity("KO", "The Coca-Cola Company", 70.0, 0.04, 0.16, exchange="NYQ", dividend_yield=0.031, splits=True, split_above=130),
    _equity("JNJ", "Johnson & Johnson", 65.0, 0.06, 0.17, exchange="NYQ", dividend_yield=0.028),
    _equity("XOM", "Exxon Mobil Corporation", 85.0, 0.02, 0.27, exchange="NYQ", dividend_yield=0.04),
    _equity("BRK-B", "Berkshire Hathaway Inc.", 78.0, 0.10, 0.19, exchange="NYQ"),
    _equity("SAP.DE", "SAP SE", 41.0, 0.12, 0.25, currency="EUR", exchange="GER", dividend_yield=0.012),
    _equity("ASML.AS", "ASML Holding N.V.", 38.0, 0.20, 0.33, currency="EUR", exchange="AMS", dividend_yield=0.008),
    _equity("NESN.SW", "Nestlé S.A.", 52.0, 0.05, 0.16, currency="CHF", exchange="EBS", dividend_yield=0.027),
    _equity("SHEL.L", "Shell plc", 23.0, 0.02, 0.27, currency="GBP", exchange="LSE", dividend_yield=0.04),
    _etf("VTI", "Vanguard Total Stock Market ETF", 65.0, 0.10, 0.17, dividend_yield=0.015),
    _etf("SPY", "SPDR S&P 500 ETF Trust", 128.0, 0.10, 0.16, dividend_yield=0.013),
    _etf("QQQ", "Invesco QQQ Trust", 56.0, 0.14, 0.21, exchange="NMS", dividend_yield=0.006),
    _etf("AGG", "iShares Core US Aggregate Bond ETF", 110.0, 0.0, 0.05, dividend_yield=0.03),
    _etf("GLD", "SPDR Gold Shares", 160.0, 0.03, 0.15),
    _etf("VWCE.DE", "Vanguard FTSE All-World UCITS ETF (Acc)", 60.0, 0.08, 0.15, currency="EUR", exchange="GER", listed=date(2019, 7, 24)),
    _etf("IWDA.AS", "iShares Core MSCI World UCITS ETF (Acc)", 27.0, 0.09, 0.15, currency="EUR", exchange="AMS"),
    _etf("VUSA.L", "Vanguard S&P 500 UCITS ETF", 25.0, 0.10, 0.16, currency="GBP", exchange="LSE", dividend_yield=0.012),
    _crypto("BTC-USD", "Bitcoin USD", 320.0, 0.45, 0.70, date(2014, 9, 17), 20_000_000),
    _crypto("ETH-USD", "Ethereum USD", 300.0, 0.40, 0.75, date(2017, 11, 9), 10_000_000),
    _crypto("SOL-USD", "Solana USD", 0.9, 0.60, 0.95, date(2020, 4, 10), 2_000_000),
    _fx("EURUSD=X", "EUR/USD", 1.29),
    _fx("GBPUSD=X", "GBP/USD", 1.55),
    _fx("USDJPY=X", "USD/JPY", 77.0, precision=4),
    _fx("USDCHF=X", "USD/CHF", 0.94),
    _fx("EURGBP=X", "EUR/GBP", 0.83),
    _fx("AUDUSD=X", "AUD/USD", 1.02),
    _fx("USDCAD=X", "USD/CAD", 1.01),
)}
# fmt: on
