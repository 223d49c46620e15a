"""The bad-input classes of issue 12 item 4, as `BadFeeds` builders (tests/reliability/
bad_feeds.py): each writes its hostile files beside good rows, with what ingest must make of
every row. `outside` is a folder beside the home (outside the inbox)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from propcast.vendors.sanity import CUT_RECORD_REASON, SHORT_ROW_REASON
from tests.reliability.bad_feeds import CSV_COLUMNS, DROP, GAME, SNAPSHOT, BadFeeds, row

NOT_AMERICAN = "not valid American odds"
AMERICAN_RANGE = "out of range (|American odds| > 10000)"
DECIMAL_LOW = "odds is not a decimal price above 1.0"
DECIMAL_RANGE = "odds is out of range"
WINDOW = "game start more than 1 day before or 31 days after the snapshot"
DUPLICATE = "duplicate of an earlier row of this payload"


def unparseable(b: BadFeeds, outside: Path) -> None:
    tag = b.label
    b.broken("oddsapi", "garbage.json", "{not json " + tag, "not an oddsapi snapshot")
    b.broken("oddsapi", "array.json", json.dumps([tag]), "not an oddsapi snapshot")
    bomb = "[" * 200_000 + json.dumps(tag) + "]" * 200_000  # Python's parser recursion limit
    b.broken("oddsapi", "nesting-bomb.json", bomb, "maximum recursion depth")
    b.broken("decimalfeed", "bad-gateway.json", f"<html>502 {tag}</html>", "not a decimalfeed")
    b.broken("csvfeed", "image.csv", b"\x89PNG\r\n\x1a\n\x00\xff" + tag.encode(), "not a CSV")
    b.broken("csvfeed", "empty.csv", b"", "not a CSV file")
    b.broken("csvfeed", "header-only.csv", CSV_COLUMNS["csvfeed"] + "\n", "found 0")
    good = f"1,NBA,2026-27,2027-01-05,{GAME},GS,BOS,final,1,2,2027-01-06T08:00:00Z"
    ragged = f"{CSV_COLUMNS['schedule']}\n{good}\n{good},{tag}\n"  # a field too many
    b.broken("schedule", "extra-field.csv", ragged, "not a CSV file")
    # The vendors' good files beside them load.
    b.oddsapi("good.json", [row(), row()])
    b.csv("csvfeed", "good.csv", [row()])
    b.decimalfeed("good.json", [row()])


def truncated(b: BadFeeds, outside: Path) -> None:
    whole = BadFeeds(b.label)
    whole.oddsapi("x.json", [row(), row()])
    whole.decimalfeed("x.json", [row(), row()])
    for vendor, reason in (("oddsapi", "not an oddsapi"), ("decimalfeed", "not a decimalfeed")):
        content = whole.files[whole.path(vendor, "x.json")]
        b.broken(vendor, "cut.json", content[: len(content) * 2 // 3], reason)  # documented
    cut = b.csv("csvfeed", "cut-mid-row.csv", [row(), row(), row()])
    b.cut_last_row(cut, b"NBA,", SHORT_ROW_REASON)
    cut = b.csv("csvfeed", "cut-in-quotes.csv", [row(), row(player=f"Cut, Player {b.label}")])
    b.cut_last_row(cut, b'"Cut, Pl', CUT_RECORD_REASON)
    cut = b.csv("boxscores", "cut.csv", [row(), row()])
    b.cut_last_row(cut, b"401000001,NBA,", SHORT_ROW_REASON)


def missing(b: BadFeeds, outside: Path) -> None:
    b.oddsapi("missing.json", [
        row(), row("price is not a number", price=DROP), row("point is not a number", point=DROP),
        row("player name) missing", description=DROP), row("Over/Under", name=DROP),
        row("commence_time missing", commence_time=DROP), row(),
    ])  # fmt: skip
    b.broken("oddsapi", "no-timestamp.json", json.dumps({"data": [], "x": b.label}), "timestamp")
    b.decimalfeed("missing.json", [
        row(), row(DECIMAL_LOW, odds=DROP), row("participant missing", participant=DROP),
        row("fixture start missing", start=DROP), row("handicap missing", handicap=DROP),
    ])  # fmt: skip
    b.csv("csvfeed", "missing.csv", [
        row(), row("player missing", player=""), row("over_odds missing", over_odds=""),
        row("line missing", line=""), row("book missing", book=" "),
    ])  # fmt: skip
    header = CSV_COLUMNS["csvfeed"].replace(",under_odds", "")
    b.broken("csvfeed", "no-column.csv", f"{header}\n{SNAPSHOT},{b.label}\n", "lacks columns")
    b.csv("boxscores", "missing.csv", [
        row(), row("minutes missing", minutes=""), row("player_id or team missing", team=""),
    ])  # fmt: skip
    header = CSV_COLUMNS["boxscores"].replace(",points", "")
    b.broken("boxscores", "no-column.csv", f"{header}\n{b.label}\n", "lacks columns")


def wrong_types(b: BadFeeds, outside: Path) -> None:
    b.oddsapi("types.json", [
        row(), row("price is not a number", price="-110"),
        row("price is not a number", price=[110]), row("price is not a number", price=True),
        row("point is not a number", point="24.5"),
        row("player name) missing or not text", description={"first": "A"}),
        row("player name) missing or not text", description=123),
        row("commence_time missing or not a timestamp", commence_time=1767225600), row(),
    ])  # fmt: skip
    b.decimalfeed("types.json", [
        row(), row(DECIMAL_LOW, odds="1.9"), row("handicap missing", handicap="24.5"),
        row("participant missing or not text", participant=["A", "B"]),
        row("selection is not over/under", selection=1),
    ])  # fmt: skip
    b.csv("csvfeed", "types.csv", [
        row(), row("over_odds missing or not a number", over_odds="minus 110"),
        row("line missing", line="twenty"), row("game_start missing", game_start="tomorrow"),
    ])  # fmt: skip
    b.csv("boxscores", "types.csv", [row(), row("points missing", points="ten")])
    b.csv("schedule", "types.csv", [
        row(), row("status not one of", status="FINAL!"),
        row("final game without both scores", home_score="lots"),
    ])  # fmt: skip


def wrong_shapes(b: BadFeeds, outside: Path) -> None:
    """A list, text, number or null where an object or a list belongs: that row alone."""
    b.oddsapi("shapes.json", [
        row(), row("outcome is not an object", at="outcome", value=["Over", "X", -110]),
        row("outcome is not an object", at="outcome", value=None),
        row("market is not an object", at="market", value=5),
        row("bookmaker is not an object", at="bookmaker", value="draftkings"),
        row("event is not an object", at="event", value=None),
        row("'outcomes' is not a list", at="outcomes", value={"name": "Over"}),
        row("'bookmakers' is not a list", at="bookmakers", value="dk"), row(),
    ])  # fmt: skip
    b.decimalfeed("shapes.json", [
        row(), row("offer is not an object", at="offer", value=[1.9]),
        row("fixture is not an object", at="fixture", value="fx"),
        row("fixture home team is not an object", home="Warriors"),
        row("'offers' is not a list", at="offers", value="none"), row(),
    ])  # fmt: skip


def odds(b: BadFeeds, outside: Path) -> None:
    """Odds no book offers. NaN and Infinity literals make a JSON file one the bulk reader
    refuses, so they get files of their own (parsed alone); the rest go through the bulk path."""
    nan, inf = float("nan"), float("inf")
    b.oddsapi("odds.json", [
        row(price=-110), row(price=10000), row(price=-10000), row(price=100), row(price=-100),
        *[row(NOT_AMERICAN, price=p) for p in (0, 1, -1, 99, -99)],
        *[row(AMERICAN_RANGE, price=p) for p in (100000, -100000, 10001)],
    ])  # fmt: skip
    b.oddsapi("non-finite.json", [
        row(), row("price is not a number", price=nan),
        *[row(AMERICAN_RANGE, price=p) for p in (inf, -inf)],
    ])  # fmt: skip
    b.csv("csvfeed", "odds.csv", [
        row(), row(over_odds="10000"), *[row(NOT_AMERICAN, over_odds=p) for p in ["0", "1", "-1"]],
        row("over_odds missing or not a number", over_odds="nan"),
        *[row("over_odds is " + AMERICAN_RANGE, over_odds=p) for p in ("inf", "-inf", "100000")],
        row("under_odds is " + AMERICAN_RANGE, under_odds="-100000"),
    ])  # fmt: skip
    b.decimalfeed("odds.json", [
        row(odds=1.91), row(odds=1.01), row(odds=101),
        *[row(DECIMAL_LOW, odds=o) for o in (0, 1.0, -1.9)],
        *[row(DECIMAL_RANGE, odds=o) for o in (1.0001, 1000)],
    ])  # fmt: skip
    b.decimalfeed(
        "non-finite.json", [row(), row(DECIMAL_LOW, odds=nan), row(DECIMAL_RANGE, odds=inf)]
    )


def lines(b: BadFeeds, outside: Path) -> None:
    """Negative, absurd or infinite lines and counts. A whole-number line is no error: the
    product settles pushes (DESIGN §5), so a line need not end in .5."""
    b.oddsapi("lines.json", [
        row(point=24.5), row(point=24.0), row(point=500), row("point is negative", point=-0.5),
        *[row("point is out of range (> 500)", point=p) for p in (500.5, 1e9)],
    ])  # fmt: skip
    b.oddsapi("infinite.json", [row(), row("point is out of range", point=float("inf"))])
    b.csv("csvfeed", "lines.csv", [
        row(line="7"), row("line missing or negative", line="-1"),
        *[row("line is out of range (> 500)", line=x) for x in ("1e9", "inf")],
    ])  # fmt: skip
    b.decimalfeed("lines.json", [
        row(), row("handicap missing or negative", handicap=-2.5),
        row("handicap is out of range", handicap=1e9),
    ])  # fmt: skip
    b.csv("boxscores", "counts.csv", [
        row(), row(minutes="0"), row("minutes impossible (> 70)", minutes="81"),
        row("minutes is negative", minutes="-3"), row("points impossible", points="1e9"),
        row("rebounds is not a whole number", rebounds="2.5"),
        row("assists impossible", assists="inf"),
    ])  # fmt: skip
    b.csv("schedule", "scores.csv", [
        row(), row(status="scheduled", home_score="", away_score=""),
        row("home_score is negative", home_score="-3"),
        row("away_score impossible", away_score="1e9"), row("home_score impossible", home_score="inf"),
        row("home_score is not a whole number", home_score="110.5"),
    ])  # fmt: skip


def duplicates(b: BadFeeds, outside: Path) -> None:
    """A row repeating an earlier one's key in the same payload is refused (the first loads);
    the same quote in another snapshot is a new version, not a duplicate."""
    p = f"{b.label} oddsapi repeated"
    b.oddsapi("dups.json", [
        row(description=p), row(DUPLICATE, description=p), row(DUPLICATE, description=p, price=150),
        row(description=p, name="Under"), row(description=p, point=25.5),
    ])  # fmt: skip
    b.oddsapi("later.json", [row(description=p)], timestamp="2027-01-05T16:00:00Z")
    p = f"{b.label} csvfeed repeated"
    b.csv("csvfeed", "dups.csv", [
        row(player=p), row(DUPLICATE, player=p), row(DUPLICATE, player=p, over_odds="120"),
        row(player=p, stat="REB"),
    ])  # fmt: skip
    p = f"{b.label} decimalfeed repeated"
    b.decimalfeed("dups.json", [
        row(participant=p), row(DUPLICATE, participant=p, odds=2.2),
        row(participant=p, bookmaker="betmgm"),
    ])  # fmt: skip
    p = f"{b.label} player repeated"
    b.csv("boxscores", "dups.csv", [row(player_id=p), row(DUPLICATE, player_id=p, points="9")])
    p = f"{b.label} game repeated"
    teams = {"home_team": f"{b.label} home", "away_team": f"{b.label} away"}
    b.csv("schedule", "dups.csv", [
        row(game_id=p, **teams), row(DUPLICATE, game_id=p, home_score="1"),
        row(DUPLICATE, game_id=f"{p} re-id", **teams),  # the same game under another id
    ])  # fmt: skip


def dates(b: BadFeeds, outside: Path) -> None:
    """Games far from their snapshot (2100, 1970, year 1 and 9999, weeks off); payloads stamped
    in 1970 or 2100 are unusable whole."""
    far = ("2100-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
           "9999-12-31T23:59:59Z", "2027-02-19T00:30:00Z", "2027-01-03T12:00:00Z")  # fmt: skip
    b.oddsapi("dates.json", [
        row(), row(commence_time="2027-02-05T00:30:00Z"), *[row(WINDOW, commence_time=t) for t in far],
        row("commence_time missing or not a timestamp", commence_time="next Tuesday"),
    ])  # fmt: skip
    b.csv("csvfeed", "dates.csv", [
        row(), *[row(WINDOW, game_start=t) for t in (far[0], far[1], far[4])],
        *[row("game_start missing or not a timestamp", game_start=t) for t in far[2:4]],
    ])  # fmt: skip
    b.decimalfeed("dates.json", [row(), row(WINDOW, start=far[0]), row(WINDOW, start=far[1])])
    for vendor, stamp in (
        ("oddsapi", "1970-01-01T00:00:00Z"),
        ("decimalfeed", "2100-06-01T00:00:00Z"),
    ):
        other = BadFeeds(b.label)
        writer = other.oddsapi if vendor == "oddsapi" else other.decimalfeed
        key = "timestamp" if vendor == "oddsapi" else "generated_at"
        writer("stamped.json", [row()], **{key: stamp})
        content = other.files[other.path(vendor, "stamped.json")]
        b.broken(vendor, "stamped.json", content, "is outside 2000-2099")
    b.csv("boxscores", "dates.csv", [
        row(), row("after the file's fetched_at", game_date="2100-01-01"),
        row("after the file's fetched_at", game_date="2027-01-07"),
        row("more than 366 days before", game_date="1970-01-01"),
        row("game_date missing or not a date", game_date="0001-01-01"),
    ])  # fmt: skip
    b.csv("schedule", "dates.csv", [
        row(), row(game_date="2027-06-01", status="scheduled", home_score="", away_score=""),
        row("more than 366 days from the file's fetched_at", game_date="2100-01-01"),
    ])  # fmt: skip
    stale = f"{CSV_COLUMNS['boxscores']}\n401,NBA,1970-01-01,GS,BOS,{b.label},X,true,1,1,1,1,1970-01-02T08:00:00Z\n"
    b.broken("boxscores", "stamped.csv", stale, "is outside 2000-2099")


HOSTILE_NAMES = [
    "O'Neil \"The Big\" Jr.", "Robert'); DROP TABLE raw.raw_odds_payloads; --",
    "'; drop table raw.raw_odds_payloads; --", "💥🏀 Ñandú Dončić", "\u202eRTL override",
    "עברית ערבית", "a\x00NUL", "zero\u200bwidth", "=cmd|' /C calc'!A0", "multi\nline",
    "L" * 10_000, "\\N", "NULL", "%s %d {0} $HOME", "<script>alert(1)</script>",
]  # fmt: skip


def hostile_names(b: BadFeeds, outside: Path) -> None:
    """Quotes, SQL, emoji, right-to-left, NUL and control characters in player names are just
    names: they load byte for byte (unknown players: unmapped, not bad). A JSON text that is not
    Unicode at all (a lone surrogate escape) is refused alone."""
    tagged = [f"{name} {b.label}" for name in HOSTILE_NAMES]
    b.oddsapi("names.json", [row(description=n) for n in tagged])
    b.oddsapi("surrogate.json", [row(), row("not valid Unicode", description="\ud800 lone")])
    b.decimalfeed("names.json", [row(participant=n) for n in tagged])
    b.decimalfeed("surrogate.json", [row(), row("not valid Unicode", participant="x \udfff")])
    b.csv("csvfeed", "names.csv", [row(player=n) for n in tagged])
    b.csv("boxscores", "names.csv", [row(player_id=n, player_name=n) for n in tagged])


HOSTILE_FILE_NAMES = [
    "o'neil.json", 'say "hi".json', "x; drop table raw.raw_odds_payloads; --.json", "a*.json",
    "b?.json", "[c].json", "{d,e}.json", "💥 emoji.json", "\u202eRTL.json", "new\nline.json",
    "-rf.json", "..dots...json", " spaced .json", "$(touch pwned).json", "%00.json",
    "back\\slash.json", "L" * 180 + ".json",
]  # fmt: skip


def file_names(b: BadFeeds, outside: Path) -> None:
    """Hostile file names load like any other and are recorded as they are; a name that is not
    UTF-8 cannot be recorded, so that file is refused and reported."""
    for index, name in enumerate(HOSTILE_FILE_NAMES):
        b.oddsapi(name, [row()], timestamp=f"2027-01-05T15:{index:02d}:00Z")
    b.csv("csvfeed", "o'neil; --.csv", [row()])
    b.csv("csvfeed", "💥 [x]*.csv", [row(snapshot_time="2027-01-05T16:00:00Z")])
    b.write(os.fsdecode(b"oddsapi/prop_odds/" + b.label.encode() + b"__bad\xff\xfe.json"), "{}")
    b.expect.entries.append("its name is not UTF-8")


def outside_inbox(b: BadFeeds, outside: Path) -> None:
    """Symlinks leading out of the inbox (to a file, to a folder, by a relative `..` path or a
    chain of links) are refused and reported, never read; a link inside the inbox is harmless
    (its content is the file it points to, loaded once); `..` inside a name is just a name."""
    secret = BadFeeds("secret")
    secret.oddsapi("secret.json", [row(description="SECRET outside the inbox")])
    (outside / "secret.json").write_bytes(next(iter(secret.files.values())))
    (outside / "feed").mkdir(exist_ok=True)
    (outside / "feed" / "x.json").write_bytes(next(iter(secret.files.values())))
    folder = "oddsapi/prop_odds"
    b.link(f"{folder}/{b.label}__abs.json", str(outside / "secret.json"))
    # The home is `outside`'s sibling: up from inbox/oddsapi/prop_odds, then into `outside`.
    b.link(f"{folder}/{b.label}__rel.json", f"../../../../{outside.name}/secret.json")
    b.link(f"decimalfeed/{b.label}-folder", str(outside / "feed"))
    b.link(f"{folder}/{b.label}__hop1.json", f"{b.label}__hop2.json", refused=True)
    b.link(f"{folder}/{b.label}__hop2.json", str(outside / "secret.json"))
    real = b.oddsapi("real.json", [row()])
    b.link(f"{folder}/{b.label}__zz-alias.json", Path(real).name, refused=False)
    b.oddsapi("..name..json", [row()], timestamp="2027-01-05T15:30:00Z")


CLASSES: dict[str, Callable[[BadFeeds, Path], None]] = {
    f.__name__.replace("_", "-"): f
    for f in (
        unparseable,
        truncated,
        missing,
        wrong_types,
        wrong_shapes,
        odds,
        lines,
        duplicates,
        dates,
        hostile_names,
        file_names,
        outside_inbox,
    )
}
