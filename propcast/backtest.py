"""Walk-forward backtest of the totals predictor against the market, with an honest verdict.

A model trained on rows dated on or before `train_until` scores the dates `start..end`; with
`retrain_every_days` N a new model takes over every N days, trained on every settled row
strictly before the first date it scores. No model ever sees a game on or after a date it
scores (asserted per step). Metrics compare the model with the de-vigged market on the same
games; bets follow the warehouse's pricing rules (dbt vars `min_ev`, `kelly_fraction`,
`max_bet_fraction`, `max_game_fraction`, `max_daily_fraction`; macros/pricing/bet_math.sql):
the side with the larger EV at its price, when EV >= min_ev, staked by capped fractional Kelly
of a fixed bankroll; pushes refund. The verdict is a paired bootstrap over blocks of dates
(fixed seed) of the log-loss difference and of ROI: "edge" only when the log-loss interval
excludes zero in the model's favour.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import yaml

from propcast.models.frames import day, format_days, game_days, require_columns, to_date
from propcast.models.metrics import brier, finite_or_none, log_loss
from propcast.settings import PROJECT_DIR
from propcast.totals import (
    TotalsConfig,
    TotalsModel,
    american_to_decimal,
    devig_prob_over,
    fit_totals_model,
    implied_mean,
    prob_over_no_push,
)

METRIC_KEYS: tuple[str, ...] = (
    "n", "model_logloss", "market_logloss", "model_brier", "market_brier", "model_ece",
    "model_mae", "line_mae", "n_bets", "roi", "clv",
)  # fmt: skip
FRAME_COLUMNS = ("league", "market", "game_date", "line", "over_price", "under_price",
                 "market_prob_over", "actual_total")  # fmt: skip
PRICING_VARS = {"min_ev": 0.03, "kelly_fraction": 0.25, "max_bet_fraction": 0.02,
                "max_game_fraction": 0.05, "max_daily_fraction": 0.15}  # fmt: skip
#: With these (optional) columns a row's bet is taken at the open; see `bet_terms`.
OPEN_COLUMNS = ("open_line", "open_over_price", "open_under_price")
#: fct_game_total_features' close where the row's line is the 14:00 board (CLV is against it).
CLOSE_COLUMNS = ("closing_line", "closing_market_prob_over")
CLOSE_ONLY_CLV = (
    "bets are taken at the closing price (the data holds closing prices only), so there is "
    "no later price to beat"
)
NO_OPEN_BET_CLV = "no bet was taken at an opening price"
Progress = Callable[[int, int, str], None]


class BacktestError(ValueError):
    """The backtest cannot run on these rows and dates (the message says why)."""


def pricing_defaults(project_dir=PROJECT_DIR) -> dict[str, float]:
    """The pricing vars' defaults from dbt_project.yml (the same EV threshold and Kelly
    settings fct_bet_recommendations uses), falling back to the values known at writing."""
    try:
        body = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
    except OSError:
        body = {}
    found = body.get("vars") or {}
    return {k: float(found.get(k, v)) for k, v in PRICING_VARS.items()}


@dataclass(frozen=True)
class BacktestSpec:
    train_until: date
    start: date
    end: date
    retrain_every_days: int | None = None
    pricing: dict[str, float] = field(default_factory=pricing_defaults)
    bootstrap_samples: int = 2000
    block_days: int = 7
    seed: int = 20261206


@dataclass(frozen=True)
class Step:
    """One model of the walk-forward: trained through `train_end`, scoring first..last."""

    train_end: date
    first_scored: date
    last_scored: date
    trained_rows: int
    scored_rows: int
    shrink: float
    spread: float


@dataclass
class BacktestResult:
    metrics: dict[str, Any]
    scored: pd.DataFrame
    steps: list[Step]
    edge: bool
    verdict: str
    intervals: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {**self.metrics, "edge": self.edge, "edge_verdict": self.verdict,
                **self.intervals, "steps": [vars(s) for s in self.steps]}  # fmt: skip


def schedule(days: np.ndarray, spec: BacktestSpec) -> list[tuple[np.datetime64, np.ndarray]]:
    """(training cutoff, scored dates) per model: the cutoff is exclusive (rows < cutoff)."""
    if spec.train_until >= spec.start:
        raise BacktestError(
            f"--train-until {spec.train_until} must be before --start-date {spec.start}"
        )
    scored = np.unique(days[(days >= day(spec.start)) & (days <= day(spec.end))])
    if scored.size == 0:
        raise BacktestError(
            f"no games between {spec.start} and {spec.end}; the data holds {_span_text(days)}"
        )
    first_cutoff = day(spec.train_until) + np.timedelta64(1, "D")
    if not spec.retrain_every_days:
        return [(first_cutoff, scored)]
    n = int(spec.retrain_every_days)
    if n < 1:
        raise BacktestError(f"--retrain-every-days must be >= 1, got {n}")
    block = (scored - day(spec.start)).astype(int) // n
    plan = []
    for k in np.unique(block):
        dates = scored[block == k]
        plan.append((first_cutoff if not plan else dates.min(), dates))
    return plan


def _span_text(days: np.ndarray) -> str:
    if days.size == 0:
        return "no games"
    uniq = np.unique(days)
    return f"{uniq.size} dates from {uniq.min()} to {uniq.max()} ({format_days(uniq, 3)})"


def walk_forward(
    frame: pd.DataFrame,
    spec: BacktestSpec,
    *,
    config: TotalsConfig | None = None,
    fit: Callable[[pd.DataFrame, TotalsConfig | None], TotalsModel] = fit_totals_model,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, list[Step]]:
    """Score every row dated start..end by a model that never saw its date or later."""
    require_columns(frame, FRAME_COLUMNS, "backtest")
    days = game_days(frame["game_date"])
    plan = schedule(days, spec)
    settled = pd.to_numeric(frame["actual_total"], errors="coerce").notna().to_numpy()
    parts, steps = [], []
    for i, (cutoff, dates) in enumerate(plan):
        if progress:
            progress(i, len(plan), f"training model {i + 1}/{len(plan)} on games before {cutoff}")
        train = frame[(days < cutoff) & settled]
        if train.empty:
            raise BacktestError(
                f"the training window (games before {cutoff}) is empty; the data holds "
                f"{_span_text(days)}: use a later --train-until"
            )
        seen = game_days(train["game_date"]).max()
        assert seen < dates.min(), f"model {i} saw {seen}, scores from {dates.min()}"
        model = fit(train, config)
        rows = frame[np.isin(days, dates)]
        pred = model.predict(rows)
        parts.append(pred.join(bet_terms(model, rows, pred)).join(rows).assign(model_index=i))
        steps.append(Step(to_date(seen), to_date(dates.min()), to_date(dates.max()),
                          len(train), len(rows), model.shrink, model.spread))  # fmt: skip
    if progress:
        progress(len(plan), len(plan), "scored")
    return pd.concat(parts).sort_index(), steps


def bet_terms(model: TotalsModel, rows: pd.DataFrame, pred: pd.DataFrame) -> pd.DataFrame:
    """Where a row's bet is taken: the open when the row has an open line with both prices
    (OPEN_COLUMNS; the row is then re-scored as at the open: the open line, its de-vigged
    price, no line move yet), else the row's line (the close, or the 14:00 board). Also the
    closing market's fair P(over) of the bet's line (for CLV; `closing_market`): the close's
    own where the lines agree, else the league's distribution around the mean the close
    implies."""
    out = pd.DataFrame(
        {"bet_at": "close", "bet_line": rows["line"], "bet_over_price": rows["over_price"],
         "bet_under_price": rows["under_price"], "bet_prob_over": pred["prob_over"],
         "close_prob_at_bet_line": rows["market_prob_over"]},
        index=rows.index,
    )  # fmt: skip
    if not set(OPEN_COLUMNS) <= set(rows.columns):
        return out
    opens = rows[list(OPEN_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    has = opens.notna().all(axis=1).to_numpy()
    if not has.any():
        return out
    o = opens[has]
    at_open = rows[has].assign(
        line=o["open_line"],
        market_prob_over=devig_prob_over(o["open_over_price"], o["open_under_price"]),
        line_move=np.nan,
    )
    close_line, close_p = (values[has] for values in closing_market(rows))
    moved = close_prob_at_line(model, close_line, close_p, o["open_line"].to_numpy())
    out.loc[has, "bet_at"] = "open"
    out.loc[has, "bet_line"] = o["open_line"]
    out.loc[has, "bet_over_price"] = o["open_over_price"]
    out.loc[has, "bet_under_price"] = o["open_under_price"]
    out.loc[has, "bet_prob_over"] = model.predict(at_open)["prob_over"]
    same = close_line == o["open_line"].to_numpy()
    out.loc[has, "close_prob_at_bet_line"] = np.where(same, close_p, moved)
    return out


def closing_market(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The close's line and de-vigged P(over) per row: CLOSE_COLUMNS where the row has them (a
    game the vendors quote is priced at the 14:00 board, its close kept apart), else the
    row's own line and market probability (an imported close)."""
    line = pd.to_numeric(rows["line"]).to_numpy(dtype=np.float64)
    prob = pd.to_numeric(rows["market_prob_over"], errors="coerce").to_numpy(np.float64)
    if set(CLOSE_COLUMNS) <= set(rows.columns):
        closes = rows[list(CLOSE_COLUMNS)].apply(pd.to_numeric, errors="coerce")
        known = closes.notna().all(axis=1).to_numpy()
        line = np.where(known, closes[CLOSE_COLUMNS[0]].to_numpy(np.float64), line)
        prob = np.where(known, closes[CLOSE_COLUMNS[1]].to_numpy(np.float64), prob)
    return line, prob


