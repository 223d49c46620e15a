"""De-vig of two-way markets (over/under): seven methods practitioners use, vectorised.

Every function takes the two sides' implied probabilities (vig included, pi_over + pi_under
= B > 1 for a book with a margin m = B - 1) as arrays and returns the fair P(over); P(under)
is 1 - P(over) for every method. The names are the ones `propcast evaluate --devig` reports
and the pipeline accepts (METHODS).

Definitions (pi_i implied, O_i = 1 / pi_i decimal odds, n outcomes; here n = 2):

- multiplicative (normalisation): p_i = pi_i / B.
- additive: the margin is taken off each side in equal parts, p_i = pi_i - m / n.
- power: p_i = pi_i ^ k with k solving sum pi_i ^ k = 1 (Vovk & Zhdanov 2009; Clarke,
  Kovalchik & Ingram 2017). No closed form: Newton from k = 1 (scipy.optimize.newton,
  vectorised); f(k) = sum pi_i^k - 1 is decreasing and convex, so the steps converge
  monotonically.
- shin (Shin 1993; the form of Jullien & Salanie 1994 and Strumbelj 2014):
  p_i = (sqrt(z^2 + 4 (1 - z) pi_i^2 / B) - z) / (2 (1 - z)), z the insiders' share solving
  sum p_i = 1. Squared and rearranged: pi_i^2 / B = z p_i + (1 - z) p_i^2. With two outcomes
  (p_under = 1 - p_over) subtracting the two equations gives (pi_over^2 - pi_under^2) / B =
  2 p_over - 1, and pi_over + pi_under = B, so p_over = (1 + pi_over - pi_under) / 2: the
  additive answer, whatever z. z itself is closed too (shin_insider_share).
- odds_ratio (Cheung 2015): the book's odds are the fair odds times one constant c,
  pi_i / (1 - pi_i) = c p_i / (1 - p_i). Two outcomes have reciprocal fair odds, so
  c = sqrt(o_over o_under) and p_over = x / (1 + x) with x = sqrt(o_over / o_under),
  o_i = pi_i / (1 - pi_i).
- logarithmic (penaltyblog's definition): a constant c is taken off each side's log-odds,
  logit p_i = logit pi_i - c. That is the odds-ratio model with ln c as the shift, so it gives
  the odds-ratio answer for any n; for two outcomes c = (logit pi_over + logit pi_under) / 2.
- margin_proportional (Buchdahl's "margin weights proportional to the odds", penaltyblog's
  differential margin weighting): fair odds = n O_i / (n - m O_i). Inverted: p_i = 1 / O_i -
  m / n = pi_i - m / n, the additive answer for any n.

So on two-way markets the seven names give four distinct answers: multiplicative, power,
{additive, shin, margin_proportional} and {odds_ratio, logarithmic}. They stay seven names
because that is how practitioners ask for them (and on three-way markets Shin differs).
A margin of zero returns the input unchanged for every method.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize

METHODS = (
    "multiplicative",
    "additive",
    "power",
    "shin",
    "odds_ratio",
    "logarithmic",
    "margin_proportional",
)
#: Two-way markets: the methods whose answers coincide with another's (see the docstring).
SAME_AS = {"shin": "additive", "margin_proportional": "additive", "logarithmic": "odds_ratio"}
#: Newton's tolerance on sum pi_i^k - 1 for the power method.
POWER_TOLERANCE = 1e-13


def _arrays(prob_over, prob_under) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float arrays of both sides and the mask of rows that can be de-vigged (both in (0, 1))."""
    over = np.asarray(prob_over, dtype=float)
    under = np.asarray(prob_under, dtype=float)
    valid = (over > 0) & (over < 1) & (under > 0) & (under < 1)
    return over, under, valid


