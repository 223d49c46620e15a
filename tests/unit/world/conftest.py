"""One 30-day NBA world (seed 9 from 2026-12-10: two postponed games, Christmas Eve off,
Christmas Day on; three odds vendors, five books), generated once per test session (per
worker); a test that needs another world generates a small one of its own."""

from __future__ import annotations

import pandas as pd
import pytest

from propcast.world import generate
from tests.unit.world.files import (
    BOOKS,
    DAYS,
    SEED,
    START,
    STAT_OF_MARKET,
    World,
    flatten,
    load_decimal_docs,
    load_snapshots,
    read_csvfeed,
    read_csvs,
)


@pytest.fixture(scope="session")
def nba_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("nba_world")
    calls: list[tuple[int, int]] = []
    summary = generate(
        root,
        seed=SEED,
        start=START,
        days=DAYS,
        books=BOOKS,
        progress=lambda d, n: calls.append((d, n)),
    )
    schedule_files = sorted((root / "feeds/league/schedule").glob("*.csv"))
    season_file = min(schedule_files, key=lambda p: p.stem.split("__")[1])
    schedule = read_csvs(root / "feeds/league/schedule")
    snapshots = load_snapshots(root)
    return World(
        root=root,
        summary=summary,
        season=schedule[schedule.file == season_file.name].reset_index(drop=True),
        results=schedule[schedule.file != season_file.name].reset_index(drop=True),
        box=read_csvs(root / "feeds/league/boxscores"),
        quotes=flatten(snapshots),
        snapshots=snapshots,
        truth=pd.read_csv(root / "truth/prop_truth.csv", dtype={"game_id": str}),
        progress=calls,
        csv_rows=read_csvfeed(root),
        decimal_docs=load_decimal_docs(root),
    )


@pytest.fixture(scope="session")
def outcomes(nba_world: World) -> pd.DataFrame:
    """Truth rows joined to what happened (games that were played only)."""
    long = nba_world.box.melt(
        id_vars=["game_id", "player_id"], value_vars=list(STAT_OF_MARKET.values()),
        var_name="stat", value_name="value",
    )  # fmt: skip
    truth = nba_world.truth.assign(stat=nba_world.truth.market.map(STAT_OF_MARKET))
    joined = truth.merge(long, on=["game_id", "player_id", "stat"], how="inner")
    return joined.assign(went_over=(joined.value > joined.line).astype(float))
