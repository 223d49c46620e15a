"""`propcast export --date D`: the slate's bets and their audit trail as files people open.

- `outputs/ev_analysis/MultiBookBestBets.xlsx`: one row per recommended bet of D with the
  price of its side at every book (the book's board at the pricing cutoff, as the model priced
  it), the best one in bold, EV and the stake of the run's staking policy (fct_bet_stakes:
  kelly or joint-kelly, named in its own column); a second sheet explains the columns and,
  with no bets, why.
- `outputs/audits/ev_prob_audit_<D>.{csv,jsonl,md}`: one row per scored line of D: model and
  market probability, best prices of both sides, EV per side, the decision and its reason code.

Probabilities: "Model prob" is the raw model's (side_model_prob); "Priced prob" is the one EV
and the stakes are priced with (side_prob: the market's moved toward the model's by the edge
gate's shrink weight, README "The edge gate"), and "Edge" is priced minus market.

Zero recommendations is not an error: the files are written with their headers and the
Markdown says why (fct_slate_summary_daily.no_bet_reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from propcast.reporting import ReportError
from propcast.reporting.data import table_exists
from propcast.reporting.rolling import md_table
from propcast.reports import NO_BET_REASONS
from propcast.settings import Home
from propcast.staking_setting import (
    BET_SUBJECT,
    CHOSEN_STAKE,
    CHOSEN_STAKE_FRACTION,
    CHOSEN_STAKES_JOIN,
    CHOSEN_STAKING,
    with_subject_id,
)
from propcast.timeutil import utc_now
from propcast.warehouse import connect

XLSX_NAME = "MultiBookBestBets.xlsx"
NEEDED = (
    "fct_bet_recommendations",
    "fct_bet_stakes",
    "fct_predictions",
    "fct_prop_odds",
    "fct_game_total_odds",
    "dim_player",
)

AUDIT_SQL = f"""
    select r.game_date, r.game_id, r.player_id, pl.player_name, r.market, r.line,
           r.model_version, r.priced_fetched_at, p.pricing_cutoff_utc,
           r.prob_over, r.market_prob_over, r.prob_over - r.market_prob_over as edge_over,
           p.best_over_book_id, p.best_over_price_american, p.best_over_price_decimal,
           p.best_under_book_id, p.best_under_price_american, p.best_under_price_decimal,
           r.ev_over, r.ev_under, r.side, r.book_id, r.price_american, r.price_decimal, r.ev,
           r.kelly_fraction, {CHOSEN_STAKE_FRACTION} as stake_fraction,
           {CHOSEN_STAKE} as stake,
           case when r.is_recommended then 'bet' else 'no bet' end as decision, r.reason_code,
           case when r.is_recommended then {CHOSEN_STAKING} end as staking
    from main.fct_bet_recommendations as r
    inner join main.fct_predictions as p
        on r.game_date = p.game_date and r.game_id = p.game_id
        and r.player_id is not distinct from p.player_id
        and r.market = p.market and r.line = p.line
    {CHOSEN_STAKES_JOIN}
    left join main.dim_player as pl on r.player_id = pl.player_id
    where r.game_date = ?
    order by r.game_id, r.player_id nulls first, r.market, r.line
"""

# Each book's price for the side of each recommended bet: the book's board at the line's
# pricing cutoff (its latest pre-game snapshot of the player's market fetched by then, across
# vendors), on the bet's line; a book quoting the line through two vendors counts its better one.
BOOK_PRICES_SQL = """
    with bets as (
        select r.game_id, r.player_id, r.market, r.line, r.side, p.pricing_cutoff_utc
        from main.fct_bet_recommendations as r
        inner join main.fct_predictions as p
            on r.game_date = p.game_date and r.game_id = p.game_id
            and r.player_id is not distinct from p.player_id and r.market = p.market
            and r.line = p.line
        where r.game_date = ? and r.is_recommended
    ),
    usable as (
        select o.game_id, o.player_id, o.market, o.line, o.book_id, o.fetched_at,
               o.over_price_decimal, o.under_price_decimal,
               o.over_price_american, o.under_price_american,
               max(o.fetched_at) over (
                   partition by o.game_id, o.player_id, o.market, o.book_id) as board_fetched_at
        from main.fct_prop_odds as o
        inner join (select distinct game_id, player_id, market, pricing_cutoff_utc from bets) as c
            on o.game_id = c.game_id and o.player_id = c.player_id and o.market = c.market
        where o.game_date = ? and o.is_pregame and o.fetched_at <= c.pricing_cutoff_utc
        union all
        -- a game total's board at the cutoff: its books' priced quotes (fct_game_total_odds)
        select t.game_id, null, 'game_total', t.line, lower(t.book), t.fetched_at,
               t.over_price_decimal, t.under_price_decimal,
               t.over_price_american, t.under_price_american, t.fetched_at
        from main.fct_game_total_odds as t
        where t.game_date = ? and t.line_type = 'priced'
    )
    select b.game_id, b.player_id, b.market, b.line, u.book_id,
           max(case when b.side = 'over' then u.over_price_decimal
                    else u.under_price_decimal end) as price_decimal,
           arg_max(case when b.side = 'over' then u.over_price_american
                        else u.under_price_american end,
                   case when b.side = 'over' then u.over_price_decimal
                        else u.under_price_decimal end) as price_american
    from bets as b
    inner join usable as u
        on b.game_id = u.game_id and b.player_id is not distinct from u.player_id
        and b.market = u.market and b.line = u.line and u.fetched_at = u.board_fetched_at
    group by all
