"""The game-totals predictor: a forecast of a game's total and P(over), P(push) of its line.

Input rows are `fct_game_total_features` rows (docs/imports.md). What is fitted, on rows dated
up to a training end, split by distinct dates (never at random: games of one date share news):

- a LightGBM regression of the *residual* `actual_total - baseline` on the as-of features (team
  scoring averages, pace proxies, rest/back-to-back, the league's recent average, the line, its
  move and the market's P(over)), with the propcast.models deterministic settings and strong
  regularisation. The baseline is the mean total the market implies by its line and de-vigged
  price (`baseline`; an NHL 5.5 at -150 is about 6.1 goals). On the held-out later dates (the
  last `calibration_share` of them) the residual forecast is shrunk towards zero by the
  least-squares factor in [0, 1]: a closing line is hard to improve on and the shrink says by
  how much the booster did. Chosen on two generated efficient seasons per league (walk-forward,
  MAE of the total on 1,250 scored games; the line's own MAE NBA 13.067, NHL 1.915): residual
  from the market's mean NBA 13.13 / NHL 1.924, residual from the line 13.20 / 1.931, the raw
  total with the line as a feature 13.36 / 1.972 (trees are piecewise constant in the line);
- the league's count distribution around the predicted total, its spread fitted on the same
  held-out dates (the predictive spread, including the booster's own error): NBA a normal
  discretised to whole points with the residual standard deviation; NHL a negative binomial on
  goals (NB1, variance = dispersion x mean, propcast.models.distribution; dispersion near 1 is
  Poisson);
- a stacker of logit P(over) under that distribution with the logit of the market's de-vigged
  P(over), fitted on the held-out dates (`MarketOffset`: an offset logistic regression around
  the market with a prior at "the market is right"): the market's information is combined,
  and the weights say what the model adds on later dates.

Whole lines can push, half lines never do; `prob_over` is conditional on no push (as the
market prices it and as `went_over` is labelled), `prob_push` is unconditional.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.stats import nbinom, norm

from propcast.market_offset import MarketOffset, fit_market_offset
from propcast.models.config import TrainConfig
from propcast.models.distribution import DISPERSION_MIN, MEAN_MIN, fit_dispersion
from propcast.models.frames import feature_matrix, game_days, require_columns, to_date

#: The as-of feature columns of fct_game_total_features the booster reads (docs/imports.md).
FEATURE_COLUMNS: tuple[str, ...] = (
    *(
        f"{side}_pts_{kind}_avg_{n}"
        for side in ("home", "away")
        for kind in ("for", "against")
        for n in (5, 10)
    ),
    "home_total_avg_10",
    "away_total_avg_10",
    "home_games_before",
    "away_games_before",
    "home_rest_days",
    "away_rest_days",
    "home_b2b",
    "away_b2b",
    "league_total_avg_30d",
    "line",
    "line_move",
    "market_prob_over",
)
LEAGUES = ("NBA", "NHL")
#: "residual": regress actual_total - line (shrunk); "total": regress actual_total itself.
TARGETS = ("residual", "total")
Target = Literal["residual", "total"]
#: Probabilities leave the predictor within this range (log loss and Kelly stay finite).
PROB_CLIP = (0.001, 0.999)


class TotalsTrainError(ValueError):
    """The training frame cannot fit a model (too few settled games, one league mixed in...)."""


@dataclass(frozen=True)
class TotalsConfig:
    """How a totals model is fitted. Small data: few leaves, many rows per leaf, a strong L2
    penalty and a slow learning rate; the shrink fitted on later dates guards the rest."""

    target: Target = "residual"
    baseline: Literal["market", "line"] = "market"
    seed: int = 7
    num_boost_round: int = 150
    learning_rate: float = 0.03
    num_leaves: int = 4
    min_data_in_leaf: int = 60
    lambda_l2: float = 20.0
    calibration_share: float = 0.3
    min_train_rows: int = 80
    min_calibration_rows: int = 40
    #: MarketOffset's prior sds of (intercept, weight), measured in its doc.
    stacker_prior_sd: tuple[float, float] = (0.1, 0.6)

    def lgb_params(self) -> dict:
        """The propcast.models deterministic regression parameters (one thread, all seeds,
        no bagging), with this config's regularisation."""
        base = TrainConfig(
            market_family="game_total",
            feature_columns=FEATURE_COLUMNS[:-3],
            train_end=date(2000, 1, 1),
            calibration="platt",
            mean_objective="regression",
            seed=self.seed,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_data_in_leaf=self.min_data_in_leaf,
        ).lgb_params("mean")
        return {**base, "lambda_l2": float(self.lambda_l2)}


