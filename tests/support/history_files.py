"""Generated historical game-totals files in the import format (`propcast import totals`).

`simulate_season` plays one NBA or NHL season: teams with offence, defence and pace, a home
advantage, rest effects (a back-to-back costs scoring, three days' rest adds some), games on a
random calendar. Each game's true distribution of the final total is simulated (NBA ties go to
overtime; an NHL tie after regulation adds one goal, overtime or shootout, as books settle), and
the closing line is efficient: NBA the true mean plus a little noise rounded to .5, NHL the one
of 5.5 / 6 / 6.5 nearest an even price, with prices from the true P(over | no push) plus vig.
`line_bias` shifts every posted line (a deliberately beatable market: the prices still say
50/50 around it).

`write_history_files` writes seasons as CSV (`league, game_date, home_team, away_team,
total_line, over_price, under_price, home_score, away_score`, plus `book`/`line_type` when
several books or open lines are asked for), with messy team spellings. Deterministic from the
seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

NBA_TEAMS = {
    "ATL": "Atlanta Hawks", "BOS": "Boston Celtics", "BKN": "Brooklyn Nets",
    "CHA": "Charlotte Hornets", "CHI": "Chicago Bulls", "CLE": "Cleveland Cavaliers",
    "DAL": "Dallas Mavericks", "DEN": "Denver Nuggets", "DET": "Detroit Pistons",
    "GSW": "Golden State Warriors", "HOU": "Houston Rockets", "IND": "Indiana Pacers",
    "LAC": "Los Angeles Clippers", "LAL": "Los Angeles Lakers", "MEM": "Memphis Grizzlies",
    "MIA": "Miami Heat", "MIL": "Milwaukee Bucks", "MIN": "Minnesota Timberwolves",
    "NOP": "New Orleans Pelicans", "NYK": "New York Knicks", "OKC": "Oklahoma City Thunder",
    "ORL": "Orlando Magic", "PHI": "Philadelphia 76ers", "PHX": "Phoenix Suns",
    "POR": "Portland Trail Blazers", "SAC": "Sacramento Kings", "SAS": "San Antonio Spurs",
    "TOR": "Toronto Raptors", "UTA": "Utah Jazz", "WAS": "Washington Wizards",
}  # fmt: skip
NHL_TEAMS = {
    "ANA": "Anaheim Ducks", "BOS": "Boston Bruins", "BUF": "Buffalo Sabres",
    "CGY": "Calgary Flames", "CAR": "Carolina Hurricanes", "CHI": "Chicago Blackhawks",
    "COL": "Colorado Avalanche", "CBJ": "Columbus Blue Jackets", "DAL": "Dallas Stars",
    "DET": "Detroit Red Wings", "EDM": "Edmonton Oilers", "FLA": "Florida Panthers",
    "LAK": "Los Angeles Kings", "MIN": "Minnesota Wild", "MTL": "Montreal Canadiens",
    "NSH": "Nashville Predators", "NJD": "New Jersey Devils", "NYI": "New York Islanders",
    "NYR": "New York Rangers", "OTT": "Ottawa Senators", "PHI": "Philadelphia Flyers",
    "PIT": "Pittsburgh Penguins", "SJS": "San Jose Sharks", "SEA": "Seattle Kraken",
    "STL": "St. Louis Blues", "TBL": "Tampa Bay Lightning", "TOR": "Toronto Maple Leafs",
    "UTA": "Utah Hockey Club", "VAN": "Vancouver Canucks", "VGK": "Vegas Golden Knights",
    "WSH": "Washington Capitals", "WPG": "Winnipeg Jets",
}  # fmt: skip
IMPORT_COLUMNS = (
    "league", "game_date", "home_team", "away_team", "total_line", "over_price", "under_price",
    "home_score", "away_score",
)  # fmt: skip
VIG = 1.045


@dataclass(frozen=True)
class LeagueSpec:
    teams: dict[str, str]
    play_prob: float  # chance a team plays on a given day
    base: float  # mean score of a team (points or goals)
    team_sd: float  # spread of offence / defence strengths (relative)
    pace_sd: float
    home_adv: float  # relative scoring boost at home
    b2b: float  # relative scoring change on the second night of a back-to-back
    rested: float  # relative change after three or more days off


SPECS = {
    "NBA": LeagueSpec(NBA_TEAMS, 0.47, 112.0, 0.03, 0.025, 0.012, -0.022, 0.008),
    "NHL": LeagueSpec(NHL_TEAMS, 0.45, 3.05, 0.06, 0.03, 0.04, -0.06, 0.02),
}


def _schedule(rng: np.random.Generator, spec: LeagueSpec, start: date, days: int) -> list:
    codes = list(spec.teams)
    games, yesterday = [], set()
    for offset in range(days):
        # a team that played yesterday plays again less often (back-to-backs ~ 1 game in 5)
        chance = {c: spec.play_prob * (0.45 if c in yesterday else 1.3) for c in codes}
        playing = [c for c in codes if rng.random() < chance[c]]
        rng.shuffle(playing)
        for i in range(0, len(playing) - 1, 2):
            games.append((start + timedelta(days=offset), playing[i], playing[i + 1]))
        yesterday = set(playing[: len(playing) // 2 * 2])
    return games


def _expected_scores(rng, spec: LeagueSpec, games: list) -> pd.DataFrame:
    codes = list(spec.teams)
    off = dict(zip(codes, rng.normal(0, spec.team_sd, len(codes)), strict=True))
    dfn = dict(zip(codes, rng.normal(0, spec.team_sd, len(codes)), strict=True))
    pace = dict(zip(codes, rng.normal(0, spec.pace_sd, len(codes)), strict=True))
    last: dict[str, date] = {}
    rows = []
    for day, home, away in games:
        rest = {t: (day - last[t]).days if t in last else None for t in (home, away)}
        last.update({home: day, away: day})
        factor = {
            t: (spec.b2b if rest[t] == 1 else spec.rested if (rest[t] or 0) >= 3 else 0.0)
            for t in (home, away)
        }
        game_pace = 1.0 + pace[home] + pace[away]
        mu_h = spec.base * game_pace * np.exp(off[home] - dfn[away] + spec.home_adv + factor[home])
        mu_a = spec.base * game_pace * np.exp(off[away] - dfn[home] - spec.home_adv + factor[away])
        rows.append((day, home, away, mu_h, mu_a))
    return pd.DataFrame(rows, columns=["game_date", "home", "away", "mu_home", "mu_away"])


def _play(rng, league: str, mu_h: np.ndarray, mu_a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Final scores, drawn elementwise (any shape)."""
    if league == "NHL":
        h, a = rng.poisson(mu_h), rng.poisson(mu_a)
        tie = h == a
        home_wins = rng.random(h.shape) < 0.5
        return h + (tie & home_wins), a + (tie & ~home_wins)
    h = np.rint(rng.normal(mu_h, 11.5))
    a = np.rint(rng.normal(mu_a, 11.5))
    for _ in range(6):  # overtime periods until the tie breaks
        tie = h == a
        if not tie.any():
            break
        h = h + tie * np.rint(rng.normal(10.0, 3.0, h.shape))
        a = a + tie * np.rint(rng.normal(10.0, 3.0, a.shape))
    a = a + (h == a)
    return h, a


