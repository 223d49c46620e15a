"""Config (issue 12, item 7; DESIGN §7 incident 10): optional things are optional, and a bad
setting stops a command at start with one paragraph naming the setting and the fix.

- every optional setting unset: commands run on their defaults;
- optional packages absent (matplotlib, openpyxl, dbt-bigquery): a subprocess whose import
  system says they are not installed; the commands that do not need them start and run, the
  ones that do name the package;
- PROPCAST_HOME a file, under a file, unwritable; each setting malformed; the dbt profile
  missing, not YAML, without its duckdb output (on a copy of the project, run from the copy);
  DBT_PROFILES_DIR pointing nowhere (not read: propcast runs dbt with the project's profile);
  a bad `--now`, `--wait`, `--date` → exit 2 (usage);

never a traceback. Malformed values run in this process (the CLI's code, no interpreter start);
the optional-package and profile cases need a process of their own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.markets import PROP_MARKETS_ENV
from propcast.settings import PROJECT_DIR, Home
from tests.integration.conftest import DemoWorld
from tests.reliability.tally import full_matrix, record

EXE = str(Path(sys.executable).with_name("propcast"))
#: Every environment variable propcast reads (none is required but PROPCAST_HOME's folder).
OPTIONAL_ENV = (
    "PROPCAST_NOW", "PROPCAST_MAX_QUARANTINE_SHARE", "PROPCAST_RETRAIN_EVERY_DAYS",
    "PROPCAST_DUCKDB_MEMORY_LIMIT", "PROPCAST_DBT_LOG_LEVEL", "PROPCAST_ALERT_CMD", "FORCE_VENDOR_FAILURE",
    "PROPCAST_BQ_PROJECT", "PROPCAST_BQ_DATASET", "DBT_PROFILES_DIR", "PROPCAST_EDGE_GATE",
    "PROPCAST_DBT_MANIFEST_CACHE", "PROPCAST_PROP_MARKETS",
)  # fmt: skip
#: Runs `propcast` with packages made absent: a finder first on the meta path answers "No
#: module named ..." for them, as Python does when a package is not installed.
WITHOUT_PACKAGES = """
import sys
blocked = tuple(sys.argv[1].split(","))
class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in blocked):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, NotInstalled())
sys.argv = ["propcast", *sys.argv[2:]]
from propcast.cli.main import app
app()
"""
OPTIONAL_PACKAGES = "matplotlib,openpyxl,dbt.adapters.bigquery,google.cloud"
#: Runs the CLI of a copy of the project (its PROJECT_DIR, so its profiles.yml).
FROM_COPY = """
import sys
sys.path.insert(0, sys.argv[1])
sys.argv = ["propcast", *sys.argv[2:]]
from propcast.cli.main import app
app()
"""


def collapsed(text: str) -> str:
    return " ".join(text.split())


def in_process(home: Path, *args: str, **env: str | None) -> tuple[int, str]:
    """`propcast <args>` in this process; an exception other than the exit is a traceback."""
    result = CliRunner().invoke(app, list(args), env={"PROPCAST_HOME": str(home), **env})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback from propcast {' '.join(args)}") from result.exception
    return result.exit_code, collapsed(result.output)


def run(cmd: list[str], env: dict[str, str], timeout: float = 300) -> tuple[int, str]:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    out = done.stdout + done.stderr
    assert "Traceback" not in out, out
    return done.returncode, collapsed(out)


def bare_env(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any propcast setting (PROPCAST_HOME aside)."""
    env = {k: v for k, v in os.environ.items() if k not in OPTIONAL_ENV}
    return {**env, "PROPCAST_HOME": str(home), "COLUMNS": "200", **extra}


def squashed(text: str) -> str:
    """Text without whitespace: the console wraps long lines (a long path mid-word)."""
    return "".join(text.split())


def assert_setting_error(code: int, out: str, setting: str, fix: str) -> None:
    assert code == 1, out
    flat = squashed(out)
    assert squashed(f"Setting error: {setting}") in flat or squashed(f"settings: {setting}") in flat
    assert squashed(fix) in flat, out


def test_optional_settings_unset(demo_home: Home, demo_world: DemoWorld) -> None:
    """No PROPCAST_* but the home (not even the clock: the commands read the wall clock, the
    slate is given): status and ingest (health and --help too, in a bare process) run on
    their defaults."""
    slate = str(demo_world.slate)
    unset = dict.fromkeys(OPTIONAL_ENV)  # None: removed from the environment for the call
    code, out = in_process(demo_home.root, "status", "--date", slate, **unset)
    assert code in (0, 3) and f"slate {slate}" in out, out
    assert "Setting error" not in out and "clock pinned" not in out, out
    code, out = in_process(demo_home.root, "ingest", "--vendor", "league", **unset)
    assert code == 0 and "0 new payloads" in out, out
    checks = 2
    if full_matrix():
        code, out = run([EXE, "health"], bare_env(demo_home.root))
        assert code == 0 and "settings: valid" in out, out
        code, out = run([EXE, "--help"], bare_env(demo_home.root))
        assert code == 0 and "run-day" in out, out
        checks += 2
    record("config", checks, checks)


