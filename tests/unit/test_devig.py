"""propcast.devig: the seven two-way de-vig methods against worked values (arithmetic in the
comments), against their published definitions solved numerically, and their properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize

from propcast import devig

# -150 / +130: pi_over = 150 / 250 = 0.6, pi_under = 100 / 230 = 10/23 = 0.434782608695652;
# B = 0.6 + 10/23 = 23.8 / 23, margin m = 0.8 / 23 = 0.034782608695652.
# - multiplicative: 0.6 / B = 13.8 / 23.8 = 0.579831932773109
# - additive, shin, margin_proportional: (1 + 0.6 - 10/23) / 2 = (115 + 69 - 50) / 230
#   = 67 / 115 = 0.582608695652174
# - odds_ratio, logarithmic: o_over = 0.6 / 0.4 = 1.5, o_under = (10/23) / (13/23) = 10/13,
#   x = sqrt(1.5 * 13 / 10) = sqrt(1.95) = 1.396424004376894, x / (1 + x) = 0.582711574340111
# - power: k = 1.052969949231005 solves 0.6^k + (10/23)^k = 1; 0.6^k = 0.583982635036360
MINUS150_PLUS130 = {
    "multiplicative": 13.8 / 23.8,
    "additive": 67 / 115,
    "shin": 67 / 115,
    "margin_proportional": 67 / 115,
    "odds_ratio": math.sqrt(1.95) / (1 + math.sqrt(1.95)),
    "logarithmic": math.sqrt(1.95) / (1 + math.sqrt(1.95)),
    "power": 0.5839826350363595,
}
# -200 / +150: pi_over = 2/3, pi_under = 0.4, B = 16/15, m = 1/15.
# - multiplicative: (2/3) / (16/15) = 10/16 = 0.625
# - additive family: (1 + 2/3 - 0.4) / 2 = 19/30 = 0.633333333333333
# - odds ratio family: o_over = 2, o_under = 0.4 / 0.6 = 2/3, x = sqrt(3),
#   sqrt(3) / (1 + sqrt(3)) = (3 - sqrt(3)) / 2 = 0.633974596215561
# - power: k = 1.108702608375894 (as the dbt unit test devig_power_known_example): 0.637921385808806
MINUS200_PLUS150 = {
    "multiplicative": 0.625,
    "additive": 19 / 30,
    "shin": 19 / 30,
    "margin_proportional": 19 / 30,
    "odds_ratio": (3 - math.sqrt(3)) / 2,
    "logarithmic": (3 - math.sqrt(3)) / 2,
    "power": 0.6379213858088064,
}


@pytest.mark.parametrize("method", devig.METHODS)
def test_minus110_both_sides_is_a_coin_flip_for_every_method(method):
    # -110 / -110: pi = 110 / 210 = 0.5238 each side; every method is symmetric: 0.5 / 0.5
    over, under = devig.devig(method, 110 / 210, 110 / 210)
    assert float(over) == pytest.approx(0.5, abs=1e-12)
    assert float(under) == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("method", devig.METHODS)
def test_minus150_plus130_worked_values(method):
    pi_over, pi_under = devig.american_to_implied([-150, 130])
    assert pi_over == pytest.approx(0.6) and pi_under == pytest.approx(10 / 23)
    got = float(devig.fair_prob_over(method, pi_over, pi_under))
    assert got == pytest.approx(MINUS150_PLUS130[method], abs=1e-12)


@pytest.mark.parametrize("method", devig.METHODS)
def test_minus200_plus150_worked_values(method):
    got = float(devig.fair_prob_over(method, 2 / 3, 0.4))
    assert got == pytest.approx(MINUS200_PLUS150[method], abs=1e-12)


def test_the_methods_order_the_favourite_as_published():
    # Multiplicative takes the margin in proportion (the favourite loses most), the additive
    # family in equal parts, power most from the longshot: mult < additive < OR < power.
    values = MINUS150_PLUS130
    assert values["multiplicative"] < values["additive"] < values["odds_ratio"] < values["power"]


def test_power_exponent_solves_its_equation():
    k = float(devig.power_exponent(0.6, 10 / 23))
    assert k == pytest.approx(1.052969949231005, abs=1e-12)
    assert 0.6**k + (10 / 23) ** k == pytest.approx(1.0, abs=1e-13)


def _shin_by_root_finding(implied: np.ndarray) -> np.ndarray:
    """Shin's published n-outcome form, z found numerically (brentq on sum p_i(z) = 1)."""
    booksum = implied.sum()

    def probs(z: float) -> np.ndarray:
        return (np.sqrt(z**2 + 4 * (1 - z) * implied**2 / booksum) - z) / (2 * (1 - z))

    z = optimize.brentq(lambda z: probs(z).sum() - 1.0, 0.0, 0.5, xtol=1e-15)
    return probs(z), z


