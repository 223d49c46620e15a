"""The NHL as a `LeagueSpec` (a first cut, issue 10): 32 teams, 18 dressed skaters, shots on
goal and goals.

What is modelled: 60-minute games with 300 skater-minutes of ice time per team (12 forwards
on four lines, 6 defencemen on three pairs; "minutes" are time on ice); shots on goal ~ NB1
(Var = 1.3 * mean, ~29 a team) and goals ~ Poisson (~3 a team; the team's score is the sum of
its players' goals), drawn through the same minutes copula as the NBA's stats. Books offer a
skater expected at least 0.6 x their NBA minutes threshold (~11 minutes of ice time).

Ties (`shootout=True`): one sudden-death overtime (each side scores at 0.35 goals a period:
it ends on a goal half the time, the goal credited to a skater no book could offer, so offered
props keep their exact distribution), else a shootout, a coin flip that adds one goal to the
winner's score and to no player's. The final score books settle totals on is then always one
goal above a regulation tie, as in the NHL's regular season.

What is simplified: goalies are not simulated (no saves props); no Christmas games (the NHL's
break) but the NBA's other off days (Thanksgiving, the All-Star week).

Read by the warehouse as the NBA's world is (`propcast demo --league NHL`): the league feed's
boxscores carry `shots_on_goal` and `goals`, the counts seeds/markets.csv names for the NHL
(`propcast.vendors.league` checks each row's league's counts); the odds vendors' files use
`icehockey_nhl` / `icehockey/nhl`, csvfeed stat codes `SOG`/`G`, decimalfeed markets
`shots_on_goal`/`goals` (seeds/market_aliases.csv).
"""

from __future__ import annotations

from propcast.world.leagues import LeagueSpec, SlotSpec, StatSpec, TeamSpec, _t

# (warehouse code, league feed code, city, nickname, zone)
_NHL_TEAMS = [
    ("ANA", "ANA", "Anaheim", "Ducks", "P"),
    ("BOS", "BOS", "Boston", "Bruins", "E"),
    ("BUF", "BUF", "Buffalo", "Sabres", "E"),
    ("CGY", "CGY", "Calgary", "Flames", "M"),
    ("CAR", "CAR", "Carolina", "Hurricanes", "E"),
    ("CHI", "CHI", "Chicago", "Blackhawks", "C"),
    ("COL", "COL", "Colorado", "Avalanche", "M"),
    ("CBJ", "CBJ", "Columbus", "Blue Jackets", "E"),
    ("DAL", "DAL", "Dallas", "Stars", "C"),
    ("DET", "DET", "Detroit", "Red Wings", "E"),
    ("EDM", "EDM", "Edmonton", "Oilers", "M"),
    ("FLA", "FLA", "Florida", "Panthers", "E"),
    ("LAK", "LA", "Los Angeles", "Kings", "P"),
    ("MIN", "MIN", "Minnesota", "Wild", "C"),
    ("MTL", "MTL", "Montreal", "Canadiens", "E"),
    ("NSH", "NSH", "Nashville", "Predators", "C"),
    ("NJD", "NJ", "New Jersey", "Devils", "E"),
    ("NYI", "NYI", "New York", "Islanders", "E"),
    ("NYR", "NYR", "New York", "Rangers", "E"),
    ("OTT", "OTT", "Ottawa", "Senators", "E"),
    ("PHI", "PHI", "Philadelphia", "Flyers", "E"),
    ("PIT", "PIT", "Pittsburgh", "Penguins", "E"),
    ("SJS", "SJ", "San Jose", "Sharks", "P"),
    ("SEA", "SEA", "Seattle", "Kraken", "P"),
    ("STL", "STL", "St. Louis", "Blues", "C"),
    ("TBL", "TB", "Tampa Bay", "Lightning", "E"),
    ("TOR", "TOR", "Toronto", "Maple Leafs", "E"),
    ("UTA", "UTAH", "Utah", "Mammoth", "M"),
    ("VAN", "VAN", "Vancouver", "Canucks", "P"),
    ("VGK", "VGK", "Vegas", "Golden Knights", "P"),
    ("WSH", "WSH", "Washington", "Capitals", "E"),
    ("WPG", "WPG", "Winnipeg", "Jets", "C"),
]