"""

# The stake is the run's staking policy's (fct_bet_stakes, as fct_bet_settlements and the
# reports read it: propcast.staking_setting.CHOSEN_STAKE).
BETS_SQL = f"""
    select r.game_date, r.game_id, a.full_name || ' @ ' || h.full_name as game,
           strftime(g.start_time_slate_tz, '%H:%M') as start_et, r.player_id,
           {BET_SUBJECT} as player,
           r.market, r.line, r.side,
           r.side_model_prob, r.side_prob, r.side_market_prob, r.edge_vs_market, r.book_id,
           r.price_american, r.price_decimal, r.ev, r.kelly_fraction,
           {CHOSEN_STAKE_FRACTION} as stake_fraction,
           {CHOSEN_STAKE} as stake, {CHOSEN_STAKING} as staking,
           r.bankroll
    from main.fct_bet_recommendations as r
    {CHOSEN_STAKES_JOIN}
    left join main.dim_game as g on r.game_id = g.game_id
    left join main.dim_team as h on g.home_team_id = h.team_id
    left join main.dim_team as a on g.away_team_id = a.team_id
    left join main.dim_player as p on r.player_id = p.player_id
    where r.game_date = ? and r.is_recommended
    order by r.ev desc, r.game_id, r.player_id nulls first, r.market, r.line
"""


@dataclass
class ExportData:
    day: date
    audit: pd.DataFrame
    bets: pd.DataFrame
    book_prices: pd.DataFrame
    books: pd.DataFrame  # book_id, book_name, bettable: the columns of the workbook
    summary: pd.DataFrame  # D's row of fct_slate_summary_daily (may be empty)


@dataclass
class ExportOutcome:
    day: date
    paths: list[Path] = field(default_factory=list)
    lines_scored: int = 0
    bets: int = 0
    no_bet_reason: str | None = None  # why there are no bets, when there are none


def _books(con: duckdb.DuckDBPyConnection, day: date) -> pd.DataFrame:
    """The books quoting D's lines (else every book of the seed), by name."""
    return con.execute(
        """
        with quoting as (select distinct book_id from main.fct_prop_odds where game_date = ?)
        select s.book_id, s.book_name, s.bettable from main.sportsbooks as s
        where s.book_id in (select book_id from quoting)
            or not exists (select 1 from quoting)
        order by s.book_name
        """,
        [day],
    ).df()


def read_export(home: Home, day: date) -> ExportData:
    if not home.warehouse.exists():
        raise ReportError(
            f"no warehouse at {home.warehouse}: nothing has been built in this home",
            recover=f"propcast run-day --date {day}",
        )
    try:
        with connect(home) as con:
            absent = [t for t in NEEDED if not table_exists(con, t)]
            if absent:
                raise ReportError(
                    f"{', '.join(absent)} not built yet: nothing was scored in this warehouse",
                    recover=f"propcast run-day --date {day}",
                )
            summary = pd.DataFrame()
            if table_exists(con, "fct_slate_summary_daily"):
                summary = con.execute(
                    "select * from main.fct_slate_summary_daily where game_date = ?", [day]
                ).df()
            return ExportData(
                day=day,
                audit=con.execute(AUDIT_SQL, [day]).df(),
                bets=con.execute(BETS_SQL, [day]).df(),
                book_prices=con.execute(BOOK_PRICES_SQL, [day, day, day]).df(),
                books=_books(con, day),
                summary=summary,
            )
    except duckdb.IOException as exc:
        raise ReportError(
            f"the warehouse cannot be opened: {exc}", recover=f"propcast export --date {day}"
        ) from exc
    except duckdb.Error as exc:
        raise ReportError(
            f"the warehouse cannot be read: {exc}", recover=f"propcast build --date {day}"
        ) from exc