def close_prob_at_line(model, close_line, close_p, line) -> np.ndarray:
    """The closing market's fair P(over `line` | no push): the family's own repricing when
    the model has one (props: NB1 around the close's implied mean), else the league's totals
    distribution around the mean the close implies."""
    reprice = getattr(model, "reprice_line", None)
    if reprice is not None:
        return reprice(close_line, close_p, line)
    mean = implied_mean(model.league, close_line, close_p, model.spread)
    return prob_over_no_push(model.league, mean, line, model.spread)[0]


def place_bets(scored: pd.DataFrame, pricing: dict[str, float]) -> pd.DataFrame:
    """Side, EV, stake (bankroll fraction), profit and CLV per scored row, per the pricing
    rules, at the line and prices of `bet_terms` (the close when the frame has none)."""
    terms = {"bet_prob_over": "prob_over", "bet_over_price": "over_price",
             "bet_under_price": "under_price", "bet_line": "line"}  # fmt: skip
    scored = scored.assign(**{k: scored[v] for k, v in terms.items() if k not in scored})
    p = scored["bet_prob_over"].to_numpy(dtype=np.float64)
    dec_over = american_to_decimal(pd.to_numeric(scored["bet_over_price"], errors="coerce"))
    dec_under = american_to_decimal(pd.to_numeric(scored["bet_under_price"], errors="coerce"))
    ev_over, ev_under = p * dec_over - 1.0, (1.0 - p) * dec_under - 1.0
    over = np.nan_to_num(ev_over, nan=-np.inf) >= np.nan_to_num(ev_under, nan=-np.inf)
    ev = np.where(over, ev_over, ev_under)
    dec = np.where(over, dec_over, dec_under)
    prob = np.where(over, p, 1.0 - p)
    bet = np.nan_to_num(ev, nan=-np.inf) >= pricing["min_ev"]
    kelly = np.where(bet, np.maximum((prob * dec - 1.0) / (dec - 1.0), 0.0), 0.0)
    stake = np.minimum(pricing["kelly_fraction"] * kelly, pricing["max_bet_fraction"])
    stake = np.minimum(stake, pricing["max_game_fraction"])
    day_total = pd.Series(stake, index=scored.index).groupby(scored["game_date"]).transform("sum")
    cap = pricing["max_daily_fraction"]
    stake = stake * np.where(day_total > cap + 1e-12, cap / day_total.clip(lower=1e-12), 1.0)
    actual = pd.to_numeric(scored["actual_total"], errors="coerce").to_numpy(dtype=np.float64)
    diff = actual - scored["bet_line"].to_numpy(dtype=np.float64)
    won = np.where(over, diff > 0, diff < 0)
    profit = np.where(diff == 0, 0.0, np.where(won, stake * (dec - 1.0), -stake))
    settled = np.isfinite(diff)
    close = pd.to_numeric(scored.get("close_prob_at_bet_line"), errors="coerce")
    close_side = np.where(over, close, 1.0 - close) if close is not None else np.nan
    at_open = (scored["bet_at"] == "open").to_numpy() if "bet_at" in scored else False
    return pd.DataFrame(
        {"side": np.where(bet, np.where(over, "over", "under"), None), "ev": ev,
         "stake": np.where(bet & settled, stake, 0.0),
         "profit": np.where(bet & settled, profit, 0.0),
         "clv": np.where(bet & at_open, close_side * dec - 1.0, np.nan)},
        index=scored.index,
    )  # fmt: skip


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Weighted mean |mean p - outcome rate| over `bins` equal-width probability bins."""
    if y.size == 0:
        return float("nan")
    idx = np.minimum((p * bins).astype(int), bins - 1)
    err = 0.0
    for b in np.unique(idx):
        m = idx == b
        err += m.sum() * abs(p[m].mean() - y[m].mean())
    return float(err / y.size)


def _metrics(scored: pd.DataFrame, bets: pd.DataFrame) -> dict[str, Any]:
    actual = pd.to_numeric(scored["actual_total"], errors="coerce").to_numpy(dtype=np.float64)
    line = scored["line"].to_numpy(dtype=np.float64)
    done = np.isfinite(actual)
    y = np.where(actual > line, 1.0, np.where(actual < line, 0.0, np.nan))
    market = pd.to_numeric(scored["market_prob_over"], errors="coerce").to_numpy(np.float64)
    both = np.isfinite(y) & np.isfinite(market)
    pm, pk, yy = scored["prob_over"].to_numpy()[both], market[both], y[both]
    staked = float(bets["stake"].sum())
    n_bets = int((bets["stake"] > 0).sum())
    return {
        "n": int(done.sum()),
        "n_decided": int(both.sum()),
        "n_push": int((done & ~np.isfinite(y)).sum()),
        "model_logloss": finite_or_none(log_loss(yy, pm)),
        "market_logloss": finite_or_none(log_loss(yy, pk)),
        "model_brier": finite_or_none(brier(yy, pm)),
        "market_brier": finite_or_none(brier(yy, pk)),
        "model_ece": finite_or_none(expected_calibration_error(yy, pm)),
        "market_ece": finite_or_none(expected_calibration_error(yy, pk)),
        "model_mae": finite_or_none(float(np.mean(np.abs(
            scored["predicted_total"].to_numpy()[done] - actual[done]))) if done.any() else None),
        "line_mae": finite_or_none(
            float(np.mean(np.abs(line[done] - actual[done]))) if done.any() else None),
        "n_bets": n_bets,
        "staked": staked,
        "profit": float(bets["profit"].sum()),
        "roi": finite_or_none(float(bets["profit"].sum()) / staked) if staked > 0 else None,
        "roi_reason": None if staked > 0 else "no bet cleared the EV threshold",
        **_clv(scored, bets),
    }  # fmt: skip


def _clv(scored: pd.DataFrame, bets: pd.DataFrame) -> dict[str, Any]:
    """Mean closing-line value of the bets taken at the open: the closing market's fair
    probability of the side taken times the decimal price taken, minus 1."""
    values = bets["clv"].to_numpy(dtype=np.float64)
    values = values[np.isfinite(values) & (bets["stake"].to_numpy() > 0)]
    if values.size:
        return {"clv": float(values.mean()), "clv_bets": int(values.size), "clv_reason": None}
    opened = "bet_at" in scored and (scored["bet_at"] == "open").any()
    return {"clv": None, "clv_bets": 0, "clv_reason": NO_OPEN_BET_CLV if opened else CLOSE_ONLY_CLV}


def _bootstrap(scored: pd.DataFrame, bets: pd.DataFrame, spec: BacktestSpec) -> dict[str, Any]:
    """Paired block bootstrap (blocks of `block_days` dates, fixed seed) of the log-loss
    difference (model - market) and of ROI; 95% percentile intervals, null when < 2 blocks."""
    actual = pd.to_numeric(scored["actual_total"], errors="coerce").to_numpy(dtype=np.float64)
    line = scored["line"].to_numpy(dtype=np.float64)
    y = np.where(actual > line, 1.0, np.where(actual < line, 0.0, np.nan))
    market = pd.to_numeric(scored["market_prob_over"], errors="coerce").to_numpy(np.float64)
    ok = np.isfinite(y) & np.isfinite(market)
    pm = np.clip(scored["prob_over"].to_numpy(dtype=np.float64), 1e-15, 1 - 1e-15)
    pk = np.clip(np.nan_to_num(market, nan=0.5), 1e-15, 1 - 1e-15)
    yy = np.nan_to_num(y)

    def nll(p):
        return -(yy * np.log(p) + (1 - yy) * np.log1p(-p))

    diff = np.where(ok, nll(pm) - nll(pk), 0.0)
    days = game_days(scored["game_date"])
    block = (days - days.min()).astype(int) // spec.block_days
    keys, inv = np.unique(block, return_inverse=True)
    sums = {name: np.bincount(inv, weights=w, minlength=keys.size) for name, w in (
        ("diff", diff), ("n", ok.astype(float)), ("profit", bets["profit"].to_numpy()),
        ("stake", bets["stake"].to_numpy()))}  # fmt: skip
    out = {"logloss_diff": finite_or_none(sums["diff"].sum() / max(sums["n"].sum(), 1)),
           "logloss_diff_ci": None, "roi_ci": None, "bootstrap_blocks": int(keys.size)}  # fmt: skip
    if keys.size < 2 or sums["n"].sum() == 0:
        return out
    rng = np.random.default_rng(spec.seed)
    pick = rng.integers(0, keys.size, size=(spec.bootstrap_samples, keys.size))
    with np.errstate(invalid="ignore", divide="ignore"):
        d = sums["diff"][pick].sum(1) / sums["n"][pick].sum(1)
        r = sums["profit"][pick].sum(1) / sums["stake"][pick].sum(1)
    out["logloss_diff_ci"] = _interval(d)
    out["roi_ci"] = _interval(r) if sums["stake"].sum() > 0 else None
    return out


def _interval(values: np.ndarray) -> list[float] | None:
    v = values[np.isfinite(values)]
    return [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] if v.size else None


def judge(metrics: dict[str, Any], boot: dict[str, Any]) -> tuple[bool, str]:
    """(edge, verdict sentence) from the bootstrap intervals."""
    diff, ci = boot["logloss_diff"], boot["logloss_diff_ci"]
    roi, roi_ci = metrics["roi"], boot["roi_ci"]
    roi_text = (
        f"; ROI {roi:+.3f} on {metrics['n_bets']} bets"
        + (f" (95% interval [{roi_ci[0]:+.3f}, {roi_ci[1]:+.3f}])" if roi_ci else "")
        if roi is not None
        else "; no bets"
    )
    if ci is None or diff is None:
        return False, (
            "no edge: too few scored dates or market probabilities to tell the model from "
            f"the market ({boot['bootstrap_blocks']} block(s) of dates)" + roi_text
        )
    body = f"(difference {diff:+.4f}, 95% interval [{ci[0]:+.4f}, {ci[1]:+.4f}])"
    if ci[1] < 0:
        return True, f"edge: the model's log loss beats the market's {body}" + roi_text
    if ci[0] > 0:
        return False, f"no edge: the market's log loss beats the model's {body}" + roi_text
    return False, f"no edge: the model's log loss is within noise of the market's {body}" + (
        roi_text
    )


def run_backtest(
    frame: pd.DataFrame,
    spec: BacktestSpec,
    *,
    config: TotalsConfig | None = None,
    fit: Callable[[pd.DataFrame, TotalsConfig | None], TotalsModel] = fit_totals_model,
    progress: Progress | None = None,
) -> BacktestResult:
    """Walk forward, bet, measure and judge. Every METRIC_KEYS key is present (null when it
    cannot apply, with a `*_reason`)."""
    scored, steps = walk_forward(frame, spec, config=config, fit=fit, progress=progress)
    bets = place_bets(scored, spec.pricing)
    metrics = _metrics(scored, bets)
    boot = _bootstrap(scored, bets, spec)
    edge, verdict = judge(metrics, boot)
    return BacktestResult(metrics, scored.join(bets), steps, edge, verdict, boot)


def date_range_text(start: date, end: date) -> str:
    return f"{start}..{end} ({(end - start + timedelta(days=1)).days} days)"
