"""A league as data: teams, roster slots, stat distributions, calendar and rhythm of play.

The simulation (`season.py`) and the writers (`feeds.py`) read only a `LeagueSpec`, so another
league is a new `LeagueSpec` plus, where its rules differ, a hook — not a rewrite. The NBA is
defined here, the NHL in `nhl.py` (its world runs through the warehouse: `propcast demo
--league NHL`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Literal

Family = Literal["nbinom", "poisson"]


@dataclass(frozen=True)
class TeamSpec:
    code: str  # the warehouse's code (seeds/teams.csv)
    feed_code: str  # the league feed's own code (ESPN style)
    vendor_name: str  # the odds vendor's full name
    zone: str  # home time zone: E, C, M or P; decides local tip-off times
    nickname: str = ""  # "Warriors": how decimalfeed names the team beside its code


@dataclass(frozen=True)
class StatSpec:
    """One counting stat, its prop market and the distribution it is drawn from."""

    market: str  # odds vendor market key
    column: str  # boxscore column
    family: Family
    # nbinom only, NB1 parametrisation: Var = variance_ratio * mean, so stars and role players
    # get realistic spreads with one number (size n = mean / (ratio - 1), p = 1 / ratio).
    variance_ratio: float
    per36: dict[str, float]  # league-average rate per 36 minutes by archetype
    team_total: float  # league-average team total per game; rosters are scaled to it
    quality_weight: float  # how strongly latent quality lifts the rate (stars score more)
    defence_sd: float  # sd of the log multiplier a defence applies to opponents
    home_log_edge: float  # log multiplier at home (and its negative away)
    back_to_back: float  # rate multiplier on the second night of a back-to-back
    minutes_corr: float  # Gaussian-copula correlation with the player's minutes shock


@dataclass(frozen=True)
class SlotSpec:
    """A depth-chart slot: who is drafted into it and how much they play."""

    archetype: str
    base_minutes: float
    quality_mean: float


@dataclass(frozen=True)
class LeagueSpec:
    name: str
    sport_key: str
    sport_title: str
    teams: tuple[TeamSpec, ...]
    slots: tuple[SlotSpec, ...]
    stats: tuple[StatSpec, ...]
    score_stat: str  # the boxscore column whose team sum is the team's score
    on_floor: int  # players per team on the floor at once
    game_minutes: float  # length of regulation
    overtime_length: float  # length of one overtime period
    minutes_cap: float  # expected-minutes cap of one player
    overtime_points: float  # mean points per team in one overtime period
    starters: int
    # Schedule
    games_per_team_week: float
    weekday_weights: tuple[float, ...]  # Monday..Sunday relative slate sizes
    slate_sd: float  # night-to-night noise of the slate size (games)
    slate_reversion: float  # share of yesterday's deviation from the pace taken back today
    back_to_back_penalty: float  # priority cost of playing on consecutive days
    zone_tipoffs: dict[str, tuple[tuple[time, float], ...]]  # local slots (US/Eastern clock)
    weekend_matinee_share: float
    matinee_tipoffs: tuple[time, ...]
    christmas_tipoffs: tuple[time, ...]
    postpone_rate: float
    game_id_prefix: int
    # Players
    form_phi: float  # daily AR(1) coefficient of a player's log form per stat
    form_sd: float  # stationary sd of log form
    role_phi: float  # daily AR(1) coefficient of the log minutes role
    role_sd: float
    injury_hazard: float  # per game played
    injury_median_days: float
    injury_log_sd: float
    injury_max_days: int
    max_out_per_team: int
    rest_share: float  # chance a top player sits the second night of a back-to-back
    rest_top: int  # how many of a team's top players may be rested
    back_to_back_minutes: float  # starters' minutes multiplier on the second night
    return_ramp: tuple[float, ...]  # minutes multipliers for the first games back
    pace_sd: float
    offence_sd: float
    minutes_sd: tuple[float, float]  # realised minutes sd = a + b * expected minutes
    # Copula correlation between teammates' shocks: shots, rebounds and minutes are shared, so
    # one player's big night is partly another's quiet one (keeps team totals realistic).
    teammate_corr: float
    rotation_minutes: float  # players expected this much always get on the floor
    # Books' minimum expected minutes to offer a player (BookSpec.min_minutes, set in NBA
    # minutes) times this: an NHL skater's ice time is shorter.
    offer_minutes_scale: float = 1.0
    # A tie after regulation: False, further overtime periods until it is broken (the NBA);
    # True, one sudden-death overtime then a shootout that adds one to the winner's score and
    # to no player's (the NHL's regular season; books settle totals on that final score).
    shootout: bool = False
    # The league's player ids are this letter and six digits: leagues differ, so one warehouse
    # holding two leagues' worlds never sees one id twice (it keys players on the id alone).
    player_id_prefix: str = "P"

    @property
    def team_minutes(self) -> float:
        """Player-minutes a team hands out in regulation."""
        return self.on_floor * self.game_minutes


def _t(hhmm: str) -> time:
    hour, minute = hhmm.split(":")
    return time(int(hour), int(minute))


# (code, league feed code, city as the vendor writes it, nickname, zone)
_NBA_TEAMS = [
    ("ATL", "ATL", "Atlanta", "Hawks", "E"),
    ("BOS", "BOS", "Boston", "Celtics", "E"),
    ("BKN", "BKN", "Brooklyn", "Nets", "E"),
    ("CHA", "CHA", "Charlotte", "Hornets", "E"),
    ("CHI", "CHI", "Chicago", "Bulls", "C"),
    ("CLE", "CLE", "Cleveland", "Cavaliers", "E"),
    ("DAL", "DAL", "Dallas", "Mavericks", "C"),
    ("DEN", "DEN", "Denver", "Nuggets", "M"),
    ("DET", "DET", "Detroit", "Pistons", "E"),
    ("GSW", "GS", "Golden State", "Warriors", "P"),
    ("HOU", "HOU", "Houston", "Rockets", "C"),
    ("IND", "IND", "Indiana", "Pacers", "E"),
    ("LAC", "LAC", "Los Angeles", "Clippers", "P"),
    ("LAL", "LAL", "Los Angeles", "Lakers", "P"),
    ("MEM", "MEM", "Memphis", "Grizzlies", "C"),
    ("MIA", "MIA", "Miami", "Heat", "E"),
    ("MIL", "MIL", "Milwaukee", "Bucks", "C"),
    ("MIN", "MIN", "Minnesota", "Timberwolves", "C"),
    ("NOP", "NO", "New Orleans", "Pelicans", "C"),
    ("NYK", "NY", "New York", "Knicks", "E"),
    ("OKC", "OKC", "Oklahoma City", "Thunder", "C"),
    ("ORL", "ORL", "Orlando", "Magic", "E"),
    ("PHI", "PHI", "Philadelphia", "76ers", "E"),
    ("PHX", "PHX", "Phoenix", "Suns", "M"),
    ("POR", "POR", "Portland", "Trail Blazers", "P"),
    ("SAC", "SAC", "Sacramento", "Kings", "P"),
    ("SAS", "SA", "San Antonio", "Spurs", "C"),
    ("TOR", "TOR", "Toronto", "Raptors", "E"),
    ("UTA", "UTAH", "Utah", "Jazz", "M"),
    ("WAS", "WSH", "Washington", "Wizards", "E"),
]

NBA = LeagueSpec(
    name="NBA",
    sport_key="basketball_nba",
    sport_title="NBA",
    teams=tuple(
        TeamSpec(code, feed, f"{city} {nick}", zone, nick)
        for code, feed, city, nick, zone in _NBA_TEAMS
    ),
    # A 13-man roster: five starters (two guards, a wing, two bigs), then the bench.
    slots=(
        SlotSpec("guard", 35.0, 0.9),
        SlotSpec("guard", 33.0, 0.5),
        SlotSpec("wing", 32.0, 0.4),
        SlotSpec("big", 31.0, 0.3),
        SlotSpec("big", 29.0, 0.1),
        SlotSpec("wing", 25.0, 0.0),
        SlotSpec("guard", 22.0, -0.1),
        SlotSpec("big", 19.0, -0.2),
        SlotSpec("wing", 11.0, -0.4),
        SlotSpec("guard", 5.0, -0.6),
        SlotSpec("big", 2.0, -0.7),
        SlotSpec("wing", 1.0, -0.8),
        SlotSpec("guard", 1.0, -0.9),
    ),
    stats=(
        StatSpec(
            market="player_points",
            column="points",
            family="nbinom",
            variance_ratio=2.2,
            per36={"guard": 17.0, "wing": 16.0, "big": 15.0},
            team_total=113.0,
            quality_weight=0.35,
            defence_sd=0.035,
            home_log_edge=0.012,
            back_to_back=0.985,
            minutes_corr=0.6,
        ),
        StatSpec(
            market="player_rebounds",
            column="rebounds",
            family="poisson",
            variance_ratio=1.0,
            per36={"guard": 4.5, "wing": 6.5, "big": 10.5},
            team_total=44.0,
            quality_weight=0.15,
            defence_sd=0.03,
            home_log_edge=0.008,
            back_to_back=0.99,
            minutes_corr=0.5,
        ),
        StatSpec(
            market="player_assists",
            column="assists",
            family="poisson",
            variance_ratio=1.0,
            per36={"guard": 6.5, "wing": 3.5, "big": 2.5},
            team_total=26.0,
            quality_weight=0.25,
            defence_sd=0.04,
            home_log_edge=0.015,
            back_to_back=0.99,
            minutes_corr=0.45,
        ),
        # Three-pointers made: guards and wings shoot them, bigs rarely; a little overdispersed
        # (hot and cold shooting nights), ~13 a team.
        StatSpec(
            market="player_threes",
            column="threes",
            family="nbinom",
            variance_ratio=1.25,
            per36={"guard": 2.8, "wing": 2.4, "big": 0.8},
            team_total=13.0,
            quality_weight=0.3,
            defence_sd=0.05,
            home_log_edge=0.01,
            back_to_back=0.98,
            minutes_corr=0.4,
        ),
    ),
    score_stat="points",
    on_floor=5,
    game_minutes=48.0,
    overtime_length=5.0,
    minutes_cap=42.0,
    overtime_points=11.0,
    starters=5,
    games_per_team_week=3.5,
    # Real NBA slates: busy Tuesdays, Wednesdays and Fridays, thin Thursdays and Sundays.
    weekday_weights=(0.95, 1.15, 1.2, 0.7, 1.15, 1.0, 0.85),
    slate_sd=1.5,
    slate_reversion=0.5,
    back_to_back_penalty=0.9,
    # Tip-offs are 7-7:30 pm local for eastern teams, later (on the Eastern clock) out west.
    zone_tipoffs={
        "E": ((_t("19:00"), 0.6), (_t("19:30"), 0.4)),
        "C": ((_t("20:00"), 0.7), (_t("20:30"), 0.3)),
        "M": ((_t("21:00"), 0.8), (_t("21:30"), 0.2)),
        "P": ((_t("22:00"), 0.6), (_t("22:30"), 0.4)),
    },
    weekend_matinee_share=0.18,
    matinee_tipoffs=(_t("13:00"), _t("15:30")),
    christmas_tipoffs=(_t("12:00"), _t("14:30"), _t("17:00"), _t("20:00"), _t("22:30")),
    postpone_rate=0.005,
    game_id_prefix=401,
    form_phi=0.97,
    form_sd=0.10,
    role_phi=0.985,
    role_sd=0.08,
    injury_hazard=0.028,
    injury_median_days=8.0,
    injury_log_sd=0.9,
    injury_max_days=60,
    max_out_per_team=4,
    rest_share=0.15,
    rest_top=2,
    back_to_back_minutes=0.93,
    return_ramp=(0.8, 0.9),
    pace_sd=0.025,
    offence_sd=0.03,
    minutes_sd=(2.0, 0.12),
    teammate_corr=-0.06,
    rotation_minutes=10.0,
)
