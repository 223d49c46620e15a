"""`propcast demo`: a season of the demo world, run as a team would run it.

History first (everything published before the last slate's morning), a model trained on the
first part of the season, the rest scored walk-forward in one batch (each date priced at the
pricing clock with a model trained before it), then the morning job for the last slate.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from time import perf_counter
from typing import Any

from propcast.daily import DayOutcome, run_day
from propcast.dbt_runner import Dbt, DbtResult
from propcast.demo_home import record_world, start_over_if_another_world
from propcast.fetch import fetch_from_feeds
from propcast.ingest import IngestReport, ingest
from propcast.markets import DEMO_MARKETS, league_markets, prop_markets_setting
from propcast.settings import Home, SettingsError
from propcast.timeutil import PRICING_CLOCK, default_cutoff, latest_priced_slate, slate_time_to_utc
from propcast.training import dbt_vars, train
from propcast.world import LEAGUES, WorldSummary, generate, merge_feeds
from propcast.world.market import DEFAULT_MARKET_STRENGTH

TRAIN_SHARE = 0.55  # of the season's days used to train before walk-forward scoring starts
#: Training's default windows (14 validation + 14 calibration dates and one to train on).
DEFAULT_TRAIN_DATES = 29

Say = Callable[[str], None]
Progress = Callable[[int, int], None]


class DemoFailed(RuntimeError):
    def __init__(self, step: str, result: DbtResult) -> None:
        failed = result.failed[0] if result.failed else None
        detail = f"{failed.unique_id}: {(failed.message or '').strip()}" if failed else result.error
        super().__init__(f"{step} failed: {detail}")


@dataclass
class DemoOutcome:
    worlds: list[WorldSummary]  # one per league, in the order asked
    ingest: IngestReport
    train_end: date
    scored: tuple[date, date]
    day: DayOutcome


def run_demo(
    home: Home,
    *,
    days: int,
    seed: int,
    books: int,
    say: Say = print,
    progress: Progress | None = None,
    train_overrides: dict[str, object] | None = None,
    retrain_every: int | None = None,
    market_strength: str = DEFAULT_MARKET_STRENGTH,
    league: str = "NBA",
) -> DemoOutcome:
    """`train_overrides` and `retrain_every` reach training and the closing run-day; by default
    a season too short for training's windows gets shorter ones (`short_season`).
    `market_strength` is the world's ("realistic", "sharp", "soft": propcast.world.market).
    `league` is the world's (propcast.world.LEAGUES), or several comma-separated ("NBA,NHL"):
    one home, one warehouse, each further league's world generated in its own folder
    (world/<league>/truth) and its feed files published beside the first's
    (`merge_feeds`); the player markets are PROPCAST_PROP_MARKETS when set, else each
    league's (`demo_markets`)."""
    if train_overrides is None:
        train_overrides, short_retrain = short_season(days)
        retrain_every = short_retrain if retrain_every is None else retrain_every
    slate = latest_priced_slate()
    start = slate - timedelta(days=days - 1)
    train_end = start + timedelta(days=max(int(days * TRAIN_SHARE), 1))
    markets = demo_markets(league)
    dbt = Dbt(home, project_vars=None if markets is None else {"prop_markets": markets})
    clock = _StepClock(say)

    say(f"[1/6] generating the demo world {start} → {slate} ({league}, seed {seed})")
    worlds = _demo_worlds(home, parse_leagues(league), seed=seed, span=(start, slate), days=days,
                          books=books, market_strength=market_strength,
                          progress=progress, say=say)  # fmt: skip

    history_cutoff = slate_time_to_utc(slate, time(0, 0))
    clock.lap()
    say(f"[2/6] fetching and ingesting what vendors published before {slate} (US/Eastern)")
    fetched = fetch_from_feeds(home, home.world / "feeds", cutoff=history_cutoff)
    report = ingest(home)
    say(f"      {fetched.copied} files; {report.summary()}")

    clock.lap()
    first, last = train_end + timedelta(days=1), slate - timedelta(days=1)
    _train_and_walk_forward(home, dbt, (start, train_end, first, last), train_overrides, clock)

    cutoff = slate_time_to_utc(slate, PRICING_CLOCK)
    clock.lap()
    say(f"[6/6] the morning job: run-day for slate {slate}, cutoff {PRICING_CLOCK:%H:%M} ET")
    day = run_day(
        home,
        slate,
        cutoff,
        dbt=dbt,
        say=lambda line: say(f"      {line}"),
        retrain_every=retrain_every,
    )
    clock.lap()
    return DemoOutcome(worlds, report, train_end, (first, last), day)


