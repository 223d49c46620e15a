"""`propcast demo`: a season of the demo world (NBA or NHL), run as a team would run it."""

from __future__ import annotations

from pathlib import Path
from time import perf_counter
from typing import Annotated, Literal

import typer
from propcast.cli.app import app
from propcast.cli.common import JsonFlag, WaitOption, open_home, verdict_of
from propcast.cli.output import ExitCode, console, finish, progress_bar

from propcast.settings import Home, SettingsError

MarketStrengthOption = Annotated[
    Literal["realistic", "sharp", "soft"],
    typer.Option(
        "--market-strength",
        help="How wrong the demo world's books are: realistic (default; the de-vigged close "
        "is 1.03-1.05x the truth's log loss in every market), sharp (near-efficient: the "
        "honest answer is no edge) or soft. Recorded in PROPCAST_HOME/world/truth/world.json.",
    ),
]


def _league_name(value: str) -> str:
    from propcast.demo import parse_leagues

    try:
        return ",".join(parse_leagues(value))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


DemoLeagueOption = Annotated[
    str,
    typer.Option(
        "--league",
        callback=_league_name,
        help="The demo world's league: NBA (prices points, rebounds, assists and threes unless "
        "PROPCAST_PROP_MARKETS "
        "says) or NHL (player_shots_on_goal and player_goals unless it says; the demo prints the "
        "PROPCAST_PROP_MARKETS line for later commands on that home), or both in one warehouse "
        "(NBA,NHL: each league's world and markets, its feeds beside the other's; the NHL half "
        "is the world a lone NHL demo of the same seed generates). Game totals are scored in "
        "each.",
    ),
]


def _demo_markets_or_stop(league: str, as_json: bool) -> list[str] | None:
    """The markets the demo sets for its own run (propcast.demo.demo_markets); a
    PROPCAST_PROP_MARKETS naming none of the league's stops it (exit 1)."""
    from propcast.demo import demo_markets
    from propcast.markets import PROP_MARKETS_ENV

    try:
        return demo_markets(league)
    except SettingsError as exc:
        finish(ExitCode.FAILED, str(exc), recover=f"unset {PROP_MARKETS_ENV}", as_json=as_json)
    return None


def _print_demo_paths(home: Home, reports: list[str], own_markets: list[str] | None) -> None:
    """The slate report, where the reports, warehouse and truth are, and the markets setting
    a demo of another league needs for later commands."""
    from propcast.evaluate import world_folders
    from propcast.markets import PROP_MARKETS_ENV

    if reports:
        console.print("")
        console.print(Path(reports[-1]).read_text())
    for report in reports:
        console.print(f"report: {report}")
    console.print(f"warehouse: {home.warehouse}  (dbt docs: `propcast docs`)")
    truth = ", ".join(str(world / "truth") for world in world_folders(home))
    console.print(f"ground truth (models never read it): {truth}")
    if own_markets:
        console.print(
            "later commands on this home price what the demo did with "
            f"{PROP_MARKETS_ENV}={','.join(own_markets)}"
        )


@app.command()
def demo(
    days: Annotated[
        int,
        typer.Option(
            min=10,
            help="Length of the demo season in days (it ends on the latest priced slate). "
            "Seasons under 51 days train with shorter validation and calibration windows.",
        ),
    ] = 165,
    seed: Annotated[int, typer.Option(help="Seed of the demo world (same seed, same world).")] = 7,
    books: Annotated[int, typer.Option(min=1, max=8, help="Sportsbooks quoting props.")] = 5,
    market_strength: MarketStrengthOption = "realistic",
    league: DemoLeagueOption = "NBA",
    wait: WaitOption = 0.0,
    as_json: JsonFlag = False,
) -> None:
    """A season of the demo world (NBA, --league NHL, or both: --league NBA,NHL), run as a
    team would: history, training, walk-forward scoring in one batch, then the morning job
    (run-day) for the last slate.

    The season ends on the latest slate already priced (today after 14:00 US/Eastern, else
    yesterday). Its ground truth goes to PROPCAST_HOME/world/truth (a second league's to
    PROPCAST_HOME/world/<league>/truth), which nothing downstream reads. Prints the slate
    report at the end.

    Exit 0 ok, 3 degraded (the morning run was), 1 failed (with the command that recovers),
    2 usage error.
    """
    from propcast.demo import DemoFailed, run_demo
    from propcast.demo_home import NotADemoHome
    from propcast.locking import WarehouseBusy, writer_lock

    home = open_home()
    own_markets = _demo_markets_or_stop(league, as_json)
    started = perf_counter()
    try:
        with (
            writer_lock(home, "demo", wait, console.out),
            progress_bar("days generated") as advance,
        ):
            outcome = run_demo(
                home,
                days=days,
                seed=seed,
                books=books,
                say=console.print,
                progress=advance,
                market_strength=market_strength,
                league=league,
            )
    except WarehouseBusy as exc:
        finish(ExitCode.FAILED, str(exc), recover="propcast demo", as_json=as_json)
    except DemoFailed as exc:
        finish(ExitCode.FAILED, str(exc), recover="propcast demo", as_json=as_json)
    except NotADemoHome as exc:
        recover = "PROPCAST_HOME=<an empty folder> propcast demo"
        finish(ExitCode.FAILED, str(exc), recover=recover, as_json=as_json)
    day = outcome.day
    _print_demo_paths(home, day.reports, own_markets)
    verdict = verdict_of(day.status)
    finish(
        verdict,
        f"demo: {sum(w.games for w in outcome.worlds):,} games, trained through "
        f"{outcome.train_end}, "
        f"walk-forward {outcome.scored[0]} → {outcome.scored[1]}, run-day {day.run_date}: "
        f"{day.message} in {perf_counter() - started:.0f}s",
        recover=day.recover or f"propcast recover --date {day.run_date}",
        payload={"run_id": day.run_id, "reports": day.reports},
        as_json=as_json,
    )
