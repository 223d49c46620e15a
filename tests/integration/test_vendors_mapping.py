"""Three odds vendors through the real ingest and the real dbt build (DuckDB).

One 12-day world (three vendors, five books; draftkings via oddsapi and csvfeed, betmgm via
oddsapi and decimalfeed) is generated, fetched, ingested and built once per module, up to the
analytics marts and the line features. The override test runs on a copy of the warehouse with a
copy of the dbt project whose player_alias_overrides seed has the user's new rows.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from propcast.dbt_runner import Dbt, DbtResult
from propcast.fetch import fetch_from_feeds
from propcast.ingest import IngestReport, ingest
from propcast.settings import PROJECT_DIR, Home
from propcast.timeutil import today_in_slate_tz
from propcast.warehouse import connect, copy_warehouse
from propcast.world import WorldSummary, generate

from .conftest import EVERYTHING

# A fixed window (not relative to today): the same world every run, in which each vendor's
# nicknamed player is quoted. Past dates are judged fresh: every due date is loaded.
START = date(2026, 1, 5)
DAYS = 12
SEED = 11
VENDORS = {"oddsapi", "csvfeed", "decimalfeed"}
# Tests run only when all their parents are built (cautious), so the predictions' tests stay out.
BUILD = [
    "build", "--select", "+tag:phase_analytics", "+fct_prop_line_features",
    "--indirect-selection", "cautious",
]  # fmt: skip
# What a user's copy of the project needs (never target/ or logs/: those live in the home).
PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "python_models")
PROJECT_PARTS_NESTED = ("tests/data_tests",)


@dataclass(frozen=True)
class VendorWorld:
    home: Home
    last_day: date
    summary: WorldSummary
    ingest: IngestReport
    build: DbtResult
    params: dict


def query(home: Home, sql: str, params: list | None = None) -> pd.DataFrame:
    with connect(home) as con:
        return con.execute(sql, params or []).df()


@pytest.fixture(scope="module")
def vendor_world(tmp_path_factory: pytest.TempPathFactory) -> VendorWorld:
    home = Home(tmp_path_factory.mktemp("vendors") / "home").ensure()
    last_day = START + timedelta(days=DAYS - 1)
    assert last_day < today_in_slate_tz()
    summary = generate(home.world, seed=SEED, start=START, days=DAYS, books=5)
    fetch_from_feeds(home, home.world / "feeds", cutoff=EVERYTHING)
    report = ingest(home)
    result = Dbt(home).invoke(BUILD, run_vars={"run_date": last_day.isoformat()})
    failed = [f"{n.unique_id}: {n.message}" for n in result.failed]
    assert result.success, failed or result.error
    params = json.loads((home.world / "truth/world.json").read_text())
    return VendorWorld(home, last_day, summary, report, result, params)


# -- loading --------------------------------------------------------------------------------------


def test_all_three_vendors_load_and_reach_fct_prop_odds(vendor_world: VendorWorld) -> None:
    home = vendor_world.home
    loaded = vendor_world.ingest.rows_loaded
    assert loaded["raw_csvfeed__prop_odds"] > 0 and loaded["raw_decimalfeed__prop_odds"] > 0
    assert loaded["raw_oddsapi__prop_odds"] > 0
    per_vendor = query(
        home,
        "select vendor, count(*) as quotes, count(distinct book_id) as books, "
        "count(best_over_price_decimal) as with_best_line, "
        "avg(case when player_id is not null and game_id is not null then 1 else 0 end) "
        "as mapped from main.fct_prop_odds group by vendor",
    ).set_index("vendor")
    assert set(per_vendor.index) == VENDORS
    books = {v: len(p["book_keys"]) for v, p in vendor_world.params["vendors"].items()}
    assert per_vendor.books.to_dict() == books
    assert (per_vendor.with_best_line > 0).all()
    assert (per_vendor.mapped > 0.95).all(), per_vendor
    # csvfeed's spellings (brk, PHO, UTAH, …) and decimalfeed's codes all map to teams.
    unmapped_teams = query(
        home,
        "select count(*) as n from main.int_prop_odds_unioned "
        "where home_team_id is null or away_team_id is null",
    ).n[0]
    assert unmapped_teams == 0


def test_a_book_has_one_price_across_its_vendors(vendor_world: VendorWorld) -> None:
    """draftkings via oddsapi (10:00) and csvfeed (10:05): same game, player, line and bucket,
    same price, in the warehouse's ids."""
    quotes = query(
        vendor_world.home,
        "select vendor, game_id, player_id, market, line, over_price_decimal, "
        "under_price_decimal, fetched_at from main.fct_prop_odds "
        "where book_id = 'draftkings' and player_id is not null and game_id is not null",
    )
    bucket = quotes.fetched_at.dt.floor("h")  # 15:05 and 15:00 share a bucket
    quotes = quotes.assign(bucket=bucket)
    keys = ["game_id", "player_id", "market", "line", "bucket"]
    odds = quotes[quotes.vendor == "oddsapi"]
    csv = quotes[quotes.vendor == "csvfeed"]
    both = odds.merge(csv, on=keys, suffixes=("_odds", "_csv"), validate="one_to_one")
    assert len(both) > 0.95 * len(csv)
    for side in ("over", "under"):
        same = both[f"{side}_price_decimal_odds"] == both[f"{side}_price_decimal_csv"]
        assert same.mean() > 0.995  # the few quarantined sides aside