# --- the league's count distribution ---------------------------------------------------------


def line_probabilities(
    league: str, mean: np.ndarray, line: np.ndarray, spread: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(P(over), P(under), P(push)) of `line` when the total has mean `mean`, elementwise.

    NBA: the total is a normal(mean, spread) rounded to whole points. NHL: NB1 with
    dispersion `spread` (variance = spread * mean; at DISPERSION_MIN it is Poisson). A half
    line never pushes; a whole line pushes with the probability of exactly that total.
    """
    mu = np.asarray(mean, dtype=np.float64)
    ln = np.asarray(line, dtype=np.float64)
    mu, ln = np.broadcast_arrays(mu, ln)
    lo, hi = np.floor(ln), np.ceil(ln)
    if league == "NBA":
        sd = max(float(spread), 1e-6)
        over = norm.sf((lo + 0.5 - mu) / sd)
        under = norm.cdf((hi - 0.5 - mu) / sd)
    elif league == "NHL":
        n, p = nb_params(mu, spread)
        over = nbinom.sf(lo, n, p)
        under = nbinom.cdf(hi - 1.0, n, p)
    else:
        raise ValueError(f"unknown league {league!r}; expected one of {LEAGUES}")
    whole = lo == ln
    push = np.where(whole, np.clip(1.0 - over - under, 0.0, 1.0), 0.0)
    under = np.where(whole, under, 1.0 - over)
    return over, under, push


def nb_params(mean: np.ndarray, dispersion: float) -> tuple[np.ndarray, float]:
    """scipy's (n, p) of NB1 with `mean` and variance dispersion * mean."""
    d = max(float(dispersion), DISPERSION_MIN)
    mu = np.maximum(np.asarray(mean, dtype=np.float64), MEAN_MIN)
    return mu / (d - 1.0), 1.0 / d


def prob_over_no_push(league: str, mean: np.ndarray, line: np.ndarray, spread: float):
    """(P(over | no push), P(push)): the market's convention and the push chance."""
    over, under, push = line_probabilities(league, mean, line, spread)
    total = over + under
    cond = np.where(total > 0, over / np.where(total > 0, total, 1.0), 0.5)
    return cond, push


def fit_spread(league: str, predicted: np.ndarray, actual: np.ndarray) -> float:
    """The predictive spread around `predicted` on held-out rows: the residual standard
    deviation (NBA) or the NB1 dispersion by maximum likelihood (NHL)."""
    pred = np.asarray(predicted, dtype=np.float64)
    act = np.asarray(actual, dtype=np.float64)
    if act.size < 2:
        raise TotalsTrainError("the spread needs at least two held-out games")
    if league == "NBA":
        return float(max(np.sqrt(np.mean((act - pred) ** 2)), 1.0))
    return fit_dispersion(np.maximum(pred, MEAN_MIN), np.round(act))


# --- the model -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TotalsModel:
    """A fitted totals predictor for one league."""

    league: str
    config: TotalsConfig
    booster: lgb.Booster = field(repr=False)
    shrink: float
    spread: float
    stacker: MarketOffset | None
    train_start: date
    train_end: date
    trained_rows: int
    calibration_rows: int
    notes: tuple[str, ...] = ()

    def predict_total(self, rows: pd.DataFrame) -> np.ndarray:
        """The forecast total of each row's game."""
        x = feature_matrix(rows, FEATURE_COLUMNS, "totals features")
        raw = np.asarray(self.booster.predict(x, num_threads=1), dtype=np.float64)
        if self.config.target == "total":
            return raw
        return baseline(self.league, rows, self.config) + self.shrink * raw

    def predict(self, rows: pd.DataFrame) -> pd.DataFrame:
        """predicted_total, prob_over (stacked, given no push), prob_push and the
        distribution's own prob_over_distribution, aligned with `rows`."""
        total = self.predict_total(rows)
        p_dist, push = prob_over_no_push(self.league, total, _line(rows), self.spread)
        prob = p_dist
        if self.stacker is not None:
            prob = self.stacker.apply(p_dist, _market(rows))
        return pd.DataFrame(
            {
                "predicted_total": total,
                "prob_over": np.clip(prob, *PROB_CLIP),
                "prob_push": push,
                "prob_over_distribution": np.clip(p_dist, *PROB_CLIP),
            },
            index=rows.index,
        )

    def to_record(self) -> dict:
        """JSON-safe parameters and the booster's model string (`from_record` inverts it)."""
        st = self.stacker
        return {
            "league": self.league, "config": dataclasses.asdict(self.config),
            "booster": self.booster.model_to_string(num_iteration=-1),
            "shrink": self.shrink, "spread": self.spread,
            "stacker": None if st is None else dataclasses.asdict(st),
            "train_start": self.train_start.isoformat(), "train_end": self.train_end.isoformat(),
            "trained_rows": self.trained_rows, "calibration_rows": self.calibration_rows,
            "notes": list(self.notes),
        }  # fmt: skip

    @classmethod
    def from_record(cls, record: dict) -> TotalsModel:
        """The model `to_record` described (the booster reloaded from its string)."""
        st = record.get("stacker")
        config = dict(record["config"])
        if "stacker_prior_sd" in config:  # JSON has no tuples
            config["stacker_prior_sd"] = tuple(config["stacker_prior_sd"])
        return cls(
            str(record["league"]), TotalsConfig(**config),
            lgb.Booster(model_str=record["booster"]), float(record["shrink"]),
            float(record["spread"]), None if st is None else MarketOffset(**st),
            date.fromisoformat(record["train_start"]), date.fromisoformat(record["train_end"]),
            int(record["trained_rows"]), int(record["calibration_rows"]),
            tuple(record.get("notes", ())),
        )  # fmt: skip


def _line(rows: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(rows["line"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _market(rows: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(rows["market_prob_over"], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )


def settled(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with a final total and a line (the ones a model may learn from)."""
    total = pd.to_numeric(rows["actual_total"], errors="coerce")
    return rows[total.notna() & pd.to_numeric(rows["line"], errors="coerce").notna()]


#: The spread at which the market's line and price are read as a mean total (the baseline).
BASELINE_SPREAD = {"NBA": 17.0, "NHL": 1.0}


def baseline(league: str, rows: pd.DataFrame, cfg: TotalsConfig) -> np.ndarray:
    """What the residual is measured from: the mean total the market implies by its line and
    de-vigged price ("market"; the line where the price is missing), or the line itself. An
    NHL line of 5.5 at -150 means about 6.1 goals, not 5.5."""
    line = _line(rows)
    if cfg.baseline == "line":
        return line
    mean = implied_mean(league, line, _market(rows), BASELINE_SPREAD[league])
    return np.where(np.isfinite(mean), mean, line)


def _target(rows: pd.DataFrame, cfg: TotalsConfig, league: str) -> np.ndarray:
    total = pd.to_numeric(rows["actual_total"], errors="coerce").to_numpy(dtype=np.float64)
    return total - baseline(league, rows, cfg) if cfg.target == "residual" else total


def _went_over(rows: pd.DataFrame) -> np.ndarray:
    """1.0 over, 0.0 under, NaN push (from the total and the line, as books settle)."""
    diff = pd.to_numeric(rows["actual_total"], errors="coerce").to_numpy(dtype=np.float64) - _line(
        rows
    )
    return np.where(diff > 0, 1.0, np.where(diff < 0, 0.0, np.nan))


def _split_by_dates(rows: pd.DataFrame, share: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    days = game_days(rows["game_date"])
    uniq = np.unique(days)
    n_cal = max(1, round(len(uniq) * share))
    if len(uniq) - n_cal < 1:
        raise TotalsTrainError(f"the training frame spans {len(uniq)} date(s); need at least 2")
    first_cal = uniq[len(uniq) - n_cal]
    return rows[days < first_cal], rows[days >= first_cal]


def _fit_booster(rows: pd.DataFrame, cfg: TotalsConfig, league: str) -> lgb.Booster:
    params = cfg.lgb_params()
    x = feature_matrix(rows, FEATURE_COLUMNS, "totals features")
    label = _target(rows, cfg, league)
    data = lgb.Dataset(x, label=label, params=params, free_raw_data=True)
    return lgb.train(params, data, num_boost_round=cfg.num_boost_round)


def _fit_shrink(booster: lgb.Booster, rows: pd.DataFrame, cfg: TotalsConfig, league: str) -> float:
    """Least-squares factor s in [0, 1] of actual - baseline ~ s * predicted residual."""
    if cfg.target == "total":
        return 1.0
    raw = booster.predict(feature_matrix(rows, FEATURE_COLUMNS, "totals features"), num_threads=1)
    resid = _target(rows, cfg, league)
    denom = float(np.dot(raw, raw))
    return float(np.clip(np.dot(raw, resid) / denom, 0.0, 1.0)) if denom > 1e-12 else 0.0


def check_league(rows: pd.DataFrame) -> str:
    leagues = sorted({str(v).upper() for v in rows["league"].dropna().unique()})
    if len(leagues) != 1 or leagues[0] not in LEAGUES:
        raise TotalsTrainError(f"a totals model fits one league of {LEAGUES}; got {leagues}")
    return leagues[0]


def fit_totals_model(rows: pd.DataFrame, config: TotalsConfig | None = None) -> TotalsModel:
    """Fit on a training frame of fct_game_total_features rows of one league (every settled
    row is used; the caller decides the training end). The last `calibration_share` of its
    dates fit the shrink, the spread and the stacker; the earlier ones the booster."""
    cfg = config or TotalsConfig()
    require_columns(rows, ("league", "game_date", "actual_total", *FEATURE_COLUMNS), "totals fit")
    league = check_league(rows)
    data = in_fit_order(settled(rows))
    if len(data) < cfg.min_train_rows:
        raise TotalsTrainError(
            f"the training window holds {len(data)} settled {league} game(s); "
            f"need at least {cfg.min_train_rows}"
        )
    early, late = _split_by_dates(data, cfg.calibration_share)
    booster = _fit_booster(early, cfg, league)
    notes: list[str] = []
    shrink = _fit_shrink(booster, late, cfg, league)
    model = TotalsModel(league, cfg, booster, shrink, 1.0, None, *_span(data), len(early), 0)
    predicted = model.predict_total(late)
    actual = pd.to_numeric(late["actual_total"]).to_numpy(dtype=np.float64)
    spread = fit_spread(league, predicted, actual)
    stacker = None
    y = _went_over(late)
    keep = np.isfinite(y)
    if keep.sum() >= cfg.min_calibration_rows and np.unique(y[keep]).size == 2:
        p_dist, _ = prob_over_no_push(league, predicted[keep], _line(late)[keep], spread)
        stacker = fit_market_offset(p_dist, _market(late[keep]), y[keep], cfg.stacker_prior_sd)
    else:
        notes.append(
            f"no stacker: {int(keep.sum())} held-out decided game(s) < "
            f"{cfg.min_calibration_rows}; prob_over is the distribution's"
        )
    return TotalsModel(
        league, cfg, booster, shrink, spread, stacker, *_span(data), len(early),
        int(keep.sum()), tuple(notes),
    )  # fmt: skip


def in_fit_order(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows sorted by what the fit reads. The warehouse returns them in any order, and the
    booster's float sums, so the fitted model and its model_version, follow the row order
    (a retrain on the same warehouse gave another version: tests/reliability/test_reruns.py)."""
    keys = ["game_date", "line", "actual_total", *FEATURE_COLUMNS]
    return rows.sort_values(keys, kind="stable").reset_index(drop=True)


def _span(rows: pd.DataFrame) -> tuple[date, date]:
    days = game_days(rows["game_date"])
    return to_date(days.min()), to_date(days.max())


def american_to_decimal(price: np.ndarray) -> np.ndarray:
    """Decimal odds of American prices (NaN stays NaN), as macros/odds/odds_math.sql."""
    a = np.asarray(price, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a < 0, 1.0 + 100.0 / -a, np.where(a > 0, 1.0 + a / 100.0, np.nan))


def devig_prob_over(over_price: np.ndarray, under_price: np.ndarray) -> np.ndarray:
    """Multiplicative de-vig of a pair of American prices (the warehouse's default)."""
    p_over = 1.0 / american_to_decimal(over_price)
    p_under = 1.0 / american_to_decimal(under_price)
    return p_over / (p_over + p_under)


def implied_mean(league: str, line: np.ndarray, prob: np.ndarray, spread: float) -> np.ndarray:
    """The mean total at which P(over `line` | no push) equals `prob` (bisection)."""
    ln = np.asarray(line, dtype=np.float64)
    q = np.clip(np.asarray(prob, dtype=np.float64), 1e-4, 1 - 1e-4)
    width = 6.0 * (spread if league == "NBA" else math.sqrt(max(spread, 1.0) * 10.0)) + 5.0
    lo, hi = np.maximum(ln - width, MEAN_MIN), ln + width
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        below = prob_over_no_push(league, mid, ln, spread)[0] < q
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return np.where(np.isfinite(q) & np.isfinite(ln), 0.5 * (lo + hi), np.nan)
