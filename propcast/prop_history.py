"""The props predictor for imported prop history (`fct_prop_history_features`, docs/imports.md).

Imported props carry their own outcome (`actual_value`), so a player's form in a market is
known from the file alone (no box scores): the mart's as-of features are means of his
previous 5/10 settled games, their spread, the season so far, games before and rest. This
module fits the existing player-prop predictor (propcast.models.train_prop_model) on those
rows — a Poisson LightGBM regressor of the stat's mean, the stat's negative binomial (NB1)
around it with the dispersion fitted on later dates, and the stacker of logit P(over) under
that distribution with the market's de-vigged consensus — and presents it with the interface
of propcast.totals (`fit_*_model(rows, config)` returning a model whose `predict` gives
`predicted_total`, `prob_over`, `prob_push`), so that propcast.backtest walks either family
forward with one engine; the family is chosen by the market (`game_total` or a prop).

The frame contract of propcast.models is met by derived columns (`model_frame`): `game_id`
(league, date and player), `player_id` (league and player_name_key), `stat_value` (the
actual value) and `books_quoting` (book_count, the consensus weight). The engine's outcome
column `actual_total` is the settled stat (`backtest_frame`).

Counts: whole lines push (`prob_push` is NB1's mass at the line), half lines never do;
`prob_over` is conditional on no push, as the market prices it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from scipy.stats import nbinom

from propcast.market_offset import MarketOffset, fit_market_offset
from propcast.models.calibration import STACK_DISTRIBUTION
from propcast.models.config import TrainConfig
from propcast.models.distribution import implied_mean, prob_over
from propcast.models.frames import game_days, require_columns, to_date
from propcast.models.train import train_prop_model
from propcast.models.trained import TrainedModel

#: The mart's as-of columns the mean regressor reads (docs/imports.md): the player's form
#: only, so that its distribution is a second opinion next to the market's, not an echo of it.
FORM_COLUMNS: tuple[str, ...] = (
    "form_avg_5", "form_avg_10", "form_std_10", "season_avg", "season_games",
    "prior_settled_games", "rest_days",
)  # fmt: skip
FEATURE_COLUMNS: tuple[str, ...] = FORM_COLUMNS
FRAME_COLUMNS: tuple[str, ...] = (
    "league", "game_date", "player_name_key", "market", "line", "over_price", "under_price",
    "market_prob_over", "book_count", "actual_value", *FORM_COLUMNS,
)  # fmt: skip
MARKET_MEAN_DISPERSION = 1.3
PROB_CLIP = (0.001, 0.999)


class PropHistoryTrainError(ValueError):
    """The training frame cannot fit a props model (too few settled games or dates...)."""


@dataclass(frozen=True)
class PropHistoryConfig:
    """How a props model is fitted: the later `calibration_share` of the training dates fit
    the dispersion and the stacker, the last date is propcast.models' validation slice (it
    only measures), the rest train the boosters (small, regularised: a few thousand rows)."""

    calibration_share: float = 0.3
    num_boost_round: int = 200
    learning_rate: float = 0.03
    num_leaves: int = 7
    min_data_in_leaf: int = 60
    min_train_rows: int = 150
    min_calibration_rows: int = 60
    seed: int = 7
    #: Combine with the market by the totals' MarketOffset (True) or propcast.models' stacker.
    market_offset: bool = True

    def train_config(self, market: str, train_end: date, n_dates: int) -> TrainConfig:
        cal_days = max(1, round((n_dates - 1) * self.calibration_share))
        return TrainConfig(
            market_family=market, feature_columns=FEATURE_COLUMNS, train_end=train_end,
            calibration_days=cal_days, validation_days=1, calibration="stack",
            seed=self.seed, num_boost_round=self.num_boost_round,
            learning_rate=self.learning_rate, num_leaves=self.num_leaves,
            min_data_in_leaf=self.min_data_in_leaf, mean_objective="poisson",
            min_train_rows=self.min_train_rows,
            min_calibration_rows=self.min_calibration_rows, min_validation_rows=1,
            consensus_weight_column="books_quoting",
        )  # fmt: skip


def model_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The mart's rows with propcast.models' key, label and weight columns, and market_mean."""
    require_columns(rows, FRAME_COLUMNS, "prop history frame")
    day = pd.Series(game_days(rows["game_date"]).astype(str), index=rows.index)
    player = rows["league"].astype(str).str.upper() + ":" + rows["player_name_key"].astype(str)
    line = pd.to_numeric(rows["line"], errors="coerce").to_numpy(np.float64, na_value=np.nan)
    prob = pd.to_numeric(rows["market_prob_over"], errors="coerce").to_numpy(
        np.float64, na_value=np.nan
    )
    return rows.assign(
        game_id=player + ":" + day,
        player_id=player,
        stat_value=pd.to_numeric(rows["actual_value"], errors="coerce"),
        books_quoting=pd.to_numeric(rows["book_count"], errors="coerce"),
        market_mean=implied_mean(line, prob, MARKET_MEAN_DISPERSION),
    )


def backtest_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The mart's rows in propcast.backtest's frame contract: `actual_total` is the stat."""
    return rows.assign(actual_total=pd.to_numeric(rows["actual_value"], errors="coerce"))


def prob_push(mean: np.ndarray, line: np.ndarray, dispersion: float) -> np.ndarray:
    """NB1's probability of exactly `line` (0 on a half line)."""
    mu = np.maximum(np.asarray(mean, dtype=np.float64), 1e-3)
    ln = np.asarray(line, dtype=np.float64)
    whole = np.isfinite(ln) & (np.floor(ln) == ln)
    pmf = nbinom.pmf(np.where(whole, ln, 0.0), mu / (dispersion - 1.0), 1.0 / dispersion)
    return np.where(whole, pmf, 0.0)


