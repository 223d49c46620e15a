"""Generated historical player-prop files in the import format (`propcast import props`).

`simulate_props` plays one season of NBA (points, rebounds, assists, threes) or NHL (shots on
goal) player games. Each player has a true mean per market that drifts slowly over the season
(a random walk in log space: recent form carries information), a back-to-back costs a few
percent, and the stat is a negative binomial (NB1) count around the day's true mean. The
market is efficient-ish: the books share a noisy view of the day's true mean (log-normal error
`view_noise`) and each adds its own small error; a book's line is its view rounded to a half
(a whole number now and then: pushes), its prices the NB1 P(over | no push) at its view plus
vig. With `open_quotes` each book also quoted earlier in the day (`quoted_at`) from a noisier
view. Player names are messy across books (accents, "Jr.", initials, case); a few rows are
unsettled (empty `actual_value`), and so is the last day. Deterministic from the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import nbinom

from tests.support.history_files import NBA_TEAMS, NHL_TEAMS, VIG

PROP_COLUMNS = (
    "league", "game_date", "player", "team", "opponent", "market", "line", "book",
    "over_price", "under_price", "actual_value", "quoted_at",
)  # fmt: skip


@dataclass(frozen=True)
class StatSpec:
    market: str  # propcast's market id (the mart's `market`)
    spellings: tuple[str, ...]  # how the files name it (market_aliases, vendor imports)
    mean_range: tuple[float, float]
    dispersion: float  # NB1 variance / mean


STATS = {
    "NBA": (
        StatSpec("player_points", ("points", "PTS", "player_points"), (8.0, 30.0), 2.0),
        StatSpec("player_rebounds", ("rebounds", "reb"), (2.5, 12.0), 1.4),
        StatSpec("player_assists", ("assists", "ast"), (1.5, 9.0), 1.4),
        StatSpec("player_threes", ("threes", "3pm"), (0.6, 3.5), 1.15),
    ),
    "NHL": (StatSpec("player_shots_on_goal", ("shots_on_goal", "SOG", "shots"), (1.2, 4.2), 1.1),),
}
TEAMS = {"NBA": NBA_TEAMS, "NHL": NHL_TEAMS}
#: Names whose spellings differ across books but normalise to one key.
FIRST = ("Nikola", "Luka", "José", "P.J.", "Jaren", "Kelly", "Zoë", "Dāvis", "Théo", "R.J.",
         "Marcus", "Jalen", "Tyler", "Anže", "Mikko", "Kevin", "Andrés", "Björn", "Rasmus")  # fmt: skip
LAST = ("Jokić", "Dončić", "Álvarez", "Washington Jr.", "Jackson Jr.", "Oubre", "Smith",
        "Bertāns", "Maledon", "Barrett", "Morris Sr.", "Brunson", "Herro", "Kopitar",
        "Rantanen", "Durant", "Nuñez", "Lindqvist", "Dahlin", "Green II")  # fmt: skip


def _ascii(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def name_variants(full: str) -> list[str]:
    """Spellings of one player a book might use; all normalise to the same player_name_key."""
    plain = _ascii(full)
    no_suffix = " ".join(w for w in plain.split() if w.rstrip(".") not in ("Jr", "Sr", "II"))
    return [full, plain, plain.upper(), no_suffix, full.replace(".", ""), "  " + full.lower()]


def _players(rng, league: str, n: int) -> pd.DataFrame:
    teams = list(TEAMS[league])
    names, seen = [], set()
    while len(names) < n:
        name = f"{FIRST[rng.integers(len(FIRST))]} {LAST[rng.integers(len(LAST))]}"
        key = _ascii(name).lower()
        if key not in seen:
            seen.add(key)
            names.append(name)
    return pd.DataFrame({"player": names, "team": [teams[i % len(teams)] for i in range(n)]})


def _schedule(rng, teams: list[str], start: date, days: int, play_prob: float) -> list:
    games = []
    for offset in range(days):
        playing = [t for t in teams if rng.random() < play_prob]
        rng.shuffle(playing)
        for i in range(0, len(playing) - 1, 2):
            games.append((start + timedelta(days=offset), playing[i], playing[i + 1]))
    return games


def simulate_props(
    league: str, seed: int, *, start: date = date(2024, 10, 22), days: int = 120,
    players: int = 40, drift: float = 0.04, view_noise: float = 0.07,
) -> pd.DataFrame:  # fmt: skip
    """One row per player game and market: date, player, team, opponent, market, the day's
    true mean, the market's shared view of it and the stat."""
    rng = np.random.default_rng(seed)
    roster = _players(rng, league, players)
    teams = sorted(set(roster["team"]))
    games = _schedule(rng, teams, start, days, 0.5)
    opponent = {(d, a): b for d, a, b in games} | {(d, b): a for d, a, b in games}
    rows = []
    for spec in STATS[league]:
        base = np.log(rng.uniform(*spec.mean_range, players))
        for i, (player, team) in enumerate(roster.itertuples(index=False)):
            log_mean, last = base[i], None
            for d in sorted({g[0] for g in games if team in g[1:]}):
                log_mean += rng.normal(0.0, drift)
                b2b = last is not None and (d - last).days == 1
                last = d
                if rng.random() < 0.05:  # did not play
                    continue
                true = float(np.exp(log_mean - (0.06 if b2b else 0.0)))
                rows.append((d, player, team, opponent[(d, team)], spec.market, true))
    out = pd.DataFrame(rows, columns=["game_date", "player", "team", "opponent", "market",
                                      "true_mean"])  # fmt: skip
    disp = out["market"].map({s.market: s.dispersion for s in STATS[league]}).to_numpy()
    mu = out["true_mean"].to_numpy()
    out["stat"] = nbinom.rvs(mu / (disp - 1.0), 1.0 / disp, random_state=rng)
    out["view"] = mu * np.exp(rng.normal(0.0, view_noise, len(out)))
    return out.assign(league=league, dispersion=disp)


