"""propcast.models on synthetic props whose true P(Over) is known: real LightGBM, no warehouse.

The stated world (`make_world`):
- player i has skill s_i ~ LogNormal(log 14, 0.45) points per game and plays a date w.p. 0.55;
- per player-game: home ~ Bernoulli(0.5), rest_days in {1,2,3,4} (p .25/.45/.2/.1),
  opp_allowed ~ N(0, 1); true mean mu = s_i * exp(0.08 home - 0.12 [rest_days == 1]
  + 0.10 opp_allowed); points ~ NegBin(mean mu, dispersion 6);
- observed features: pts_avg_10 = s_i * exp(N(0, 0.08)) (5 % missing), home, rest_days,
  opp_allowed, line_move = 0.3 log(mu / mu_m) + N(0, 0.05);
- the market believes mu_m = pts_avg_10 * exp(0.04 home + 0.05 opp_allowed + N(0, 0.06)): it
  under-weights context and is noisy; main line floor(mu_m) + 0.5, half the players also get an
  alternate line +-2; market_prob_over = expit(logit(P_mu_m(Over)) + N(0, 0.35)) (de-vigged,
  deliberately noisy), books_quoting ~ 1 + Poisson(1.5). true_p_over = P_mu(points > line)
  exactly.

`model` is the default predictor (negative-binomial distribution around the mean regressor,
stacked with the market's consensus); `isotonic_model` and `platt_model` the original one (the
Over classifier, calibrated), which registered models may still use.
"""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import duckdb
import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, logit
from scipy.stats import nbinom

from propcast.models import (
    REGISTRY_COLUMNS,
    Calibrator,
    FallbackPredictions,
    ModelLoadError,
    TrainConfig,
    TrainedModel,
    check_not_fallback,
    fit_calibrator,
    model_from_registry_row,
    score_lines,
    train_prop_model,
)
from propcast.models.calibration import (
    STACK_DISTRIBUTION,
    STACK_MARKET,
    Stacker,
    calibrator_from_json,
    fit_stacker,
)
from propcast.models.distribution import (
    consensus_prob_over,
    fit_dispersion,
    implied_mean,
    prob_over,
)
from propcast.models.labelled import calibration_date_count, labelled_rows
from propcast.models.metrics import log_loss
from propcast.models.train import TRAINING_PHASES
from propcast.models.trained import canonical_json, make_model_version, model_content_hash

OUTPUTS = ("prob_over", "predicted_mean", "model_version", "train_end")
FEATURES = ["pts_avg_10", "home", "rest_days", "opp_allowed", "line_move"]
START = date(2026, 1, 1)
DISPERSION = 6.0
N_DATES = 100
TRAIN_END = START + timedelta(days=69)  # 70 dates to learn from, 30 later dates held out


