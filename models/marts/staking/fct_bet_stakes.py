"""Per recommended bet: the independent fractional Kelly stake (fct_bet_recommendations'),
the joint Kelly stake of its slate (when the run's staking is joint-kelly, with the correlations
of the lines settled before the slate) and the chosen one.

Incremental, replaced by game_date like its parent: a run replaces the dates it scores
(int_run_parameters' score_start..score_end, default run_date); the first build stakes every
date. The logic is propcast.stakes_table and propcast.staking.
"""

from propcast.engine_frames import for_engine
from propcast.predictions import run_now, run_parameters, scoring_window
from propcast.stakes_table import (
    bet_stakes,
    recommended_in,
    settled_lines,
    staking_parameters,
    teams_of,
)


def model(dbt, session):
    params = run_parameters(dbt.ref("int_run_parameters"))
    staking, caps, bankroll = staking_parameters(params)
    start = end = None
    if dbt.is_incremental:
        window = scoring_window(
            run_date=params["run_date"],
            score_start=params["score_start"],
            score_end=params["score_end"],
            now=run_now(params),
        )
        start, end = window.score_start, window.score_end
    bets = recommended_in(dbt.ref("fct_bet_recommendations"), start, end)
    teams = teams_of(dbt.ref("fct_prop_line_features"), start, end)
    history = None
    if staking == "joint-kelly":  # the correlations of the lines settled before each slate
        history = settled_lines(dbt.ref("fct_prop_line_features"), dbt.ref("fct_line_settlements"))
    table = bet_stakes(bets, teams, history, staking, caps, bankroll)
    return for_engine(table, session)
