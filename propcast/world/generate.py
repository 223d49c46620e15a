"""`generate`: simulate a world and write its feeds and ground truth."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from propcast.world.feeds import FeedWriter
from propcast.world.leagues import NBA, LeagueSpec
from propcast.world.market import ErrorModel
from propcast.world.season import Season


@dataclass(frozen=True)
class WorldSummary:
    start: date
    end: date  # last simulated date (inclusive)
    games: int  # scheduled games, postponed ones included
    players: int  # rostered players
    quote_rows: int  # Over/Under outcome rows across all odds snapshots
    files: int  # files written under feeds/ and truth/
    truth_rows: int

    def __str__(self) -> str:
        return (
            f"world {self.start}..{self.end}: {self.games:,} games, {self.players:,} players, "
            f"{self.quote_rows:,} quote rows in {self.files:,} files, "
            f"{self.truth_rows:,} truth rows"
        )


def generate(
    out_dir: Path,
    *,
    seed: int = 7,
    start: date,
    days: int,
    books: int = 5,
    market_noise: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
    league: LeagueSpec = NBA,
) -> WorldSummary:
    """Simulate `days` consecutive dates from `start` and write the world under `out_dir`.

    `out_dir/feeds/` gets what the vendors publish, `out_dir/truth/` the true P(over) of every
    offered line and the world's parameters. Both folders are replaced. The output is byte-for-
    byte the same for the same arguments.
    """
    errors = ErrorModel()
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if not 1 <= books <= len(errors.books):
        raise ValueError(f"books must be between 1 and {len(errors.books)}, got {books}")
    if not market_noise >= 0:
        raise ValueError(f"market_noise must be >= 0, got {market_noise}")

    out_dir = Path(out_dir)
    for folder in ("feeds", "truth"):
        shutil.rmtree(out_dir / folder, ignore_errors=True)

    season = Season(
        league, seed=seed, start=start, books=books, market_noise=market_noise, errors=errors
    )
    writer = FeedWriter(out_dir, league, season.roster, errors.books[:books])
    try:
        for d in range(days):
            writer.write_day(season.simulate_day(d))
            if progress is not None:
                progress(d + 1, days)
        writer.write_season_schedule(season.games, start)
        end = start + timedelta(days=days - 1)
        writer.write_world_json(
            {
                "league": league.name,
                "seed": seed,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "days": days,
                "books": books,
                "book_keys": [b.key for b in errors.books[:books]],
                "market_noise": market_noise,
                "error_model": errors.as_json(),
                "stat_model": [asdict(s) for s in league.stats],
            }
        )
    finally:
        writer.close()
    return WorldSummary(
        start=start,
        end=end,
        games=len(season.games),
        players=season.roster.size,
        quote_rows=writer.quote_rows,
        files=writer.files,
        truth_rows=writer.truth_rows,
    )