def test_a_book_quoted_by_two_vendors_is_one_best_line_candidate(
    vendor_world: VendorWorld,
) -> None:
    """Recomputed independently: at each snapshot time a book's board is its latest quote
    fetched by then, whichever vendor carried it; the best line counts each book once."""
    home = vendor_world.home
    quotes = query(
        home,
        "select vendor, book_id, game_id, player_id, market, line, fetched_at, "
        "over_price_decimal, under_price_decimal from main.fct_prop_odds "
        "where is_pregame and is_bettable_book and game_id is not null "
        "and player_id is not null",
    )
    best = query(
        home,
        "select game_id, player_id, market, line, side, as_of, best_book_id, "
        "best_price_decimal, books_quoting from main.int_prop_odds_best_line",
    )
    market_keys = ["game_id", "player_id", "market"]
    shared = quotes.groupby([*market_keys, "book_id"]).vendor.nunique()
    shared = shared[shared > 1].reset_index()[market_keys].drop_duplicates()
    sample = shared.sample(min(len(shared), 150), random_state=3)
    quotes = quotes.merge(sample, on=market_keys)

    times = quotes[[*market_keys, "fetched_at"]].drop_duplicates()
    times = times.rename(columns={"fetched_at": "as_of"})
    seen = quotes.merge(times, on=market_keys)
    seen = seen[seen.fetched_at <= seen.as_of]
    latest = seen.groupby([*market_keys, "as_of", "book_id"]).fetched_at.transform("max")
    boards = seen[seen.fetched_at == latest]
    long = pd.concat([
        boards.assign(side="over", price=boards.over_price_decimal),
        boards.assign(side="under", price=boards.under_price_decimal),
    ]).dropna(subset=["price"])  # fmt: skip
    line_keys = [*market_keys, "line", "side", "as_of"]
    expected = long.groupby(line_keys).agg(
        best_price_decimal=("price", "max"), books_quoting=("book_id", "nunique")
    )
    got = best.merge(sample, on=market_keys)
    joined = expected.reset_index().merge(
        got, on=line_keys, suffixes=("", "_dbt"), how="outer", indicator=True
    )
    assert len(joined) > 0 and (joined._merge == "both").all()
    assert (joined.books_quoting == joined.books_quoting_dbt).all()
    assert (joined.best_price_decimal - joined.best_price_decimal_dbt).abs().max() < 1e-12
    assert joined.books_quoting.max() <= 5
    # Counting (vendor, book) quotes up to as_of instead would count a book twice when two
    # vendors carried it: such lines exist here, so the check above means something.
    pairs = seen.drop_duplicates([*market_keys, "line", "as_of", "vendor", "book_id"])
    naive = pairs.groupby([*market_keys, "line", "as_of"]).size().rename("naive").reset_index()
    over = joined[joined.side == "over"].merge(naive, on=[*market_keys, "line", "as_of"])
    assert (over.naive > over.books_quoting).any(), "no book quoted twice: the test is void"


