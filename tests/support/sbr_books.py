"""Small SBR season workbooks written with openpyxl, in the layouts SBR used (issue 16)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl

NBA_HEADER = ("Date", "Rot", "VH", "Team", "1st", "2nd", "3rd", "4th", "Final", "Open", "Close",
              "ML", "2H")  # fmt: skip
NHL_HEADER_16 = ("Date", "Rot", "VH", "Team", "1st", "2nd", "3rd", "Final", "Open", "Close",
                 "Puck Line", None, "Open OU", None, "Close OU", None)  # fmt: skip
NHL_HEADER_15 = ("Date", "Rot", "VH", "Team", "1st", "2nd", "3rd", "Final", "Open", "Close",
                 "PL", "OpenOU", None, "CloseOU", None)  # fmt: skip
NHL_HEADER_14 = ("Date", "Rot", "VH", "Team", "1st", "2nd", "3rd", "Final", "Open", "Close",
                 "Open OU", None, "Close OU", None)  # fmt: skip


def write_book(path: Path, header: Sequence, rows: Sequence[Sequence]) -> Path:
    """A workbook whose first sheet holds the header and rows (and an empty second sheet)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.create_sheet("Sheet2")
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _half(value):
    return value / 2 if isinstance(value, int | float) else value


def nba_game(
    mmdd: int,
    rot: int,
    visitor: str,
    home: str,
    *,
    total=210.5,
    spread=4.5,
    scores=((25, 25, 25, 25), (30, 25, 25, 25)),
    sides=("V", "H"),
) -> list[list]:
    """Two NBA rows: the home team favoured by `spread`, the total on the visitor's row."""
    (v, h) = scores
    return [
        [mmdd, rot, sides[0], visitor, *v, sum(v), total, total, 150, _half(total)],
        [mmdd, rot + 1, sides[1], home, *h, sum(h), spread, spread, -170, _half(spread)],
    ]  # fmt: skip


def nhl_game(
    mmdd: int,
    rot: int,
    visitor: str,
    home: str,
    *,
    total=5.5,
    over=-105,
    under=-115,
    periods=((1, 1, 0), (0, 2, 1)),
    finals=None,
    layout: int = 16,
) -> list[list]:
    """Two NHL rows in the 14-, 15- or 16-column layout."""
    v, h = periods
    fv, fh = finals or (sum(v), sum(h))
    head_v = [mmdd, rot, "V", visitor, *v, fv, 120, 125]
    head_h = [mmdd, rot + 1, "H", home, *h, fh, -140, -145]
    puck = {16: ([1.5, -250], [-1.5, 210]), 15: (["+1.5(-250)"], ["-1.5(+210)"]), 14: ([], [])}
    pv, ph = puck[layout]
    return [
        [*head_v, *pv, total, over, total, over],
        [*head_h, *ph, total, under, total, under],
    ]
