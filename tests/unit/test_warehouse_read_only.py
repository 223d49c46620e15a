"""propcast.warehouse.read_only: the three failures a reading command (evaluate, simulate,
bets report) meets, each raised as the command's error with the command that recovers."""

from __future__ import annotations

import duckdb
import pytest

from propcast.settings import Home
from propcast.warehouse import connect, read_only


class ReadError(RuntimeError):
    def __init__(self, message: str, recover: str) -> None:
        super().__init__(message)
        self.recover = recover


def reading(home: Home):
    return read_only(
        home, ReadError, command="propcast simulate", first_build="propcast demo", needs="fct_x"
    )


def test_no_warehouse_names_the_file_and_the_first_build(home: Home) -> None:
    with (
        pytest.raises(ReadError, match=r"no warehouse at .*nothing has been built") as err,
        reading(home),
    ):
        pass
    assert err.value.recover == "propcast demo"


def test_a_missing_mart_recovers_with_a_build_then_the_command(home: Home) -> None:
    duckdb.connect(str(home.warehouse)).close()
    with (
        pytest.raises(
            ReadError, match=r"the warehouse's fct_x: missing or built by an older"
        ) as err,
        reading(home) as con,
    ):
        con.execute("select * from main.fct_x")
    assert err.value.recover == "propcast build  (builds fct_x), then propcast simulate"


def test_an_outdated_mart_is_named_too(home: Home) -> None:
    with connect(home) as con:
        con.execute("create table main.fct_x (a integer)")
    with pytest.raises(ReadError, match="missing or built by an older"), reading(home) as con:
        con.execute("select b from main.fct_x")


def test_a_writer_holding_the_file_says_wait_then_rerun(home: Home) -> None:
    writer = connect(home)  # read-write in this process: a read-only open is refused
    try:
        with pytest.raises(ReadError, match="cannot be opened read-only") as err, reading(home):
            pass
    finally:
        writer.close()
    assert err.value.recover.startswith("propcast status  (wait for the run to finish)")
    assert err.value.recover.endswith("then propcast simulate")


def test_other_errors_pass_through(home: Home) -> None:
    duckdb.connect(str(home.warehouse)).close()
    with pytest.raises(ZeroDivisionError), reading(home):
        raise ZeroDivisionError
