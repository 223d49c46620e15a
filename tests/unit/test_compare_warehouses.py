"""The reliability matrix's convergence check tells float noise from a real difference: two
warehouses whose checksums differ only because a double sits on the checksum's 1e-9 grid
boundary are equal; a changed value, text or row count is not."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.tools.compare_warehouses import differs_beyond_float_noise, table_checksums

ROWS = [("NBA", "2027-01-12", 0.1234567895, 3), ("NHL", "2027-01-12", 0.5, 4)]


def warehouse(path: Path, rows: list[tuple]) -> str:
    with duckdb.connect(str(path)) as con:
        con.execute("create table accuracy (league varchar, day varchar, loss double, n bigint)")
        con.executemany("insert into accuracy values (?, ?, ?, ?)", rows)
    return str(path)


def test_a_value_on_the_grid_boundary_is_noise_a_changed_row_is_not(tmp_path: Path) -> None:
    base = warehouse(tmp_path / "base.duckdb", ROWS)
    # 1e-15 apart, either side of a rounding boundary of the checksum's 1e-9 grid; rows reordered.
    nudged = [ROWS[1], (*ROWS[0][:2], 0.1234567895 - 1e-15, 3)]
    noisy = warehouse(tmp_path / "noisy.duckdb", nudged)
    sums = [table_checksums(p, set())["main.accuracy"] for p in (base, noisy)]
    assert sums[0] != sums[1]  # the grid boundary flips the checksum ...
    assert not differs_beyond_float_noise(base, noisy, "main.accuracy")  # ... and it is noise

    changed = {
        "value": [ROWS[0], (*ROWS[1][:2], 0.5001, 4)],
        "text": [ROWS[0], ("NHL", "2027-01-13", 0.5, 4)],
        "count": [ROWS[0], ROWS[1], ROWS[1]],
    }
    for name, rows in changed.items():
        other = warehouse(tmp_path / f"{name}.duckdb", rows)
        assert differs_beyond_float_noise(base, other, "main.accuracy"), name
