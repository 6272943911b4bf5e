"""Yahoo Finance through yfinance.

yfinance blocks (requests/curl_cffi, pandas), so every call runs in a worker thread
(``asyncio.to_thread``), never on the event loop; the live stream runs yfinance's blocking
``WebSocket`` in a thread and hands its decoded messages to the loop.

Traps this adapter handles:

- **Yahoo's chart "close" is split-adjusted** (and so are its dividends): only the
  dividend adjustment is switched off by ``auto_adjust=False``. fiscus stores unadjusted
  prices, so the adapter fetches through today and multiplies every bar (and dividend)
  by the ratios of the splits after it, which puts the split's jump back in the series.
- ``yfinance.download`` catches every per-symbol exception (YFRateLimitError included)
  and logs it, so a 429 wave would look like "no data" and never reach the breaker; and
  it drops the chart metadata (``priceHint``, the precision). ``histories`` therefore
  runs ``Ticker.history`` per symbol, a chunk of ``chunk_size`` symbols at a time on the
  thread pool; the registry guards each chunk as one call.
- yfinance hides exceptions by default (it logs and returns empty frames); the adapter
  turns that off (``yf.config.debug.hide_exceptions = False``, process-wide) so failures
  surface: YFRateLimitError / HTTP 429 -> ProviderRateLimited, an unknown symbol ->
  SymbolNotFound, anything else -> ProviderError.
- yfinance keeps one HTTP session for the whole process (``YfData`` is a singleton): the
  ``session`` given here replaces it. Its timezone and cookie caches live in
  ``cache_dir``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import yfinance as yf
from yfinance.exceptions import YFPricesMissingError, YFRateLimitError, YFTickerMissingError

from fiscus.domain.marketdata import (
    ActionKind,
    CorporateAction,
    DailyBar,
    InstrumentKind,
    InstrumentProfile,
    Quote,
    to_price,
)
from fiscus.marketdata.providers.base import (
    History,
    ProviderError,
    ProviderRateLimited,
    SymbolNotFound,
)

STREAM_URL = "wss://streamer.finance.yahoo.com/?version=2"
RESUBSCRIBE_SECONDS = 15.0
ACTION_PRECISION = 6
DEFAULT_PRECISION = 2
KINDS = {
    "EQUITY": InstrumentKind.EQUITY,
    "ETF": InstrumentKind.ETF,
    "MUTUALFUND": InstrumentKind.FUND,
    "CRYPTOCURRENCY": InstrumentKind.CRYPTO,
    "CURRENCY": InstrumentKind.CURRENCY,
}

META_KEYS = (
    "currency",
    "exchangeName",
    "fullExchangeName",
    "instrumentType",
    "longName",
    "shortName",
    "priceHint",
    "regularMarketPrice",
    "regularMarketTime",
    "regularMarketVolume",
    "chartPreviousClose",
)

Today = Callable[[], date]


def _today() -> date:
    return datetime.now(UTC).date()


def precision_of(meta: Mapping[str, Any]) -> int:
    hint = meta.get("priceHint")
    return min(max(int(hint), 0), 10) if isinstance(hint, int | float) else DEFAULT_PRECISION


@contextlib.contextmanager
def yahoo_errors(symbol: str) -> Iterator[None]:
    """yfinance's and the HTTP layer's exceptions as provider errors."""
    try:
        yield
    except YFRateLimitError as error:
        raise ProviderRateLimited(f"yfinance: {symbol}: {error}") from error
    except YFPricesMissingError as error:
        if error.yahoo_reason is None:
            raise
        raise SymbolNotFound(f"yfinance: {symbol}: {error.yahoo_reason}") from error
    except YFTickerMissingError as error:
        raise SymbolNotFound(f"yfinance: {symbol}: {error.rationale}") from error
    except Exception as error:
        status = getattr(getattr(error, "response", None), "status_code", None)
        if status == 429:
            raise ProviderRateLimited(f"yfinance: {symbol}: HTTP 429") from error
        if status == 404:
            raise SymbolNotFound(f"yfinance: {symbol}: HTTP 404") from error
        raise ProviderError(f"yfinance: {symbol}: {type(error).__name__}: {error}") from error


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def frame_to_history(frame: pd.DataFrame, precision: int, start: date, end: date) -> History:
    """A yfinance daily frame (``auto_adjust=False, actions=True``) as unadjusted bars and
    actions with ``start <= day <= end``; the frame must reach past ``end`` up to today so
    every later split is seen."""
    rows: list[tuple[date, dict[str, Any]]] = [
        (stamp.date(), row)
        for stamp, row in zip(frame.index, frame.to_dict("records"), strict=True)
    ]
    splits = [
        (day, float(row["Stock Splits"]))
        for day, row in rows
        if (_number(row.get("Stock Splits")) or 0) > 0
    ]

    def later_splits(day: date) -> float:
        return math.prod(ratio for split_day, ratio in splits if split_day > day)

    bars: list[DailyBar] = []
    actions: list[CorporateAction] = []
    for day, row in rows:
        if not start <= day <= end:
            continue
        factor = later_splits(day)
        close = _number(row.get("Close"))
        if close is not None:
            prices = {k: _number(row.get(k)) for k in ("Open", "High", "Low")}
            volume = _number(row.get("Volume"))
            bars.append(
                DailyBar(
                    day=day,
                    close=to_price(close * factor, precision),
                    open=None
                    if prices["Open"] is None
                    else to_price(prices["Open"] * factor, precision),
                    high=None
                    if prices["High"] is None
                    else to_price(prices["High"] * factor, precision),
                    low=None
                    if prices["Low"] is None
                    else to_price(prices["Low"] * factor, precision),
                    volume=None if volume is None else round(volume / factor),
                )
            )
        ratio = _number(row.get("Stock Splits")) or 0
        if ratio > 0:
            actions.append(
                CorporateAction(
                    day, ActionKind.SPLIT, ratio=to_price(ratio, ACTION_PRECISION).normalize()
                )
            )
        dividend = _number(row.get("Dividends")) or 0
        if dividend > 0:
            amount = to_price(dividend * factor, ACTION_PRECISION)
            actions.append(CorporateAction(day, ActionKind.DIVIDEND, amount=amount))
    return History(bars, actions, source="yfinance")


def message_to_quote(message: Mapping[str, Any]) -> Quote | None:
    """One decoded stream message (yfinance's ``PricingData`` as a dict: int64 fields are
    strings, prices float32) as a Quote; None when it carries no symbol or price."""
    symbol, price = message.get("id"), message.get("price")
    if not symbol or price is None:
        return None
    precision = int(message.get("price_hint") or DEFAULT_PRECISION)
    previous = message.get("previous_close")
    if previous is None and message.get("change") is not None:
        previous = float(price) - float(message["change"])
    stamp = int(message.get("time") or 0)
    at = (
        datetime.fromtimestamp(stamp / 1000 if stamp > 10**11 else stamp, UTC)
        if stamp
        else datetime.now(UTC)
    )
    volume = message.get("day_volume")
    return Quote(
        symbol=str(symbol),
        price=to_price(float(price), precision),
        previous_close=None if previous is None else to_price(float(previous), precision),
        day_volume=None if volume is None else int(volume),
        at=at,
    )


class YFinanceProvider:
    name = "yfinance"

    def __init__(
        self,
        *,
        chunk_size: int = 50,
        timeout_seconds: float = 20.0,
        cache_dir: Path | None = None,
        session: Any = None,
        stream_url: str = STREAM_URL,
        today: Today = _today,
    ) -> None:
        """``session``: a ``requests``/``curl_cffi`` Session for every Yahoo request
        (default: yfinance's own, impersonating a browser)."""
        self.batch_size = chunk_size
        self.timeout_seconds = timeout_seconds
        self.stream_url = stream_url
        self._session = session
        self._today = today
        yf.config.debug.hide_exceptions = False
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            yf.set_tz_cache_location(str(cache_dir))

    def _ticker(self, symbol: str) -> yf.Ticker:
        return yf.Ticker(symbol, session=self._session)

    def _chart(self, symbol: str, **range_: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
        ticker = self._ticker(symbol)
        with yahoo_errors(symbol):
            try:
                frame = ticker.history(
                    interval="1d",
                    auto_adjust=False,
                    actions=True,
                    timeout=self.timeout_seconds,
                    **range_,
                )
            except YFPricesMissingError as error:
                if error.yahoo_reason is not None:
                    raise
                frame = pd.DataFrame()
            # Only plain keys: reading a lazy one (tradingPeriods) costs another request.
            found = ticker.get_history_metadata() or {}
            meta = {key: found.get(key) for key in META_KEYS if key in found}
        return frame, meta

    def _history_sync(self, symbol: str, start: date, end: date) -> History:
        through = max(end, self._today())
        frame, meta = self._chart(
            symbol, start=start.isoformat(), end=(through + timedelta(days=1)).isoformat()
        )
        return frame_to_history(frame, precision_of(meta), start, end)

    async def history(self, symbol: str, start: date, end: date) -> History:
        return await asyncio.to_thread(self._history_sync, symbol, start, end)

    async def histories(self, symbols: Sequence[str], start: date, end: date) -> dict[str, History]:
        found: dict[str, History] = {}
        for offset in range(0, len(symbols), self.batch_size):
            chunk = symbols[offset : offset + self.batch_size]
            results = await asyncio.gather(
                *(self.history(symbol, start, end) for symbol in chunk), return_exceptions=True
            )
            for symbol, result in zip(chunk, results, strict=True):
                if isinstance(result, History):
                    found[symbol] = result
                elif not isinstance(result, SymbolNotFound):
                    raise result
        return found

    def _quote_sync(self, symbol: str) -> Quote | None:
        frame, meta = self._chart(symbol, period="5d")
        precision = precision_of(meta)
        price = _number(meta.get("regularMarketPrice"))
        if price is None:
            return None
        stamp = meta.get("regularMarketTime")
        at = (
            stamp.to_pydatetime().astimezone(UTC)
            if isinstance(stamp, pd.Timestamp)
            else datetime.now(UTC)
        )
        closes = [
            (day.date(), c)
            for day, c in zip(frame.index, frame.get("Close", []), strict=False)
            if _number(c) is not None
        ]
        earlier = [c for day, c in closes if day < at.date()]
        previous = earlier[-1] if earlier else _number(meta.get("chartPreviousClose"))
        volume = _number(meta.get("regularMarketVolume"))
        return Quote(
            symbol=symbol,
            price=to_price(price, precision),
            previous_close=None if previous is None else to_price(float(previous), precision),
            day_volume=None if volume is None else int(volume),
            at=at,
        )

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """From each symbol's chart metadata (what yfinance's ``fast_info`` reads)."""
        results = await asyncio.gather(
            *(asyncio.to_thread(self._quote_sync, s) for s in symbols), return_exceptions=True
        )
        found: dict[str, Quote] = {}
        for symbol, result in zip(symbols, results, strict=True):
            if isinstance(result, Quote):
                found[symbol] = result
            elif isinstance(result, BaseException) and not isinstance(result, SymbolNotFound):
                raise result
        return found

    def _profile_sync(self, symbol: str) -> InstrumentProfile:
        _, meta = self._chart(symbol, period="5d")
        if not meta.get("currency"):
            raise SymbolNotFound(f"yfinance: {symbol}: no metadata")
        return InstrumentProfile(
            symbol=symbol,
            name=str(meta.get("longName") or meta.get("shortName") or symbol),
            kind=KINDS.get(str(meta.get("instrumentType")), InstrumentKind.OTHER),
            currency=str(meta["currency"]).upper(),
            exchange=meta.get("fullExchangeName") or meta.get("exchangeName"),
            price_precision=precision_of(meta),
        )

    async def profile(self, symbol: str) -> InstrumentProfile:
        return await asyncio.to_thread(self._profile_sync, symbol)

    async def stream(self, symbols: Sequence[str]) -> AsyncIterator[Quote]:
        """Quotes from Yahoo's streamer until the socket drops (then ProviderError: the
        streamer's supervisor reconnects) or the iterator is closed."""
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[Mapping[str, Any] | BaseException] = asyncio.Queue()
        closing = threading.Event()
        socket = yf.WebSocket(url=self.stream_url, verbose=False)

        def listen() -> None:
            try:
                socket.subscribe(list(symbols))
                socket.listen(lambda message: loop.call_soon_threadsafe(inbox.put_nowait, message))
            except BaseException as error:
                if not closing.is_set():
                    loop.call_soon_threadsafe(inbox.put_nowait, error)

        async def resubscribe() -> None:
            # Yahoo drops subscriptions that are not renewed (yfinance's async client does
            # the same every 15 s); a failure here surfaces through the listener.
            with contextlib.suppress(Exception):
                while True:
                    await asyncio.sleep(RESUBSCRIBE_SECONDS)
                    await asyncio.to_thread(socket.subscribe, list(symbols))

        listener = loop.run_in_executor(None, listen)
        heartbeat = asyncio.create_task(resubscribe())
        try:
            while True:
                item = await inbox.get()
                if isinstance(item, BaseException):
                    raise ProviderError(f"yfinance stream dropped: {item!r}") from item
                quote = message_to_quote(item)
                if quote is not None:
                    yield quote
        finally:
            closing.set()
            heartbeat.cancel()
            with contextlib.suppress(Exception):
                await asyncio.to_thread(socket.close)
            with contextlib.suppress(BaseException):
                await listener
