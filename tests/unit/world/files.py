"""The NBA demo world's files as the tests read them: headers, readers and the warehouse's own
normalisers (`conftest.nba_world` generates the world; the tests compare what it wrote)."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from propcast.world import WorldSummary

ET = ZoneInfo("America/New_York")
START = date(2026, 12, 10)
DAYS = 30
SEED = 9
BOOKS = 5

SCHEDULE_HEADER = (
    "game_id,league,season,game_date,start_time_utc,home_team,away_team,status,home_score,"
    "away_score,fetched_at"
)
AVAILABILITY_HEADER = (
    "game_id,league,game_date,team,player_id,player_name,status,reason,reported_at,fetched_at"
)
BOXSCORE_HEADER = (
    "game_id,league,game_date,team,opponent,player_id,player_name,starter,minutes,points,"
    "rebounds,assists,threes,fetched_at"
)
TRUTH_HEADER = (
    "game_id,event_id,game_date,player_id,market,line,true_mean,true_p_over,"
    "true_expected_minutes,true_form"
)
FILE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})__(\d{8}T\d{6}Z)\.(json|csv)$")
SEEDS = Path(__file__).resolve().parents[3] / "seeds"
ESPN_CODES = {"GSW": "GS", "NYK": "NY", "SAS": "SA", "NOP": "NO", "UTA": "UTAH", "WAS": "WSH"}
STAT_OF_MARKET = {
    "player_points": "points",
    "player_rebounds": "rebounds",
    "player_assists": "assists",
    "player_threes": "threes",
}


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def name_key(name: str) -> str:
    """The warehouse's normaliser (macro normalize_person_name), as the mapping would see it."""
    decomposed = unicodedata.normalize("NFD", name)
    text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    words = re.sub(r"[^a-z0-9 ]", "", re.sub(r"[-_/]", " ", text)).split()
    if words[-1] in {"jr", "sr", "ii", "iii", "iv"}:
        words = words[:-1]
    return " ".join(words)


@dataclass(frozen=True)
class World:
    root: Path
    summary: WorldSummary
    season: pd.DataFrame  # the pre-season schedule file
    results: pd.DataFrame  # every results file
    box: pd.DataFrame
    quotes: pd.DataFrame  # oddsapi: one row per Over/Under pair
    snapshots: dict[Path, dict]  # oddsapi
    truth: pd.DataFrame
    progress: list[tuple[int, int]]
    csv_rows: pd.DataFrame  # csvfeed: every row of every file, as text
    decimal_docs: dict[Path, dict]  # decimalfeed


def read_csvs(folder: Path) -> pd.DataFrame:
    frames = [
        pd.read_csv(p, dtype={"game_id": str, "starter": str}, keep_default_na=False).assign(
            file=p.name
        )
        for p in sorted(folder.glob("*.csv"))
    ]
    return pd.concat(frames, ignore_index=True)


def load_snapshots(root: Path) -> dict[Path, dict]:
    return {
        p: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((root / "feeds/oddsapi/prop_odds").glob("*.json"))
    }


def flatten(snapshots: dict[Path, dict]) -> pd.DataFrame:
    rows = []
    for path, doc in snapshots.items():
        for event in doc["data"]:
            for book in event["bookmakers"]:
                for market in book["markets"]:
                    if market["key"] == "totals":  # game totals: world/test_totals.py
                        continue
                    outcomes = market["outcomes"]
                    for over, under in zip(outcomes[::2], outcomes[1::2], strict=True):
                        rows.append(
                            (path.name, doc["timestamp"], event["id"], event["commence_time"],
                             event["home_team"], event["away_team"], book["key"], book["title"],
                             market["key"], over["name"], under["name"], over["description"],
                             under["description"], over["price"], under["price"], over["point"],
                             under["point"])
                        )  # fmt: skip
    columns = [
        "file", "timestamp", "event_id", "commence_time", "home_team", "away_team", "book",
        "title", "market", "over_name", "under_name", "player", "under_player", "over", "under",
        "point", "under_point",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def read_csvfeed(root: Path) -> pd.DataFrame:
    frames = [
        pd.read_csv(p, dtype=str, keep_default_na=False).assign(file=p.name)
        for p in sorted((root / "feeds/csvfeed/prop_odds").glob("*.csv"))
    ]
    rows = pd.concat(frames, ignore_index=True)
    return rows[rows["stat"] != "TOT"].reset_index(drop=True)  # game totals: world/test_totals.py


def load_decimal_docs(root: Path) -> dict[Path, dict]:
    return {
        p: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((root / "feeds/decimalfeed/prop_odds").glob("*.json"))
    }


def flatten_decimal(docs: dict[Path, dict]) -> pd.DataFrame:
    rows = [
        (path.name, doc["generated_at"], f["fixture_id"], f["start"], f["home"]["abbr"],
         f["away"]["abbr"], o["bookmaker"], o["market"], o["selection"], o["participant"],
         o["handicap"], o["odds"])
        for path, doc in docs.items() for f in doc["fixtures"] for o in f["offers"]
        if o["market"] != "total"  # game totals: world/test_totals.py
    ]  # fmt: skip
    columns = [
        "file", "generated_at", "fixture_id", "start", "home", "away", "book", "market",
        "selection", "participant", "handicap", "odds",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def flip(name: str) -> str:
    """csvfeed's `Last, First [Suffix]` → `First Last [Suffix]` (what staging does)."""
    last, first = (part.strip() for part in name.split(",", 1))
    words = first.split()
    suffix = (
        [words.pop()] if len(words) > 1 and words[-1] in {"Jr.", "Sr.", "II", "III", "IV"} else []
    )
    return " ".join([*words, last, *suffix])


def team_codes() -> dict[str, str]:
    """Every NBA spelling in the team_aliases seed (lower case) → warehouse team code."""
    aliases = pd.read_csv(SEEDS / "team_aliases.csv").query("league == 'NBA'")
    return dict(zip(aliases.alias, aliases.team_id.str[4:], strict=True))


def implied(price: pd.Series) -> pd.Series:
    price = price.astype(float)
    return pd.Series(
        np.where(price < 0, -price / (100 - price), 100 / (price + 100)), index=price.index
    )
