"""The PROPCAST_STAKING setting, and how readers outside dbt find the stake it chose and what a
bet is on; apart from propcast.staking (numpy, scipy) so that checking settings, starting dbt
and the reports import nothing heavy."""

from __future__ import annotations

import os

from propcast.settings import SettingsError

STAKING_ENV = "PROPCAST_STAKING"
#: The policies fct_bet_stakes can choose (dbt var staking).
STAKINGS = ("kelly", "joint-kelly")

#: A recommendation's chosen stake for SQL outside dbt (export, reports), the twin of macro
#: recommendations_at_chosen_stake: fct_bet_stakes joined as `s` onto fct_bet_recommendations
#: as `r` on the bet's grain. A bet fct_bet_stakes has not staked keeps the recommendation's
#: own (independent Kelly) stake, staking 'kelly'.
CHOSEN_STAKES_JOIN = (
    "left join main.fct_bet_stakes as s on r.game_id = s.game_id"
    " and r.player_id is not distinct from s.player_id"  # null: a game total
    " and r.market = s.market and r.line = s.line"
)
CHOSEN_STAKE = "coalesce(s.stake, r.stake)"
#: What a bet is on, for people: the player's name (dim_player joined as `p`) for a prop, the
#: game for a game total (its player_id is null).
BET_SUBJECT = (
    "case when r.market = 'game_total' then 'game total ' || r.game_id"
    " else coalesce(p.player_name, r.player_id) end"
)


def with_subject_id(frame):
    """A pandas frame of bets or lines (player_id, game_id) with `subject_id`: the player, or
    the game for a game total (player_id null), as fct_line_settlements keys them. A null key
    would match nothing in a merge and drop its rows from a pivot."""
    return frame.assign(subject_id=frame["player_id"].fillna(frame["game_id"]))


CHOSEN_STAKE_FRACTION = "coalesce(s.stake_fraction, r.stake_fraction)"
CHOSEN_STAKING = "coalesce(s.staking, 'kelly')"
#: A slate's recommended bets at their chosen stake, best EV first (one parameter: the game
#: date): the markdown daily report lists them all, the HTML page its top ones.
RECOMMENDED_BETS_SQL = f"""
    select {BET_SUBJECT} as player, r.market, r.line, r.side,
           r.book_id as book, r.price_american as price, r.side_model_prob as p_model,
           r.side_market_prob as p_market, r.side_prob as p_priced, r.ev,
           {CHOSEN_STAKE} as stake
    from main.fct_bet_recommendations as r
    {CHOSEN_STAKES_JOIN}
    left join main.dim_player as p on r.player_id = p.player_id
    where r.game_date = ? and r.is_recommended
    order by r.ev desc, r.game_id, r.player_id, r.line
"""


def staking_setting() -> str | None:
    """PROPCAST_STAKING (kelly or joint-kelly; it wins over dbt var staking: dbt_runner passes
    it as the var), None when unset; SettingsError for any other value."""
    raw = os.environ.get(STAKING_ENV, "").strip()
    if not raw:
        return None
    if raw not in STAKINGS:
        raise SettingsError(
            f"{STAKING_ENV}={raw!r} must be kelly (independent fractional Kelly) or joint-kelly "
            '(the slate\'s stakes maximised jointly, README "Staking and simulation"); unset it '
            "for dbt var staking (default kelly)"
        )
    return raw