def test_optional_packages_absent(demo_home: Home, demo_world: DemoWorld) -> None:
    """Without matplotlib, openpyxl and dbt-bigquery: status starts and answers; report, export
    and the SBR workbook import stop at start naming the package (exit 1, the install command);
    the daily run
    (full matrix) runs: it needs none of them."""
    slate = str(demo_world.slate)

    def without(*args: str) -> tuple[int, str]:
        cmd = [sys.executable, "-c", WITHOUT_PACKAGES, OPTIONAL_PACKAGES, *args]
        # The demo home's model is never due again (as the demo_home fixture says), and its
        # warehouse holds the suite's prop markets: the default four would be families added
        # to prop_markets, whose history run-day refuses to guess (it names the rebuild).
        env = bare_env(
            demo_home.root,
            PROPCAST_NOW=os.environ["PROPCAST_NOW"],
            PROPCAST_RETRAIN_EVERY_DAYS="0",
            **{PROP_MARKETS_ENV: os.environ[PROP_MARKETS_ENV]},
        )
        return run(cmd, env)

    code, out = without("status", "--date", slate)
    assert code in (0, 3) and f"slate {slate}" in out, out
    code, out = without("report", "--date", slate)
    assert code == 1, out
    assert "propcast report needs the Python package matplotlib, which is not installed" in out
    assert "pip install matplotlib" in out, out
    code, out = without("import", "totals", "--format", "sbr", "nba odds 2016-17.xlsx")
    assert code == 1 and "needs the Python package openpyxl, which is not installed" in out, out
    cases = 3
    if full_matrix():
        code, out = without("export", "--date", slate)
        assert code == 1 and "needs the Python package openpyxl" in out, out
        code, out = without("health")
        assert code == 0, out
        code, out = without("run-day", "--date", slate)
        assert code in (0, 3) and f"run-day {slate}" in out, out
        cases += 3
    record("config", cases, cases)


def test_bad_home(tmp_path: Path) -> None:
    """PROPCAST_HOME a file, a path under a file, an unwritable folder: exit 1 naming it."""
    a_file = tmp_path / "home.txt"
    a_file.write_text("not a folder")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    # root writes through any mode: then a folder no process can create stands in for it.
    unwritable = locked / "home" if os.geteuid() != 0 else Path("/proc/propcast-home")
    cases = [(a_file, "exists and is not a folder"), (a_file / "home", "cannot be used")]
    cases.append((unwritable, "cannot be used"))
    try:
        for home, why in cases:
            for command in (["status"], ["ingest"]):
                code, out = in_process(home, *command)
                assert_setting_error(code, out, f"PROPCAST_HOME={home}", why)
                flat = squashed(out)
                assert squashed("Point PROPCAST_HOME at a") in flat or "pointitatafolder" in flat
            code, out = in_process(home, "health")
            assert code == 1 and str(home) in squashed(out) and "recover with" in out, out
    finally:
        locked.chmod(0o700)
    record("config", len(cases), len(cases))


#: (setting, malformed value, what the message says to do)
MALFORMED = [
    ("PROPCAST_NOW", "yesterday", "give ISO-8601"),
    ("PROPCAST_NOW", "2027-13-45T10:00", "give ISO-8601"),
    ("PROPCAST_MAX_QUARANTINE_SHARE", "lots", "a share between 0 and 1"),
    ("PROPCAST_MAX_QUARANTINE_SHARE", "1.5", "a share between 0 and 1"),
    ("PROPCAST_RETRAIN_EVERY_DAYS", "weekly", "a whole number of days"),
    ("PROPCAST_RETRAIN_EVERY_DAYS", "-3", "a whole number of days"),
    ("PROPCAST_DUCKDB_MEMORY_LIMIT", "lots", "give one such as 4GB"),
    ("PROPCAST_DUCKDB_MEMORY_LIMIT", "", "give one such as 4GB"),
    ("PROPCAST_DBT_LOG_LEVEL", "verbose", "give one of debug, info, warn, error, none"),
    ("PROPCAST_EDGE_GATE", "maybe", "must be on or off"),
    ("PROPCAST_PROP_MARKETS", "player_saves", "name some of NBA: player_points"),
    ("FORCE_VENDOR_FAILURE", "ODDSAPI;CSVFEED", "give ids comma-separated"),
    ("FORCE_VENDOR_FAILURE", "BETFAIR", "give ids comma-separated"),
]


