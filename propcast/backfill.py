"""Backfill a range of past slate dates: plan, fetch date by date within caps, one rebuild.

`plan_backfill` lists, per slate date (US/Eastern), the vendor files published for it by now
(odds snapshots of its games, the league's results of it) and which of them are already loaded:
a file whose content hash is in `raw_odds_payloads` is loaded, whatever its inbox copy became.
A file not loaded is fetched (one request to its vendor) unless an identical copy already
waits in the inbox, unexamined by ingest. The demo world's feeds are local, so the plan hashes
a vendor's file before fetching it; a real vendor client would compare the listing's checksum.

`execute_backfill` fetches date by date and ingests each date as it completes, so a cap
(`Caps`: requests, elapsed seconds on the monotonic clock) stops between files or dates with
everything fetched so far loaded. Ingest skips known hashes, so a rerun or an overlapping
backfill never duplicates rows. `run_backfill` records the run (command "backfill", run date
the range's end), runs both, then rebuilds once from the first date that loaded something new.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from propcast.daily import ODDS_VENDORS
from propcast.dbt_runner import Dbt
from propcast.fetch import copy_into_inbox, forced_failures, published_at
from propcast.ingest import FEEDS, IngestReport, ingest
from propcast.phases import phase_completion
from propcast.pipeline import BuildSummary, build
from propcast.raw_schema import RAW_SCHEMA
from propcast.runs import RunRecorder, load_run_registry
from propcast.settings import Home
from propcast.timeutil import today_in_slate_tz, utc_now
from propcast.warehouse import connect

#: Every vendor a backfill can fetch from: the odds vendors and the league (schedule, results).
BACKFILL_VENDORS = (*ODDS_VENDORS, "league")
LOADED, IN_INBOX, TO_FETCH = "loaded", "in_inbox", "to_fetch"

Progress = Callable[[int, int], None]
Say = Callable[[str], None]


class BackfillError(RuntimeError):
    """The backfill cannot start; `recover`, when known, is the command that fixes it."""

    def __init__(self, message: str, recover: str | None = None) -> None:
        super().__init__(message)
        self.recover = recover


@dataclass(frozen=True)
class PlannedFile:
    vendor: str
    source: Path  # the vendor's file
    relative: str  # its path under the inbox (inbox/<vendor>/<feed>/<file>)
    state: str  # loaded | in_inbox (identical copy awaiting ingest) | to_fetch


@dataclass
class DatePlan:
    day: date
    files: list[PlannedFile] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for f in self.files if f.state == state)

    @property
    def pending(self) -> bool:
        """Something to fetch or to ingest for this date."""
        return any(f.state != LOADED for f in self.files)

    def as_dict(self) -> dict[str, object]:
        states = {state: self.count(state) for state in (LOADED, TO_FETCH, IN_INBOX)}
        return {"date": self.day.isoformat(), "available": len(self.files), **states}


@dataclass
class BackfillPlan:
    start: date
    end: date
    cutoff: datetime  # files published after it (naive UTC) are not available yet
    vendors: tuple[str, ...]
    dates: list[DatePlan]
    unavailable: dict[str, str] = field(default_factory=dict)  # vendor -> why

    def totals(self) -> dict[str, int]:
        return {
            key: sum(int(d.as_dict()[key]) for d in self.dates)
            for key in ("available", "loaded", "to_fetch", "in_inbox")
        }

    def line(self) -> str:
        totals = self.totals()
        return (
            f"plan {self.start} → {self.end}: {totals['available']} files available, "
            f"{totals['loaded']} already loaded, {totals['to_fetch']} to fetch, "
            f"{totals['in_inbox']} in the inbox awaiting ingest"
        )


def check_vendors(vendors: Iterable[str] | None) -> tuple[str, ...]:
    """The vendors to backfill, in a stable order; all when None. Unknown names raise."""
    if vendors is None:
        return BACKFILL_VENDORS
    wanted = {v.strip().lower() for v in vendors if v.strip()}
    unknown = sorted(wanted - set(BACKFILL_VENDORS))
    if unknown or not wanted:
        raise BackfillError(
            f"unknown vendor {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(BACKFILL_VENDORS)}"
        )
    return tuple(v for v in BACKFILL_VENDORS if v in wanted)


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _loaded_state(home: Home) -> tuple[set[str], dict[str, tuple[int, int]]]:
    """Payload hashes already loaded, and inbox files ingest would skip unread (size, mtime).
    Reads only: a missing warehouse is not created."""
    if not home.warehouse.exists():
        return set(), {}
    try:
        con = connect(home)
    except duckdb.IOException as exc:  # another process is writing it
        message = f"the warehouse cannot be read now: {exc}"
        raise BackfillError(message, recover="propcast status, then run this again") from None
    with con:
        try:
            hashes = con.execute(f"select payload_sha256 from {RAW_SCHEMA}.raw_odds_payloads")
            known = {h for (h,) in hashes.fetchall()}
            files = con.execute(
                f"select source_file, file_bytes, file_mtime_ns from {RAW_SCHEMA}.raw_inbox_files"
            )
            return known, {name: tuple(sig) for name, *sig in files.fetchall()}
        except duckdb.CatalogException:  # nothing ingested yet
            return set(), {}


def _file_state(home: Home, source: Path, relative: str, known: set[str], signatures: dict) -> str:
    digest = _sha256(source)
    if digest in known:
        return LOADED
    target = home.inbox / relative
    if target.is_file():
        stat = target.stat()
        skipped_unread = signatures.get(relative) == (stat.st_size, stat.st_mtime_ns)
        if not skipped_unread and _sha256(target) == digest:
            return IN_INBOX
    # Missing, different, or registered as examined (ingest would skip it unread): fetch it.
    return TO_FETCH


def _listed(path: Path) -> tuple[date, datetime] | None:
    try:
        return published_at(path)
    except ValueError:
        return None  # not a `<game_date>__<published>` file


def plan_backfill(
    home: Home,
    start: date,
    end: date,
    *,
    vendors: Iterable[str] | None = None,
    cutoff: datetime | None = None,
) -> BackfillPlan:
    """Per date from `start` to `end`: the files available by `cutoff` (default now) and their
    state. Changes nothing: no fetch, no write, no warehouse created."""
    if start > end:
        raise BackfillError(f"start date {start} is after end date {end}")
    feeds = home.world / "feeds"
    if not feeds.is_dir():
        raise BackfillError(
            f"no vendor feeds configured ({feeds} is missing): nothing to fetch",
            recover="propcast demo (the demo world publishes the vendors' feeds)",
        )
    chosen = check_vendors(vendors)
    cutoff = cutoff or utc_now()
    days = [DatePlan(start + timedelta(days=i)) for i in range((end - start).days + 1)]
    down = {v: "FORCE_VENDOR_FAILURE is set for it" for v in chosen if v in forced_failures()}
    plan = BackfillPlan(start, end, cutoff, chosen, days, down)
    by_day = {d.day: d for d in plan.dates}
    known, signatures = _loaded_state(home)
    for vendor, feed in FEEDS:
        folder = feeds / vendor / feed
        if vendor not in chosen or vendor in plan.unavailable or not folder.is_dir():
            continue
        for source in sorted(p for p in folder.iterdir() if p.is_file()):
            listed = _listed(source)
            if listed is None or listed[0] not in by_day or listed[1] > cutoff:
                continue
            relative = str(source.relative_to(feeds))
            state = _file_state(home, source, relative, known, signatures)
            by_day[listed[0]].files.append(PlannedFile(vendor, source, relative, state))
    return plan


@dataclass(frozen=True)
class Caps:
    """Limits on one run: vendor requests (files fetched) and elapsed seconds (a duration on
    the monotonic clock, not the wall clock). None: no limit."""

    max_requests: int | None = None
    max_elapsed_s: float | None = None

    def time_reason(self, elapsed: float) -> str | None:
        if self.max_elapsed_s is not None and elapsed >= self.max_elapsed_s:
            return f"time cap reached ({elapsed:.1f} of {self.max_elapsed_s:g} seconds)"
        return None

    def request_reason(self, requests: int, elapsed: float) -> str | None:
        if self.max_requests is not None and requests >= self.max_requests:
            return f"request cap reached ({requests} of {self.max_requests} files fetched)"
        return self.time_reason(elapsed)


@dataclass
class DateOutcome:
    day: date
    fetched: int = 0
    payloads_loaded: int = 0
    rows_loaded: int = 0
    completed: bool = False


@dataclass
class BackfillOutcome:
    plan: BackfillPlan
    dates: list[DateOutcome] = field(default_factory=list)
    requests: int = 0
    ingest: IngestReport = field(default_factory=IngestReport)
    stopped_at: date | None = None  # the first date not completed, when a cap stopped the run
    stop_reason: str | None = None
    elapsed_s: float = 0.0
    build: BuildSummary | None = None
    build_date: date | None = None
    run_id: str | None = None

    @property
    def first_loaded(self) -> date | None:
        """The first date that loaded a new payload: the rebuild starts there."""
        return next((d.day for d in self.dates if d.payloads_loaded), None)

    @property
    def resume_from(self) -> date | None:
        """Where a rerun must start: the range's start when a vendor was down (none of its
        dates are done), else the first date a cap left incomplete."""
        return self.plan.start if self.plan.unavailable else self.stopped_at

    def resume_vendors(self, vendors: Iterable[str] | None) -> list[str] | None:
        """The vendors the rerun needs: only those that were down, unless a cap also stopped
        the run (then the vendors asked for, None meaning all)."""
        if self.plan.unavailable and self.stopped_at is None:
            return list(self.plan.unavailable)
        return list(vendors) if vendors else None

    def problems(self) -> list[str]:
        """Why the run is degraded (empty: it is not)."""
        found = []
        if self.stop_reason:
            found.append(f"stopped at {self.stopped_at}, not completed: {self.stop_reason}")
        for vendor, why in self.plan.unavailable.items():
            found.append(f"vendor {vendor} down ({why}): none of its files fetched")
        quarantine = self.ingest.quarantine_problem()
        if quarantine:
            found.append(quarantine)
        if self.build is not None and self.build.result.warned:
            found.append(f"{len(self.build.result.warned)} data tests warned")
        return found

    @property
    def status(self) -> str:
        if self.build is not None and not self.build.result.success:
            return "failed"
        return "degraded" if self.problems() else "ok"

    def counts(self) -> dict[str, object]:
        report, done = self.ingest, sum(d.completed for d in self.dates)
        return {"dates": len(self.plan.dates), "dates_completed": done,
                "requests": self.requests, "payloads_loaded": report.payloads_loaded,
                "rows": report.total_rows, "quarantined": sum(report.rows_quarantined.values()),
                "payloads_quarantined": report.payloads_quarantined,
                "elapsed_s": round(self.elapsed_s, 3)}  # fmt: skip


def fetch_file(home: Home, planned: PlannedFile) -> Path:
    """One request: copy the vendor's file into the inbox, atomically (a stopped run never
    leaves half a file where ingest would read it)."""
    return copy_into_inbox(home, planned.source, home.inbox / planned.relative)


def _merge(total: IngestReport, part: IngestReport) -> None:
    total.files_seen = max(total.files_seen, part.files_seen)
    total.payloads_loaded += part.payloads_loaded
    total.payloads_quarantined += part.payloads_quarantined
    total.rows_loaded.update(part.rows_loaded)
    total.rows_quarantined.update(part.rows_quarantined)
    total.problems.extend(part.problems)
    total.seconds += part.seconds


def _fetch_date(
    home: Home,
    day: DatePlan,
    caps: Caps,
    outcome: BackfillOutcome,
    result: DateOutcome,
    elapsed: Callable[[], float],
) -> str | None:
    """Fetch the date's missing files; the reason a cap stopped it, or None."""
    if not day.pending:
        return None
    reason = caps.time_reason(elapsed())
    if reason:
        return reason
    for planned in day.files:
        if planned.state != TO_FETCH:
            continue
        reason = caps.request_reason(outcome.requests, elapsed())
        if reason:
            return reason
        fetch_file(home, planned)
        outcome.requests += 1
        result.fetched += 1
    return None