def _price_pair(p_over: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    def american(prob: np.ndarray) -> np.ndarray:
        prob = np.clip(prob * VIG, 0.05, 0.95)
        raw = np.where(prob >= 0.5, -100.0 * prob / (1.0 - prob), 100.0 * (1.0 - prob) / prob)
        return np.where(np.abs(raw) < 100, np.sign(raw) * 100, np.rint(raw / 5.0) * 5.0)

    return american(p_over), american(1.0 - p_over)


def _lines(rng, league: str, sims: np.ndarray, bias: float) -> tuple[np.ndarray, np.ndarray]:
    """Posted line and true P(over | no push) per game from simulated totals (games x sims)."""
    mean = sims.mean(axis=1)
    if league == "NBA":
        line = np.round((mean + bias + rng.normal(0, 0.8, mean.size)) * 2) / 2
        line = np.where(line == np.floor(line), line + 0.5, line)  # NBA closes on halves mostly
        line[rng.random(mean.size) < 0.08] -= 0.5  # a few whole numbers (pushes)
    else:
        cands = np.array([5.5, 6.0, 6.5])
        over = (sims[:, :, None] > cands).mean(axis=1)
        under = (sims[:, :, None] < cands).mean(axis=1)
        even = np.abs(over / (over + under) - 0.5) + rng.normal(0, 0.02, over.shape)
        line = cands[np.argmin(even, axis=1)] + bias
    over = (sims > line[:, None]).mean(axis=1)
    under = (sims < line[:, None]).mean(axis=1)
    return line, over / np.maximum(over + under, 1e-9)


def simulate_season(
    league: str,
    seed: int,
    *,
    start: date = date(2024, 10, 22),
    days: int = 150,
    line_bias: float = 0.0,
    n_sims: int = 2000,
) -> pd.DataFrame:
    """One season's games: date, teams (codes), expected scores, line, fair P(over), prices,
    final scores, and an opening line (the close moved by noise)."""
    spec = SPECS[league]
    rng = np.random.default_rng(seed)
    games = _expected_scores(rng, spec, _schedule(rng, spec, start, days))
    mu_h = games["mu_home"].to_numpy()[:, None]
    mu_a = games["mu_away"].to_numpy()[:, None]
    sims = np.add(*_play(rng, league, np.repeat(mu_h, n_sims, 1), np.repeat(mu_a, n_sims, 1)))
    line, p_over = _lines(rng, league, sims, line_bias)
    if line_bias:
        p_over = np.full(line.size, 0.5)  # a biased book thinks its line is fair
    home, away = _play(rng, league, mu_h[:, 0], mu_a[:, 0])
    over_price, under_price = _price_pair(p_over)
    step = 1.0 if league == "NBA" else 0.5
    open_line = line + step * rng.choice([-1.0, 0.0, 0.0, 1.0], size=line.size)
    return games.assign(
        league=league, true_mean=sims.mean(axis=1), total_line=line, fair_prob_over=p_over,
        over_price=over_price, under_price=under_price, home_score=home.astype(int),
        away_score=away.astype(int), open_line=np.maximum(open_line, 0.5),
    )  # fmt: skip


def messy_name(rng: np.random.Generator, league: str, code: str) -> str:
    """A spelling staging maps back to the team: full name, code, odd case and spacing."""
    full = SPECS[league].teams[code]
    variants = [full, full.upper(), full.lower(), code, code.lower(), full.replace(" ", "  ")]
    return variants[int(rng.integers(len(variants)))]


def import_rows(
    season: pd.DataFrame, seed: int, *, books: int = 1, open_lines: bool = False
) -> pd.DataFrame:
    """The season as import-format rows (one per game x book x line type)."""
    rng = np.random.default_rng(seed + 1)
    league = str(season["league"].iloc[0])
    base = pd.DataFrame(
        {
            "league": league if rng.random() < 0.5 else league.lower(),
            "game_date": season["game_date"].map(date.isoformat),
            "home_team": [messy_name(rng, league, c) for c in season["home"]],
            "away_team": [messy_name(rng, league, c) for c in season["away"]],
            "total_line": season["total_line"],
            "over_price": season["over_price"].astype(int),
            "under_price": season["under_price"].astype(int),
            "home_score": season["home_score"],
            "away_score": season["away_score"],
        }
    )
    if books == 1 and not open_lines:
        return base
    parts = []
    for b in range(books):
        book = base.assign(book=f"book{b + 1}", line_type="close")
        parts.append(book)
        if open_lines:
            parts.append(book.assign(line_type="open", total_line=season["open_line"].values))
    return pd.concat(parts, ignore_index=True)


def write_history_files(
    folder: Path,
    league: str,
    seed: int,
    *,
    seasons: int = 1,
    days: int = 150,
    books: int = 1,
    open_lines: bool = False,
    line_bias: float = 0.0,
) -> list[Path]:
    """Write `seasons` CSV files (one per season) for `league` into `folder`; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in range(seasons):
        start = date(2022 + s, 10, 22)
        season = simulate_season(league, seed + 97 * s, start=start, days=days, line_bias=line_bias)
        rows = import_rows(season, seed + 97 * s, books=books, open_lines=open_lines)
        path = folder / f"{league.lower()}_totals_{start.year}.csv"
        rows.to_csv(path, index=False)
        paths.append(path)
    return paths
