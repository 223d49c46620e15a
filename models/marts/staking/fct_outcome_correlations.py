"""How the outcomes of two lines of one game move together, per league and relation (same
player's alternative lines, same player's markets, teammates, opponents, a player's prop and
the game's total), estimated on every settled line; joint Kelly's correlation model. The logic
is propcast.correlations.outcome_correlations (via propcast.stakes_table).

Tag refresh_with_training: training runs it (`dbt run` of the predictors, before any build of
the day), so on a warehouse never scored fct_line_settlements does not exist yet: no game total
is settled then, and the estimate is the prop lines' alone."""

import duckdb

from propcast.engine_frames import for_engine
from propcast.stakes_table import correlations_table

NOTHING_SETTLED = "select null::varchar as market, null::varchar as result where false"


def model(dbt, session):
    try:
        settlements = dbt.ref("fct_line_settlements")
    except duckdb.CatalogException:
        settlements = session.query(NOTHING_SETTLED)
    table = correlations_table(dbt.ref("fct_prop_line_features"), settlements)
    return for_engine(table, session)