def _prob_over(mean: np.ndarray, line: np.ndarray, disp: np.ndarray) -> np.ndarray:
    n, p = mean / (disp - 1.0), 1.0 / disp
    k = np.floor(line)
    over = nbinom.sf(k, n, p)
    under = np.where(k == line, nbinom.cdf(k - 1.0, n, p), 1.0 - over)
    return over / np.maximum(over + under, 1e-12)


def _american(prob: np.ndarray) -> np.ndarray:
    prob = np.clip(prob * VIG, 0.05, 0.95)
    raw = np.where(prob >= 0.5, -100.0 * prob / (1.0 - prob), 100.0 * (1.0 - prob) / prob)
    return np.where(np.abs(raw) < 100, np.sign(raw) * 100, np.rint(raw / 5.0) * 5.0).astype(int)


def _book_quotes(rng, games: pd.DataFrame, view: np.ndarray, book: str) -> pd.DataFrame:
    """One book's quote per player game: its line near its view and the prices there."""
    own = view * np.exp(rng.normal(0.0, 0.03, len(games)))
    line = np.floor(own) + 0.5
    whole = rng.random(len(games)) < 0.15
    line = np.where(whole, np.rint(own), line)
    line = np.maximum(line, 0.5)
    p = _prob_over(own, line, games["dispersion"].to_numpy())
    return games.assign(line=line, book=book, over_price=_american(p),
                        under_price=_american(1.0 - p))  # fmt: skip


