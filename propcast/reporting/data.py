"""What the report pages read from the warehouse: one frame per section, or why there is none.

Every query covers the dates up to the report's date D. A mart that is not built yet is said
so (`Section.missing`) instead of failing the report; ROI/CLV and odds coverage have a
fallback computed from the core marts while their monitoring marts (`fct_ev_summary_daily`,
`fct_odds_coverage_daily`) are not built, and the section's `source` says which was used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from propcast.edge_gate import GateState, read_gate
from propcast.staking_setting import CHOSEN_STAKE, CHOSEN_STAKES_JOIN, RECOMMENDED_BETS_SQL

if TYPE_CHECKING:
    from propcast.reporting.ledger import LedgerSection


@dataclass
class Section:
    """One section of the report: its rows, where they came from, or why there are none."""

    name: str
    frame: pd.DataFrame
    source: str
    missing: str | None = None

    @property
    def has_data(self) -> bool:
        return self.missing is None and not self.frame.empty


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'main' and table_name = ?",
        [name],
    ).fetchone()
    return bool(found and found[0])


def _section(
    con: duckdb.DuckDBPyConnection,
    name: str,
    needs: tuple[str, ...],
    sql: str,
    params: list,
    empty: str,
    source: str | None = None,
) -> Section:
    source = source or ", ".join(needs)
    absent = [table for table in needs if not table_exists(con, table)]
    if absent:
        why = f"{', '.join(absent)} not built yet"
        return Section(name, pd.DataFrame(), source, missing=why)
    frame = con.execute(sql, params).df()
    return Section(name, frame, source, missing=None if not frame.empty else empty)


# Each prediction with its outcome, as fct_forecast_accuracy_daily settles it: the game final,
# the player played (a boxscore row), the market's stat known. `result` is over / under / push
# for settled lines, `void` when the player did not play or the game was postponed, else open.
OUTCOMES = """
outcomes as (
    select
        p.game_date, p.game_id, p.player_id, p.market, p.line, p.prob_over,
        p.market_prob_over,
        case m.stat
            when 'points' then s.points
            when 'rebounds' then s.rebounds
            when 'assists' then s.assists
            when 'threes' then s.threes
        end as stat_value,
        case
            when coalesce(g.is_postponed, false) then 'void'
            when not coalesce(g.is_final, false) then 'open'
            when s.player_id is null then 'void'
            when stat_value is null then 'open'
            when stat_value > p.line then 'over'
            when stat_value < p.line then 'under'
            else 'push'
        end as result
    from main.fct_predictions as p
    inner join main.dim_game as g on p.game_id = g.game_id
    left join main.fct_player_game_stats as s
        on p.game_id = s.game_id and p.player_id = s.player_id
    left join main.markets as m on p.market = m.market_id
    where p.game_date <= ?
)
"""
OUTCOME_TABLES = ("fct_predictions", "dim_game", "fct_player_game_stats", "markets")


def calibration(con: duckdb.DuckDBPyConnection, day: date) -> Section:
    """Settled predictions up to D: the model's and the market's P(over), and the outcome."""
    sql = f"""
        with {OUTCOMES}
        select game_date, prob_over, market_prob_over,
               case when result = 'over' then 1.0 else 0.0 end as went_over
        from outcomes where result in ('over', 'under')
    """
    return _section(
        con, "calibration", OUTCOME_TABLES, sql, [day],
        f"no prediction up to {day} is settled yet (settling needs the next day's results)",
        source="fct_predictions with dim_game and fct_player_game_stats",
    )  # fmt: skip


def accuracy(con: duckdb.DuckDBPyConnection, day: date) -> Section:
    sql = """
        select game_date, league, market_family, n_lines, model_versions, log_loss_model,
               log_loss_market, log_loss_model - log_loss_market as log_loss_gap, brier_model,
               brier_market
        from main.fct_forecast_accuracy_daily where game_date <= ?
        order by game_date, league, market_family
    """
    return _section(
        con, "forecast accuracy", ("fct_forecast_accuracy_daily",), sql, [day],
        f"no settled day up to {day} in fct_forecast_accuracy_daily",
    )  # fmt: skip


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns"
        " where table_schema = 'main' and table_name = ?",
        [table],
    ).fetchall()
    return {name for (name,) in rows}


def ev_summary_sql(columns: set[str]) -> str:
    """fct_ev_summary_daily summed over markets per date. Its contract names ROI per market;
    the settled stake and the count of bets with a CLV are used when the mart has them, else
    derived (stake = profit / roi, CLV weighted by the recommendations)."""
    settled_stake = (
        "sum(settled_stake)"
        if "settled_stake" in columns
        else "sum(case when roi is not null and roi != 0 then profit / roi"
        " when settled_bets > 0 then total_stake end)"
    )
    clv_bets = "bets_with_clv" if "bets_with_clv" in columns else "recommendations"
    counts = ", ".join(
        f"cast(sum({c}) as bigint) as {c}"
        for c in ("lines_priced", "recommendations", "settled_bets", "bets_won", "bets_lost",
                  "bets_pushed")
    )  # fmt: skip
    return f"""
        select game_date, {counts}, sum(total_stake) as total_stake,
               sum(expected_profit) as expected_profit, sum(profit) as profit,
               {settled_stake} as settled_stake,
               cast(sum(case when mean_clv is not null then {clv_bets} end) as bigint)
                   as clv_bets,
               sum(mean_clv * {clv_bets})
                   / nullif(sum(case when mean_clv is not null then {clv_bets} end), 0)
                   as mean_clv
        from main.fct_ev_summary_daily where game_date <= ?
        group by game_date order by game_date
    """


# Without fct_ev_summary_daily, as the mart defines them: each recommended bet, at the stake of
# the run's staking policy (fct_bet_stakes, as fct_bet_settlements reads it), settled as above,
# and its closing line value once its game is settled (the close is known only then): the
# closing consensus de-vigged probability of its side (the books' closing quotes of the same
# line) minus the probability implied by the price taken (1 / decimal price).
EV_FALLBACK_SQL = f"""
    with {OUTCOMES},
    closing as (
        select game_id, player_id, market, line, avg(fair_prob_over) as closing_prob_over
        from main.fct_prop_odds
        where is_closing and is_pregame and fair_prob_over is not null and game_date <= ?
        group by all
    ),
    bets as (
        select r.game_date, r.market, r.side, {CHOSEN_STAKE} as stake, r.ev,
               r.price_decimal, o.result,
               case when o.result in ('over', 'under', 'push') then
                   case when r.side = 'over' then c.closing_prob_over
                        else 1.0 - c.closing_prob_over end - 1.0 / r.price_decimal
               end as clv
        from main.fct_bet_recommendations as r
        inner join outcomes as o
            on r.game_date = o.game_date and r.game_id = o.game_id
            and r.player_id = o.player_id and r.market = o.market and r.line = o.line
        {CHOSEN_STAKES_JOIN}
        left join closing as c
            on r.game_id = c.game_id and r.player_id = c.player_id
            and r.market = c.market and r.line = c.line
        where r.is_recommended and r.game_date <= ?
    )
    select game_date, count(*) as recommendations, sum(stake) as total_stake,
           sum(stake * ev) as expected_profit,
           count(case when result in ('over', 'under', 'push') then 1 end) as settled_bets,
           count(case when result = side then 1 end) as bets_won,
           count(case when result in ('over', 'under') and result != side then 1 end)
               as bets_lost,
           count(case when result = 'push' then 1 end) as bets_pushed,
           sum(case when result = side then stake * (price_decimal - 1.0)
                    when result in ('over', 'under') then -stake else 0.0 end) as profit,
           sum(case when result in ('over', 'under', 'push') then stake end) as settled_stake,
           count(clv) as clv_bets, avg(clv) as mean_clv
    from bets group by game_date order by game_date
