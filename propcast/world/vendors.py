"""The odds vendors: which books each one carries, when it snapshots, how it spells things.

The market (`market.py`) quotes every book at three snapshot buckets a day (10:00, 14:00, 18:00
US/Eastern). Three vendors publish it, each a subset of the books, each at its own clock:

| vendor        | books it carries (when the world has them)        | snapshot times (ET)   |
|---------------|---------------------------------------------------|-----------------------|
| `oddsapi`     | draftkings, fanduel, betmgm                       | 10:00, 14:00, 18:00   |
| `csvfeed`     | draftkings, williamhill_us, espnbet               | 10:05, 14:05, 18:05   |
| `decimalfeed` | betmgm, betrivers, bovada, pinnacle               | 09:30, 13:30, 17:30   |

So with the default five books: oddsapi {draftkings, fanduel, betmgm}, csvfeed {draftkings,
williamhill_us}, decimalfeed {betmgm, betrivers}: every vendor has a book of its own, and
draftkings (oddsapi + csvfeed) and betmgm (oddsapi + decimalfeed) are quoted by two vendors.
A book none of whose vendors is generated goes to the first generated vendor (so
`vendors=("oddsapi",)` publishes every book through oddsapi, as the world did before it had
three vendors). A book's price for a line is the same whichever vendor carries it: a vendor
publishes bucket k's quote at its own time (decimalfeed half an hour early, csvfeed five
minutes late), decimal odds being the American price converted and rounded to 2 decimals.
A vendor shows a game only while it has not started (and was not pulled) at the vendor's time.

Spellings (docs/ARCHITECTURE.md):
* oddsapi: full team names; player names stripped of accents, half the suffixes dropped, about
  2 % of players by a nickname (`names.py`).
* csvfeed: team codes in its own, mixed-case variants (`GS`, `brk`, `PHO`, `NOR`, `UTAH`, `sa`,
  `NY`, `Wsh`), book abbreviations (`DK`, `FD`, `MGM`, `CZR`, `BR`, `ESPN`, `BOV`, `PIN`), stat
  codes `PTS`/`REB`/`AST`/`3PM` (NHL `SOG`/`G`), players as `Last, First` with accents kept
  and the suffix after the first name (`Jackson, Jaren Jr.`).
* decimalfeed: team nickname and NBA code, book keys as oddsapi's, markets `points`/`rebounds`/
  `assists`/`threes`, selections `over`/`under`, players `First Last` without accents (suffix kept).
* game totals (every book, every game, every snapshot; world/totals.py): oddsapi the real API's
  `totals` market (outcomes Over/Under with `point`, no `description`), csvfeed rows with stat
  `TOT` and an empty player, decimalfeed offers with market `total` and no `participant`.
  Totals are never published broken (the bad-row draws are the props' alone).
* csvfeed and decimalfeed each spell exactly one player (a starter) by a nickname: a name
  that does not map until a user adds it to `seeds/player_alias_overrides.csv`.

Bad rows, so row-level quarantine is exercised: 0.1 % of csvfeed rows are published broken
(half with the player missing, half with an impossible price, |American odds| < 100) and 0.02 %
of decimalfeed offers with decimal odds of 1.0. Which rows, and which players get nicknames,
is drawn from random streams of their own (`season.stream`), so the rest of the world is the
same with or without them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from propcast.world.market import BookSpec
from propcast.world.names import NICKNAMES, PlayerName, match_key, strip_accents


@dataclass(frozen=True)
class VendorSpec:
    key: str
    books: tuple[str, ...]  # book keys it carries, when the world has them
    offset_minutes: int  # its snapshot times relative to the market's buckets
    bad_row_share: float  # share of its rows published broken (quarantined at ingest)


VENDORS = (
    VendorSpec("oddsapi", ("draftkings", "fanduel", "betmgm"), 0, 0.0),
    VendorSpec("csvfeed", ("draftkings", "williamhill_us", "espnbet"), 5, 0.001),
    VendorSpec("decimalfeed", ("betmgm", "betrivers", "bovada", "pinnacle"), -30, 0.0002),
)
VENDOR_KEYS = tuple(v.key for v in VENDORS)

CSV_BOOK_CODES = {
    "draftkings": "DK", "fanduel": "FD", "betmgm": "MGM", "williamhill_us": "CZR",
    "betrivers": "BR", "espnbet": "ESPN", "bovada": "BOV", "pinnacle": "PIN",
}  # fmt: skip
# csvfeed's own team codes where they differ from the warehouse's (mixed case, as it sends them).
CSV_TEAM_CODES = {
    "GSW": "GS", "BKN": "brk", "PHX": "PHO", "NOP": "NOR", "UTA": "UTAH", "SAS": "sa",
    "NYK": "NY", "WAS": "Wsh",
}  # fmt: skip
CSV_STAT_CODES = {
    "points": "PTS", "rebounds": "REB", "assists": "AST", "threes": "3PM",
    "shots_on_goal": "SOG", "goals": "G",
}  # fmt: skip
# Game totals (world/totals.py), as each vendor names the market.
ODDSAPI_TOTAL_MARKET = "totals"  # The Odds API's own key: outcomes Over/Under with a point
CSV_TOTAL_CODE = "TOT"  # a csvfeed row with this stat and no player
DECIMAL_TOTAL_MARKET = "total"  # decimalfeed offers with this market and no participant
SUFFIXES = {"Jr.", "Sr.", "II", "III", "IV"}


def vendor_spec(key: str) -> VendorSpec:
    for vendor in VENDORS:
        if vendor.key == key:
            return vendor
    raise ValueError(f"unknown vendor {key!r}; known: {', '.join(VENDOR_KEYS)}")


def carriage(books: tuple[BookSpec, ...], vendors: tuple[str, ...]) -> dict[str, list[int]]:
    """Vendor → indices (into `books`) of the books it publishes, for the generated vendors.

    A book whose vendors are all left out goes to the first generated vendor.
    """
    plan: dict[str, list[int]] = {v: [] for v in vendors}
    for b, book in enumerate(books):
        carriers = [v for v in vendors if book.key in vendor_spec(v).books] or [vendors[0]]
        for v in carriers:
            plan[v].append(b)
    return plan


def csv_name(league_name: str) -> str:
    """`Nikola Jokić` → `Jokić, Nikola`; `Jaren Jackson Jr.` → `Jackson, Jaren Jr.`."""
    words = league_name.split()
    suffix = [words.pop()] if len(words) > 2 and words[-1] in SUFFIXES else []
    first, last = words[0], " ".join(words[1:])
    return f"{last}, {' '.join([first, *suffix])}"


def decimal_name(league_name: str) -> str:
    return strip_accents(league_name)


def _nickname(name: str) -> str:
    first, *rest = name.split()
    return " ".join([NICKNAMES[first], *rest])


def nickname_players(
    names: list[PlayerName], slots: np.ndarray, starters: int, rng: np.random.Generator, count: int
) -> list[int]:
    """`count` distinct starters whose first name has a nickname that maps to nobody.

    Players oddsapi already spells by a nickname are left out, so each vendor's nickname is a
    name of its own.
    """
    keys = {match_key(n.league) for n in names}
    eligible = [
        i
        for i, n in enumerate(names)
        if slots[i] < starters
        and not n.nickname
        and n.league.split()[0] in NICKNAMES
        and match_key(_nickname(n.league)) not in keys
    ]
    picked = rng.choice(len(eligible), size=min(count, len(eligible)), replace=False)
    return [eligible[int(i)] for i in picked]


def vendor_names(
    names: list[PlayerName], slots: np.ndarray, starters: int, rng: np.random.Generator
) -> tuple[dict[str, list[str]], dict[str, list[int]]]:
    """Each vendor's spelling of every player (index = player), and whom it nicknames."""
    spelled = {
        "oddsapi": [n.vendor for n in names],
        "csvfeed": [csv_name(n.league) for n in names],
        "decimalfeed": [decimal_name(n.league) for n in names],
    }
    nicknamed = {"oddsapi": [i for i, n in enumerate(names) if n.nickname]}
    picked = nickname_players(names, slots, starters, rng, 2)
    for vendor, player, spell in zip(
        ("csvfeed", "decimalfeed"), picked, (csv_name, decimal_name), strict=False
    ):
        spelled[vendor][player] = spell(_nickname(names[player].league))
        nicknamed[vendor] = [player]
    return spelled, nicknamed


def american_to_decimal(price: np.ndarray) -> np.ndarray:
    """American odds → decimal odds rounded to 2 decimals (as decimalfeed publishes them)."""
    price = np.asarray(price, dtype=float)
    raw = np.where(price < 0, 1.0 + 100.0 / -price, 1.0 + price / 100.0)
    return np.round(raw, 2)
