"""`propcast health [--deep]`: is this install able to run tomorrow's morning job?

Shallow (a second, no model loaded): settings valid, PROPCAST_HOME writable, the warehouse file
present and openable (a run holding the writer lock is said as such), the model registry not
empty.

Deep (DESIGN §7, incidents 1 and 2): also imports every module of the package (naming the one
that fails and its error), scores a canary — the latest lines of fct_prop_line_features, copied
in memory and dated today — with the model that would score today through the production path
(`predictions.score_window`: `pick_model`, `model_from_registry_row`, `score_lines` and the
fallback guard), and runs the fallback guard on the latest date of fct_predictions. A health
check that does not exercise scoring says ok while predictions fail.
"""

from __future__ import annotations

import importlib
import pkgutil
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date

import duckdb
import pandas as pd

from propcast.settings import Home, SettingsError
from propcast.timeutil import today_in_slate_tz, utc_now
from propcast.warehouse import connect

#: Packages `health --deep` imports whole: the product and its CLI (installed as a subpackage
#: from another folder, so a walk of `propcast` alone does not reach it).
DEFAULT_PACKAGES = ("propcast", "propcast.cli")
#: The canary takes the latest dates of fct_prop_line_features until it holds this many lines
#: (the guard judges spread only on 10 rows or more) or CANARY_MAX_DATES dates.
CANARY_MIN_ROWS = 50
CANARY_MAX_DATES = 7


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    recover: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class HealthReport:
    day: date | None  # None: the clock setting is unusable
    deep: bool
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        return check


def writer_holder(home: Home) -> str | None:
    """Who holds the warehouse's writer lock (pid, host, purpose, since), or None when nobody
    does: a holder file left by a killed process of this host does not count (its file lock
    is free); one naming another host does (propcast.locking)."""
    from propcast.locking import current_holder

    holder = current_holder(home)
    return holder.describe() if holder else None


def check_settings() -> tuple[Check, Home | None]:
    """Every setting read at start-up (propcast.config: the product clock, quarantine
    threshold, retrain interval, DuckDB memory limit, forced vendor failures, the dbt profile,
    PROPCAST_HOME), as `open_home` checks them."""
    from propcast.config import check_settings as check_all

    try:
        home = check_all()
    except SettingsError as exc:
        return Check("settings", False, str(exc), "fix the setting named above"), None
    return Check("settings", True, f"valid; PROPCAST_HOME={home.root}"), home


def check_home_writable(home: Home) -> Check:
    try:
        home.ensure()
        for folder in (home.root, home.runs, home.outputs):
            probe = folder / f".health-{uuid.uuid4().hex[:8]}"
            probe.write_text("ok")
            probe.unlink()
    except OSError as exc:
        return Check(
            "home_writable", False, f"{home.root} is not writable: {exc}",
            f"make {home.root} writable, or point PROPCAST_HOME at a writable folder",
        )  # fmt: skip
    return Check("home_writable", True, f"{home.root} writable")


def check_warehouse(home: Home) -> Check:
    """Present and openable; never creates the file (duckdb.connect would)."""
    if not home.warehouse.exists():
        return Check(
            "warehouse", False, f"no warehouse file at {home.warehouse}",
            "propcast demo (demo world), or propcast ingest && propcast build",
        )  # fmt: skip
    holder = writer_holder(home)
    if holder:
        return Check(
            "warehouse", False,
            f"locked by a run: {home.warehouse} is being written by {holder}; DuckDB lets no "
            "other process open it meanwhile",
            "wait for the run to finish (propcast status), then propcast health",
        )  # fmt: skip
    try:
        with connect(home) as con:
            tables = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'main'"
            ).fetchone()[0]
    except duckdb.IOException as exc:
        first = str(exc).splitlines()[0]
        return Check(
            "warehouse", False, f"locked by another process (not a propcast run): {first}",
            "close the other program holding the warehouse file, then propcast health",
        )  # fmt: skip
    except duckdb.Error as exc:
        return Check(
            "warehouse", False, f"{home.warehouse} does not open: {type(exc).__name__}: {exc}",
            "restore the warehouse from a copy, or rebuild: propcast build --full-refresh",
        )  # fmt: skip
    return Check("warehouse", True, f"{home.warehouse} opens ({tables} tables in main)")


def check_registry(con: duckdb.DuckDBPyConnection, day: date) -> Check:
    train = f"propcast train --date {day}"
    try:
        rows, families = con.execute(
            "select count(*), count(distinct market_family) from main.ml_model_registry"
        ).fetchone()
    except duckdb.CatalogException:
        return Check("registry", False, "ml_model_registry does not exist: no model trained", train)
    if rows == 0:
        return Check("registry", False, "ml_model_registry is empty: no model to score with", train)
    return Check("registry", True, f"{rows} model(s) registered for {families} market family(ies)")


def check_imports(packages: Sequence[str] = DEFAULT_PACKAGES) -> Check:
    """Import every module of each package; name each one that fails and its error."""
    failed: list[str] = []
    imported = 0

    def record(name: str) -> None:
        failed.append(f"{name}: {_error_line()}")

    for package in packages:
        try:
            pkg = importlib.import_module(package)
        except Exception:
            record(package)
            continue
        imported += 1
        for info in pkgutil.walk_packages(getattr(pkg, "__path__", []), f"{package}.", record):
            try:
                importlib.import_module(info.name)
                imported += 1
            except Exception:
                record(info.name)
    if failed:
        return Check(
            "imports", False,
            f"{len(failed)} module(s) fail to import: " + "; ".join(failed),
            "fix the module named above (the morning job imports it), then propcast health --deep",
        )  # fmt: skip
    return Check("imports", True, f"{imported} modules of {', '.join(packages)} import")