def no_bet_reason(data: ExportData) -> str | None:
    if not data.bets.empty:
        return None
    if data.summary.empty:
        return "not_run"
    reason = data.summary.iloc[0].no_bet_reason
    return reason if isinstance(reason, str) else "no_value"


def explain(reason: str, day: date) -> str:
    if reason == "not_run":
        return (
            f"the slate summary has no row for {day}: the slate was not run "
            f"(`propcast run-day --date {day}`)"
        )
    return NO_BET_REASONS.get(reason, reason)


def write_audit(data: ExportData, folder: Path, reason: str | None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"ev_prob_audit_{data.day}"
    csv, jsonl, md = (Path(f"{stem}{suffix}") for suffix in (".csv", ".jsonl", ".md"))
    rows = _plain(data.audit)
    rows.to_csv(csv, index=False)
    text = "" if rows.empty else rows.to_json(orient="records", lines=True, force_ascii=False)
    jsonl.write_text(text if text.endswith("\n") or not text else text + "\n")
    md.write_text(_audit_markdown(data, reason))
    return [csv, jsonl, md]


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as YYYY-MM-DD and timestamps (UTC) as YYYY-MM-DDTHH:MM:SS text."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            pattern = "%Y-%m-%d" if column == "game_date" else "%Y-%m-%dT%H:%M:%S"
            out[column] = out[column].dt.strftime(pattern)
    return out


def _audit_markdown(data: ExportData, reason: str | None) -> str:
    a, day = data.audit, data.day
    lines = [
        f"# EV and probability audit: slate {day}",
        "",
        f"Generated {utc_now():%Y-%m-%d %H:%M:%S} UTC. One row per scored line in "
        f"`ev_prob_audit_{day}.csv` and `.jsonl`: the model's and the market's P(over), the "
        "best price of each side, EV per unit stake of each side, the side taken, the "
        "decision and its reason code.",
        "",
        f"**{len(a)} lines scored, {int((a.decision == 'bet').sum())} bets** "
        f"(stake {a.stake.sum():.2f}).",
        "",
    ]
    if reason:
        lines += [f"**No bets: {reason}**: {explain(reason, day)}.", ""]
    if a.empty:
        return "\n".join(lines)
    counts = a.groupby(["decision", "reason_code"]).size().reset_index(name="lines")
    ev = a.ev.dropna()
    lines += [
        "## Decisions", "", md_table(counts),
        "## EV of the side taken",
        f"min {ev.min():+.3f}, median {ev.median():+.3f}, max {ev.max():+.3f} "
        f"({len(ev)} lines with a bettable price).",
        "", "## Highest EV lines", "",
        md_table(a.nlargest(10, "ev")[
            ["player_name", "market", "line", "side", "prob_over", "market_prob_over",
             "price_american", "ev", "stake", "decision", "reason_code"]
        ].rename(columns={"price_american": "price"})),
    ]  # fmt: skip
    return "\n".join(lines)


# The bet sheet: (header, column of the bets frame, number format, width); then one column
# per book ("<book> (American)"), then the keys.
COLUMNS = [
    ("Date", "game_date", "yyyy-mm-dd", 11),
    ("Game", "game", None, 40),
    ("Tip-off (ET)", "start_et", None, 11),
    ("Player", "player", None, 22),
    ("Market", "market", None, 14),
    ("Line", "line", "0.0", 7),
    ("Side", "side", None, 7),
    ("Model prob", "side_model_prob", "0.0%", 11),
    ("Priced prob", "side_prob", "0.0%", 11),
    ("Market prob", "side_market_prob", "0.0%", 11),
    ("Edge", "edge_vs_market", "+0.0%;-0.0%", 8),
    ("Best book", "book_id", None, 15),
    ("Best price (American)", "price_american", "+0;-0", 12),
    ("Best price (decimal)", "price_decimal", "0.000", 12),
    ("EV per unit", "ev", "+0.0%;-0.0%", 11),
    ("Kelly fraction", "kelly_fraction", "0.00%", 12),
    ("Stake fraction", "stake_fraction", "0.00%", 12),
    ("Stake", "stake", "0.00", 9),
    ("Staking", "staking", None, 11),
]
KEYS = [("Game ID", "game_id", None, 12), ("Player ID", "player_id", None, 12)]


def book_header(book: pd.Series) -> str:
    suffix = "" if book.bettable else ", not bettable"
    return f"{book.book_name} (American{suffix})"


def bet_rows(data: ExportData) -> pd.DataFrame:
    """The bets with one column per book: the American price of the bet's side there."""
    bets = with_subject_id(data.bets)
    keys = ["game_id", "subject_id", "market", "line"]
    if not data.book_prices.empty:
        prices = with_subject_id(data.book_prices).pivot_table(
            index=keys, columns="book_id", values="price_american", aggfunc="first"
        )
        bets = bets.merge(prices.reset_index(), on=keys, how="left")
    bets = bets.drop(columns="subject_id")
    for book_id in data.books.book_id:
        if book_id not in bets.columns:
            bets[book_id] = pd.Series(dtype="float64")
    return bets


def _notes(data: ExportData, reason: str | None) -> list[tuple[str, object]]:
    bets = data.bets
    return [
        ("Slate", str(data.day)),
        ("Generated (UTC)", f"{utc_now():%Y-%m-%d %H:%M:%S}"),
        ("Recommended bets", len(bets)),
        ("Total stake", round(float(bets.stake.sum()), 2)),
        ("Staking", ", ".join(sorted(set(bets.staking.dropna()))) if len(bets) else ""),
        ("Bankroll", float(bets.bankroll.iloc[0]) if len(bets) else None),
        ("No bets because", explain(reason, data.day) if reason else ""),
        ("Book columns", "the price of the bet's side at each book's board at the pricing "
         "cutoff, in American odds; blank when the book did not quote that line; the best "
         "bettable price is in bold"),
        ("Model prob", "the model's raw probability that the side wins"),
        ("Priced prob", "the probability EV and the stake are priced with: the market's "
         "moved toward the model's by the edge gate's shrink weight (the model's when the "
         "gate is off)"),
        ("Edge", "priced prob - market prob"),
        ("EV per unit", "priced probability of the side x best decimal price - 1"),
        ("Kelly fraction", "independent fractional Kelly of the bet, before the caps"),
        ("Stake", "the stake of the run's staking policy (column Staking: kelly, independent "
         "fractional Kelly; joint-kelly, the slate's joint Kelly), capped per bet, per game "
         "and per day, times the bankroll; the stake settlements, reports and the ledger use"),
    ]  # fmt: skip


def write_workbook(data: ExportData, path: Path, reason: str | None) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    rows = bet_rows(data)
    books = [(book_header(b), b.book_id, "+0;-0", 14) for b in data.books.itertuples()]
    columns = COLUMNS + books + KEYS
    book_ids = set(data.books.book_id)
    wb = Workbook()
    sheet = wb.active
    sheet.title = f"Best bets {data.day}"
    sheet.append([header for header, *_ in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r in rows.to_dict("records"):
        sheet.append([_excel(r.get(column)) for _, column, *_ in columns])
        best = r.get("book_id")
        for j, (_, column, *_) in enumerate(columns, start=1):
            if column in book_ids and column == best:
                sheet.cell(sheet.max_row, j).font = Font(bold=True)
    for j, (_, _, number_format, width) in enumerate(columns, start=1):
        letter = get_column_letter(j)
        sheet.column_dimensions[letter].width = width
        if number_format:
            for cell in sheet[letter][1:]:
                cell.number_format = number_format
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, sheet.max_row)}"
    notes = wb.create_sheet("Notes")
    for key, value in _notes(data, reason):
        notes.append([key, value])
        notes.cell(notes.max_row, 1).font = Font(bold=True)
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 20, 100
    wb.save(path)
    return path


def _excel(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value.item() if hasattr(value, "item") else value


def write_export(home: Home, day: date) -> ExportOutcome:
    data = read_export(home, day)
    reason = no_bet_reason(data)
    outcome = ExportOutcome(day, lines_scored=len(data.audit), bets=len(data.bets))
    outcome.no_bet_reason = reason
    folder = home.outputs / "ev_analysis"
    folder.mkdir(parents=True, exist_ok=True)
    outcome.paths.append(write_workbook(data, folder / XLSX_NAME, reason))
    outcome.paths += write_audit(data, home.outputs / "audits", reason)
    return outcome
