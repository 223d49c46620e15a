"""SBR season workbooks (`nba odds 2016-17.xlsx`, `nhl odds 2021.xlsx`): layout, league, season.

The workbook is read here, before anything is written: its columns are found by header name
and position (never a fixed index), its league and season are settled (the `--league` and
`--season` options, else the file name, else the layout), and its rows become one CSV, a cell
text per column role and row (`sheet_row` keeps the row's number in the sheet). That CSV is the
payload the `sbr_games` feed ingests (propcast.vendors.sbr), so the same workbook makes the same
bytes and a re-import adds nothing. A workbook of a league or layout not known is refused whole
(`SbrRefused`), naming what was expected.

Layouts: NBA `Date Rot VH Team 1st 2nd 3rd 4th Final Open Close ML 2H` (13 columns, some files
with trailing empty ones); NHL `Date Rot VH Team 1st 2nd 3rd Final Open Close [puck line]
Open OU _ Close OU _`, with 14 columns (no puck line), 15 (`PL`, line and price in one cell such
as `+1.5(-305)`) or 16 (puck line, then its price in an unnamed column). Each of `Open OU` and
`Close OU` (and a two-cell puck line) is followed by an unnamed price column; a header may name
fewer columns than the rows fill, with or without the blank cells.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

#: Header spellings (lower case, letters and digits only) → column role.
HEADER_ROLES = {
    "date": "date",
    "rot": "rot",
    "vh": "vh",
    "team": "team",
    "1st": "p1",
    "2nd": "p2",
    "3rd": "p3",
    "4th": "p4",
    "ot": "ot",
    "so": "so",
    "final": "final",
    "open": "open",
    "close": "close",
    "ml": "ml",
    "2h": "h2",
    "puckline": "pl",
    "pl": "pl",
    "openou": "open_ou",
    "closeou": "close_ou",
}
#: Roles followed by an unnamed price column (a puck line may carry its price in its cell).
PRICED = ("pl", "open_ou", "close_ou")
ROLES = (
    "date", "rot", "vh", "team", "p1", "p2", "p3", "p4", "ot", "so", "final", "open", "close",
    "ml", "h2", "pl", "pl_price", "open_ou", "open_ou_price", "close_ou", "close_ou_price",
)  # fmt: skip
REQUIRED = {
    "nba": ("date", "rot", "vh", "team", "p1", "p2", "p3", "p4", "final", "open", "close"),
    "nhl": ("date", "rot", "vh", "team", "p1", "p2", "p3", "final", "open", "close",
            "open_ou", "close_ou"),
}  # fmt: skip
EXPECTED = {
    "nba": "Date, Rot, VH, Team, 1st, 2nd, 3rd, 4th, Final, Open, Close, ML, 2H",
    "nhl": "Date, Rot, VH, Team, 1st, 2nd, 3rd, Final, Open, Close, [Puck Line/PL], "
    "Open OU, (price), Close OU, (price)",
}
LEAGUES = ("nba", "nhl")
OTHER_LEAGUES = ("nfl", "mlb", "ncaaf", "ncaab", "wnba", "cfl", "afl")
HEADER_SEARCH_ROWS = 10
PAYLOAD_COLUMNS = ("league", "season", "sheet_row", *ROLES)
COMBINED_PUCK_LINE = re.compile(
    r"^\s*([+-]?\d+(?:\.\d+)?)\s*\(\s*([+-]?\d+|ev|even)\s*\)\s*$", re.I
)


class SbrRefused(ValueError):
    """The workbook is refused whole (unreadable, unknown league or layout, no season)."""


@dataclass(frozen=True)
class SbrSheet:
    """A workbook, read: its league, season (`2016-17`), column roles and data rows."""

    league: str
    season: str
    columns: dict[str, int]
    rows: list[tuple[int, tuple]]  # (sheet row number, cells)

    def payload(self) -> bytes:
        """The `sbr_games` payload: one CSV line per sheet row, cell texts by role."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(PAYLOAD_COLUMNS)
        combined = "pl" in self.columns and "pl_price" not in self.columns
        for number, cells in self.rows:
            texts = {role: cell_text(_cell(cells, i)) for role, i in self.columns.items()}
            if combined and (split := COMBINED_PUCK_LINE.match(texts["pl"])):
                texts["pl"], texts["pl_price"] = split.group(1), split.group(2)
            writer.writerow(
                [self.league, self.season, number, *(texts.get(role, "") for role in ROLES)]
            )
        return out.getvalue().encode("utf-8")