@dataclass(frozen=True, eq=False)
class PropHistoryModel:
    """A fitted props model for one league and market (propcast.models underneath)."""

    league: str
    market: str
    trained: TrainedModel = field(repr=False)
    offset: MarketOffset | None
    train_start: date
    train_end: date
    trained_rows: int

    @property
    def spread(self) -> float:
        """The NB1 dispersion (variance / mean) of the stat around the predicted mean."""
        return float(getattr(self.trained.calibrator, "dispersion", np.nan))

    @property
    def shrink(self) -> float:
        """The market offset's weight on the model's own distribution (0: the market alone;
        propcast.models' stacker coefficient when no offset was fitted)."""
        if self.offset is not None:
            return self.offset.weight
        cal = self.trained.calibrator
        inputs, coef = list(getattr(cal, "inputs", ())), list(getattr(cal, "coef", ()))
        if STACK_DISTRIBUTION not in inputs:
            return 0.0
        return float(coef[inputs.index(STACK_DISTRIBUTION)])

    def predict(self, rows: pd.DataFrame) -> pd.DataFrame:
        """predicted_total (the stat's mean at which NB1 gives the combined P(over) of the
        line), prob_over (combined with the market, given no push), prob_push, and the form
        regressor's own predicted_form_mean and prob_over_distribution, aligned with `rows`."""
        frame = model_frame(rows)
        prob, mean = self.trained.predict(frame)
        line = frame["line"].to_numpy(dtype=np.float64)
        disp = self.spread
        combined = mean
        if self.offset is not None:
            market = frame["market_prob_over"].to_numpy(dtype=np.float64, na_value=np.nan)
            prob = self.offset.apply(prob_over(mean, line, disp), market)
            # the mean at which NB1 prices the line at the combined probability
            at_prob = implied_mean(line, prob, disp)
            combined = np.where(np.isfinite(at_prob), at_prob, mean)
        return pd.DataFrame(
            {"predicted_total": combined, "prob_over": np.clip(prob, *PROB_CLIP),
             "prob_push": prob_push(combined, line, disp), "predicted_form_mean": mean,
             "prob_over_distribution": np.clip(prob_over(mean, line, disp), *PROB_CLIP)},
            index=rows.index,
        )  # fmt: skip

    def reprice_line(self, close_line, close_prob, line) -> np.ndarray:
        """The closing market's fair P(over `line` | no push): NB1 around the mean the close's
        line and de-vigged price imply (for CLV of a bet at another line)."""
        mean = implied_mean(close_line, close_prob, self.spread)
        return prob_over(mean, np.asarray(line, dtype=np.float64), self.spread)


def _one(rows: pd.DataFrame, column: str) -> str:
    values = sorted({str(v) for v in rows[column].dropna().unique()})
    if len(values) != 1:
        raise PropHistoryTrainError(f"a props model fits one {column}; got {values}")
    return values[0]


def fit_prop_history_model(
    rows: pd.DataFrame, config: PropHistoryConfig | None = None
) -> PropHistoryModel:
    """Fit on a training frame of fct_prop_history_features rows of one league and market
    (every settled row is used; the caller decides the training end)."""
    cfg = config if isinstance(config, PropHistoryConfig) else PropHistoryConfig()
    frame = model_frame(rows)
    league, market = _one(frame, "league").upper(), _one(frame, "market")
    settled = frame[frame["stat_value"].notna() & frame["line"].notna()]
    if len(settled) < cfg.min_train_rows:
        raise PropHistoryTrainError(
            f"the training window holds {len(settled)} settled {league} {market} row(s); "
            f"need at least {cfg.min_train_rows}"
        )
    days = np.unique(game_days(settled["game_date"]))
    train_cfg = cfg.train_config(market, to_date(days.max()), len(days))
    try:
        trained = train_prop_model(frame, train_cfg)
    except ValueError as exc:
        raise PropHistoryTrainError(str(exc)) from exc
    offset = _fit_offset(trained, settled) if cfg.market_offset else None
    return PropHistoryModel(league, market, trained, offset, to_date(days.min()),
                            to_date(days.max()), int(trained.trained_rows))  # fmt: skip


def _fit_offset(trained: TrainedModel, settled: pd.DataFrame) -> MarketOffset | None:
    """The totals' market-offset stacker (a prior at "the market is right") on the decided
    rows after the boosters' window (propcast.models' calibration and validation dates),
    from the NB1 P(over) around the predicted mean and the market's de-vigged P(over)."""
    first = np.datetime64(trained.metrics["calibration_start"], "D")
    late = settled[game_days(settled["game_date"]) >= first]
    stat, line = late["stat_value"].to_numpy(np.float64), late["line"].to_numpy(np.float64)
    y = np.where(stat > line, 1.0, np.where(stat < line, 0.0, np.nan))
    if np.isfinite(y).sum() < 2 or np.unique(y[np.isfinite(y)]).size < 2:
        return None
    p_dist = prob_over(trained.predict_mean(late), line, float(trained.calibrator.dispersion))
    market = late["market_prob_over"].to_numpy(dtype=np.float64, na_value=np.nan)
    return fit_market_offset(p_dist, market, y)