def execute_backfill(
    home: Home,
    plan: BackfillPlan,
    *,
    caps: Caps | None = None,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> BackfillOutcome:
    """Fetch and ingest date by date, in order, until done or a cap stops it (no rebuild).
    `progress(done, total)` is called after each date."""
    caps = caps or Caps()
    started = clock()
    outcome = BackfillOutcome(plan)
    vendors = set(plan.vendors)
    for done, day in enumerate(plan.dates, start=1):
        result = DateOutcome(day.day)
        outcome.dates.append(result)
        reason = _fetch_date(home, day, caps, outcome, result, lambda: clock() - started)
        if result.fetched or (not reason and day.count(IN_INBOX)):
            report = ingest(home, vendors=vendors)
            _merge(outcome.ingest, report)
            result.payloads_loaded, result.rows_loaded = report.payloads_loaded, report.total_rows
        if reason:
            outcome.stopped_at, outcome.stop_reason = day.day, reason
            break
        result.completed = True
        if progress:
            progress(done, len(plan.dates))
    outcome.elapsed_s = clock() - started
    with contextlib.suppress(OSError):  # the scratch folder, when empty
        (home.root / ".partial").rmdir()
    return outcome


def rebuild_date(home: Home, end: date) -> date:
    """The run date of the rebuild: the range's end, or the newest slate with odds in the
    warehouse (not after today) when that is later: a backfill of old dates must not rebuild
    the warehouse as of an old day. Called after a load, so the raw tables exist."""
    union = " union all ".join(
        f"select max(game_date) as day from {RAW_SCHEMA}.raw_{v}__prop_odds where game_date <= ?"
        for v in ODDS_VENDORS
    )
    with connect(home) as con:
        today = [today_in_slate_tz()] * len(ODDS_VENDORS)
        (newest,) = con.execute(f"select max(day) from ({union})", today).fetchone()
    return max(end, newest) if newest else end


def run_backfill(
    home: Home,
    start: date,
    end: date,
    *,
    vendors: Iterable[str] | None = None,
    caps: Caps | None = None,
    progress: Progress | None = None,
    say: Say = print,
    dbt: Dbt | None = None,
) -> BackfillOutcome:
    """Plan, fetch and ingest within the caps, then one `dbt build` from the first date that
    loaded something new (none when nothing new was loaded). Recorded in the run registry
    (command "backfill", run date `end`). The caller holds the writer lock."""
    recorder = RunRecorder(home, "backfill", end, None)
    try:
        recorder.phase("ingest")
        plan = plan_backfill(home, start, end, vendors=vendors)
        recorder.state.vendors = {
            v: f"failed: {plan.unavailable[v]}" if v in plan.unavailable else "ok"
            for v in plan.vendors
        }
        say(plan.line())
        outcome = execute_backfill(home, plan, caps=caps, progress=progress)
        outcome.run_id = recorder.state.run_id
        recorder.state.counts["backfill"] = outcome.counts()
        if outcome.dates and outcome.dates[-1].day == end and outcome.dates[-1].completed:
            # The slate `end` is loaded: its ingest phase is done (the phase ledger reads it).
            recorder.state.phase_models["ingest"] = {"outcome": "ok", "built": 1, "selected": 1}
            recorder.phase_done("ingest", "degraded" if outcome.problems() else "ok")
        if outcome.first_loaded is not None:  # else the warehouse stays exactly as it was
            with connect(home) as con:
                load_run_registry(home, con)
            _rebuild(home, outcome, recorder, say, dbt or Dbt(home))
        recorder.finish(outcome.status, summary(outcome))
    except Exception as exc:
        recorder.finish("failed", f"{type(exc).__name__}: {exc}")
        raise
    return outcome


def _rebuild(
    home: Home, outcome: BackfillOutcome, recorder: RunRecorder, say: Say, dbt: Dbt
) -> None:
    """One build for the newest slate, its incremental slices from the first loaded date on.
    Its phases are recorded only when it targets the run's date (the range's end) and that
    date's files are loaded: the phase ledger must not call a half-loaded slate built."""
    recorder.phase("staging")
    outcome.build_date = rebuild_date(home, outcome.plan.end)
    say(f"dbt build for {outcome.build_date}, slices from {outcome.first_loaded} on")
    outcome.build = build(home, outcome.build_date, dbt=dbt, slice_start=outcome.first_loaded)
    completion = phase_completion(dbt, outcome.build.result)
    recorder.state.counts["rebuild"] = {
        "run_date": str(outcome.build_date),
        "slice_start": str(outcome.first_loaded),
        "success": outcome.build.result.success,
        "phases": {phase: done.outcome for phase, done in completion.items()},
    }
    if outcome.build_date == outcome.plan.end and "ingest" in recorder.state.phases:
        for phase, done in completion.items():
            recorder.state.phase_models[phase] = done.as_dict()
            recorder.phase_done(phase, done.outcome)
    recorder.save()


def summary(outcome: BackfillOutcome) -> str:
    """One line: what the run fetched, loaded and rebuilt."""
    plan, report = outcome.plan, outcome.ingest
    done = sum(d.completed for d in outcome.dates)
    line = (
        f"backfill {plan.start} → {plan.end}: {done} of {len(plan.dates)} dates completed, "
        f"{outcome.requests} files fetched, {report.payloads_loaded} new payloads, "
        f"{report.total_rows:,} rows"
    )
    if outcome.build is not None:
        line += f"; rebuilt slices from {outcome.first_loaded} (build --date {outcome.build_date})"
        if not outcome.build.result.success:
            line += " FAILED"
    elif outcome.first_loaded is None:
        line += "; nothing new, no rebuild"
    problems = outcome.problems()
    return line + (f" ({'; '.join(problems)})" if problems else "")