"""


def ev_summary(con: duckdb.DuckDBPyConnection, day: date) -> Section:
    """Per date up to D: bets, stake, settled results, profit, ROI and mean CLV."""
    if table_exists(con, "fct_ev_summary_daily"):
        sql = ev_summary_sql(_columns(con, "fct_ev_summary_daily"))
        section = _section(
            con, "ROI and CLV", ("fct_ev_summary_daily",), sql, [day],
            f"fct_ev_summary_daily has no date up to {day}",
        )  # fmt: skip
    else:
        section = _section(
            con, "ROI and CLV",
            ("fct_bet_recommendations", "fct_bet_stakes", "fct_prop_odds", *OUTCOME_TABLES),
            EV_FALLBACK_SQL, [day, day, day], f"no recommended bet up to {day}",
            source="fct_bet_recommendations at fct_bet_stakes' stakes settled on "
            "fct_player_game_stats, CLV on fct_prop_odds' closing quotes "
            "(fct_ev_summary_daily is not built yet)",
        )  # fmt: skip
    frame = section.frame
    if not frame.empty:
        frame["roi"] = frame["profit"] / frame["settled_stake"].where(frame["settled_stake"] > 0)
    return section


COVERAGE_SQL = """
    select game_date, vendor, count(distinct book_id) as books,
           max(games_scheduled) as games_scheduled, max(games_offered) as games_offered,
           max(players_expected) as players_expected, max(players_offered) as players_offered,
           cast(sum(lines_offered) as bigint) as lines_offered,
           avg(game_coverage) as game_coverage, avg(player_coverage) as player_coverage
    from main.fct_odds_coverage_daily where game_date <= ?
    group by game_date, vendor order by game_date, vendor
