"""The A/B comparison's significance test: a marketer reads "significant" from it, so it must agree with the
textbook two-proportion z-test."""

from __future__ import annotations

import pytest

from flows.campaigns.stats import two_proportion_test


def test_a_clear_difference_is_significant_and_a_small_one_is_not() -> None:
    # 120/1000 against 80/1000: z ≈ 2.98, p ≈ 0.0029 (two-sided)
    clear = two_proportion_test(120, 1000, 80, 1000)
    assert clear["z"] == pytest.approx(2.9814, abs=1e-3)
    assert clear["p_value"] == pytest.approx(0.00287, abs=2e-5)
    assert clear["significant"] is True
    # 52/500 against 48/500: z ≈ 0.42, p ≈ 0.673
    small = two_proportion_test(52, 500, 48, 500)
    assert small["p_value"] == pytest.approx(0.6733, abs=1e-3)
    assert small["significant"] is False


def test_no_recipients_or_no_spread_gives_no_verdict() -> None:
    assert two_proportion_test(0, 0, 5, 10) == {"z": None, "p_value": None, "significant": False}
    assert two_proportion_test(0, 10, 0, 10)["significant"] is False
