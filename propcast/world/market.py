"""The books: who they are, what they offer, and how wrong they are (the market's error model).

A book prices a prop from its own estimate of the stat's mean,

    log mean_book = log mean_true
                    + market_noise * (shade + lag + e_market[snapshot] + s_book * e_book),

and the same distribution family and dispersion as the truth. The terms:

* `shade` (`over_shade`) - books lean their lines up a little: the public bets overs, so
  unders win slightly more often than half the time, as in real prop markets;
* `lag` — books react late. Their form estimate is the player's form `form_lag_days` ago, and
  their minutes estimate is a geometric blend (weight `minutes_lag_weight`) of tonight's true
  expected minutes and an exponential moving average (alpha `minutes_ema_alpha`) of his past
  expected minutes; so a player who inherits an injured teammate's minutes, comes back on a
  minutes ramp or runs hot or cold is mispriced for a while. The lag is the part a model can
  learn from data the warehouse has.
* `e_market` — an error shared by every book (they copy each other), `e_book` — each book's
  own, scaled by the book's sharpness. Both are normal in log-mean with sds that shrink from
  the 10:00 to the 18:00 snapshot; each snapshot's error keeps correlation `snapshot_corr` with
  the opening one, so lines drift toward the truth instead of jumping around it.

`market_noise` multiplies all four (0: every book knows the true mean; 2: twice as wrong). It
is the product of the world's `market_strength` (`MARKET_STRENGTHS`, a documented flag of
`generate`, `propcast demo` and world.json) and the error model's per-market calibration
(`stat_noise`): the same log-mean error costs a points prop more log loss than a threes prop
(a wider distribution, more lines near the median), so each market has its own multiplier,
pinned so that at "realistic" the de-vigged close's log loss is 1.03-1.05 x the truth's in
every market (bench/market_strength.py measures it; tests/unit/world/test_market.py holds it).
The line is the half point nearest the book's median (so books differ by 0.5-1 point); the
price comes from the book's own P(over line), grossed up by its margin (multiplicative vig:
both sides * (1 + margin)) and rounded to a multiple of 5 in the book's favour, so Over and
Under implied probabilities always sum to more than 1. Lines whose book P(over) is beyond
`max_p_over` are not posted (books do not hang -1500 props).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import time

import numpy as np


@dataclass(frozen=True)
class BookSpec:
    key: str
    title: str
    margin: float  # total overround on a two-way prop
    sharpness: float  # multiplier of the book-specific error
    min_minutes: float  # offers players expected to play at least this much


BOOKS = (
    BookSpec("draftkings", "DraftKings", 0.046, 1.0, 19.0),
    BookSpec("fanduel", "FanDuel", 0.044, 1.0, 18.0),
    BookSpec("betmgm", "BetMGM", 0.050, 1.1, 20.0),
    BookSpec("williamhill_us", "Caesars", 0.050, 1.1, 19.0),
    BookSpec("betrivers", "BetRivers", 0.055, 1.2, 20.0),
    BookSpec("espnbet", "ESPN BET", 0.048, 1.1, 19.0),
    BookSpec("bovada", "Bovada", 0.055, 1.3, 20.0),
    BookSpec("pinnacle", "Pinnacle", 0.036, 0.6, 18.0),
)


#: `market_strength` → multiplier of the books' whole error. "realistic" (the default): real
#: closing lines are sharp, the close's log loss is 1.03-1.05 x the truth's; "sharp": a near-
#: efficient market (the close within ~0.5 % of the truth: the honest answer is "no edge");
#: "soft": a slow, noisy market (~1.1 x) a model should beat clearly.
MARKET_STRENGTHS: dict[str, float] = {"sharp": 0.35, "realistic": 1.0, "soft": 1.6}
DEFAULT_MARKET_STRENGTH = "realistic"


def strength_multiplier(strength: str) -> float:
    try:
        return MARKET_STRENGTHS[strength]
    except KeyError:
        raise ValueError(
            f"market_strength must be one of {sorted(MARKET_STRENGTHS)}, got {strength!r}"
        ) from None


@dataclass(frozen=True)
class ErrorModel:
    snapshots_et: tuple[time, ...] = (time(10, 0), time(14, 0), time(18, 0))
    market_sd: tuple[float, ...] = (0.08, 0.055, 0.035)
    book_sd: tuple[float, ...] = (0.035, 0.025, 0.015)
    snapshot_corr: float = 0.8
    form_lag_days: int = 3
    minutes_lag_weight: float = 0.35
    minutes_ema_alpha: float = 0.35
    over_shade: float = 0.02  # log-mean lean toward the over the public likes to bet
    skip_player: float = 0.05  # a book leaves a player's props off the board
    skip_market: float = 0.03  # ... or one market of a player
    first_posted: tuple[float, ...] = (0.85, 0.10, 0.05)  # share first posted at each snapshot
    max_p_over: float = 0.92
    books: tuple[BookSpec, ...] = field(default=BOOKS)
    # Per-market multiplier of the whole error (module doc); a market not listed gets 1.
    stat_noise: dict[str, float] = field(
        default_factory=lambda: {
            "player_points": 1.52,
            "player_rebounds": 1.63,
            "player_assists": 2.12,
            "player_threes": 3.25,
            "player_shots_on_goal": 3.45,
            "player_goals": 6.5,
            # Game totals (world/totals.py), per league by its score stat.
            "game_total_points": 0.45,
            "game_total_goals": 2.0,
        }
    )

    def noise_of(self, market: str) -> float:
        return float(self.stat_noise.get(market, 1.0))

    def as_json(self) -> dict:
        out = asdict(self)
        out["snapshots_et"] = [t.strftime("%H:%M") for t in self.snapshots_et]
        out["books"] = [asdict(b) for b in self.books]
        return out


def correlated_errors(
    rng: np.random.Generator, sds: tuple[float, ...], corr: float, shape: tuple[int, ...]
) -> np.ndarray:
    """Normal errors per snapshot (leading axis) with sd `sds[k]`, each correlated `corr` with
    the first snapshot's, so the error shrinks toward zero rather than being redrawn."""
    opening = rng.normal(size=shape)
    out = np.empty((len(sds), *shape))
    out[0] = sds[0] * opening
    for k in range(1, len(sds)):
        fresh = rng.normal(size=shape)
        out[k] = sds[k] * (corr * opening + np.sqrt(1.0 - corr**2) * fresh)
    return out


def american_price(implied: np.ndarray) -> np.ndarray:
    """Implied probability (vig included) → American odds, multiple of 5, book-favourable.

    Favourites round to the longer price (-112 → -115), underdogs to the shorter one (+108 →
    +105): the rounding can only add margin, never take it away.
    """
    implied = np.asarray(implied, dtype=float)
    fav = implied >= 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        neg = -5.0 * np.ceil(100.0 * implied / (1.0 - implied) / 5.0 - 1e-9)
        pos = 5.0 * np.floor(100.0 * (1.0 - implied) / implied / 5.0 + 1e-9)
    return np.where(fav, neg, np.maximum(pos, 100.0)).astype(np.int64)


def implied_probability(price: np.ndarray) -> np.ndarray:
    price = np.asarray(price, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(price < 0, -price / (100.0 - price), 100.0 / (price + 100.0))


def vig_prices(p_over: np.ndarray, margin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Over and Under prices from the book's fair P(over) and its margin."""
    gross = 1.0 + np.asarray(margin, dtype=float)
    return american_price(p_over * gross), american_price((1.0 - p_over) * gross)