@pytest.mark.parametrize(("setting", "value", "fix"), MALFORMED)
def test_malformed_setting_stops_at_start(home: Home, setting: str, value: str, fix: str) -> None:
    """Each malformed value: a writer and a reader stop before any work (exit 1, one
    paragraph naming the setting, its value and the fix); health names it too."""
    commands = [["ingest"], ["status"]] if full_matrix() else [["ingest"]]
    for command in commands:
        code, out = in_process(home.root, *command, **{setting: value})
        assert_setting_error(code, out, f"{setting}={value!r}", fix)
        assert len(out) < 400, out  # one paragraph
    code, out = in_process(home.root, "health", **{setting: value})
    assert code == 1 and f"{setting}={value!r}" in out, out
    assert not home.warehouse.exists(), "stopped before any work"
    record("config", 1)


def test_broken_alert_command_warns_and_runs(demo_home: Home, demo_world: DemoWorld) -> None:
    """PROPCAST_ALERT_CMD that cannot run is a warning at start, not a stop (a broken alert
    must not keep the morning run from running), and the command line is not echoed."""
    slate = str(demo_world.slate)
    for command, why in [
        ("pc-no-such-notifier --token tok-123456", "'pc-no-such-notifier' is not on PATH"),
        ('mail -s "unclosed', "does not parse as a command line"),
    ]:
        code, out = in_process(
            demo_home.root, "status", "--date", slate, PROPCAST_ALERT_CMD=command
        )
        assert code in (0, 3), out
        assert f"warning: PROPCAST_ALERT_CMD{':' if 'PATH' in why else ''}" in out, out
        assert why in out and "tok-123456" not in out and "unclosed" not in out, out
    record("config", 2, 2)


def test_bad_usage_is_exit_2(home: Home) -> None:
    """A bad --now, --wait or --date is a usage error (exit 2) naming the option."""
    for args, option in [
        (["--now", "yesterday", "status"], "--now"),
        (["ingest", "--wait", "soon"], "--wait"),
        (["run-day", "--date", "2027-02-30"], "--date"),
    ]:
        code, out = in_process(home.root, *args)
        assert code == 2 and option in out, out
    record("config", 3, 3)


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package and the dbt project copied, so the copy's profiles.yml is the one read."""
    root = tmp_path_factory.mktemp("project")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(PROJECT_DIR / "propcast", root / "propcast", ignore=ignore)
    shutil.copytree(PROJECT_DIR / "cli", root / "propcast" / "cli", ignore=ignore)
    for name in ("models", "macros", "seeds", "python_models", "tests"):
        if name == "tests":
            shutil.copytree(PROJECT_DIR / name / "data_tests", root / name / "data_tests")
        else:
            shutil.copytree(PROJECT_DIR / name, root / name, ignore=ignore)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy2(PROJECT_DIR / name, root / name)
    return root


PROFILES = {
    "missing": (None, "is missing: restore it from the repository"),
    "not YAML": ("propcast: [unclosed\n", "cannot be read at line"),
    "no duckdb output": (
        "propcast:\n  target: duckdb\n  outputs:\n    bigquery: {type: bigquery}\n",
        "has no profile `propcast` with an output `duckdb`",
    ),
}


def test_bad_profile_stops_at_start(project_copy: Path, home: Home) -> None:
    """The project's profiles.yml missing, not YAML, or without its duckdb output: exit 1
    naming the file and the fix, before any work (run from a copy of the project)."""
    profile = project_copy / "profiles.yml"
    good = profile.read_text()
    cases = list(PROFILES) if full_matrix() else ["not YAML"]
    try:
        for case in cases:
            text, why = PROFILES[case]
            profile.unlink(missing_ok=True)
            if text is not None:
                profile.write_text(text)
            cmd = [sys.executable, "-c", FROM_COPY, str(project_copy), "build"]
            code, out = run(cmd, bare_env(home.root, PROPCAST_NOW=os.environ["PROPCAST_NOW"]))
            assert_setting_error(code, out, "the dbt profile", why)
            assert str(profile) in out and "Traceback" not in out, out
    finally:
        profile.write_text(good)
    assert not home.warehouse.exists()
    record("config", len(cases), len(cases))


@pytest.mark.skipif(not full_matrix(), reason="a dbt build: make reliability")
def test_dbt_profiles_dir_is_not_read(demo_home: Home, demo_world: DemoWorld) -> None:
    """DBT_PROFILES_DIR pointing nowhere (set for another dbt project) changes nothing: propcast
    runs dbt with the project's profile."""
    env = bare_env(
        demo_home.root,
        PROPCAST_NOW=os.environ["PROPCAST_NOW"],
        DBT_PROFILES_DIR=str(demo_home.root / "no-such-dir"),
    )
    code, out = run(
        [EXE, "build", "--date", str(demo_world.slate), "--select", "dim_team"], env, timeout=600
    )
    assert code == 0, out
    record("config", 1)
