"""`generate`: simulate a world and write its feeds and ground truth."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

from propcast.world.feeds import FeedWriter
from propcast.world.leagues import NBA, LeagueSpec
from propcast.world.market import DEFAULT_MARKET_STRENGTH, ErrorModel, strength_multiplier
from propcast.world.season import Season
from propcast.world.vendors import VENDOR_KEYS, carriage, vendor_spec


@dataclass(frozen=True)
class WorldSummary:
    start: date
    end: date  # last simulated date (inclusive)
    games: int  # scheduled games, postponed ones included
    players: int  # rostered players
    quote_rows: int  # Over/Under outcome rows across all vendors' odds snapshots
    files: int  # files written under feeds/ and truth/
    truth_rows: int
    # Game totals (world/totals.py): rows of truth/game_total_truth.csv (distinct offered lines).
    total_truth_rows: int = 0
    # Per vendor, rows in its own unit (oddsapi outcomes, csvfeed lines, decimalfeed offers) and
    # how many of them were published broken on purpose (ingest quarantines them).
    vendor_rows: dict[str, int] = field(default_factory=dict)
    bad_rows: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        # No square brackets: the CLI prints this through rich, which reads them as markup.
        vendors = "; ".join(
            f"{v} {n:,} rows" + (f", {self.bad_rows[v]:,} bad" if self.bad_rows.get(v) else "")
            for v, n in self.vendor_rows.items()
        )
        return (
            f"world {self.start}..{self.end}: {self.games:,} games, {self.players:,} players, "
            f"{self.quote_rows:,} quote rows in {self.files:,} files"
            + (f" ({vendors})" if vendors else "")
            + f", {self.truth_rows:,} truth rows, {self.total_truth_rows:,} game-total truth rows"
        )


def generate(
    out_dir: Path,
    *,
    seed: int = 7,
    start: date,
    days: int,
    books: int = 5,
    market_noise: float = 1.0,
    market_strength: str = DEFAULT_MARKET_STRENGTH,
    progress: Callable[[int, int], None] | None = None,
    league: LeagueSpec = NBA,
    vendors: tuple[str, ...] = VENDOR_KEYS,
    errors: ErrorModel | None = None,
    season: int = 0,
) -> WorldSummary:
    """Simulate `days` consecutive dates from `start` and write the world under `out_dir`.

    `out_dir/feeds/` gets what the vendors publish, `out_dir/truth/` the true P(over) of every
    offered line (props: prop_truth.csv; game totals: game_total_truth.csv) and the world's
    parameters. Both folders are replaced. The output is byte-for-
    byte the same for the same arguments. `vendors` are the odds vendors to publish through
    (`vendors.py`: which books each carries, at what times, in which spellings); the market,
    the games and the truth do not depend on them. `market_strength` ("realistic", "sharp",
    "soft": `market.MARKET_STRENGTHS`) sets how wrong the books are; `market_noise` scales it
    further (1: as documented). Neither moves the games, the boxscores or the truth. `errors`
    replaces the books' error model (`market.ErrorModel`: e.g. one term switched off, as
    bench/market_strength.py --decompose does). `season` numbers the seasons of one seed (as
    bench/quality.py generates them): the same players (roster, ids, skills) living new nights
    (form, minutes roles, injuries, schedule, draws and the books' errors drawn anew); season
    0 is the world as generated before seasons existed.
    """
    errors = errors or ErrorModel()
    vendors = tuple(vendors)
    _check_arguments(seed=seed, days=days, season=season, books=books, errors=errors,
                     market_noise=market_noise, vendors=vendors)  # fmt: skip
    strength = strength_multiplier(market_strength)

    out_dir = Path(out_dir)
    for folder in ("feeds", "truth"):
        shutil.rmtree(out_dir / folder, ignore_errors=True)

    simulation = Season(
        league,
        seed=seed,
        start=start,
        books=books,
        market_noise=market_noise * strength,
        errors=errors,
        season=season,
    )
    writer = FeedWriter(
        out_dir, league, simulation.roster, errors.books[:books], seed=seed, vendors=vendors
    )
    try:
        for d in range(days):
            writer.write_day(simulation.simulate_day(d))
            if progress is not None:
                progress(d + 1, days)
        writer.write_season_schedule(simulation.games, start)
        end = start + timedelta(days=days - 1)
        parameters = {"league": league.name, "seed": seed, "season": season,
                      "start": start.isoformat(), "end": end.isoformat(), "days": days}  # fmt: skip
        market = {"market_noise": market_noise, "market_strength": market_strength}
        writer.write_world_json(_world_json(parameters, market, errors, books, vendors, writer))
    finally:
        writer.close()
    return WorldSummary(
        start=start,
        end=end,
        games=len(simulation.games),
        players=simulation.roster.size,
        quote_rows=writer.quote_rows,
        files=writer.files,
        truth_rows=writer.truth.rows,
        total_truth_rows=writer.truth.total_rows,
        vendor_rows=dict(writer.vendor_rows),
        bad_rows=dict(writer.bad_rows),
    )


def _check_arguments(
    *,
    seed: int,
    days: int,
    season: int,
    books: int,
    errors: ErrorModel,
    market_noise: float,
    vendors: tuple[str, ...],
) -> None:
    """Refuse what `generate` cannot honour, before anything is written."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if isinstance(season, bool) or not isinstance(season, int) or season < 0:
        raise ValueError(f"season must be a non-negative integer, got {season!r}")
    if not 1 <= books <= len(errors.books):
        raise ValueError(f"books must be between 1 and {len(errors.books)}, got {books}")
    if not market_noise >= 0:
        raise ValueError(f"market_noise must be >= 0, got {market_noise}")
    if not vendors or len(set(vendors)) != len(vendors):
        raise ValueError(f"vendors must name each odds vendor once, got {vendors!r}")
    for vendor in vendors:
        vendor_spec(vendor)  # raises on an unknown vendor


def _world_json(
    parameters: dict,
    market: dict,
    errors: ErrorModel,
    books: int,
    vendors: tuple[str, ...],
    writer: FeedWriter,
) -> dict:
    """truth/world.json: the arguments, the books and what each vendor carries, the market's
    setting and error model, and the league's stat model."""
    carried_by = carriage(errors.books[:books], vendors)
    ids = writer.roster.player_ids
    return {
        **parameters,
        "books": books,
        "book_keys": [b.key for b in errors.books[:books]],
        "vendors": {
            v: {
                "book_keys": [errors.books[b].key for b in carried],
                "offset_minutes": vendor_spec(v).offset_minutes,
                "bad_row_share": vendor_spec(v).bad_row_share,
                "nickname_players": [ids[p] for p in writer.nicknamed.get(v, [])],
            }
            for v, carried in carried_by.items()
        },
        **market,
        "error_model": errors.as_json(),
        "stat_model": [asdict(s) for s in writer.spec.stats],
    }


def merge_feeds(world: Path, other: Path, subfolder: str) -> int:
    """Move a second world's feed files into `world`'s feeds, each under `subfolder` of its
    vendor's feed folder (world/feeds/<vendor>/<feed>/<subfolder>/...: the inbox keeps that
    path and ingest reads any depth), as a second league's subscription would deliver them.
    `other` keeps its truth. Returns the files moved."""
    moved = 0
    source = other / "feeds"
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        vendor, feed, *rest = path.relative_to(source).parts
        target = world / "feeds" / vendor / feed / subfolder / Path(*rest)
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
        moved += 1
    shutil.rmtree(source)
    return moved
