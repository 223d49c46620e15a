"""propcast.predictions: how the Python models resolve their vars and choose a model."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from propcast.predictions import (
    PREDICTION_SCHEMA,
    NoModelRegistered,
    ScoringWindow,
    _table,
    default_train_end,
    meta_date,
    meta_list,
    meta_mapping,
    pick_model,
    rows_in_window,
    run_now,
    scoring_window,
)

TODAY = date(2026, 1, 20)
# 01:30 UTC on the 21st is still the 20th in US/Eastern: the run's clock decides "today".
NOW = datetime(2026, 1, 21, 1, 30)


@pytest.mark.parametrize("unset", [None, "", "None", "none", "null", "  "])
def test_unset_vars_render_as_none(unset: object) -> None:
    assert meta_date(unset, "run_date") is None
    assert meta_list(unset) == []
    assert meta_mapping(unset, "train_overrides") == {}


def test_meta_values_parse() -> None:
    assert meta_date("2026-01-05", "run_date") == date(2026, 1, 5)
    assert meta_list("player_points, player_rebounds") == ["player_points", "player_rebounds"]
    assert meta_list(["player_points"]) == ["player_points"]
    assert meta_list("['player_points']") == ["player_points"]
    assert meta_mapping('{"validation_days": 7}', "x") == {"validation_days": 7}
    with pytest.raises(ValueError, match="run_date"):
        meta_date("05/01/2026", "run_date")
    with pytest.raises(ValueError, match="mapping"):
        meta_mapping("[1, 2]", "train_overrides")


def test_scoring_window_defaults_to_the_run_date_and_today() -> None:
    assert scoring_window(run_date="2026-01-05", now=NOW) == ScoringWindow(
        date(2026, 1, 5), date(2026, 1, 5), date(2026, 1, 5)
    )
    assert scoring_window(run_date=None, now=NOW).score_start == TODAY
    window = scoring_window(
        run_date="2026-01-10", score_start="2026-01-01", score_end="2026-01-10", model_version="m"
    )
    assert (window.score_start, window.score_end, window.model_version) == (
        date(2026, 1, 1),
        date(2026, 1, 10),
        "m",
    )
    with pytest.raises(ValueError, match="after"):
        scoring_window(run_date="2026-01-05", score_start="2026-01-06")


def test_train_end_defaults_to_the_day_before_the_run() -> None:
    assert default_train_end("2026-01-05", None) == date(2026, 1, 4)
    assert default_train_end("2026-01-05", "2025-12-31") == date(2025, 12, 31)
    assert default_train_end("None", "None", now=NOW) == date(2026, 1, 19)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-21 01:30:00", NOW),
        ("2026-01-21 01:30:00.654321", NOW),
        ("2026-01-21 01:30:00.654321+00", NOW),  # BigQuery's timestamp text
    ],
)
def test_run_now_reads_the_runs_clock(text: str, expected: datetime) -> None:
    assert run_now({"now_utc": text}) == expected


@pytest.mark.parametrize("text", ["None", "", "yesterday"])
def test_run_now_refuses_a_missing_clock(text: str) -> None:
    with pytest.raises((RuntimeError, ValueError)):
        run_now({"now_utc": text})


REGISTRY = pd.DataFrame(
    [
        # version, family, train_end, registered_at
        ("pts-old", "player_points", "2026-01-01", "2026-01-02 08:00:00"),
        ("pts-a", "player_points", "2026-01-09", "2026-01-10 08:00:00"),
        ("pts-b", "player_points", "2026-01-09", "2026-01-10 09:00:00"),
        ("pts-future", "player_points", "2026-01-15", "2026-01-16 08:00:00"),
        ("reb", "player_rebounds", "2026-01-09", "2026-01-10 08:00:00"),
    ],
    columns=["model_version", "market_family", "train_end", "registered_at"],
).assign(
    train_end=lambda f: pd.to_datetime(f["train_end"]),
    registered_at=lambda f: pd.to_datetime(f["registered_at"]),
)


def window(start: str, pin: str | None = None) -> ScoringWindow:
    day = date.fromisoformat(start)
    return ScoringWindow(day, day, date(2026, 1, 20), pin)


def test_newest_model_trained_before_the_window_scores_it() -> None:
    # train_end must be before the first scored date; ties go to the latest registration.
    assert pick_model(REGISTRY, "player_points", window("2026-01-10"))["model_version"] == "pts-b"
    assert pick_model(REGISTRY, "player_points", window("2026-01-09"))["model_version"] == "pts-old"
    assert pick_model(REGISTRY, "player_rebounds", window("2026-01-10"))["model_version"] == "reb"


def test_a_pinned_model_scores_its_family_only() -> None:
    pinned = window("2026-01-10", pin="pts-old")
    assert pick_model(REGISTRY, "player_points", pinned)["model_version"] == "pts-old"
    assert pick_model(REGISTRY, "player_rebounds", pinned)["model_version"] == "reb"


def test_no_eligible_model_fails_loudly() -> None:
    with pytest.raises(NoModelRegistered, match="trained before 2026-01-01"):
        pick_model(REGISTRY, "player_points", window("2026-01-01"))
    with pytest.raises(NoModelRegistered, match="no model registered for player_assists"):
        pick_model(REGISTRY, "player_assists", window("2026-01-10"))
    with pytest.raises(NoModelRegistered, match="not in ml_model_registry"):
        pick_model(REGISTRY, "player_points", window("2026-01-10", pin="nope"))
    with pytest.raises(NoModelRegistered, match="must not score"):
        pick_model(REGISTRY, "player_points", window("2026-01-10", pin="pts-future"))


def test_tables_keep_their_types_even_when_empty() -> None:
    empty = _table(pd.DataFrame(), PREDICTION_SCHEMA)
    assert empty.num_rows == 0 and empty.schema == PREDICTION_SCHEMA
    one = _table(
        pd.DataFrame(
            {
                "game_date": [pd.Timestamp("2026-01-05")],
                "line": [20.5],
                "books_quoting": [3.0],
                "scored_at": [datetime(2026, 1, 5, 12)],
                "model_version": ["m"],
            }
        ),
        PREDICTION_SCHEMA,
    )
    assert one.column("game_date").type == pa.date32()
    assert one.column("game_date")[0].as_py() == date(2026, 1, 5)
    assert one.column("books_quoting")[0].as_py() == 3
    assert one.column("prob_over")[0].as_py() is None


def test_rows_in_window_filters_a_duckdb_relation_in_the_engine() -> None:
    con = duckdb.connect()
    relation = con.sql(
        "select d::date as game_date, 1 as x from generate_series("
        "date '2026-01-01', date '2026-01-10', interval 1 day) t(d)"
    )
    window = scoring_window(run_date="2026-01-05", score_start="2026-01-04")
    frame = rows_in_window(relation, window)
    assert sorted(pd.to_datetime(frame["game_date"]).dt.day) == [4, 5]
    assert rows_in_window(frame, window) is frame  # pandas passes through