def _odds_ratio_by_root_finding(implied: np.ndarray) -> np.ndarray:
    """Cheung's odds ratio: p_i = pi_i / (c + pi_i - c pi_i), c with sum p_i = 1."""

    def probs(c: float) -> np.ndarray:
        return implied / (c + implied - c * implied)

    c = optimize.brentq(lambda c: probs(c).sum() - 1.0, 1.0, 10.0, xtol=1e-15)
    return probs(c)


def _logarithmic_by_root_finding(implied: np.ndarray) -> np.ndarray:
    """penaltyblog's logarithmic: logit p_i = logit pi_i - c, c with sum p_i = 1."""
    logits = np.log(implied / (1 - implied))

    def probs(c: float) -> np.ndarray:
        return 1 / (1 + np.exp(-(logits - c)))

    c = optimize.brentq(lambda c: probs(c).sum() - 1.0, 0.0, 5.0, xtol=1e-15)
    return probs(c)


@pytest.mark.parametrize(("pi_over", "pi_under"), [(0.6, 10 / 23), (2 / 3, 0.4), (0.9, 0.15)])
def test_closed_forms_match_the_published_definitions(pi_over, pi_under):
    implied = np.array([pi_over, pi_under])
    shin_probs, z = _shin_by_root_finding(implied)
    assert float(devig.shin(pi_over, pi_under)) == pytest.approx(shin_probs[0], abs=1e-10)
    assert float(devig.shin_insider_share(pi_over, pi_under)) == pytest.approx(z, abs=1e-9)
    ratio = _odds_ratio_by_root_finding(implied)[0]
    assert float(devig.odds_ratio(pi_over, pi_under)) == pytest.approx(ratio, abs=1e-10)
    log_shift = _logarithmic_by_root_finding(implied)[0]
    assert float(devig.logarithmic(pi_over, pi_under)) == pytest.approx(log_shift, abs=1e-10)


def test_shin_insider_share_equals_the_margin_on_a_symmetric_market():
    # -110 / -110: p = 0.5, pi^2 / B = (11/21)^2 / (22/21) = 11/42; z = (11/42 - 1/4) / (1/4)
    # = 2/42 = 1/21, the margin m = 22/21 - 1.
    assert float(devig.shin_insider_share(110 / 210, 110 / 210)) == pytest.approx(1 / 21)


def test_missing_or_impossible_sides_give_nan():
    over = np.array([0.6, np.nan, 0.0, 0.6])
    under = np.array([10 / 23, 0.5, 0.5, 1.0])
    for method in devig.METHODS:
        fair = devig.fair_prob_over(method, over, under)
        assert fair[0] == pytest.approx(MINUS150_PLUS130[method], abs=1e-12)
        assert np.isnan(fair[1:]).all(), method


def test_unknown_method_is_refused_naming_the_accepted_ones():
    with pytest.raises(ValueError, match="one of: multiplicative, additive, power"):
        devig.fair_prob_over("balanced", 0.6, 0.45)


probabilities = st.floats(min_value=0.01, max_value=0.99)


@given(pi_over=probabilities, pi_under=probabilities)
def test_every_method_gives_a_probability_pair_in_the_favourites_order(pi_over, pi_under):
    for method in devig.METHODS:
        over, under = devig.devig(method, pi_over, pi_under)
        over, under = float(over), float(under)
        assert 0 < over < 1 and over + under == pytest.approx(1.0, abs=1e-12)
        if pi_over > pi_under + 1e-9:
            assert over > under, method
        if pi_under > pi_over + 1e-9:
            assert under > over, method


@given(pi_over=st.floats(min_value=0.01, max_value=0.99))
def test_a_fair_market_is_returned_unchanged(pi_over):
    for method in devig.METHODS:
        fair = float(devig.fair_prob_over(method, pi_over, 1.0 - pi_over))
        assert fair == pytest.approx(pi_over, abs=1e-9), method
