"""The demo world: a deterministic simulated NBA whose vendor feeds look like the real ones.

    from propcast.world import generate
    summary = generate(home.world, seed=7, start=date(2026, 10, 21), days=165)

No real feed is reachable offline, so the demo, the tests and the benchmarks run the warehouse
on this world. It writes what the vendors would have published (`feeds/`) and, apart, the
ground truth nothing downstream may read (`truth/prop_truth.csv`, `truth/game_total_truth.csv`,
`truth/world.json`).

The model
---------
League (`leagues.py`): the 30 NBA teams; the league feed writes ESPN-style codes (GS, NY, SA,
NO, UTAH, WSH), the odds vendor full names ("Los Angeles Clippers"). Everything league-specific
is data in a `LeagueSpec`; `generate(league=NHL)` (`nhl.py`, a first cut) simulates the NHL
instead (shots on goal and goals, through the same feeds and warehouse: `propcast demo
--league NHL`).

Players (`roster.py`, `names.py`): 13 per team in depth slots (starters: two guards, a wing,
two bigs). Each has a latent quality (better slots draw higher), a minutes weight and
per-minute rates of points, rebounds, assists and threes from his archetype (bigs rebound,
guards assist and shoot threes) lifted by quality. Rosters are scaled so a team at full strength
produces the league's average totals (113 points, 44 rebounds, 26 assists, 13 threes) times its
own offensive style.

Every day (`season.py`):
* form: each player's log form per stat is an AR(1) (daily phi 0.97, stationary sd 0.10); his
  minutes role another (phi 0.985, sd 0.08);
* availability: injuries strike 2.8 % of players per game played and last a log-normal number
  of days (median 8, at most 60; at most 4 out per team; about 1.6 absent per team-game);
  stars sit 15 % of the second nights of back-to-backs; returning players play on a minutes
  ramp (80 %, then 90 %). Absent players are not in the boxscore and get no props;
* expected minutes: the active players' weights (* role, * ramp, starters * 0.93 on a back-to-
  back) are scaled to the team's 240 player-minutes, at most 42 each; the top five start;
* true mean of each stat = expected minutes * rate * form * game pace (mean of both teams') *
  opponent's defence * home edge (±1.2 % points) * back-to-back fatigue;
* distributions (the night's draws: `night.py`): points ~ negative binomial with Var = 2.2 *
  mean, threes with Var = 1.25 * mean; rebounds and assists ~ Poisson. Stats are drawn as
  quantiles of exactly these distributions through a Gaussian copula with the player's minutes
  shock (corr 0.6 / 0.5 / 0.45 / 0.4), so minutes and production move together while each prop's
  distribution stays exact: `true_p_over` is P(X > line) under the very distribution the outcome
  came from, hence calibrated;
* minutes played = expected + (2 + 0.12 * expected) * minutes shock, rescaled to 240 (265, 290
  with overtime) and rounded; rotation players (10+ expected minutes) always play, the deep
  bench sometimes;
* team score = sum of its players' points. A tie goes to overtime (Poisson 11 points per team
  per period) credited to players no book could offer (expected under 18 minutes), so offered
  props keep their exact distribution.

Schedule (`schedule.py`): built night by night — about 7.5 games a night (3.5 per team a week),
weekday-shaped slates, back-to-backs but never three nights running, home/away balanced,
tip-offs 19:00-22:30 ET by the home team's time zone, weekend matinees at 13:00/15:30, no games
on Thanksgiving, Christmas Eve and the All-Star break, five on Christmas Day; ~0.5 % postponed
(announced on the day; props already posted are pulled, so they may need voiding). Each season
(July to June) is published as scheduled the day before it opens in the world (the first: the
day before the world's first date), then each date's results the next morning.

The market (`market.py` documents the error model): 3 snapshot buckets a day (10:00, 14:00,
18:00 ET), an event only while it has not started. A book's mean is the true mean times
exp(market_noise * (lean to the over + lag on form and minutes + shared error + book error)),
the errors shrinking toward the close; its line is the half point nearest its median, its
price its own P(over) with a 4-6 % multiplicative margin, rounded to 5 in its favour.
`market_strength` (`generate`, `run_demo`, world.json) sets how wrong the books are: "realistic"
(the default; the de-vigged close's log loss is 1.03-1.05 x the truth's in every market, as real
closing lines are sharp), "sharp" (near-efficient, ~1.005 x: no edge to find) or "soft" (~1.1 x).

Game totals (`totals.py`): every book posts a total per game at each snapshot, in the props'
error model's spirit (a noisy, lagged view of the true mean, shared + per-book errors shrinking
toward the close, vig, prices rounded to 5 in the book's favour; the de-vigged close ~1.04 x
the truth's log loss). The combined score's distribution is simulated with the draw's own
machinery (2^14 draws per game, half antithetic: P(over) to ~0.002) from random streams of its
own, so props, boxscores and prop truth are the same as without totals; its P(over) of every
offered line is `truth/game_total_truth.csv`.

Vendors (`vendors.py`): three odds vendors publish the market, each a subset of the books at
its own clock and in its own format and spellings (oddsapi JSON at 10:00/14:00/18:00 ET with
draftkings, fanduel, betmgm; csvfeed CSV five minutes later with draftkings, williamhill_us,
espnbet; decimalfeed decimal-odds JSON half an hour earlier with betmgm, betrivers, bovada,
pinnacle). A book's price is the same whichever vendor carries it. A small share of csvfeed and
decimalfeed rows is published broken (ingest quarantines them), and each of the two spells one
player by a nickname no normalisation maps. `generate(vendors=("oddsapi",))` publishes every
book through oddsapi alone; the games, the market and the truth never depend on the vendors.

Determinism: every random draw comes from `numpy.random.default_rng` seeded by (seed, purpose,
day and, for `generate(season=k)` with k > 0, the season); no clock, no set or dict ordering
leaks into the output. The seasons of one seed share the players and nothing else.
"""

from propcast.world.generate import WorldSummary, generate, merge_feeds
from propcast.world.leagues import NBA, LeagueSpec
from propcast.world.nhl import NHL

#: The leagues a world can simulate, by name (`propcast demo --league`).
LEAGUES = {spec.name: spec for spec in (NBA, NHL)}

__all__ = ["LEAGUES", "NBA", "NHL", "LeagueSpec", "WorldSummary", "generate", "merge_feeds"]
