"""Held-out log loss of the predictor on a built demo home: model, market, 0.5 and the truth.

    .venv/bin/python bench/predictor_holdout.py /tmp/m_home               # what the demo scored
    .venv/bin/python bench/predictor_holdout.py /tmp/m_home --train-end 2026-09-09 \\
        --override '{"calibration": "isotonic"}'                         # retrain offline

Without --train-end it reads `fct_predictions` (the demo's walk-forward). With it, it trains
`propcast.models.train_prop_model` on `fct_prop_line_features` through that date (features from
python_models/_python_models__models.yml, TrainConfig overrides as JSON) and scores every later
date in memory — seconds instead of a demo. Rows: settled, not pushes, with a market
probability (as fct_forecast_accuracy_daily). The world's truth (`world/truth/prop_truth.csv`)
is joined here only, for evaluation; no model ever reads it.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

from propcast.models import TrainConfig, score_lines, train_prop_model
from propcast.models.metrics import log_loss

ROOT = Path(__file__).resolve().parents[1]
KEYS = ["game_id", "player_id", "market", "line"]


def feature_columns() -> list[str]:
    spec = yaml.safe_load((ROOT / "python_models" / "_python_models__models.yml").read_text())
    (registry,) = [m for m in spec["models"] if m["name"] == "ml_model_registry"]
    return list(registry["config"]["meta"]["feature_columns"])


def settled(frame: pd.DataFrame) -> pd.DataFrame:
    stat = pd.to_numeric(frame["stat_value"], errors="coerce")
    keep = stat.notna() & frame["market_prob_over"].notna() & (stat != frame["line"])
    return frame[keep].reset_index(drop=True)


def summary(frame: pd.DataFrame, seconds: dict[str, float]) -> dict[str, object]:
    y = (pd.to_numeric(frame["stat_value"]) > frame["line"]).to_numpy(dtype=float)
    out: dict[str, object] = {"lines": len(frame), "dates": int(frame["game_date"].nunique())}
    for name, column in (("model", "prob_over"), ("market", "market_prob_over")):
        out[f"log_loss_{name}"] = round(log_loss(y, frame[column].to_numpy()), 5)
    out["log_loss_constant_0_5"] = round(float(np.log(2)), 5)
    truth = frame["true_p_over"]
    if truth.notna().all():
        out["log_loss_truth"] = round(log_loss(y, truth.to_numpy()), 5)
    out["sd_model"] = round(float(frame["prob_over"].std(ddof=0)), 4)
    out["sd_market"] = round(float(frame["market_prob_over"].std(ddof=0)), 4)
    out.update({f"{k}_seconds": round(v, 2) for k, v in seconds.items()})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path, help="a PROPCAST_HOME the demo has built")
    parser.add_argument(
        "--train-end",
        type=date.fromisoformat,
        help="retrain on outcomes through this date (YYYY-MM-DD) and score the "
        "later dates; default: read the warehouse's own predictions",
    )
    parser.add_argument("--override", default="{}", help="TrainConfig overrides (JSON)")
    args = parser.parse_args()

    con = duckdb.connect(str(args.home / "warehouse.duckdb"), read_only=True)
    lines = con.execute("select * from fct_prop_line_features").df()
    truth = pd.read_csv(args.home / "world" / "truth" / "prop_truth.csv", dtype={"game_id": str})
    truth = truth[[*KEYS, "true_p_over"]]
    seconds: dict[str, float] = {}
    if args.train_end is None:
        preds = con.execute("select * from fct_predictions").df()
        stats = lines[[*KEYS, "stat_value"]]
        scored = preds.merge(stats, on=KEYS, how="left")
        info: dict[str, object] = {"model_version": sorted(set(preds["model_version"]))}
    else:
        cfg = TrainConfig(
            market_family="player_points",
            feature_columns=feature_columns(),
            train_end=args.train_end,
            **json.loads(args.override),
        )
        started = time.perf_counter()
        model = train_prop_model(lines, cfg)
        seconds["train"] = time.perf_counter() - started
        later = lines[pd.to_datetime(lines["game_date"]).dt.date > args.train_end]
        started = time.perf_counter()
        scored = score_lines(model, later.reset_index(drop=True))
        seconds["score"] = time.perf_counter() - started
        info = {"model_version": model.model_version, "calibrator": model.calibrator.to_json()}
    frame = settled(scored.merge(truth, on=KEYS, how="left"))
    print(json.dumps({**summary(frame, seconds), **info}, indent=2, default=str))


if __name__ == "__main__":
    main()