# Four forward lines and three defence pairs; base "minutes" are time on ice.
_FORWARDS = [
    (20.0, 0.9), (19.0, 0.7), (18.0, 0.6), (16.5, 0.3), (16.0, 0.2), (15.0, 0.1),
    (13.5, -0.1), (13.0, -0.2), (12.5, -0.3), (10.5, -0.5), (10.0, -0.6), (9.0, -0.7),
]  # fmt: skip
_DEFENCE = [(24.0, 0.6), (23.0, 0.4), (21.0, 0.2), (20.0, 0.0), (18.0, -0.2), (17.0, -0.4)]

NHL = LeagueSpec(
    name="NHL",
    sport_key="icehockey_nhl",
    sport_title="NHL",
    teams=tuple(
        TeamSpec(code, feed, f"{city} {nick}", zone, nick)
        for code, feed, city, nick, zone in _NHL_TEAMS
    ),
    slots=(
        *(SlotSpec("defence", m, q) for m, q in _DEFENCE[:2]),
        *(SlotSpec("forward", m, q) for m, q in _FORWARDS[:3]),
        *(SlotSpec("defence", m, q) for m, q in _DEFENCE[2:]),
        *(SlotSpec("forward", m, q) for m, q in _FORWARDS[3:]),
    ),
    stats=(
        StatSpec(
            market="player_shots_on_goal",
            column="shots_on_goal",
            family="nbinom",
            variance_ratio=1.3,
            per36={"forward": 5.0, "defence": 3.0},
            team_total=29.0,
            quality_weight=0.4,
            defence_sd=0.06,
            home_log_edge=0.02,
            back_to_back=0.97,
            minutes_corr=0.45,
        ),
        StatSpec(
            market="player_goals",
            column="goals",
            family="poisson",
            variance_ratio=1.0,
            per36={"forward": 0.6, "defence": 0.2},
            team_total=3.0,
            quality_weight=0.5,
            defence_sd=0.08,
            home_log_edge=0.03,
            back_to_back=0.96,
            minutes_corr=0.3,
        ),
    ),
    score_stat="goals",
    on_floor=5,
    game_minutes=60.0,
    overtime_length=5.0,
    minutes_cap=27.0,
    overtime_points=0.35,
    shootout=True,
    player_id_prefix="N",
    starters=5,
    games_per_team_week=3.3,
    # Busy Tuesdays, Thursdays and Saturdays, thin Mondays, Wednesdays and Sundays.
    weekday_weights=(0.7, 1.3, 0.8, 1.3, 0.8, 1.5, 0.6),
    slate_sd=1.5,
    slate_reversion=0.5,
    back_to_back_penalty=0.9,
    zone_tipoffs={
        "E": ((_t("19:00"), 0.8), (_t("19:30"), 0.2)),
        "C": ((_t("20:00"), 0.8), (_t("20:30"), 0.2)),
        "M": ((_t("21:00"), 0.9), (_t("21:30"), 0.1)),
        "P": ((_t("22:00"), 0.7), (_t("22:30"), 0.3)),
    },
    weekend_matinee_share=0.15,
    matinee_tipoffs=(_t("13:00"), _t("15:00")),
    christmas_tipoffs=(),  # the NHL's Christmas break: no games
    postpone_rate=0.003,
    game_id_prefix=402,
    form_phi=0.97,
    form_sd=0.10,
    role_phi=0.985,
    role_sd=0.06,
    injury_hazard=0.02,
    injury_median_days=8.0,
    injury_log_sd=0.9,
    injury_max_days=60,
    max_out_per_team=4,
    rest_share=0.02,
    rest_top=1,
    back_to_back_minutes=0.97,
    return_ramp=(0.9,),
    pace_sd=0.03,
    offence_sd=0.05,
    minutes_sd=(1.2, 0.1),
    teammate_corr=-0.04,
    rotation_minutes=5.0,
    offer_minutes_scale=0.6,
)
