"""`propcast simulate`: Monte Carlo of a staking policy over a period's recommended bets; the
logic is propcast.simulate."""

from __future__ import annotations

from typing import Annotated

import typer
from propcast.cli.app import app
from propcast.cli.common import JsonFlag, open_home, parse_date
from propcast.cli.output import ExitCode, console, finish, progress_bar
from rich.markup import escape
from rich.table import Table

STAKINGS = ("kelly", "joint-kelly", "flat")


def _staking(value: str) -> str:
    if value not in STAKINGS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(STAKINGS)}")
    return value


StartOption = Annotated[
    str,
    typer.Option(
        "--start-date",
        help="First game date of the period (YYYY-MM-DD, US/Eastern); its recommended bets "
        "are the first slate simulated.",
    ),
]
EndOption = Annotated[
    str, typer.Option("--end-date", help="Last game date of the period (YYYY-MM-DD).")
]
BankrollOption = Annotated[
    float,
    typer.Option(
        "--bankroll",
        min=0.01,
        help="Starting bankroll (money). Stakes are fractions of the bankroll at the start of "
        "each day (compounding); ruin is the bankroll below half of this at a day's end.",
    ),
]
StakingOption = Annotated[
    str,
    typer.Option(
        "--staking",
        callback=_staking,
        metavar="kelly|joint-kelly|flat",
        help="Staking policy: kelly (independent fractional Kelly, as fct_bet_recommendations "
        "stakes), joint-kelly (the slate's expected log growth maximised jointly with "
        "correlated outcomes, an optimisation per slate: seconds each) or flat (every bet the "
        "per-bet cap); all with the caps of dbt_project.yml.",
    ),
]
RunsOption = Annotated[
    int,
    typer.Option("--runs", min=10, max=1_000_000, help="Monte Carlo runs (paths of the period)."),
]
SeedOption = Annotated[
    int, typer.Option("--seed", help="Seed of the draws (same seed, same result).")
]


@app.command()
def simulate(
    start_date: StartOption,
    end_date: EndOption,
    bankroll: BankrollOption,
    staking: StakingOption = "kelly",
    runs: RunsOption = 1000,
    seed: SeedOption = 20261206,
    as_json: JsonFlag = False,
) -> None:
    """Simulate a staking policy over the period's recommended bets: the distribution of
    the final bankroll, the max drawdown and the risk of ruin, next to what actually happened.

    Each slate's outcomes are drawn --runs times from a Gaussian copula with the model's side
    probabilities and the correlations of outcomes of one game estimated on the lines settled
    before --start-date (propcast.staking; README "Staking and simulation"), and on the demo
    world also with its truth (world/truth, read here as propcast evaluate reads it). What
    actually happened: the policy's stakes settled on the real results (pending bets count
    as pushes). Reads the warehouse read-only.

    Exit 0 when simulated, 3 when the period has no recommended bet (the message names the
    dates that have some), 1 when the warehouse cannot be read, 2 usage error.
    """
    from propcast.simulate import SimulationError
    from propcast.simulate import simulate as run_simulation

    start = parse_date(start_date, "--start-date")
    end = parse_date(end_date, "--end-date")
    if end < start:
        raise typer.BadParameter(f"{end} is before --start-date {start}", param_hint="--end-date")
    home = open_home()
    console.print(f"simulate {staking} staking {start} → {end}, {runs} runs, bankroll {bankroll:g}")
    try:
        with progress_bar("simulating slates") as advance:
            result = run_simulation(
                home, start, end, bankroll, staking, runs, seed, progress=advance
            )
    except SimulationError as exc:
        code = ExitCode.DEGRADED if exc.exit_code == 3 else ExitCode.FAILED
        finish(code, f"simulate: {exc}", recover=exc.recover, as_json=as_json)
    _print(result)
    final = result.sources["model"]["final_bankroll"]
    ruin = result.sources["model"]["risk_of_ruin"]
    finish(
        ExitCode.OK,
        f"simulate {staking} {start} → {end}: {result.n_bets} bets on {result.days} days; "
        f"final bankroll median {final['p50']:,.2f} (5-95 %: {final['p05']:,.2f} to "
        f"{final['p95']:,.2f}), risk of ruin {ruin:.1%}; actually "
        f"{result.actual['final_bankroll']:,.2f}",
        payload=result.as_dict(),
        as_json=as_json,
    )


def _print(result) -> None:
    table = Table(title=f"{result.staking} staking: {result.n_bets} bets, {result.days} days")
    table.add_column("")
    for name in result.sources:
        table.add_column(f"simulated ({name})", justify="right")
    table.add_column("actual", justify="right")
    rows = [("final bankroll", "final_bankroll", ",.2f"), ("max drawdown", "max_drawdown", ".2%")]
    for label, key, spec in rows:
        for q in ("p05", "p50", "p95"):
            cells = [format(s[key][q], spec) for s in result.sources.values()]
            actual = format(result.actual[key], spec) if q == "p50" else ""
            table.add_row(f"{label} {q}", *cells, actual)
    ruin = [f"{s['risk_of_ruin']:.2%}" for s in result.sources.values()]
    table.add_row("risk of ruin", *ruin, "yes" if result.actual["ruined"] else "no")
    console.print(table)
    a = result.actual
    console.print(
        f"  actual: {a['n_won']} won, {a['n_lost']} lost, {a['n_pending']} pending; "
        f"log growth {a['log_growth']:+.4f}"
    )
    for row in result.correlations.itertuples(index=False):
        console.print(
            f"  correlation {escape(str(row.league))} {row.relation_type}: {row.correlation:+.3f} "
            f"({row.n_pairs} pairs)"
        )
    for note in result.notes:
        console.print(f"  note: {escape(note)}")
