from decimal import Decimal

import pytest

from fiscus.domain.money import CurrencyMismatch, Money


def test_money_is_exact_decimal_arithmetic():
    total = Money.of("0.10", "usd") + Money.of("0.20", "USD")
    assert total == Money(Decimal("0.30"), "USD")


def test_money_refuses_floats_and_bad_currencies():
    with pytest.raises(TypeError):
        Money(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ISO 4217"):
        Money.of("1", "dollars")
    with pytest.raises(CurrencyMismatch):
        Money.of("1", "USD") + Money.of("1", "EUR")


def test_rounding_follows_the_currency_minor_unit():
    assert Money.of("2.345", "USD").rounded().amount == Decimal("2.34")
    assert Money.of("2.355", "USD").rounded().amount == Decimal("2.36")
    assert Money.of("1234.5", "JPY").rounded().amount == Decimal("1234")
    assert Money.of("1.2345", "KWD").rounded().amount == Decimal("1.234")