def _where_valid(valid: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.where(valid, values, np.nan)


def multiplicative(prob_over, prob_under) -> np.ndarray:
    """p_over = pi_over / (pi_over + pi_under)."""
    over, under, valid = _arrays(prob_over, prob_under)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _where_valid(valid, over / (over + under))


def additive(prob_over, prob_under) -> np.ndarray:
    """p_over = pi_over - m / 2 = (1 + pi_over - pi_under) / 2; in (0, 1) whenever both
    implied probabilities are."""
    over, under, valid = _arrays(prob_over, prob_under)
    return _where_valid(valid, (1.0 + over - under) / 2.0)


def power_exponent(prob_over, prob_under) -> np.ndarray:
    """k with pi_over^k + pi_under^k = 1 (Newton from k = 1, scipy.optimize.newton)."""
    over, under, valid = _arrays(prob_over, prob_under)
    k = np.full(over.shape, np.nan)
    if not valid.any():
        return k
    po, pu = over[valid], under[valid]
    log_po, log_pu = np.log(po), np.log(pu)

    def residual(exponent: np.ndarray) -> np.ndarray:
        return po**exponent + pu**exponent - 1.0

    def slope(exponent: np.ndarray) -> np.ndarray:
        return po**exponent * log_po + pu**exponent * log_pu

    k[valid] = optimize.newton(
        residual, np.ones(po.shape), fprime=slope, tol=POWER_TOLERANCE, maxiter=100
    )
    return k


def power(prob_over, prob_under) -> np.ndarray:
    """p_over = pi_over ^ k, k from power_exponent."""
    over, _, valid = _arrays(prob_over, prob_under)
    k = power_exponent(prob_over, prob_under)
    with np.errstate(invalid="ignore"):
        return _where_valid(valid, over**k)


def shin_insider_share(prob_over, prob_under) -> np.ndarray:
    """Shin's z for two outcomes, closed: from pi_over^2 / B = z p + (1 - z) p^2 with the
    additive p, z = (pi_over^2 / B - p^2) / (p (1 - p)). -110/-110 gives z = m."""
    over, under, valid = _arrays(prob_over, prob_under)
    p = additive(over, under)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (over**2 / (over + under) - p**2) / (p * (1.0 - p))
    return _where_valid(valid, z)


def shin(prob_over, prob_under) -> np.ndarray:
    """Shin's fair p_over; for two outcomes it is the additive answer (docstring above)."""
    return additive(prob_over, prob_under)


def odds_ratio(prob_over, prob_under) -> np.ndarray:
    """Cheung's odds ratio, closed for two outcomes: x = sqrt(o_over / o_under),
    p_over = x / (1 + x), o_i = pi_i / (1 - pi_i)."""
    over, under, valid = _arrays(prob_over, prob_under)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.sqrt((over / (1.0 - over)) / (under / (1.0 - under)))
        return _where_valid(valid, ratio / (1.0 + ratio))


def logarithmic(prob_over, prob_under) -> np.ndarray:
    """logit p_over = logit pi_over - c with c = (logit pi_over + logit pi_under) / 2, so
    logit p_over = (logit pi_over - logit pi_under) / 2 (the odds-ratio answer)."""
    over, under, valid = _arrays(prob_over, prob_under)
    with np.errstate(invalid="ignore", divide="ignore"):
        logit_over = np.log(over / (1.0 - over))
        logit_under = np.log(under / (1.0 - under))
        shifted = logit_over - (logit_over + logit_under) / 2.0
        return _where_valid(valid, 1.0 / (1.0 + np.exp(-shifted)))


def margin_proportional(prob_over, prob_under) -> np.ndarray:
    """Fair odds 2 O / (2 - m O) with O = 1 / pi_over; inverted, pi_over - m / 2."""
    over, under, valid = _arrays(prob_over, prob_under)
    margin = over + under - 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        decimal = 1.0 / over
        fair_decimal = 2.0 * decimal / (2.0 - margin * decimal)
        return _where_valid(valid, 1.0 / fair_decimal)


_FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "multiplicative": multiplicative,
    "additive": additive,
    "power": power,
    "shin": shin,
    "odds_ratio": odds_ratio,
    "logarithmic": logarithmic,
    "margin_proportional": margin_proportional,
}


def check_method(method: str) -> str:
    """`method` if it is one of METHODS; ValueError naming the accepted ones otherwise."""
    if method not in _FUNCTIONS:
        raise ValueError(f"unknown de-vig method {method!r}; one of: {', '.join(METHODS)}")
    return method


def fair_prob_over(method: str, prob_over, prob_under) -> np.ndarray:
    """The fair P(over) by `method` (one of METHODS); NaN where a side is missing or outside
    (0, 1)."""
    return _FUNCTIONS[check_method(method)](prob_over, prob_under)


def devig(method: str, prob_over, prob_under) -> tuple[np.ndarray, np.ndarray]:
    """(fair P(over), fair P(under)) by `method`; they sum to 1."""
    fair_over = fair_prob_over(method, prob_over, prob_under)
    return fair_over, 1.0 - fair_over


def american_to_implied(price) -> np.ndarray:
    """The probability an American price implies, vig included (-150 -> 0.6, +130 -> 10/23);
    NaN for |price| < 100 (as macro american_to_implied_prob)."""
    price = np.asarray(price, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        negative = -price / (-price + 100.0)
        positive = 100.0 / (price + 100.0)
    return np.where(price <= -100, negative, np.where(price >= 100, positive, np.nan))