def test_line_features_count_each_book_once(vendor_world: VendorWorld) -> None:
    """At the pricing cutoff the consensus and the book counts see a book once, even when two
    vendors carried its quotes."""
    home = vendor_world.home
    features = query(
        home,
        "select game_id, player_id, market, line, pricing_cutoff_utc, books_quoting, "
        "books_with_fair_prob from main.fct_prop_line_features",
    )
    quotes = query(
        home,
        "select book_id, vendor, game_id, player_id, market, line, fetched_at "
        "from main.fct_prop_odds where is_pregame and game_id is not null "
        "and player_id is not null",
    )
    assert len(features) > 0
    assert (features.books_with_fair_prob <= features.books_quoting).all()
    cutoffs = features[["game_id", "pricing_cutoff_utc"]].drop_duplicates()
    usable = quotes.merge(cutoffs, on="game_id")
    usable = usable[usable.fetched_at <= usable.pricing_cutoff_utc]
    keys = ["game_id", "player_id", "market", "book_id"]
    boards = usable[usable.fetched_at == usable.groupby(keys).fetched_at.transform("max")]
    expected = boards.groupby(["game_id", "player_id", "market", "line"]).book_id.nunique()
    got = features.set_index(["game_id", "player_id", "market", "line"]).books_quoting
    assert (got == expected.reindex(got.index)).all()


# -- quarantine -----------------------------------------------------------------------------------


def test_bad_rows_are_quarantined_while_their_payloads_load(vendor_world: VendorWorld) -> None:
    home = vendor_world.home
    bad = vendor_world.summary.bad_rows
    quarantined = query(
        home,
        "select q.vendor, q.source_file, q.row_number, q.row_text, q.reason, p.status, "
        "p.rows_loaded, p.rows_quarantined, p.payload_sha256 from raw.raw_quarantine as q "
        "inner join raw.raw_odds_payloads as p on q.payload_sha256 = p.payload_sha256",
    )
    counts = quarantined.vendor.value_counts().to_dict()
    assert counts == {v: n for v, n in bad.items() if n}
    assert counts.get("csvfeed", 0) > 0 and counts.get("decimalfeed", 0) > 0
    assert (quarantined.status == "partial").all() and (quarantined.rows_loaded > 0).all()
    assert quarantined.reason.str.contains("player missing|American odds|above 1.0").all()
    for vendor, table in (("csvfeed", "raw_csvfeed__prop_odds"),
                          ("decimalfeed", "raw_decimalfeed__prop_odds")):  # fmt: skip
        row = quarantined[quarantined.vendor == vendor].iloc[0]
        landed = query(
            home,
            f"select count(*) as n from raw.{table} where payload_sha256 = ?",
            [row.payload_sha256],
        ).n[0]
        assert landed == row.rows_loaded > 0  # the rest of the file loaded
        assert row.source_file.startswith(f"{vendor}/prop_odds/") and row.row_text


# -- mapping --------------------------------------------------------------------------------------


def nickname_quotes(home: Home, params: dict) -> pd.DataFrame:
    """The quotes of the player each of csvfeed and decimalfeed spells by a nickname."""
    players = {v: params["vendors"][v]["nickname_players"][0] for v in ("csvfeed", "decimalfeed")}
    spelled = query(
        home,
        "select vendor, vendor_player_name, count(*) as quotes, min(player_id) as player_id, "
        "min(player_mapping) as player_mapping, min(game_date) as first_game_date "
        "from main.fct_prop_odds where vendor in ('csvfeed', 'decimalfeed') "
        "and player_id is null group by vendor, vendor_player_name",
    )
    return spelled.assign(true_player_id=spelled.vendor.map(players))


