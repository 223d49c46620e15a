"""Every setting, checked before a command does any work (DESIGN §7, incident 10).

Optional settings are optional: unset, each has its default. Set but unusable, the command stops
at start with one paragraph naming the setting and the fix (`SettingsError`), never a traceback
from deep inside a run. `check_settings` is what `propcast` commands and `propcast health` run.

| setting | default | checked |
|---|---|---|
| PROPCAST_HOME | `.home` in the project | a folder, writable (`Home.from_env`, `open_home`) |
| PROPCAST_NOW | the wall clock | an ISO-8601 time (`timeutil.pinned_now`) |
| PROPCAST_MAX_QUARANTINE_SHARE | 0.01 | a share in [0, 1] (`ingest.quarantine_share_limit`) |
| PROPCAST_RETRAIN_EVERY_DAYS | 7 | whole days (`training.retrain_every_days`) |
| PROPCAST_EDGE_GATE | on | on or off (`edge_gate.edge_gate_vars`; off: dbt var edge_gate false) |
| PROPCAST_STAKING | dbt var staking (kelly) | kelly or joint-kelly (`staking_setting`) |
| PROPCAST_PROP_MARKETS | dbt var prop_markets | player markets of seeds/markets.csv (`markets`) |
| PROPCAST_DUCKDB_MEMORY_LIMIT | 4GB | a size DuckDB accepts (read by profiles.yml) |
| FORCE_VENDOR_FAILURE | none | known vendor ids, comma-separated |
| PROPCAST_DBT_LOG_LEVEL | info | debug, info, warn, error or none (`dbt_runner.dbt_log_level`) |
| PROPCAST_DBT_MANIFEST_CACHE | ~/.cache/propcast/... | a folder or off (`manifest_cache`) |
| PROPCAST_ALERT_CMD | none | parses and its program exists: else a warning, not a stop |
| profiles.yml | the project's | present, YAML, profile `propcast` with a `duckdb` output |

DBT_PROFILES_DIR is not a propcast setting: propcast always runs dbt with the project's
profiles.yml (dbt_runner sets DBT_PROFILES_DIR for its invocations), so a value meant for another
dbt project changes nothing here.
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

from propcast.settings import PROJECT_DIR, VENDORS, Home, SettingsError

MEMORY_ENV = "PROPCAST_DUCKDB_MEMORY_LIMIT"
FAILURE_ENV = "FORCE_VENDOR_FAILURE"
ALERT_ENV = "PROPCAST_ALERT_CMD"
#: Vendor ids FORCE_VENDOR_FAILURE takes (the odds vendors and the league's results feed).
FAILABLE_VENDORS = (*VENDORS, "league")


def check_settings(project_dir: Path = PROJECT_DIR) -> Home:
    """Check every setting (SettingsError on the first unusable one); the home they name."""
    from propcast.dbt_runner import dbt_log_level
    from propcast.edge_gate import edge_gate_vars
    from propcast.ingest import quarantine_share_limit
    from propcast.markets import prop_markets_setting
    from propcast.staking_setting import staking_setting
    from propcast.timeutil import pinned_now
    from propcast.training import retrain_every_days

    pinned_now()
    quarantine_share_limit()
    retrain_every_days()
    edge_gate_vars()
    staking_setting()
    prop_markets_setting()
    dbt_log_level()
    check_memory_limit()
    check_forced_failures()
    check_profile(project_dir)
    return Home.from_env()


def check_memory_limit() -> None:
    raw = os.environ.get(MEMORY_ENV)
    if raw is None:
        return
    import duckdb

    try:
        duckdb.connect(":memory:", config={"memory_limit": raw.strip()}).close()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise SettingsError(
            f"{MEMORY_ENV}={raw!r} is not a memory size DuckDB accepts ({first}): give one such "
            "as 4GB or 512MiB, or unset it for the default 4GB"
        ) from None


def check_forced_failures() -> None:
    raw = os.environ.get(FAILURE_ENV, "")
    names = [v.strip() for v in raw.split(",") if v.strip()]
    unknown = [v for v in names if v.lower() not in FAILABLE_VENDORS]
    if unknown:
        raise SettingsError(
            f"{FAILURE_ENV}={raw!r} names an unknown vendor ({', '.join(unknown)}): give ids "
            f"comma-separated ({', '.join(v.upper() for v in FAILABLE_VENDORS)}), or unset it "
            "to fail none"
        )


def check_profile(project_dir: Path = PROJECT_DIR) -> None:
    """The project's profiles.yml: present, YAML, a `propcast` profile with a duckdb output."""
    import yaml

    path = project_dir / "profiles.yml"
    restore = "restore it from the repository (git checkout -- profiles.yml)"
    if not path.is_file():
        raise SettingsError(
            f"the dbt profile {path} is missing: {restore}. propcast runs dbt with the "
            "project's profiles.yml (DBT_PROFILES_DIR is not read)"
        )
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SettingsError(
            f"the dbt profile {path} cannot be read{where} "
            f"({getattr(exc, 'problem', None) or type(exc).__name__}): fix it or {restore}"
        ) from None
    profile = doc.get("propcast") if isinstance(doc, dict) else None
    outputs = profile.get("outputs") if isinstance(profile, dict) else None
    duckdb_output = outputs.get("duckdb") if isinstance(outputs, dict) else None
    if not isinstance(duckdb_output, dict) or duckdb_output.get("type") != "duckdb":
        raise SettingsError(
            f"the dbt profile {path} has no profile `propcast` with an output `duckdb` of type "
            f"duckdb, which every propcast command runs on: fix it or {restore}"
        )


def alert_warning() -> str | None:
    """Why PROPCAST_ALERT_CMD cannot run (None: unset or runnable). A warning, not a stop: a
    broken alert must not keep the morning run from running."""
    command = os.environ.get(ALERT_ENV, "").strip()
    if not command:
        return None
    try:
        argv = shlex.split(command)
    except ValueError as exc:  # the command itself is not echoed: it may hold a token
        return f"{ALERT_ENV} does not parse as a command line ({exc}): alerts will not be sent"
    if not argv or shutil.which(argv[0]) is None:
        return (
            f"{ALERT_ENV}: its program {argv[0] if argv else '(none)'!r} is not on PATH: alerts "
            "will not be sent; fix the command or unset it"
        )
    return None
