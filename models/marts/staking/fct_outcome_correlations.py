"""How the outcomes of two lines of one game move together, per league and relation (same
player's alternative lines, same player's markets, teammates, opponents, a player's prop and
the game's total), estimated on every settled line; joint Kelly's correlation model. The logic
is propcast.staking.outcome_correlations (via propcast.stakes_table)."""

from propcast.engine_frames import for_engine
from propcast.stakes_table import correlations_table


def model(dbt, session):
    table = correlations_table(dbt.ref("fct_prop_line_features"), dbt.ref("fct_line_settlements"))
    return for_engine(table, session)