def _train_and_walk_forward(
    home: Home,
    dbt: Dbt,
    dates: tuple[date, date, date, date],
    train_overrides: dict[str, object],
    clock: _StepClock,
) -> None:
    """Steps 3 to 5: the warehouse up to the feature marts, training on outcomes through
    `train_end`, then every slate from `first` to `last` scored and priced in one dbt build.
    `dates`: (start, train_end, first, last)."""
    start, train_end, first, last = dates
    say = clock.say
    walk_forward = dbt_vars(
        last, default_cutoff(last), score_start=first.isoformat(), score_end=last.isoformat()
    )
    say(f"[3/6] dbt build: seeds, models and data tests up to the feature marts ({start} → {last})")
    upstream = dbt.invoke(
        ["build", "--exclude", "tag:train", "tag:phase_predictions+"], run_vars=walk_forward
    )
    if not upstream.success:
        raise DemoFailed("building the warehouse", upstream)

    clock.lap()
    say(f"[4/6] training on outcomes through {train_end} (LightGBM + calibration)")
    trained = train(home, train_end, dbt=dbt, overrides=train_overrides)
    if not trained.success:
        raise DemoFailed("training", trained)

    say(
        f"[5/6] walk-forward: scoring and pricing {first} → {last} in one dbt build "
        f"(each slate priced at {PRICING_CLOCK:%H:%M} US/Eastern)"
    )
    scored = dbt.invoke(
        ["build", "--select", "fct_prop_line_features", "tag:phase_predictions+",
         "--exclude", "tag:train"],
        run_vars=walk_forward,
    )  # fmt: skip
    if not scored.success:
        raise DemoFailed("walk-forward scoring", scored)


def _demo_worlds(
    home: Home,
    leagues: tuple[str, ...],
    *,
    seed: int,
    span: tuple[date, date],
    days: int,
    books: int,
    market_strength: str,
    progress: Progress | None,
    say: Say,
) -> list[WorldSummary]:
    """The demo's worlds, generated anew; a home holding another world's warehouse starts over
    (`start_over_if_another_world`), since its rows would mix two worlds."""
    start, slate = span
    identity = {
        "leagues": ",".join(leagues),
        "seed": seed,
        "start": start.isoformat(),
        "end": slate.isoformat(),
        "books": books,
        "market_strength": market_strength,
    }
    start_over_if_another_world(home, identity, say)
    worlds = generate_worlds(home, leagues, seed=seed, start=start, days=days,
                             books=books, market_strength=market_strength,
                             progress=progress)  # fmt: skip
    record_world(home, identity)
    for world in worlds:
        say(f"      {world}")
    return worlds


def parse_leagues(value: str) -> tuple[str, ...]:
    """'NBA', 'nhl' or 'NBA,NHL' as league names of propcast.world.LEAGUES, each once."""
    leagues = tuple(dict.fromkeys(p.strip().upper() for p in value.split(",") if p.strip()))
    unknown = [one for one in leagues if one not in LEAGUES]
    if not leagues or unknown:
        raise ValueError(
            f"league must be one or more of {', '.join(LEAGUES)} (comma-separated), got {value!r}"
        )
    return leagues


def generate_worlds(home: Home, leagues: tuple[str, ...], **options: Any) -> list[WorldSummary]:
    """The first league's world in home.world, each further one's in home.world/<league>
    (its truth stays there) with its feed files moved beside the first's; a league folder
    of an earlier demo that this one leaves out is removed (its truth would be read)."""
    for name in LEAGUES:
        if name not in leagues[1:]:
            shutil.rmtree(home.world / name.lower(), ignore_errors=True)
    summaries = [generate(home.world, league=LEAGUES[leagues[0]], **options)]
    for other in leagues[1:]:
        folder = home.world / other.lower()
        summaries.append(generate(folder, league=LEAGUES[other], **options))
        merge_feeds(home.world, folder, other.lower())
    return summaries


def demo_markets(league: str) -> list[str] | None:
    """The player markets a demo of `league` (one, or several comma-separated) prices when
    neither PROPCAST_PROP_MARKETS (which must then name a market of each league) nor dbt var
    prop_markets' default (NBA's) says: each league's DEMO_MARKETS, else all its markets;
    None when the setting or the default applies."""
    leagues = parse_leagues(league)
    chosen = prop_markets_setting()
    if chosen is None:
        if leagues == ("NBA",):
            return None
        return [m for one in leagues for m in DEMO_MARKETS.get(one, league_markets()[one])]
    for one in leagues:
        ours = league_markets().get(one, [])
        if not set(chosen) & set(ours):
            raise SettingsError(
                f"PROPCAST_PROP_MARKETS names no {one} market ({', '.join(chosen)}): the demo's "
                f"{one} world would price no player prop; unset it or add one of "
                f"{', '.join(sorted(ours))}"
            )
    return None


def short_season(days: int) -> tuple[dict[str, object] | None, int | None]:
    """Training windows and the run-day retrain policy for a season of `days` days.

    A season whose training share holds fewer dates than training's default windows gets
    validation and calibration windows of a third of them each, and its closing run-day scores
    with the demo's model (retraining there would need the defaults' 29 dates again)."""
    train_dates = max(int(days * TRAIN_SHARE), 1) + 1
    if train_dates >= DEFAULT_TRAIN_DATES:
        return None, None
    window = max((train_dates - 1) // 3, 2)
    return {"validation_days": window, "calibration_days": window}, 0


class _StepClock:
    """Prints how long the previous step took: the demo is also a rough profile."""

    def __init__(self, say: Say) -> None:
        self.say, self.started = say, perf_counter()

    def lap(self) -> None:
        now = perf_counter()
        self.say(f"      ({now - self.started:.1f}s)")
        self.started = now
