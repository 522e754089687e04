from decimal import Decimal

import pytest

from catalog import money


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    ("1500", "JPY", 1500), ("128.50", "HKD", 12850), ("0.01", "USD", 1), ("1.234", "BHD", 1234), ("0", "hkd", 0),
])
def test_decimal_amounts_become_exact_minor_units_and_back(amount, currency, minor):
    assert money.to_minor(Decimal(amount), currency) == minor
    assert money.from_minor(minor, currency) == Decimal(amount)
    assert money.to_minor(money.from_minor(minor, currency), currency) == minor


def test_jpy_has_no_minor_unit_and_hkd_has_two():
    assert money.exponent("JPY") == 0
    assert money.exponent("HKD") == 2
    assert money.plain(1500, "JPY") == "1500"
    assert money.plain(5, "HKD") == "0.05"


@pytest.mark.parametrize(("amount", "currency"), [("1.5", "JPY"), ("12.345", "HKD"), ("NaN", "HKD")])
def test_amounts_finer_than_the_minor_unit_are_refused(amount, currency):
    with pytest.raises(money.MoneyError):
        money.to_minor(Decimal(amount), currency)


def test_floats_and_unknown_currencies_are_refused():
    with pytest.raises(money.MoneyError):
        money.to_minor(12.5, "HKD")  # type: ignore[arg-type]
    with pytest.raises(money.MoneyError, match="ISO 4217"):
        money.exponent("XYZ")


@pytest.mark.parametrize("raw", ["1,500", "-3", "abc", ""])
def test_typed_prices_that_are_not_plain_non_negative_numbers_are_refused(raw):
    with pytest.raises(money.MoneyError):
        money.parse_amount(raw, "JPY")


def test_display_follows_the_customers_locale():
    assert money.display(12850, "HKD", "zh_Hant") == "HK$128.50"
    assert money.display(150000, "JPY", "ja") == "￥150,000"
    assert money.display(1500, "JPY", "en") == "¥1,500"
    assert money.display(12850, "HKD", "zh-Hant-HK") == "HK$128.50"
    assert money.display(100, "USD", "not a locale") == "$1.00"
