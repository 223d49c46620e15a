"""Reading bet-history files (propcast.bet_import): the export shapes of
seeds/bet_history_column_map.csv, messy text, American and decimal prices, refused rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from propcast.bet_import import BetFileRefused, bet_hash, column_maps, one_bet_csv, parse_bets

DATA = Path(__file__).resolve().parents[1] / "data" / "ledger"


def parsed(name: str, book_format: str | None = None):
    return parse_bets((DATA / name).read_bytes(), book_format)


def test_the_seed_maps_two_shapes_to_every_required_column() -> None:
    maps = column_maps()
    assert {"generic", "betslip"} <= set(maps)
    assert maps["betslip"]["bet_type"] == "market" and maps["betslip"]["odds"] == "price"


def test_generic_file_loads_good_rows_and_refuses_bad_ones_with_reasons() -> None:
    bets = parsed("generic.csv")
    assert bets.book_format == "generic" and bets.rows_read == 10
    rows = bets.rows.set_index("bet_id")
    assert list(rows.index) == ["A1", "A2", "A3", "A4", "A5"]
    # American kept as American, decimal as decimal; EVEN is +100; a typographic minus is a minus
    assert rows.loc["A1", "price_american"] == -110 and rows.loc["A2", "price_decimal"] == 1.91
    assert rows.loc["A3", "price_american"] == 100 and rows.loc["A5", "price_american"] == -105
    assert rows.loc["A3", "game_date"] == date(2027, 1, 6) and rows.loc["A3", "side"] == "over"
    assert rows.loc["A2", "side"] == "under" and rows.loc["A2", "league"] == "NBA"
    assert rows.loc["A4", "book"] == "MyLocalBook"  # an unknown book loads (staging flags it)
    reasons = {r.row_number: r.reason for r in bets.rejected}
    assert reasons == {
        7: "price is neither American (|price| >= 100) nor decimal",
        8: "side missing or not over/under",
        9: "stake missing or not a positive number",
        10: "league missing or not nba/nhl",
        11: "exact duplicate of row 2",
    }
    assert "LeBron James,25.5,push" in next(r.row_text for r in bets.rejected if r.row_number == 8)


def test_betslip_export_with_bom_semicolons_decimal_commas_and_day_first_dates() -> None:
    bets = parsed("betslip_semicolon_bom.csv")
    assert bets.book_format == "betslip"
    rows = bets.rows.set_index("bet_id")
    assert list(rows.index) == ["DK-1001", "CZ-2002"]
    first = rows.loc["DK-1001"]
    assert (first["subject"], first["side"], first["line"]) == ("LeBron James", "over", 25.5)
    assert first["price_decimal"] == 1.91 and first["stake"] == 10.0
    assert first["game_date"] == date(2027, 1, 5) and first["market"] == "Player Points"
    assert first["event"] == "LAL @ BOS" and first["book_status"] == "Won"
    assert rows.loc["CZ-2002", "game_date"] == date(2027, 1, 13)
    assert [(r.row_number, r.reason) for r in bets.rejected] == [
        (4, "decimal price outside 1.01-101 (write 1.91 or -110)")
    ]


def test_betslip_export_tab_delimited_in_windows_1252() -> None:
    bets = parsed("betslip_tab_cp1252.csv")
    row = bets.rows.iloc[0]
    assert bets.rejected == []
    assert row["subject"] == "José Alvarado" and row["price_american"] == 140
    assert row["stake"] == 25.0 and row["line"] == 9.5


def test_a_file_of_no_known_shape_is_refused_naming_the_missing_columns() -> None:
    with pytest.raises(BetFileRefused, match=r"lacks .*subject.*columns found: when, where, what"):
        parsed("unknown_shape.csv")
    with pytest.raises(BetFileRefused, match="unknown --format 'bet365'; known: betslip, generic"):
        parsed("generic.csv", "bet365")
    with pytest.raises(BetFileRefused, match="not a CSV file"):
        parse_bets(b"")


def test_one_bet_goes_through_the_same_checks() -> None:
    values = {"date": "2027-01-05", "book": "DK", "league": "NBA", "market": "points",
              "subject": 'Shaquille "Shaq" O\'Neal', "line": "20.5", "side": "Over",
              "price": "2.5", "stake": "12"}  # fmt: skip
    bets = parse_bets(one_bet_csv(values), "generic")
    assert bets.rejected == [] and bets.rows.iloc[0]["subject"] == 'Shaquille "Shaq" O\'Neal'
    assert bets.rows.iloc[0]["price_decimal"] == 2.5
    bad = parse_bets(one_bet_csv({**values, "price": "1.0"}), "generic")
    assert [r.reason for r in bad.rejected] == [
        "decimal price outside 1.01-101 (write 1.91 or -110)"
    ]


def test_the_bet_hash_is_the_content_so_the_same_bet_is_one_row() -> None:
    bets = parsed("generic.csv").rows
    again = parsed("generic.csv").rows
    assert list(bets["bet_hash"]) == list(again["bet_hash"])
    assert bets["bet_hash"].is_unique
    changed = bets.copy()
    changed.loc[0, "stake"] = 11.0
    assert bet_hash(changed).iloc[0] != bets["bet_hash"].iloc[0]


@pytest.mark.parametrize("name", ["bets import", "bets add", "bets report"])
def test_bets_commands_document_every_option_and_their_exit_codes(name: str) -> None:
    from tests.unit import test_cli_help as cli_help

    assert name in cli_help.COMMANDS
    cli_help.test_help_describes_every_option_and_states_the_exit_codes(name)
