"""FX: direct pairs, inverses, crosses through USD, staleness and the typed not-found."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fiscus.domain.marketdata import FxRateNotFound, Observation
from fiscus.domain.marketdata.fx import candidate_symbols, rate

DAY = date(2024, 3, 6)  # a Wednesday


def observed(symbol: str, close: str, as_of: date = DAY) -> dict[str, Observation]:
    return {symbol: Observation(symbol, Decimal(close), as_of)}


def test_the_same_currency_is_one():
    answer = rate("EUR", "EUR", DAY, {})
    assert answer.rate == 1 and answer.path == () and not answer.is_stale


def test_a_direct_pair_is_used_as_stored():
    answer = rate("EUR", "USD", DAY, observed("EURUSD=X", "1.0850"))
    assert answer.rate == Decimal("1.0850") and answer.path == ("EURUSD=X",)
    assert answer.as_of == DAY and not answer.is_stale


def test_the_inverse_pair_gives_one_over_the_rate_quantized_to_ten_places():
    answer = rate("USD", "EUR", DAY, observed("EURUSD=X", "1.0850"))
    assert answer.rate == Decimal("0.9216589862")
    assert answer.path == ("EURUSD=X",)


def test_a_cross_goes_through_usd_with_each_leg_direct_or_inverse():
    observations = {
        **observed("EURUSD=X", "1.1", date(2024, 3, 5)),
        **observed("USDJPY=X", "150"),
    }
    answer = rate("EUR", "JPY", DAY, observations)
    assert answer.rate == Decimal("165.0000000000")
    assert answer.path == ("EURUSD=X", "USDJPY=X")
    assert answer.as_of == date(2024, 3, 5) and not answer.is_stale
    back = rate("JPY", "EUR", DAY, observations)
    assert back.rate == Decimal("0.0060606061")


def test_an_old_leg_makes_the_answer_stale():
    answer = rate("GBP", "USD", DAY, observed("GBPUSD=X", "1.27", date(2024, 3, 1)))
    assert answer.is_stale and answer.as_of == date(2024, 3, 1)


def test_nothing_found_names_the_pair():
    with pytest.raises(FxRateNotFound, match="CHF/SEK") as raised:
        rate("CHF", "SEK", DAY, observed("EURUSD=X", "1.1"))
    assert raised.value.code == "NOT_FOUND"


def test_candidates_cover_direct_inverse_and_usd_legs():
    assert candidate_symbols("EUR", "JPY") == [
        "EURJPY=X",
        "JPYEUR=X",
        "EURUSD=X",
        "USDEUR=X",
        "JPYUSD=X",
        "USDJPY=X",
    ]
