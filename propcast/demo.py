"""`propcast demo`: a season of the demo world, run as a team would run it.

History first (everything published before the last slate's morning), a model trained on the
first part of the season, the rest scored walk-forward in one batch (each date priced at the
pricing clock with a model trained before it), then the morning job for the last slate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from time import perf_counter

from propcast.daily import DayOutcome, run_day
from propcast.dbt_runner import Dbt, DbtResult
from propcast.fetch import fetch_from_feeds
from propcast.ingest import IngestReport, ingest
from propcast.markets import DEMO_MARKETS, league_markets, prop_markets_setting
from propcast.settings import Home, SettingsError
from propcast.timeutil import PRICING_CLOCK, default_cutoff, latest_priced_slate, slate_time_to_utc
from propcast.training import dbt_vars, train
from propcast.world import LEAGUES, WorldSummary, generate
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
    world: WorldSummary
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
    `league` is the world's (propcast.world.LEAGUES); its player markets are PROPCAST_PROP_MARKETS
    when set, else the league's DEMO_MARKETS (`demo_markets`)."""
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
    world = generate(home.world, seed=seed, start=start, days=days, books=books,
                     market_strength=market_strength, progress=progress,
                     league=LEAGUES[league])  # fmt: skip
    say(f"      {world}")

    history_cutoff = slate_time_to_utc(slate, time(0, 0))
    clock.lap()
    say(f"[2/6] fetching and ingesting what vendors published before {slate} (US/Eastern)")
    fetched = fetch_from_feeds(home, home.world / "feeds", cutoff=history_cutoff)
    report = ingest(home)
    say(f"      {fetched.copied} files; {report.summary()}")

    clock.lap()
    first, last = train_end + timedelta(days=1), slate - timedelta(days=1)
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
    return DemoOutcome(world, report, train_end, (first, last), day)


def demo_markets(league: str) -> list[str] | None:
    """The player markets a demo of `league` prices when neither PROPCAST_PROP_MARKETS (which
    must then name a market of the league) nor dbt var prop_markets' default (NBA) says: the
    league's DEMO_MARKETS; None when the setting or the default applies."""
    if league not in LEAGUES:
        raise ValueError(f"league must be one of {sorted(LEAGUES)}, got {league!r}")
    chosen = prop_markets_setting()
    if chosen is None:
        return list(DEMO_MARKETS[league]) if league in DEMO_MARKETS else None
    ours = league_markets().get(league, [])
    if not set(chosen) & set(ours):
        raise SettingsError(
            f"PROPCAST_PROP_MARKETS names no {league} market ({', '.join(chosen)}): a {league} "
            f"demo would price nothing; unset it or add one of {', '.join(sorted(ours))}"
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
