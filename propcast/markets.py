"""The prop markets as seeds/markets.csv declares them, for readers outside dbt: the league feed
(which counts a league's boxscore reports) and the PROPCAST_PROP_MARKETS setting (which families
the predictors train, score and price). A new league or count market is a seed row there."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import yaml

from propcast.settings import PROJECT_DIR, SettingsError

MARKETS_SEED = PROJECT_DIR / "seeds" / "markets.csv"
PROP_MARKETS_ENV = "PROPCAST_PROP_MARKETS"
#: The families a league's demo prices when PROPCAST_PROP_MARKETS is unset; a league not listed
#: prices dbt var prop_markets' default (the NBA's points, rebounds, assists and threes).
DEMO_MARKETS = {"NHL": ("player_shots_on_goal", "player_goals")}


@cache
def player_markets() -> dict[str, tuple[str, str]]:
    """market_id -> (league, stat) of every player market in seeds/markets.csv."""
    with open(MARKETS_SEED, newline="", encoding="utf-8") as handle:
        return {
            row["market_id"].strip(): (row["league"].strip().upper(), row["stat"].strip())
            for row in csv.DictReader(handle)
            if row["market_id"].strip().startswith("player_")
        }


def league_markets() -> dict[str, list[str]]:
    """Each league's player markets, in the seed's order."""
    markets: dict[str, list[str]] = {}
    for market, (league, _) in player_markets().items():
        markets.setdefault(league, []).append(market)
    return markets


def league_counts() -> dict[str, tuple[str, ...]]:
    """Each league's player counts (the `stat` of its player markets), in the seed's order."""
    counts: dict[str, list[str]] = {}
    for league, stat in player_markets().values():
        counts.setdefault(league, []).append(stat)
    return {league: tuple(dict.fromkeys(stats)) for league, stats in counts.items()}


def prop_markets_setting() -> list[str] | None:
    """PROPCAST_PROP_MARKETS (comma-separated player markets of seeds/markets.csv; it wins over
    dbt var prop_markets: dbt_runner passes it as the var), None when unset; SettingsError on a
    market the seed does not list."""
    raw = os.environ.get(PROP_MARKETS_ENV, "").strip()
    if not raw:
        return None
    names = list(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))
    known = player_markets()
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        listed = "; ".join(f"{lg}: {', '.join(ms)}" for lg, ms in league_markets().items())
        raise SettingsError(
            f"{PROP_MARKETS_ENV}={raw!r}: {', '.join(unknown) or 'no market'} is not a player "
            f"market of seeds/markets.csv; name some of {listed} (comma-separated), or unset "
            "it for dbt var prop_markets"
        )
    return names


def active_prop_markets(
    project_vars: Mapping[str, object] | None = None, project_dir: Path = PROJECT_DIR
) -> list[str]:
    """The prop families a dbt invocation prices: PROPCAST_PROP_MARKETS, else the invocation's
    project vars (`Dbt.project_vars`, e.g. the NHL demo's), else dbt_project.yml's default."""
    chosen = prop_markets_setting()
    if chosen:
        return chosen
    value = (project_vars or {}).get("prop_markets")
    if value is None:
        project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
        value = project["vars"]["prop_markets"]
    names = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[arg-type]
    return [str(n).strip() for n in names if str(n).strip()]
