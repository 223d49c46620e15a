"""The outcome correlations joint Kelly needs (propcast.staking), estimated on settled lines.

`outcome_correlations`: pairs of settled lines of the same game, by relation
(`RELATIONS`), per league. Each line's residual is z = (stat - line) / sqrt(max(line, 1)) (a
Poisson-like scale, so markets of different sizes pool); the estimate is the Pearson
correlation of the two residuals over all pairs (a game's lines ordered by player, market and
line, so that a pair's roles match from game to game), read as the latent (Gaussian copula)
correlation of the two overs. The correlation of the over indicators
themselves is reported beside it. Fewer than `MIN_PAIRS` pairs: the estimate used is 0.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import pairwise

import numpy as np
import pandas as pd

#: Pairs of lines of one game, by how they relate (lines of different games: independent).
RELATIONS = (
    "same_subject_market",  # the same player's (or game's) market at two lines
    "same_player",  # one player, two markets (points and assists)
    "teammates",  # two players of one team
    "opponents",  # two players of opposite teams
    "player_vs_game_total",  # a player's prop and the game's total
    "same_game",  # anything else in one game (e.g. a player whose team is unknown)
)
CORRELATION_COLUMNS = [
    "league",
    "relation_type",
    "n_pairs",
    "n_games",
    "first_game_date",
    "last_game_date",
    "residual_correlation",
    "over_correlation",
    "min_pairs",
    "correlation",
]
PAIR_COLUMNS = ["league", "game_id", "game_date", "relation_type", "z_a", "z_b", "over_a", "over_b"]
#: The sums a Pearson correlation of a pair set needs, per paired value (the residual z, the
#: over indicator): of each side, of each side squared, of their product.
PEARSON_SUMS = {
    value: tuple(f"{value}_{s}" for s in ("a", "b", "aa", "bb", "ab")) for value in ("z", "over")
}
#: pair_sums' columns after its keys: the counts, then the Pearson sums.
SUM_COLUMNS = ("n_pairs", "n_games", *PEARSON_SUMS["z"], *PEARSON_SUMS["over"])
#: Fewer settled pairs than this for a league and relation: correlation 0.
MIN_PAIRS = 200
#: iter_line_pairs pairs this many games at a time (a game of n lines makes n * n candidates).
PAIR_CHUNK_GAMES = 256


def missing_ids(values: pd.Series) -> np.ndarray:
    """Per value: null, empty or a null spelled as text (an id not known)."""
    return values.isna().to_numpy() | values.astype(str).isin(["", "None", "nan"]).to_numpy()


def relation_matrix(lines: pd.DataFrame) -> np.ndarray:
    """k x k relation names (object array; None off-game and on the diagonal) of lines with
    game_id, player_id (null for a game total), market and team_id (null when unknown)."""
    game = lines["game_id"].astype(str).to_numpy()
    player_missing = missing_ids(lines["player_id"])
    player = lines["player_id"].astype(str).to_numpy()
    market = lines["market"].astype(str).to_numpy()
    has_team = "team_id" in lines
    team_missing = missing_ids(lines["team_id"]) if has_team else np.ones(len(lines), bool)
    team = lines["team_id"].astype(str).to_numpy() if has_team else player
    same_game = game[:, None] == game[None, :]
    both_players = ~player_missing[:, None] & ~player_missing[None, :]
    one_total = player_missing[:, None] ^ player_missing[None, :]
    same_player = both_players & (player[:, None] == player[None, :])
    same_subject = same_player | (player_missing[:, None] & player_missing[None, :])
    same_market = market[:, None] == market[None, :]
    teams_known = ~team_missing[:, None] & ~team_missing[None, :]
    same_team = teams_known & (team[:, None] == team[None, :])
    out = np.full(same_game.shape, None, dtype=object)
    out[same_game] = "same_game"
    out[same_game & both_players & teams_known & ~same_team] = "opponents"
    out[same_game & both_players & same_team] = "teammates"
    out[same_game & one_total] = "player_vs_game_total"
    out[same_game & same_player] = "same_player"
    out[same_game & same_subject & same_market] = "same_subject_market"
    np.fill_diagonal(out, None)
    return out


def residual_z(actual: np.ndarray, line: np.ndarray) -> np.ndarray:
    """(stat - line) / sqrt(max(line, 1)): the residual on a Poisson-like scale."""
    line = np.asarray(line, dtype=float)
    return (np.asarray(actual, dtype=float) - line) / np.sqrt(np.maximum(line, 1.0))


def outcome_correlations(settled: pd.DataFrame, min_pairs: int = MIN_PAIRS) -> pd.DataFrame:
    """Per league x relation: n_pairs, n_games, first/last game_date, the residual and
    over-indicator correlations over the pairs, and `correlation` (the residual one, 0 when
    n_pairs < min_pairs). `settled`: one row per settled line (push or not, no voids) with
    game_date, league, game_id, player_id, market, line, team_id, actual_value."""
    return summarise_pair_sums(pair_sums(settled), min_pairs)


def summarise_pair_sums(sums: pd.DataFrame, min_pairs: int = MIN_PAIRS) -> pd.DataFrame:
    """outcome_correlations' table from pair_sums' rows (e.g. those dated before a slate)."""
    rows = []
    for (league, relation), group in sums.groupby(["league", "relation_type"], sort=True):
        total = group[list(SUM_COLUMNS)].sum()
        n = int(total["n_pairs"])
        residual, over = (_pearson(n, *total[list(PEARSON_SUMS[p])]) for p in ("z", "over"))
        usable = n >= min_pairs and np.isfinite(residual)
        rows.append(
            {
                "league": league,
                "relation_type": relation,
                "n_pairs": n,
                "n_games": int(total["n_games"]),
                "first_game_date": pd.Timestamp(group["game_date"].min()).date(),
                "last_game_date": pd.Timestamp(group["game_date"].max()).date(),
                "residual_correlation": residual,
                "over_correlation": over,
                "min_pairs": int(min_pairs),
                "correlation": float(np.clip(residual, -0.99, 0.99)) if usable else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=CORRELATION_COLUMNS)


def pair_sums(settled: pd.DataFrame, chunk_games: int = PAIR_CHUNK_GAMES) -> pd.DataFrame:
    """Per league x relation x game_date: the pairs' count, their games and the sums a
    Pearson correlation needs (of z_a, z_b, their squares and product, and the same of the
    over indicators). Five seasons of pairs are ~33M rows; these sums are a few thousand."""
    keys = ["league", "relation_type", "game_date"]
    per_game = []
    for pairs in iter_line_pairs(settled, chunk_games):
        columns = {k: pairs[k].to_numpy() for k in ("game_id", "relation_type")}
        for prefix in ("z", "over"):
            x, y = pairs[f"{prefix}_a"].to_numpy(float), pairs[f"{prefix}_b"].to_numpy(float)
            columns.update({f"{prefix}_a": x, f"{prefix}_b": y, f"{prefix}_aa": x * x,
                            f"{prefix}_bb": y * y, f"{prefix}_ab": x * y})  # fmt: skip
        grouped = pd.DataFrame(columns).groupby(["game_id", "relation_type"], sort=False)
        sums = grouped.sum().assign(n_pairs=grouped.size())
        games = pairs.drop_duplicates("game_id").set_index("game_id")[["league", "game_date"]]
        per_game.append(sums.join(games, on="game_id").reset_index())
    if not per_game:
        return pd.DataFrame(columns=[*keys, *SUM_COLUMNS])
    rows = pd.concat(per_game, ignore_index=True).assign(n_games=1)
    return rows.groupby(keys, sort=True)[list(SUM_COLUMNS)].sum().reset_index()


def iter_line_pairs(
    settled: pd.DataFrame, chunk_games: int = PAIR_CHUNK_GAMES
) -> Iterator[pd.DataFrame]:
    """Every unordered pair of lines of one game, with their relation and residuals, in
    frames of `chunk_games` games (merged at once, five seasons' candidates held ~20 GB); the
    lines of a game ordered by (player, market, line), so that a pair's first line is the
    same role in every game (the lower of two alternative lines comes first)."""
    settled = settled.dropna(subset=["actual_value", "line"]).reset_index(drop=True)
    lines = settled.assign(
        _player=settled["player_id"].astype(str).where(~missing_ids(settled["player_id"]), ""),
        z=residual_z(settled["actual_value"], settled["line"]),
        over=(settled["actual_value"].astype(float) > settled["line"].astype(float)) * 1.0,
    )
    lines = lines.sort_values(["game_id", "_player", "market", "line"], kind="stable")
    keep = ["game_id", "game_date", "league", "player_id", "market", "team_id", "z", "over"]
    lines = lines[keep].reset_index(drop=True).reset_index(names="_row")
    game_starts = np.flatnonzero(lines["game_id"].ne(lines["game_id"].shift()).to_numpy())
    bounds = [*game_starts[::chunk_games], len(lines)] if len(lines) else [0]
    for start, end in pairwise(bounds):
        pairs = _game_pairs(lines.iloc[start:end])
        if not pairs.empty:
            yield pairs


def _game_pairs(lines: pd.DataFrame) -> pd.DataFrame:
    """iter_line_pairs' pairs of whole games' lines."""
    pairs = lines.merge(lines, on="game_id", suffixes=("_a", "_b"))
    pairs = pairs[pairs["_row_a"] < pairs["_row_b"]]
    if pairs.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    relation = _pair_relations(pairs)
    return pd.DataFrame(
        {
            "league": pairs["league_a"].to_numpy(),
            "game_id": pairs["game_id"].to_numpy(),
            "game_date": pairs["game_date_a"].to_numpy(),
            "relation_type": relation,
            "z_a": pairs["z_a"].to_numpy(),
            "z_b": pairs["z_b"].to_numpy(),
            "over_a": pairs["over_a"].to_numpy(),
            "over_b": pairs["over_b"].to_numpy(),
        }
    )


def _pair_relations(pairs: pd.DataFrame) -> np.ndarray:
    """relation_matrix's rules, pair by pair (columns <name>_a / <name>_b; one game each)."""
    pa, pb = missing_ids(pairs["player_id_a"]), missing_ids(pairs["player_id_b"])
    ta, tb = missing_ids(pairs["team_id_a"]), missing_ids(pairs["team_id_b"])
    same_player = (
        ~pa
        & ~pb
        & (pairs["player_id_a"].astype(str) == pairs["player_id_b"].astype(str)).to_numpy()
    )
    same_subject = same_player | (pa & pb)
    same_market = (pairs["market_a"].astype(str) == pairs["market_b"].astype(str)).to_numpy()
    known = ~pa & ~pb & ~ta & ~tb
    same_team = (
        known & (pairs["team_id_a"].astype(str) == pairs["team_id_b"].astype(str)).to_numpy()
    )
    out = np.full(len(pairs), "same_game", dtype=object)
    out[known & ~same_team] = "opponents"
    out[same_team] = "teammates"
    out[pa ^ pb] = "player_vs_game_total"
    out[same_player] = "same_player"
    out[same_subject & same_market] = "same_subject_market"
    return out


def _pearson(n: int, sa: float, sb: float, saa: float, sbb: float, sab: float) -> float:
    """Pearson correlation from a pair set's sums (NaN with under 3 pairs or a constant side:
    a variance under 1e-12 of its mean square)."""
    if n < 3:
        return float("nan")
    var_a, var_b = saa - sa * sa / n, sbb - sb * sb / n
    if var_a <= 1e-12 * saa or var_b <= 1e-12 * sbb:
        return float("nan")
    return float((sab - sa * sb / n) / np.sqrt(var_a * var_b))


def correlation_lookup(table: pd.DataFrame) -> dict[tuple[str, str], float]:
    """{(league, relation_type): correlation} of an outcome_correlations table."""
    return {
        (str(r.league), str(r.relation_type)): float(r.correlation)
        for r in table.itertuples(index=False)
    }


def slate_correlation(bets: pd.DataFrame, lookup: Mapping[tuple[str, str], float]) -> np.ndarray:
    """The k x k latent correlation of the bets' wins: for two bets of one game, the league's
    estimate for their relation, signed by their sides (an over and an under move against each
    other); 0 across games; made positive semi-definite (eigenvalues clipped, unit diagonal)."""
    k = len(bets)
    if k == 0:
        return np.zeros((0, 0))
    relation = relation_matrix(bets)
    league = bets["league"].astype(str).to_numpy() if "league" in bets else np.full(k, "")
    rho = np.zeros((k, k))
    i, j = np.nonzero(relation != None)  # noqa: E711  (object array: elementwise)
    rho[i, j] = [lookup.get((league[a], relation[a, b]), 0.0) for a, b in zip(i, j, strict=True)]
    sign = np.where(bets["side"].astype(str).to_numpy() == "under", -1.0, 1.0)
    rho = rho * sign[:, None] * sign[None, :]
    np.fill_diagonal(rho, 1.0)
    return nearest_correlation(rho)


def nearest_correlation(matrix: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    """A symmetric matrix made a correlation matrix: eigenvalues clipped at `floor`, then
    rescaled to a unit diagonal (unchanged when it already is one)."""
    sym = (matrix + matrix.T) / 2.0
    values, vectors = np.linalg.eigh(sym)
    if values.min() >= floor:
        return sym
    fixed = (vectors * np.maximum(values, floor)) @ vectors.T
    scale = np.sqrt(np.diag(fixed))
    return fixed / scale[:, None] / scale[None, :]
