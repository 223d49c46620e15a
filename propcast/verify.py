"""`propcast verify --date D`: did the slate get real predictions from the right model?

After a run (or at any time), for slate D (DESIGN §7, incidents 7 and 11):
- every line offered and mapped (a row of fct_prop_line_features for D) has a prediction;
- the predictions vary: the fallback guard of the scoring path (`check_not_fallback`: std
  >= 0.005 and not 90 % within 0.001 of 0.5, unless the market itself is flat);
- they were scored by the model that should have: the pinned version if one is pinned, else the
  newest registered with train_end < D (`pick_model`, the production rule), as recorded on the
  prediction rows and in D's latest run state.
A slate without lines is not a failure when the slate summary says why (no games, no odds,
no mapped players).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from propcast.health import writer_holder
from propcast.settings import Home
from propcast.warehouse import connect


@dataclass
class Verification:
    day: date
    problems: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def recover(self) -> str:
        return f"propcast recover --date {self.day} --from-phase predictions"


def _versions(text: str | None) -> set[str]:
    return {v.strip() for v in (text or "").split(",") if v.strip()}


def _read(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, Any]:
    def frame(sql: str) -> pd.DataFrame:
        try:
            return con.execute(sql, [day] * sql.count("?")).df()
        except duckdb.CatalogException:
            return pd.DataFrame()

    from propcast.model_pins import read_registry

    return {
        "lines": frame(
            "select game_date, game_id, player_id, market, line "
            "from main.fct_prop_line_features where game_date = ?"
        ),
        "predictions": frame(
            "select game_date, game_id, player_id, market, league, line, prob_over, "
            "market_prob_over, model_version, train_end from main.fct_predictions "
            "where game_date = ?"
        ),
        "summary": frame("select * from main.fct_slate_summary_daily where game_date = ?"),
        "schedule": frame(
            "select count(*) filter (where game_date = ?) as games, max(game_date) as last_date "
            "from main.dim_game"
        ),
        "registry": read_registry(con),
    }


def _check_coverage(v: Verification, lines: pd.DataFrame, preds: pd.DataFrame) -> None:
    keys = ["game_id", "player_id", "market", "line"]
    v.payload.update(lines=len(lines), predictions=len(preds))
    if lines.empty:
        return
    if preds.empty:
        v.problems.append(
            f"no predictions for {v.day}: {len(lines)} line(s) offered and mapped, 0 scored"
        )
        return
    missing = lines.merge(preds[keys], on=keys, how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"]
    if len(missing):
        sample = ", ".join(
            f"{r.player_id} {r.market} {r.line}" for r in missing.head(3).itertuples()
        )
        v.problems.append(
            f"{len(missing)} of {len(lines)} line(s) for {v.day} have no prediction (e.g. {sample})"
        )
    else:
        v.facts.append(f"all {len(lines)} line(s) offered and mapped for {v.day} are predicted")


def _check_spread(v: Verification, preds: pd.DataFrame) -> None:
    from propcast.models import FallbackPredictions, check_not_fallback

    try:
        stats = check_not_fallback(preds, "market_prob_over", run_date=v.day)
    except FallbackPredictions as exc:
        v.problems.append(str(exc))
        return
    v.payload.update(prob_std=stats["prob_std"], share_near_half=stats["share_near_half"])
    flat = " (the market is flat too)" if stats["market_flat"] else ""
    v.facts.append(
        f"prob_over varies: {stats['prob_min']:.3f}..{stats['prob_max']:.3f}, std "
        f"{stats['prob_std']:.4f}, {stats['share_near_half']:.0%} within 0.001 of 0.5{flat}"
    )


def _check_model(v: Verification, home: Home, preds: pd.DataFrame, registry: pd.DataFrame) -> None:
    from propcast.model_pins import pinned_version, scorer_for
    from propcast.predictions import NoModelRegistered

    pin = pinned_version(home)
    scored: set[str] = set()
    expected: dict[str, str] = {}
    from propcast.family_models import GAME_TOTAL, totals_family

    # A registry family per market; game totals have one per league (game_total_nba).
    family = preds["market"].astype(str)
    if "league" in preds.columns:
        totals = family == GAME_TOTAL
        family = family.where(
            ~totals, preds["league"].astype(str).map(lambda league: totals_family(league))
        )
    for market, rows in preds.groupby(family, sort=True):
        found = set(map(str, rows["model_version"].dropna()))
        scored |= found
        try:
            version, why = scorer_for(registry, str(market), v.day, pin)
        except NoModelRegistered as exc:
            v.problems.append(f"{market}: no model should score {v.day}: {exc}")
            continue
        expected[str(market)] = version
        if found != {version}:
            v.problems.append(
                f"{market} on {v.day} was scored by {', '.join(sorted(found)) or 'nothing'}, "
                f"but {version} should have ({why})"
            )
        else:
            v.facts.append(f"{market} scored by {version} ({why})")
    v.payload.update(model_versions=sorted(scored), expected_versions=expected, pinned=pin)
    _check_run_state(v, home, scored)


def _check_run_state(v: Verification, home: Home, scored: set[str]) -> None:
    from propcast.runs import latest_run

    run = latest_run(home, v.day)
    if run is None:
        v.facts.append(f"no run state for {v.day} (scored by a build or walk-forward)")
        return
    v.payload.update(run_id=run.run_id, run_status=run.status, run_model_version=run.model_version)
    if run.status == "running":
        v.problems.append(f"run {run.run_id} for {v.day} is still running")
    elif run.status == "failed":
        v.problems.append(f"the latest run for {v.day} ({run.run_id}) failed: {run.message}")
    elif _versions(run.model_version) != scored:
        v.problems.append(
            f"run {run.run_id} recorded model {run.model_version or 'none'} for {v.day}, but "
            f"fct_predictions says {', '.join(sorted(scored)) or 'none'}"
        )
    else:
        v.facts.append(f"run {run.run_id} ({run.status}) recorded the same model")


def _check_empty_slate(v: Verification, data: dict[str, Any], home: Home) -> None:
    """No line offered and mapped: fine when the slate summary or the schedule says why (no
    games, no odds, no mapped players), else the slate was not built."""
    from propcast.runs import latest_run

    summary, schedule = data["summary"], data["schedule"]
    reason = None if summary.empty else summary.iloc[0].get("no_bet_reason")
    if reason == "no_schedule":
        v.problems.append(
            f"books quote {v.day}, but the league schedule lists no game on it: load the "
            f"schedule, then propcast recover --date {v.day}"
        )
        return
    if reason in ("no_games", "no_odds", "no_mapped_players"):
        v.facts.append(f"nothing to predict on {v.day}: {str(reason).replace('_', ' ')}")
        return
    games = 0 if schedule.empty else int(schedule.iloc[0]["games"])
    last = None if schedule.empty else schedule.iloc[0]["last_date"]
    if games == 0 and last is not None and not pd.isna(last) and pd.Timestamp(last).date() >= v.day:
        v.facts.append(f"nothing to predict on {v.day}: no games scheduled")
        return
    run = latest_run(home, v.day)
    ran = f"the latest run {run.run_id} is {run.status}" if run else "no run recorded"
    v.problems.append(
        f"no line offered and mapped for {v.day} ({games} game(s) in the schedule; {ran}): "
        "the slate was not built or its odds are missing"
    )


def verify_day(home: Home, day: date) -> Verification:
    """Check slate `day`'s predictions; problems name what is wrong."""
    v = Verification(day)
    holder = writer_holder(home)
    if holder:
        v.problems.append(f"the warehouse is locked by a run: {holder}; verify after it ends")
        return v
    if not home.warehouse.exists():
        v.problems.append(f"no warehouse at {home.warehouse}")
        return v
    with connect(home) as con:
        data = _read(con, day)
    lines, preds = data["lines"], data["predictions"]
    _check_coverage(v, lines, preds)
    if lines.empty and preds.empty:
        _check_empty_slate(v, data, home)
        return v
    if not preds.empty:
        _check_spread(v, preds)
        _check_model(v, home, preds, data["registry"])
    return v


__all__ = ["Verification", "verify_day"]