"""

# Without fct_odds_coverage_daily: the games each vendor quoted before tip-off, over the
# games scheduled (not postponed); players expected are not known here.
COVERAGE_FALLBACK_SQL = """
    with scheduled as (
        select game_date, count(*) as games_scheduled from main.dim_game
        where not coalesce(is_postponed, false) and game_date <= ? group by game_date
    ),
    offered as (
        select o.game_date, o.vendor, count(distinct o.book_id) as books,
               count(distinct case when not coalesce(g.is_postponed, false) then o.game_id end)
                   as games_offered,
               count(distinct o.player_id) as players_offered,
               count(distinct (o.game_id, o.player_id, o.market, o.line, o.book_id))
                   as lines_offered
        from main.fct_prop_odds as o left join main.dim_game as g on o.game_id = g.game_id
        where o.is_pregame and o.game_date <= ? group by all
    )
    select o.game_date, o.vendor, o.books, s.games_scheduled, o.games_offered,
           cast(null as bigint) as players_expected, o.players_offered, o.lines_offered,
           o.games_offered / s.games_scheduled as game_coverage,
           cast(null as double) as player_coverage
    from offered as o inner join scheduled as s on o.game_date = s.game_date
    order by o.game_date, o.vendor
"""


def coverage(con: duckdb.DuckDBPyConnection, day: date) -> Section:
    """Per date and vendor up to D: the share of scheduled games (and players) quoted."""
    if table_exists(con, "fct_odds_coverage_daily"):
        return _section(
            con, "odds coverage", ("fct_odds_coverage_daily",), COVERAGE_SQL, [day],
            f"fct_odds_coverage_daily has no date up to {day}",
        )  # fmt: skip
    return _section(
        con, "odds coverage", ("fct_prop_odds", "dim_game"), COVERAGE_FALLBACK_SQL, [day, day],
        f"no odds were quoted up to {day}",
        source="fct_prop_odds over dim_game (fct_odds_coverage_daily is not built yet)",
    )  # fmt: skip


def mapping(con: duckdb.DuckDBPyConnection, day: date) -> Section:
    sql = """
        select game_date, vendor, quotes, quotes_player_unmapped, unmapped_player_names,
               mapped_share, fully_mapped_share, top_unmapped_player_names
        from main.fct_mapping_quality_daily where game_date <= ? order by game_date, vendor
    """
    return _section(
        con, "mapping quality", ("fct_mapping_quality_daily",), sql, [day],
        f"no quote up to {day} in fct_mapping_quality_daily",
    )  # fmt: skip


def slate(con: duckdb.DuckDBPyConnection, day: date) -> Section:
    """D's slate summary (games, lines, bets or why none) and its recommended bets."""
    sql = "select * from main.fct_slate_summary_daily where game_date = ?"
    return _section(
        con, "slate", ("fct_slate_summary_daily",), sql, [day],
        f"the slate summary has no row for {day}: the slate was not run",
    )  # fmt: skip


def slate_bets(con: duckdb.DuckDBPyConnection, day: date, limit: int = 25) -> pd.DataFrame:
    """D's top bets by EV: the raw model's, the market's and the priced probability of the
    side (p_model, p_market, p_priced: the market's moved toward the model's by the edge gate,
    what EV and the stake use), and the stake of the run's staking policy (fct_bet_stakes)."""
    if not (table_exists(con, "fct_bet_recommendations") and table_exists(con, "fct_bet_stakes")):
        return pd.DataFrame()
    return con.execute(f"{RECOMMENDED_BETS_SQL} limit ?", [day, limit]).df()


@dataclass
class ReportData:
    day: date
    slate: Section
    bets: pd.DataFrame
    calibration: Section
    accuracy: Section
    ev: Section
    coverage: Section
    mapping: Section
    ledger: LedgerSection | None = None  # the placed bets up to D (propcast.reporting.ledger)
    edge_gate: list[GateState] | None = None  # D's gate per priced family (propcast.edge_gate)

    def sections(self) -> list[Section]:
        return [self.slate, self.calibration, self.accuracy, self.ev, self.coverage, self.mapping]


def load(con: duckdb.DuckDBPyConnection, day: date) -> ReportData:
    return ReportData(
        day=day,
        slate=slate(con, day),
        bets=slate_bets(con, day),
        calibration=calibration(con, day),
        accuracy=accuracy(con, day),
        ev=ev_summary(con, day),
        coverage=coverage(con, day),
        mapping=mapping(con, day),
        edge_gate=read_gate(con, day),
    )