def nb_sf(line: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """P(points > line) for NegBin(mean mu, dispersion 6)."""
    return nbinom.sf(np.floor(line), DISPERSION, DISPERSION / (DISPERSION + mu))


def make_world(
    seed: int = 11, n_players: int = 600, n_dates: int = N_DATES, market_noise: float = 0.35
) -> pd.DataFrame:
    """One row per offered line, with `true_p_over`/`true_mean` (which models never see)."""
    rng = np.random.default_rng(seed)
    skill = rng.lognormal(math.log(14.0), 0.45, n_players)
    plays = rng.random((n_dates, n_players)) < 0.55
    day_idx, player = np.nonzero(plays)
    n = day_idx.size
    home = rng.integers(0, 2, n)
    rest = rng.choice([1, 2, 3, 4], n, p=[0.25, 0.45, 0.2, 0.1])
    opp = rng.normal(0.0, 1.0, n)
    mu = skill[player] * np.exp(0.08 * home - 0.12 * (rest == 1) + 0.10 * opp)
    avg = skill[player] * np.exp(rng.normal(0.0, 0.08, n))
    mu_m = avg * np.exp(0.04 * home + 0.05 * opp + rng.normal(0.0, 0.06, n))
    move = 0.3 * np.log(mu / mu_m) + rng.normal(0.0, 0.05, n)
    points = rng.negative_binomial(DISPERSION, DISPERSION / (DISPERSION + mu)).astype(float)
    avg_seen = np.where(rng.random(n) < 0.05, np.nan, avg)
    main = np.floor(mu_m) + 0.5
    alt = rng.random(n) < 0.5
    alt_line = np.maximum(0.5, main + rng.choice([-2.0, 2.0], n))
    # Rows: every main line, plus the alternates.
    idx = np.concatenate([np.arange(n), np.flatnonzero(alt)])
    line = np.concatenate([main, alt_line[alt]])
    p_market = nb_sf(line, mu_m[idx])
    p_market = expit(
        logit(np.clip(p_market, 1e-4, 1 - 1e-4)) + rng.normal(0, market_noise, idx.size)
    )
    dates = np.datetime64(START.isoformat(), "D") + day_idx[idx]
    frame = pd.DataFrame(
        {
            "game_date": pd.to_datetime(dates).astype("datetime64[us]"),  # as dbt gives DATEs
            "game_id": [
                f"g{d:03d}_{p // 2:03d}" for d, p in zip(day_idx[idx], player[idx], strict=True)
            ],
            "player_id": player[idx].astype(np.int64),
            "market": "player_points",
            "line": line,
            "market_prob_over": p_market,
            "stat_value": points[idx],
            "pts_avg_10": avg_seen[idx],
            "home": home[idx],
            "rest_days": rest[idx],
            "opp_allowed": opp[idx],
            "line_move": move[idx],
            "books_quoting": 1 + rng.poisson(1.5, idx.size),
            "true_p_over": nb_sf(line, mu[idx]),
            "true_mean": mu[idx],
        }
    )
    return frame.sort_values(["game_date", "game_id", "player_id", "line"]).reset_index(drop=True)


def config(**overrides: object) -> TrainConfig:
    base: dict[str, object] = {
        "market_family": "player_points",
        "feature_columns": FEATURES,
        "train_end": TRAIN_END,
        "calibration_days": 14,
        "validation_days": 14,
        "seed": 7,
    }
    base.update(overrides)
    return TrainConfig(**base)  # type: ignore[arg-type]


def later(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["game_date"] > pd.Timestamp(TRAIN_END)].reset_index(drop=True)


def went_over(frame: pd.DataFrame) -> np.ndarray:
    return (frame["stat_value"] > frame["line"]).to_numpy(dtype=float)


@pytest.fixture(scope="module")
def world() -> pd.DataFrame:
    return make_world()


@pytest.fixture(scope="module")
def model(world: pd.DataFrame) -> TrainedModel:
    return train_prop_model(world, config())


@pytest.fixture(scope="module")
def isotonic_model(world: pd.DataFrame) -> TrainedModel:
    return train_prop_model(world, config(calibration="isotonic"))


@pytest.fixture(scope="module")
def platt_model(world: pd.DataFrame) -> TrainedModel:
    return train_prop_model(world, config(calibration="platt"))


@pytest.fixture(scope="module")
def scored(model: TrainedModel, world: pd.DataFrame) -> pd.DataFrame:
    return score_lines(model, later(world))


# ---------------------------------------------------------------- predictions carry the signal


def test_predictions_vary_and_beat_market_and_coin_on_later_dates(
    world: pd.DataFrame, scored: pd.DataFrame
) -> None:
    held = later(world)
    y = went_over(held)
    ll_model = log_loss(y, scored["prob_over"].to_numpy())
    ll_market = log_loss(y, held["market_prob_over"].to_numpy())
    ll_truth = log_loss(y, held["true_p_over"].to_numpy())
    assert len(held) > 5000
    assert scored["prob_over"].std() >= 0.02
    assert ll_truth < ll_model < ll_market - 0.005, (ll_truth, ll_model, ll_market)
    assert ll_model < math.log(2) - 0.01
    assert scored["prob_over"].between(0.001, 0.999).all()


def test_validation_metrics_are_recorded_and_favour_the_model(model: TrainedModel) -> None:
    m = model.metrics
    assert m["validation_rows"] == model.validation_rows > 0
    assert m["log_loss_model"] < m["log_loss_market"] < m["log_loss_constant_0_5"] + 1e-9
    assert m["brier_model"] < m["brier_market"]
    assert m["log_loss_constant_0_5"] == pytest.approx(math.log(2))
    assert m["brier_constant_0_5"] == pytest.approx(0.25)
    assert 0.5 < m["auc_model"] <= 1
    assert 0 < m["mae_predicted_mean"] < 8
    # Validation is the last 14 dates up to train_end; calibration the 14 before.
    assert m["validation_end"] == TRAIN_END.isoformat()
    assert m["validation_start"] == (TRAIN_END - timedelta(days=13)).isoformat()
    assert m["calibration_end"] == (TRAIN_END - timedelta(days=14)).isoformat()
    assert model.train_start == START


def test_the_calibration_slice_grows_with_the_warehouse(world: pd.DataFrame) -> None:
    # Two seasons' dates calibrate on their last 20 % (the README's ECE measurement); a short
    # warehouse keeps calibration_days, so the dates training needs do not grow.
    assert config().calibration_share == 0.2
    assert calibration_date_count(330, config()) == 63
    assert calibration_date_count(29, config()) == calibration_date_count(86, config()) == 14
    assert calibration_date_count(87, config()) == 15
    assert calibration_date_count(330, config(calibration_share=0.0)) == 14
    with pytest.raises(ValueError, match="calibration_share must be in"):
        config(calibration_share=0.6)
    wide = train_prop_model(world, config(calibration_share=0.4)).metrics
    # 70 dates, 14 of validation: the last 40 % of the 56 before them, 22 dates.
    assert wide["calibration_end"] == (TRAIN_END - timedelta(days=14)).isoformat()
    assert wide["calibration_start"] == (TRAIN_END - timedelta(days=14 + 21)).isoformat()
    assert wide["train_dates"] == 56 - 22


def test_predicted_mean_tracks_true_mean(world: pd.DataFrame, scored: pd.DataFrame) -> None:
    held = later(world)
    pred = scored["predicted_mean"].to_numpy()
    assert np.corrcoef(pred, held["true_mean"])[0, 1] > 0.9
    assert abs(pred.mean() - held["true_mean"].mean()) < 0.5
    # Closer to the truth than to the noisy outcomes it was trained on.
    assert np.mean(np.abs(pred - held["true_mean"])) < 0.5 * np.mean(
        np.abs(pred - held["stat_value"])
    )


# ---------------------------------------------------------------- calibration


def reliability(prob: np.ndarray, truth: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(expected calibration error vs truth, worst decile vs truth, worst decile vs outcomes)
    over deciles of the predicted probability."""
    edges = np.quantile(prob, np.linspace(0, 1, 11))
    decile = np.clip(np.searchsorted(edges, prob, side="right") - 1, 0, 9)
    ece = worst_truth = worst_outcome = 0.0
    for b in np.unique(decile):
        sel = decile == b
        gap = abs(prob[sel].mean() - truth[sel].mean())
        ece += sel.mean() * gap
        worst_truth = max(worst_truth, gap)
        worst_outcome = max(worst_outcome, abs(prob[sel].mean() - y[sel].mean()))
    return ece, worst_truth, worst_outcome


@pytest.mark.parametrize("which", ["model", "isotonic_model", "platt_model"])
def test_calibrated_probabilities_are_reliable_on_later_dates(
    which: str, request: pytest.FixtureRequest, world: pd.DataFrame
) -> None:
    trained: TrainedModel = request.getfixturevalue(which)
    held = later(world)
    prob = score_lines(trained, held)["prob_over"].to_numpy()
    truth = held["true_p_over"].to_numpy()
    y = went_over(held)
    ece, worst_truth, worst_outcome = reliability(prob, truth, y)
    assert ece < 0.02, ece
    assert worst_truth < 0.05, worst_truth  # against the known truth (precise)
    assert worst_outcome < 0.07, worst_outcome  # against outcomes (what a user can check)
    assert trained.calibrator.method == trained.config.calibration


def test_calibration_fixes_a_miscalibrated_score() -> None:
    rng = np.random.default_rng(3)
    truth = rng.uniform(0.05, 0.95, 20000)
    y = (rng.random(truth.size) < truth).astype(float)
    raw = expit(2.5 * logit(truth) + 0.4)  # over-confident and biased
    for method in ("isotonic", "platt"):
        cal = fit_calibrator(method, raw, y)  # type: ignore[arg-type]
        err = np.abs(cal.apply(raw) - truth).mean()
        assert err < 0.03, (method, err)
        assert np.abs(raw - truth).mean() > 0.08


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(st.tuples(st.floats(0.0, 1.0), st.booleans()), min_size=4, max_size=300).filter(
        lambda rows: len({o for _, o in rows}) == 2
    ),
    method=st.sampled_from(["isotonic", "platt"]),
    bin_rows=st.integers(1, 30),
)
def test_calibrator_is_monotone_bounded_and_round_trips(
    data: list[tuple[float, bool]], method: str, bin_rows: int
) -> None:
    raw = np.array([p for p, _ in data])
    y = np.array([float(o) for _, o in data])
    cal = fit_calibrator(method, raw, y, bin_rows=bin_rows)  # type: ignore[arg-type]
    grid = np.linspace(-0.1, 1.1, 241)  # beyond [0, 1] too: out-of-bounds values are clipped
    out = cal.apply(grid)
    assert np.all((out >= 0) & (out <= 1))
    assert np.all(np.diff(out) >= -1e-12)
    again = Calibrator.from_json(cal.to_json())
    assert again == cal
    assert np.array_equal(again.apply(grid), out)


def test_isotonic_json_matches_sklearn_thresholds() -> None:
    rng = np.random.default_rng(5)
    raw = rng.random(500)
    y = (rng.random(500) < raw).astype(float)
    body = json.loads(fit_calibrator("isotonic", raw, y, bin_rows=1).to_json())
    assert body["method"] == "isotonic"
    assert len(body["X_thresholds_"]) == len(body["y_thresholds_"]) > 1
    body = json.loads(fit_calibrator("platt", raw, y).to_json())
    assert set(body) == {"method", "coef", "intercept", "fitted_rows"}
    assert body["coef"] > 0


# ---------------------------------------------------------------- distribution and stacking


def test_negative_binomial_prices_lines_like_scipy_and_conditions_on_no_push() -> None:
    mean = np.array([4.0, 15.0, 15.0, 30.0])
    line = np.array([3.5, 14.5, 15.0, 35.5])
    phi = 2.2
    n, p = mean / (phi - 1), 1 / phi
    got = prob_over(mean, line, phi)
    half = nbinom.sf(np.floor(line), n, p)
    assert np.allclose(got[[0, 1, 3]], half[[0, 1, 3]])
    # Integer line 15: P(X > 15) / (1 - P(X = 15)), like labels that drop pushes.
    assert got[2] == pytest.approx(half[2] / (1 - nbinom.pmf(15, n[2], p)))
    # Var = phi * mean.
    assert nbinom.var(n, p) == pytest.approx(phi * mean)


@settings(max_examples=40, deadline=None)
@given(
    mean=st.floats(0.5, 45.0),
    offset=st.sampled_from([-6.5, -2.5, -0.5, 0.5, 1.5, 4.5]),
    phi=st.floats(1.05, 5.0),
)
def test_implied_mean_inverts_the_distribution(mean: float, offset: float, phi: float) -> None:
    line = np.array([max(0.5, round(mean) + offset)])
    q = prob_over(np.array([mean]), line, phi)
    if not 1e-5 < q[0] < 1 - 1e-5:
        return  # beyond the clip: nothing to invert
    back = implied_mean(line, q, phi)
    assert prob_over(back, line, phi)[0] == pytest.approx(q[0], abs=1e-7)
    assert back[0] == pytest.approx(mean, rel=1e-4)
    assert np.isnan(implied_mean(line, np.array([np.nan]), phi)[0])


def test_dispersion_is_recovered_by_maximum_likelihood() -> None:
    rng = np.random.default_rng(4)
    mean = rng.uniform(5, 30, 20000)
    phi = 2.2
    stat = rng.negative_binomial(mean / (phi - 1), 1 / phi)
    assert fit_dispersion(mean, stat) == pytest.approx(phi, rel=0.03)
    # Means that are off inflate it: the predictive distribution widens.
    noisy = mean * np.exp(rng.normal(0, 0.2, mean.size))
    assert fit_dispersion(noisy, stat) > phi + 0.3
    with pytest.raises(ValueError, match="non-negative count"):
        fit_dispersion(mean[:3], np.array([1.0, -1.0, 2.5]))


def test_market_consensus_pools_the_lines_of_a_player_game() -> None:
    phi = 2.2
    # Player a: books put him at 20 (line 19.5, 3 books) and 21 (line 20.5, 1 book).
    # Player b: one line; player c: no market probability at all.
    frame = pd.DataFrame(
        {
            "game_id": ["g", "g", "g", "g"],
            "player_id": ["a", "a", "b", "c"],
            "market": ["player_points"] * 4,
            "line": [19.5, 20.5, 11.5, 8.5],
            "books_quoting": [3, 1, 2, 1],
        }
    )
    means = np.array([20.0, 21.0, 12.0, np.nan])
    frame["market_prob_over"] = np.where(
        np.isnan(means), np.nan, prob_over(np.nan_to_num(means, nan=1.0), frame["line"], phi)
    )
    got = consensus_prob_over(frame, "market_prob_over", phi, weight_column="books_quoting")
    pooled = np.exp((3 * np.log(20.0) + np.log(21.0)) / 4)
    assert got[:2] == pytest.approx(prob_over(np.array([pooled] * 2), frame["line"][:2], phi))
    assert got[2] == pytest.approx(frame["market_prob_over"][2])  # one line: its own price
    assert np.isnan(got[3])
    equal = consensus_prob_over(frame, "market_prob_over", phi)
    assert equal[0] > got[0]  # equal weights lean to the one-book line at 21
    # Row order changes nothing, to the last bit.
    order = [3, 1, 2, 0]
    again = consensus_prob_over(
        frame.iloc[order], "market_prob_over", phi, weight_column="books_quoting"
    )
    assert np.array_equal(again, got[order], equal_nan=True)


def test_stacker_round_trips_and_handles_rows_without_market() -> None:
    rng = np.random.default_rng(8)
    n = 4000
    truth = rng.normal(0, 0.5, n)
    dist = truth + rng.normal(0, 0.8, n)
    market = truth + rng.normal(0, 0.4, n)
    y = (rng.random(n) < expit(truth)).astype(float)
    has = rng.random(n) < 0.9
    logits = {STACK_DISTRIBUTION: dist, STACK_MARKET: np.where(has, market, np.nan)}
    stacker = fit_stacker(logits, has, y, dispersion=2.5, model_inputs=[STACK_DISTRIBUTION])
    assert stacker.inputs == (STACK_DISTRIBUTION, STACK_MARKET)
    assert stacker.no_market_inputs == (STACK_DISTRIBUTION,)
    assert all(c > 0 for c in stacker.coef)
    assert stacker.coef[1] > stacker.coef[0]  # the sharper source weighs more
    again = calibrator_from_json(stacker.to_json())
    assert again == stacker and isinstance(again, Stacker)
    p = stacker.apply(logits, has)
    assert np.isfinite(p).all() and np.array_equal(again.apply(logits, has), p)
    # Without a market a row uses the model-only regression.
    only = expit(stacker.no_market_intercept + stacker.no_market_coef[0] * dist)
    assert np.allclose(p[~has], only[~has])
    # A model with no input of its own is the base rate, never the market relabelled.
    flat = fit_stacker(logits, has, y, dispersion=2.5, model_inputs=[])
    assert flat.inputs == () and np.ptp(flat.apply(logits, has)) == 0
    assert expit(flat.intercept) == pytest.approx(y.mean())
    with pytest.raises(ValueError, match="invalid stacker"):
        Stacker.from_json(stacker.to_json().replace('"dispersion":2.5', '"dispersion":0.5'))


def test_stacked_model_weighs_its_distribution_and_the_market(model: TrainedModel) -> None:
    stacker = model.calibrator
    assert isinstance(stacker, Stacker)
    assert stacker.inputs == (STACK_DISTRIBUTION, STACK_MARKET)
    assert all(c > 0 for c in stacker.coef)
    m = model.metrics
    assert m["dispersion"] == stacker.dispersion > 1
    assert m["boosters_learnt"] == {"mean": True, "over": True}
    # Each source alone is scored too; the stack beats the market and the raw distribution.
    assert m["log_loss_model"] < min(m["log_loss_market"], m["log_loss_distribution"])
    assert m["log_loss_market_consensus"] < m["log_loss_constant_0_5"]


def test_a_model_that_learnt_nothing_predicts_a_constant(world: pd.DataFrame) -> None:
    """Single-leaf trees: no signal of its own, so no market echo either; the guard refuses."""
    degenerate = train_prop_model(world, config(min_data_in_leaf=1_000_000))
    assert degenerate.metrics["boosters_learnt"] == {"mean": False, "over": False}
    scored = score_lines(degenerate, later(world))
    assert scored["prob_over"].std() < 1e-12
    with pytest.raises(FallbackPredictions, match="constant"):
        check_not_fallback(scored, market_prob_column="market_prob_over")


def test_registry_rows_of_the_original_predictor_still_load(
    isotonic_model: TrainedModel, world: pd.DataFrame
) -> None:
    """A row registered before stacking existed: params without the new keys, isotonic."""
    row = isotonic_model.registry_row()
    params = json.loads(row["params"])
    for key in ("stack_classifier", "consensus_weight_column"):
        params.pop(key)
    params_json = canonical_json(params)
    content = model_content_hash(
        params_json, row["booster_over"], row["booster_mean"], row["calibrator"]
    )
    old = {
        **row,
        "params": params_json,
        "model_version": make_model_version("player_points", TRAIN_END, content),
    }
    loaded = model_from_registry_row(old)
    rows = later(world).head(500).drop(columns=["books_quoting"])
    assert np.array_equal(
        score_lines(loaded, rows)["prob_over"].to_numpy(),
        score_lines(isotonic_model, rows)["prob_over"].to_numpy(),
    )


# ---------------------------------------------------------------- determinism and registry


def test_training_is_deterministic_and_independent_of_row_order(
    world: pd.DataFrame, model: TrainedModel
) -> None:
    shuffled = world.sample(frac=1.0, random_state=1)  # a SQL table has no row order
    again = train_prop_model(shuffled, config())
    assert again.booster_over_string == model.booster_over_string
    assert again.booster_mean_string == model.booster_mean_string
    assert again.calibrator == model.calibrator
    assert again.model_version == model.model_version
    assert again.model_version.startswith(f"player_points-{TRAIN_END:%Y%m%d}-")


def test_registry_row_has_plain_types_and_round_trips_exactly(
    model: TrainedModel, world: pd.DataFrame, scored: pd.DataFrame
) -> None:
    row = model.registry_row(created_for_run_date=TRAIN_END + timedelta(days=1))
    assert tuple(row) == REGISTRY_COLUMNS
    for key, value in row.items():
        assert isinstance(value, (str, int, date)) and not isinstance(value, bool), key
    text = json.dumps(row, default=date.isoformat)  # JSON-serialisable except dates
    assert json.loads(row["feature_columns"]) == FEATURES
    assert json.loads(row["params"])["calibration"] == "stack"
    assert json.loads(row["metrics"])["log_loss_model"] == model.metrics["log_loss_model"]
    assert json.loads(row["calibrator"])["method"] == "stack"
    assert "pickle" not in text
    assert (
        row["trained_rows"] + row["calibration_rows"] + row["validation_rows"]
        == (world["game_date"] <= pd.Timestamp(TRAIN_END)).sum()
    )

    loaded = model_from_registry_row(row)
    again = score_lines(loaded, later(world))
    assert np.array_equal(again["prob_over"].to_numpy(), scored["prob_over"].to_numpy())
    assert np.array_equal(again["predicted_mean"].to_numpy(), scored["predicted_mean"].to_numpy())
    assert loaded.model_version == model.model_version
    assert loaded.registry_row(row["created_for_run_date"]) == row


@pytest.mark.parametrize("which", ["model", "isotonic_model", "platt_model"])
def test_registry_row_survives_a_duckdb_table(
    which: str, request: pytest.FixtureRequest, world: pd.DataFrame
) -> None:
    """The production path: dbt writes the row, a later run reads it back with `.df()`."""
    model: TrainedModel = request.getfixturevalue(which)
    con = duckdb.connect()
    registry = pd.DataFrame([model.registry_row(TRAIN_END + timedelta(days=1))])
    con.register("registry_frame", registry)
    con.execute("create table ml_model_registry as select * from registry_frame")
    types = dict(
        con.execute("select column_name, column_type from (describe ml_model_registry)").fetchall()
    )
    assert types["train_end"] == "DATE" and types["created_for_run_date"] == "DATE"
    assert types["trained_rows"] == "BIGINT" and types["booster_over"] == "VARCHAR"
    back = con.execute("select * from ml_model_registry").df().iloc[0].to_dict()
    loaded = model_from_registry_row(back)
    rows = later(world).head(500)
    assert np.array_equal(
        score_lines(loaded, rows)["prob_over"].to_numpy(),
        score_lines(model, rows)["prob_over"].to_numpy(),
    )


def test_tampered_or_incomplete_registry_rows_are_refused(model: TrainedModel) -> None:
    row = model.registry_row()
    lines = row["booster_over"].split("\n")
    leaf = next(i for i, line in enumerate(lines) if line.startswith("leaf_value="))
    values = lines[leaf].split("=")[1].split(" ")
    values[0] = repr(float(values[0]) + 0.5)
    lines[leaf] = "leaf_value=" + " ".join(values)
    with pytest.raises(ModelLoadError, match="content hash"):
        model_from_registry_row({**row, "booster_over": "\n".join(lines)})
    with pytest.raises(ModelLoadError, match="content hash"):
        model_from_registry_row({**row, "calibrator": '{"method":"platt","coef":1,"intercept":0}'})
    with pytest.raises(ModelLoadError, match="booster_mean"):
        model_from_registry_row({k: v for k, v in row.items() if k != "booster_mean"})
    with pytest.raises(ModelLoadError, match="train_end"):
        model_from_registry_row({**row, "train_end": TRAIN_END + timedelta(days=1)})
    with pytest.raises(ModelLoadError, match="JSON"):
        model_from_registry_row({**row, "params": "not json"})


def test_boosters_use_the_documented_features(model: TrainedModel) -> None:
    over = lgb.Booster(model_str=model.booster_over_string)
    mean = lgb.Booster(model_str=model.booster_mean_string)
    assert over.feature_name() == [*FEATURES, "line", "market_prob_over"]
    assert mean.feature_name() == FEATURES
    params = json.loads(model.registry_row()["params"])
    assert params["lightgbm_over"]["deterministic"] is True
    assert params["lightgbm_over"]["num_threads"] == 1
    assert params["lightgbm_mean"]["objective"] == "poisson"


# ---------------------------------------------------------------- time ordering


def test_rows_after_train_end_never_reach_training(
    world: pd.DataFrame, model: TrainedModel
) -> None:
    corrupt = world.copy()
    after = corrupt["game_date"] > pd.Timestamp(TRAIN_END)
    rng = np.random.default_rng(0)
    corrupt.loc[after, "stat_value"] = (
        rng.permutation(corrupt.loc[after, "stat_value"].to_numpy()) * 7
    )
    corrupt.loc[after, "market_prob_over"] = 0.5
    corrupt.loc[after, "pts_avg_10"] = -1.0
    again = train_prop_model(corrupt, config())
    assert again.model_version == model.model_version
    assert again.booster_over_string == model.booster_over_string
    assert again.metrics == model.metrics


def test_scoring_refuses_dates_the_model_trained_on(
    model: TrainedModel, world: pd.DataFrame
) -> None:
    rows = world[world["game_date"] >= pd.Timestamp(TRAIN_END - timedelta(days=1))].head(3000)
    with pytest.raises(ValueError, match=r"train_end 2026-03-11.*2026-03-10, 2026-03-11"):
        score_lines(model, rows)
    allowed = score_lines(model, rows, require_future=False)  # explicit, for backtests
    assert len(allowed) == len(rows)


def test_scored_rows_carry_keys_version_and_dates(
    model: TrainedModel, world: pd.DataFrame, scored: pd.DataFrame
) -> None:
    held = later(world)
    assert list(scored.columns[:5]) == ["game_date", "game_id", "player_id", "market", "line"]
    assert list(scored.columns[-4:]) == [*OUTPUTS]
    # Every other passed column comes through untouched.
    assert {"market_prob_over", "pts_avg_10", "true_p_over"} <= set(scored.columns)
    assert len(scored) == len(held)
    assert (scored["model_version"] == model.model_version).all()
    assert all(isinstance(d, date) for d in scored["game_date"].head())
    assert (scored["train_end"] < scored["game_date"]).all()
    assert (scored["game_id"].to_numpy() == held["game_id"].to_numpy()).all()


def test_scoring_errors_are_specific(model: TrainedModel, world: pd.DataFrame) -> None:
    rows = later(world).head(50)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['rest_days', 'line_move'\]"):
        score_lines(model, rows.drop(columns=["rest_days", "line_move"]))
    with pytest.raises(ValueError, match=r"missing column\(s\) \['books_quoting'\]"):
        score_lines(model, rows.drop(columns=["books_quoting"]))  # the consensus weight
    with pytest.raises(ValueError, match="player_rebounds"):
        score_lines(model, rows.assign(market="player_rebounds"))
    with pytest.raises(ValueError, match="non-numeric feature column"):
        score_lines(model, rows.assign(home="yes"))
    empty = score_lines(model, rows.head(0))
    assert len(empty) == 0 and "prob_over" in empty.columns


# ---------------------------------------------------------------- input checks


def test_training_errors_name_the_counts(world: pd.DataFrame) -> None:
    few = world[world["game_date"] <= pd.Timestamp(START + timedelta(days=20))]
    with pytest.raises(ValueError, match=r"21 distinct game dates.*need at least 29"):
        train_prop_model(few, config(train_end=START + timedelta(days=20)))
    thin = world[world["player_id"] < 3]
    with pytest.raises(ValueError, match=r"training slice has \d+ rows \(< 200\)"):
        train_prop_model(thin, config())
    with pytest.raises(ValueError, match=r"missing column\(s\) \['opp_allowed'\]"):
        train_prop_model(world.drop(columns=["opp_allowed"]), config())
    with pytest.raises(ValueError, match="calibration must be"):
        config(calibration="beta")
    with pytest.raises(ValueError, match="may not include"):
        config(feature_columns=[*FEATURES, "stat_value"])


def test_labelled_rows_drop_pushes_other_markets_and_unplayed() -> None:
    d = pd.Timestamp(START)
    rows = pd.DataFrame(
        {
            "game_date": [d, d, d, d, d + pd.Timedelta(days=5)],
            "game_id": ["g"] * 5,
            "player_id": [1, 2, 3, 4, 5],
            "market": [
                "player_points",
                "player_points",
                "player_points",
                "player_assists",
                "player_points",
            ],
            "line": [20.0, 20.5, 20.5, 5.5, 20.5],
            "market_prob_over": [0.5] * 5,
            "stat_value": [20.0, 25.0, np.nan, 9.0, 30.0],
            "books_quoting": [2] * 5,
            "x": [1.0] * 5,
        }
    )
    cfg = TrainConfig("player_points", ["x"], START + timedelta(days=1))
    kept, counts = labelled_rows(rows, cfg)
    assert kept["player_id"].tolist() == [2]
    assert kept["went_over"].tolist() == [1]
    assert counts == {
        "input_rows": 5,
        "other_market_rows": 1,
        "after_train_end_rows": 1,
        "unlabelled_rows": 1,
        "push_rows": 1,
        "labelled_rows": 1,
    }


def test_training_order_is_canonical_when_business_keys_tie() -> None:
    """Rows tying on (date, game, player, market, line) — a duplicated warehouse row, or a
    frame whose join fanned out — are ordered by their values (NaN last), so any input order
    labels the same rows in the same order: the order a plain sort on every column gives."""
    world = make_world(n_players=40, n_dates=12)
    rng = np.random.default_rng(3)
    twins = world.sample(300, random_state=1)
    twins["pts_avg_10"] = np.where(
        rng.random(300) < 0.3, np.nan, twins["pts_avg_10"] + rng.choice([-1.0, 1.0], 300)
    )
    rows = pd.concat([world, twins, twins.head(40)], ignore_index=True)
    cfg = config(train_end=START + timedelta(days=11))
    kept, _ = labelled_rows(rows, cfg)
    again, _ = labelled_rows(rows.sample(frac=1.0, random_state=2), cfg)
    keys = ["game_date", "game_id", "player_id", "market", "line"]
    assert kept[keys].duplicated().sum() >= 300  # the ties are there
    values = ["market_prob_over", "stat_value", *FEATURES]
    # (Exact copies keep their input order among themselves: their index labels may swap.)
    plain = kept.drop(columns="_pos").reset_index(drop=True)
    assert again.drop(columns="_pos").reset_index(drop=True).equals(plain)
    expected = (
        rows.astype({"game_id": "string", "player_id": "string", "market": "string"})
        .sort_values([*keys, *values], kind="stable")
        .index.to_numpy()
    )
    assert (kept.index.to_numpy() == expected).all()


def test_training_times_each_phase() -> None:
    world = make_world(n_players=150, n_dates=40)
    timings: dict[str, float] = {}
    trained = train_prop_model(
        world, config(train_end=START + timedelta(days=35), validation_days=7), timings=timings
    )
    assert list(timings) == list(TRAINING_PHASES)  # every phase, in the order it ran
    assert all(seconds >= 0 for seconds in timings.values())
    assert timings["boost_mean"] > 0 and timings["validate"] > 0
    assert trained.metrics["train_dates"] == 36 - 7 - 14


# ---------------------------------------------------------------- fallback guard


def slate(
    prob: np.ndarray, market: np.ndarray | None = None, day: date = date(2026, 4, 20)
) -> pd.DataFrame:
    frame = pd.DataFrame({"game_date": [day] * len(prob), "prob_over": prob})
    if market is not None:
        frame["market_prob_over"] = market
    return frame


def test_guard_refuses_all_half() -> None:
    market = np.random.default_rng(1).uniform(0.3, 0.7, 200)
    with pytest.raises(FallbackPredictions, match=r"\[all_half\].*game_date 2026-04-20") as info:
        check_not_fallback(slate(np.full(200, 0.5), market), market_prob_column="market_prob_over")
    assert info.value.rule == "all_half"
    assert "market_prob_over is not flat" in str(info.value)
    # 92 % at 0.5 and the rest spread out: the standard deviation alone would not catch it.
    prob = np.where(np.arange(200) < 184, 0.5, np.linspace(0.1, 0.9, 200))
    assert prob.std() > 0.005
    with pytest.raises(FallbackPredictions, match=r"all_half.*92\.0%"):
        check_not_fallback(slate(prob))


def test_guard_refuses_zero_rows() -> None:
    with pytest.raises(FallbackPredictions, match="zero_rows") as info:
        check_not_fallback(slate(np.array([])))
    assert info.value.rule == "zero_rows"
    with pytest.raises(FallbackPredictions, match=r"zero_rows.*game_date 2026-04-21"):
        check_not_fallback(slate(np.full(50, 0.4)), run_date=date(2026, 4, 21))


def test_guard_refuses_a_constant_other_than_half() -> None:
    market = np.random.default_rng(2).uniform(0.3, 0.7, 300)
    with pytest.raises(
        FallbackPredictions, match=r"\[constant\].*2026-04-20: std 0\.00000 < 0\.005"
    ):
        check_not_fallback(slate(np.full(300, 0.62), market), market_prob_column="market_prob_over")
    with pytest.raises(FallbackPredictions, match="constant"):
        check_not_fallback(slate(np.full(300, 0.62)))


def test_guard_allows_flat_predictions_when_the_market_is_flat() -> None:
    prob = 0.5 + np.random.default_rng(3).normal(0, 0.0003, 300)
    stats = check_not_fallback(
        slate(prob, np.full(300, 0.5)), market_prob_column="market_prob_over"
    )
    assert stats["market_flat"] is True and stats["rows"] == 300
    # Without the market to excuse it, the same output is a fallback.
    with pytest.raises(FallbackPredictions):
        check_not_fallback(slate(prob))


def test_guard_passes_a_good_model_and_reports_stats(scored: pd.DataFrame) -> None:
    stats = check_not_fallback(scored, market_prob_column="market_prob_over")
    assert stats["rows"] == len(scored)
    assert stats["prob_std"] >= 0.02
    assert stats["share_near_half"] < 0.5
    assert stats["market_flat"] is False
    assert len(stats["dates"]) == 30


def test_guard_checks_each_date_and_invalid_values(scored: pd.DataFrame) -> None:
    broken = scored.copy()
    last = broken["game_date"] == broken["game_date"].max()
    broken.loc[last, "prob_over"] = 0.5  # one date of a backfill fell back
    with pytest.raises(FallbackPredictions, match=r"all_half.*game_date 2026-04-10"):
        check_not_fallback(broken, market_prob_column="market_prob_over")
    broken = scored.copy()
    broken.loc[3, "prob_over"] = np.nan
    with pytest.raises(FallbackPredictions, match="invalid"):
        check_not_fallback(broken)
    # A tiny slate is too small for a spread, but all-0.5 is still refused.
    with pytest.raises(FallbackPredictions, match="all_half"):
        check_not_fallback(slate(np.full(3, 0.5)))
    check_not_fallback(slate(np.array([0.41, 0.41, 0.41])))
    # One game's total priced at an honest 0.5009 (the NHL demo, 2026-10-18): not a fallback;
    # the same slate at exactly 0.5 is.
    check_not_fallback(slate(np.array([0.5009]), np.array([0.46])), "market_prob_over")
    with pytest.raises(FallbackPredictions, match="all_half"):
        check_not_fallback(slate(np.array([0.5]), np.array([0.46])), "market_prob_over")