def _error_line() -> str:
    """The exception being handled as 'Type: message' (first line), for walk errors too."""
    lines = traceback.format_exc().strip().splitlines()
    return lines[-1] if lines else "unknown error"


def canary_lines(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The latest lines of fct_prop_line_features (whole dates, newest first, until
    CANARY_MIN_ROWS), as an in-memory copy; the warehouse is not touched."""
    counts = con.execute(
        "select game_date, count(*) from main.fct_prop_line_features group by game_date "
        "order by game_date desc limit ?",
        [CANARY_MAX_DATES],
    ).fetchall()
    dates, total = [], 0
    for game_date, rows in counts:
        dates.append(game_date)
        total += rows
        if total >= CANARY_MIN_ROWS:
            break
    if not dates:
        return pd.DataFrame()
    return con.execute(
        "select * from main.fct_prop_line_features where game_date in "
        f"({', '.join('?' for _ in dates)}) order by game_date, game_id, player_id, market, line",
        dates,
    ).df()


def check_canary(con: duckdb.DuckDBPyConnection, home: Home, day: date) -> Check:
    """Score the canary as the morning job would score `day` (pin or newest model)."""
    from propcast.model_pins import pinned_version, read_registry, scorer_for
    from propcast.predictions import ScoringWindow, score_window

    recover = (
        "propcast model list, then pin a good version (propcast model pin VERSION) or "
        f"retrain (propcast train --date {day})"
    )
    try:
        lines = canary_lines(con)
    except duckdb.CatalogException:
        return Check("canary", False, "fct_prop_line_features does not exist", "propcast build")
    if lines.empty:
        return Check("canary", False, "fct_prop_line_features has no rows", "propcast build")
    registry = read_registry(con)
    pin = pinned_version(home)
    first, last = (
        pd.Timestamp(v).date() for v in (lines["game_date"].min(), lines["game_date"].max())
    )
    source = f"{len(lines)} canary lines (from {first}..{last}, dated {day})"
    lines = lines.assign(game_date=day)
    models = []
    try:
        for family in sorted(set(registry["market_family"])):
            version, why = scorer_for(registry, family, day, pin)
            models.append(f"{version} ({why})")
        scored = score_window(
            lines, registry, ScoringWindow(day, day, day, pin), scored_at=utc_now()
        )
    except Exception as exc:  # the production path raises; say which model and why
        using = f"model {', '.join(models)}" if models else "the model for today"
        return Check("canary", False, f"{using} on {source}: {type(exc).__name__}: {exc}", recover)
    prob = scored.column("prob_over").to_numpy()
    return Check(
        "canary", True,
        f"{', '.join(models)} scored {source}: prob_over {prob.min():.3f}..{prob.max():.3f}, "
        f"std {prob.std():.4f} (fallback guard passed)",
    )  # fmt: skip


def check_latest_predictions(con: duckdb.DuckDBPyConnection) -> Check:
    """The fallback guard (DESIGN §5) on the latest date of fct_predictions."""
    from propcast.models import FallbackPredictions, check_not_fallback

    try:
        latest = con.execute("select max(game_date) from main.fct_predictions").fetchone()[0]
    except duckdb.CatalogException:
        latest = None
    if latest is None:
        return Check(
            "latest_predictions", False, "fct_predictions holds no predictions yet",
            "propcast run-day",
        )  # fmt: skip
    rows = con.execute(
        "select game_date, prob_over, market_prob_over from main.fct_predictions "
        "where game_date = ?",
        [latest],
    ).df()
    try:
        stats = check_not_fallback(rows, "market_prob_over", run_date=latest)
    except FallbackPredictions as exc:
        return Check("latest_predictions", False, str(exc), f"propcast verify --date {latest}")
    return Check(
        "latest_predictions", True,
        f"{stats['rows']} predictions on {latest} vary (std {stats['prob_std']:.4f})",
    )  # fmt: skip


def run_health(
    *, deep: bool = False, packages: Sequence[str] = DEFAULT_PACKAGES, day: date | None = None
) -> HealthReport:
    """Every check in order; a check whose inputs failed is not run (the first failure is the
    cause to fix)."""
    settings, home = check_settings()
    # A bad PROPCAST_NOW leaves no "today": the settings check names it, the date stays unknown.
    day = day or (today_in_slate_tz() if settings.ok else None)
    report = HealthReport(day, deep)
    report.add(settings)
    if deep:
        report.add(check_imports(packages))
    if not settings.ok or home is None:
        return report
    report.add(check_home_writable(home))
    if not report.add(check_warehouse(home)).ok:
        return report
    with connect(home) as con:
        registry_ok = report.add(check_registry(con, day)).ok
        if deep and registry_ok:
            report.add(check_canary(con, home, day))
        if deep:
            report.add(check_latest_predictions(con))
    return report


__all__ = [
    "CANARY_MIN_ROWS",
    "DEFAULT_PACKAGES",
    "Check",
    "HealthReport",
    "canary_lines",
    "check_canary",
    "check_imports",
    "check_latest_predictions",
    "check_registry",
    "check_settings",
    "check_warehouse",
    "run_health",
    "writer_holder",
]