def _cell(cells: tuple, index: int):
    return cells[index] if index < len(cells) else None


def cell_text(value) -> str:
    """A cell as text: whole floats without `.0`, dates as ISO, blanks empty."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def header_key(value) -> str:
    return re.sub(r"[^0-9a-z]", "", cell_text(value).lower())


# ---- league and season ----------------------------------------------------------------------


def name_league(path: Path) -> str | None:
    """The league a file name says (`nba odds 2016-17.xlsx` → nba), if any."""
    words = re.split(r"[^a-z]+", path.stem.lower())
    for word in words:
        if word in LEAGUES or word in OTHER_LEAGUES:
            return word
    return None


def parse_season(text: str) -> str | None:
    """`2016-17`, `2016-2017`, `2016_17` or SBR's single year (`2021` is 2020-21) → `2016-17`."""
    pair = re.search(r"(?<!\d)((?:19|20)\d{2})\s*[-_ ]\s*(\d{2}|(?:19|20)\d{2})(?!\d)", text)
    if pair:
        start, end = int(pair.group(1)), int(pair.group(2)[-2:])
        if (start + 1) % 100 == end:
            return f"{start}-{end:02d}"
    single = re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", text)
    if single and not pair:
        end = int(single.group(1))
        return f"{end - 1}-{end % 100:02d}"
    return None


# ---- layout ---------------------------------------------------------------------------------


def _layout_league(roles: dict[str, int]) -> str | None:
    if "p4" in roles and "open_ou" not in roles:
        return "nba"
    if "open_ou" in roles or "close_ou" in roles or "pl" in roles:
        return "nhl"
    return None


def _named(header: tuple) -> list[tuple[int, str]]:
    return [(i, HEADER_ROLES.get(header_key(v), "?" + cell_text(v))) for i, v in
            enumerate(header) if cell_text(v)]  # fmt: skip


def _width(rows: list[tuple[int, tuple]]) -> int:
    """Columns the data rows fill (trailing empty columns left out)."""
    width = 0
    for _, cells in rows[:200]:
        filled = [i for i, v in enumerate(cells) if cell_text(v)]
        width = max(width, filled[-1] + 1 if filled else 0)
    return width


def check_width(columns: dict[str, int], rows: list[tuple[int, tuple]]) -> None:
    """The rows fill no column the layout does not name (trailing empty columns are fine)."""
    width, layout = _width(rows), max(columns.values()) + 1
    if width > layout:
        raise SbrRefused(
            f"the rows fill {width} columns but the header's layout has {layout}: a column "
            "the header does not name"
        )


def _holds_price(rows: list[tuple[int, tuple]], index: int) -> bool:
    """Whether the puck line cells carry their price (`+1.5(-305)`)."""
    texts = [cell_text(_cell(cells, index)) for _, cells in rows[:200]]
    return any(COMBINED_PUCK_LINE.match(t) for t in texts if t)