def import_rows(sim: pd.DataFrame, seed: int, *, books: int = 3,
                open_quotes: bool = False) -> pd.DataFrame:  # fmt: skip
    """The simulated season as import-format rows (player game x book [x quote time])."""
    rng = np.random.default_rng(seed + 1)
    league = str(sim["league"].iloc[0])
    spelled = {s.market: s.spellings for s in STATS[league]}
    variants = {p: name_variants(p) for p in sim["player"].unique()}
    last_day = sim["game_date"].max()
    parts = []
    for b in range(books):
        book = f"book{b + 1}"
        quotes = [("close", sim["view"].to_numpy())]
        if open_quotes:
            early = sim["view"].to_numpy() * np.exp(rng.normal(0.0, 0.08, len(sim)))
            quotes.insert(0, ("open", early))
        for kind, view in quotes:
            q = _book_quotes(rng, sim, view, book)
            q["quoted_at"] = (
                q["game_date"].map(lambda d, k=kind: f"{d}T{'15' if k == 'open' else '22'}:00:00Z")
                if open_quotes else ""
            )  # fmt: skip
            parts.append(q)
    rows = pd.concat(parts, ignore_index=True)
    unsettled = (rng.random(len(rows)) < 0.01) | (rows["game_date"] == last_day).to_numpy()
    actual = rows["stat"].astype("Int64").astype(str).where(~unsettled, "")
    pick = rng.integers(0, 6, len(rows))
    return pd.DataFrame({
        "league": league if seed % 2 else league.lower(),
        "game_date": rows["game_date"].map(date.isoformat),
        "player": [variants[p][i] for p, i in zip(rows["player"], pick, strict=True)],
        "team": rows["team"],
        "opponent": rows["opponent"],
        "market": [spelled[m][i % len(spelled[m])] for m, i in zip(rows["market"], pick,
                                                                     strict=True)],
        "line": rows["line"],
        "book": rows["book"],
        "over_price": rows["over_price"],
        "under_price": rows["under_price"],
        "actual_value": actual,
        "quoted_at": rows["quoted_at"],
    })  # fmt: skip


def write_prop_files(
    folder: Path, league: str, seed: int, *, days: int = 120, players: int = 40,
    books: int = 3, open_quotes: bool = False, view_noise: float = 0.07,
) -> tuple[Path, pd.DataFrame]:  # fmt: skip
    """Write one season of `league` props as CSV into `folder`; its path and the simulation
    (true means, stats) for checks."""
    folder.mkdir(parents=True, exist_ok=True)
    sim = simulate_props(league, seed, days=days, players=players, view_noise=view_noise)
    rows = import_rows(sim, seed, books=books, open_quotes=open_quotes)
    path = folder / f"{league.lower()}_props.csv"
    rows.to_csv(path, index=False)
    return path, sim


def feature_frame(league: str, seed: int, *, days: int = 100, players: int = 30) -> pd.DataFrame:
    """fct_prop_history_features-shaped rows built in Python from a simulated season (no dbt):
    the market's consensus line and de-vigged P(over) from its shared view, the form features
    by the mart's as-of rule (settled games of strictly earlier dates), pushes on whole lines
    and the last day unsettled."""
    sim = simulate_props(league, seed, days=days, players=players)
    rng = np.random.default_rng(seed + 2)
    view = sim["view"].to_numpy()
    line = np.where(rng.random(len(sim)) < 0.15, np.rint(view), np.floor(view) + 0.5)
    line = np.maximum(line, 0.5)
    prob = _prob_over(view, line, sim["dispersion"].to_numpy())
    last = sim["game_date"] == sim["game_date"].max()
    out = sim.assign(
        player_name_key=sim["player"].map(lambda p: _ascii(p).lower()),
        line=line, market_prob_over=prob, over_price=_american(prob),
        under_price=_american(1.0 - prob), book_count=3,
        actual_value=sim["stat"].astype(float).where(~last),
    ).sort_values(["market", "player_name_key", "game_date"], kind="stable")  # fmt: skip
    grouped = out.groupby(["market", "player_name_key"], sort=False)["actual_value"]
    prior = grouped.shift(1)
    keys = [out["market"], out["player_name_key"]]
    out["form_avg_5"] = prior.groupby(keys).transform(lambda s: s.rolling(5, 1).mean())
    out["form_avg_10"] = prior.groupby(keys).transform(lambda s: s.rolling(10, 1).mean())
    out["form_std_10"] = prior.groupby(keys).transform(lambda s: s.rolling(10, 2).std())
    out["season_avg"] = prior.groupby(keys).transform(lambda s: s.expanding(1).mean())
    out["season_games"] = prior.groupby(keys).transform(lambda s: s.expanding().count())
    out["prior_settled_games"] = out["season_games"]
    out["game_date"] = pd.to_datetime(out["game_date"])
    out["rest_days"] = out.groupby(keys)["game_date"].diff().dt.days
    out["is_push"] = out["actual_value"] == out["line"]
    return out.sort_values(["game_date", "market", "player_name_key"]).reset_index(drop=True)
