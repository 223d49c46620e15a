"""League boxscore files written into a home's inbox, and what ingest quarantined of them."""

from __future__ import annotations

from pathlib import Path

from propcast.raw_schema import RAW_SCHEMA
from propcast.settings import Home
from propcast.warehouse import connect


def write_boxscores(home: Home, name: str, header: str, rows: list[str]) -> Path:
    path = home.inbox / "league" / "boxscores" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def quarantine_reasons(home: Home) -> list[str]:
    with connect(home) as con:
        rows = con.execute(f"select reason from {RAW_SCHEMA}.raw_quarantine").fetchall()
    return sorted(reason for (reason,) in rows)