def resolve_columns(header: tuple, rows: list[tuple[int, tuple]]) -> dict[str, int]:
    """Role → column index, by header name and position. Each priced role (`pl`, `open_ou`,
    `close_ou`) is followed by its price column, unnamed, unless a puck line carries its price
    in its cell (`+1.5(-305)`); positions follow the named cells in order, so a header naming
    fewer columns than the rows fill reads the same as one with the blank cells."""
    named = _named(header)
    unknown = [role[1:] for _, role in named if role.startswith("?")]
    if unknown:
        raise SbrRefused(f"unknown column(s) {', '.join(map(repr, unknown))} in the header")
    roles = [role for _, role in named]
    if len(set(roles)) != len(roles):
        raise SbrRefused("a column is named twice in the header")
    combined_pl = "pl" in roles and _holds_price(rows, roles.index("pl"))
    columns: dict[str, int] = {}
    position = 0
    for role in roles:
        columns[role] = position
        position += 1
        if role in PRICED and not (role == "pl" and combined_pl):
            columns[f"{role}_price"] = position
            position += 1
    header_positions = [i for i, _ in named]
    sequential = [columns[role] for role in roles]
    contiguous = header_positions == list(range(len(named)))
    if header_positions != sequential and not contiguous:
        raise SbrRefused(
            "the header's named columns are not where the layout puts them "
            f"(named at {header_positions}, expected at {sequential})"
        )
    return columns


# ---- the workbook ---------------------------------------------------------------------------


def _sheet_rows(path: Path) -> list[tuple[int, tuple]]:
    import openpyxl  # optional (the `xlsx` workbooks only): every other command starts without it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is no workbook
        raise SbrRefused(f"{path} is not an .xlsx workbook ({type(exc).__name__}: {exc})") from None
    try:
        for sheet in book.worksheets:
            rows = [
                (number, cells)
                for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
                if any(cell_text(v) for v in cells)
            ]
            if rows:
                return rows
    finally:
        book.close()
    raise SbrRefused(f"{path} has no data on any sheet")


def _header_index(rows: list[tuple[int, tuple]], path: Path) -> int:
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if cells and header_key(cells[0]) == "date":
            return index
    raise SbrRefused(
        f"{path} has no SBR header (a row starting with Date) in its first "
        f"{HEADER_SEARCH_ROWS} rows; expected NBA: {EXPECTED['nba']}; NHL: {EXPECTED['nhl']}"
    )


def _league(path: Path, columns: dict[str, int], given: str | None) -> str:
    layout = _layout_league(columns)
    named = name_league(path)
    if named in OTHER_LEAGUES:
        raise SbrRefused(f"{path} is an {named.upper()} workbook; only nba and nhl are known")
    claimed = given or named
    if layout is None:
        raise SbrRefused(
            f"{path}: the header is neither SBR layout; expected NBA: {EXPECTED['nba']}; "
            f"NHL: {EXPECTED['nhl']}"
        )
    if claimed and claimed != layout:
        source = "--league" if given else "the file name"
        raise SbrRefused(
            f"{path}: {source} says {claimed.upper()} but the header is the {layout.upper()} "
            f"layout; expected for {claimed.upper()}: {EXPECTED[claimed]}"
        )
    missing = [role for role in REQUIRED[layout] if role not in columns]
    if missing:
        raise SbrRefused(
            f"{path}: the {layout.upper()} layout lacks column(s) {', '.join(missing)}; "
            f"expected: {EXPECTED[layout]}"
        )
    return layout


def read_sbr(path: Path, league: str | None = None, season: str | None = None) -> SbrSheet:
    """Read an SBR season workbook; raises SbrRefused (see the module docstring)."""
    path = Path(path)
    given_season = parse_season(season) if season else None
    if season and not given_season:
        raise SbrRefused(
            f"--season {season!r} is not a season (write 2016-17, or 2021 for 2020-21)"
        )
    resolved_season = given_season or parse_season(path.stem)
    if resolved_season is None:
        raise SbrRefused(
            f"{path}: no season in the file name (e.g. `nba odds 2016-17.xlsx`); give --season"
        )
    rows = _sheet_rows(path)
    start = _header_index(rows, path)
    body = rows[start + 1 :]
    columns = resolve_columns(rows[start][1], body)
    resolved = _league(path, columns, league.lower() if league else None)
    check_width(columns, body)
    return SbrSheet(resolved, resolved_season, columns, body)