def test_unmapped_names_load_with_a_null_id_and_are_counted(vendor_world: VendorWorld) -> None:
    home = vendor_world.home
    unmapped = nickname_quotes(home, vendor_world.params)
    # Exactly the one nickname of each vendor: every other spelling maps.
    assert sorted(unmapped.vendor) == ["csvfeed", "decimalfeed"]
    assert (unmapped.player_mapping == "unmapped").all()
    quality = query(home, "select * from main.fct_mapping_quality_daily")
    assert set(quality.vendor) == VENDORS
    assert quality.mapped_share.between(0, 1).all()
    totals = quality.groupby("vendor")[["quotes", "quotes_player_unmapped"]].sum()
    rows = query(
        home,
        "select vendor, count(*) as quotes, count(*) - count(player_id) as unmapped "
        "from main.fct_prop_odds group by vendor",
    ).set_index("vendor")
    assert (totals.quotes == rows.quotes.reindex(totals.index)).all()
    assert (totals.quotes_player_unmapped == rows.unmapped.reindex(totals.index)).all()
    for row in unmapped.itertuples():
        assert totals.quotes_player_unmapped[row.vendor] == row.quotes
        named = quality[(quality.vendor == row.vendor) & (quality.quotes_player_unmapped > 0)]
        assert named.top_unmapped_player_names.str.startswith(row.vendor_player_name + " (").all()
        assert (named.unmapped_player_names == 1).all()


def copy_project(into: Path) -> Path:
    into.mkdir(parents=True)
    for part in PROJECT_PARTS:
        source = PROJECT_DIR / part
        if source.is_dir():
            shutil.copytree(source, into / part)
        else:
            shutil.copy2(source, into / part)
    for part in PROJECT_PARTS_NESTED:
        shutil.copytree(PROJECT_DIR / part, into / part)
    return into


def test_an_override_row_maps_the_name(vendor_world: VendorWorld, tmp_path: Path) -> None:
    """What a user does: add (vendor, name as spelled, player_id) to
    seeds/player_alias_overrides.csv and rebuild from the first date it maps (`propcast build
    --from`; older game_date slices are not rebuilt otherwise). Done in a copy of the project
    and of the warehouse, so neither the repo's seed nor the module's warehouse changes."""
    home = Home(tmp_path / "home").ensure()
    copy_warehouse(vendor_world.home, home.warehouse)
    before = nickname_quotes(home, vendor_world.params)
    quality_before = query(
        home,
        "select vendor, sum(quotes_player_unmapped) as unmapped, "
        "sum(quotes_player_override) as override from main.fct_mapping_quality_daily "
        "group by vendor",
    ).set_index("vendor")

    project = copy_project(tmp_path / "project")
    repo_seed = (PROJECT_DIR / "seeds/player_alias_overrides.csv").read_text()
    seed = project / "seeds/player_alias_overrides.csv"
    lines = [f'{r.vendor},"{r.vendor_player_name}",{r.true_player_id}' for r in before.itertuples()]
    seed.write_text(repo_seed.rstrip("\n") + "\n" + "\n".join(lines) + "\n")
    result = Dbt(home, project_dir=project).invoke(
        ["build", "--select", "player_alias_overrides",
         "player_alias_overrides+,tag:phase_analytics", "--indirect-selection", "cautious"],
        run_vars={
            "run_date": vendor_world.last_day.isoformat(),
            "slice_start": str(min(before.first_game_date)),
        },
    )  # fmt: skip
    assert result.success, [f"{n.unique_id}: {n.message}" for n in result.failed] or result.error
    assert (PROJECT_DIR / "seeds/player_alias_overrides.csv").read_text() == repo_seed

    mapped = query(
        home,
        "select vendor, vendor_player_name, min(player_id) as player_id, "
        "count(distinct player_id) as ids, string_agg(distinct player_mapping) as player_mapping, "
        "count(*) as quotes from main.fct_prop_odds "
        "where vendor in ('csvfeed', 'decimalfeed') group by vendor, vendor_player_name",
    )
    for row in before.itertuples():
        now = mapped[
            (mapped.vendor == row.vendor) & (mapped.vendor_player_name == row.vendor_player_name)
        ].iloc[0]
        assert (now.player_id, now.ids, now.player_mapping) == (row.true_player_id, 1, "override")
        assert now.quotes == row.quotes
    assert nickname_quotes(home, vendor_world.params).empty
    quality = query(
        home,
        "select vendor, sum(quotes_player_unmapped) as unmapped, "
        "sum(quotes_player_override) as override from main.fct_mapping_quality_daily "
        "group by vendor",
    ).set_index("vendor")
    for row in before.itertuples():
        assert quality.unmapped[row.vendor] == quality_before.unmapped[row.vendor] - row.quotes
        assert quality.override[row.vendor] == quality_before.override[row.vendor] + row.quotes
    assert quality.unmapped["oddsapi"] == quality_before.unmapped["oddsapi"]
