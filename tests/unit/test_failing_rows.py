"""A failing data test's rows, shown under its failure (propcast.failing_rows)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from propcast.dbt_runner import DbtResult, NodeResult, data_test_hint
from propcast.failing_rows import EXAMPLES, WIDTH, failing_examples
from propcast.pipeline import BuildSummary
from propcast.settings import Home


def test_a_failing_tests_first_rows_are_shown_and_a_passing_or_broken_one_shows_none(
    tmp_path: Path,
) -> None:
    home = Home(tmp_path / "home").ensure()
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(
            "create table main.doubled as select 'P' || i as player_id, i as games, "
            "repeat('x', 300) as note from range(10) t(i)"
        )
    query = "select player_id, games from main.doubled where games >= 4 order by games"
    wide = "select player_id, note from main.doubled"
    result = DbtResult(
        ["build"],
        success=False,
        nodes=[
            NodeResult("test.propcast.doubled_ids", "fail", "Got 6 results", 0.1, 6, query),
            NodeResult("test.propcast.wide_rows", "warn", "Got 10 results", 0.1, 10, wide),
            NodeResult("test.propcast.gone", "fail", "Got 1 result", 0.1, 1, "select * from nope"),
            NodeResult("test.propcast.passes", "pass", None, 0.1, 0, query),
            NodeResult("model.propcast.failed_model", "error", "boom", 0.1, None, None),
        ],
    )
    shown = failing_examples(home, result)
    assert set(shown) == {"test.propcast.doubled_ids", "test.propcast.wide_rows"}
    assert shown["test.propcast.doubled_ids"] == [
        f"player_id=P{i}, games={i}" for i in range(4, 4 + EXAMPLES)
    ]
    assert all(
        len(line) == WIDTH and line.endswith("…") for line in shown["test.propcast.wide_rows"]
    )


def test_the_build_summary_shows_each_failures_rows_under_it() -> None:
    failed = NodeResult("test.propcast.doubled_ids", "fail", "Got 6 results\nmore", 0.1, 6, "q")
    summary = BuildSummary(
        date(2027, 1, 12),
        DbtResult(["build"], success=False, nodes=[failed]),
        examples={failed.unique_id: ["player_id=P4, games=4", "player_id=P5, games=5"]},
    )
    assert summary.problems() == [
        "FAIL test.propcast.doubled_ids: Got 6 results",
        "  e.g. player_id=P4, games=4",
        "  e.g. player_id=P5, games=5",
    ]


def test_a_build_failed_by_data_tests_alone_says_to_correct_their_rows() -> None:
    refused = NodeResult("test.propcast.assert_player_ids_belong_to_one_league", "fail", "", 0.1)
    broken = NodeResult("model.propcast.dim_player", "error", "Binder Error", 0.1)
    retry = "propcast recover --date 2027-01-12"
    hint = data_test_hint(DbtResult(["build"], False, [refused]), retry)
    assert hint is not None and "correct the rows the failing data test found" in hint
    assert hint.endswith(f"then {retry}")
    assert data_test_hint(DbtResult(["build"], False, [refused, broken]), retry) is None
    assert data_test_hint(DbtResult(["build"], True, []), retry) is None
