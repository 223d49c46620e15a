"""dbt, invoked in-process: one home, one parsed manifest, one invocation per phase or run."""

from __future__ import annotations

import json
import os
from argparse import Namespace
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from propcast import manifest_cache
from propcast.faults import dbt_callbacks
from propcast.settings import PROJECT_DIR, Home, SettingsError
from propcast.timeutil import pinned_now

#: How much dbt writes to logs/dbt.log. `info` keeps every node's result and every error with
#: its message (the compiled SQL of each node is in target/run/); `debug`, dbt's own default,
#: adds every statement and connection event: ~8 % of a morning build's time (measured on a
#: 24-day demo home: 24.2-26.4 s at debug, 22.5-23.3 s at info, 20.7 s with no file log).
DBT_LOG_ENV = "PROPCAST_DBT_LOG_LEVEL"
DBT_LOG_LEVELS = ("debug", "info", "warn", "error", "none")
DEFAULT_DBT_LOG_LEVEL = "info"


def dbt_log_level() -> str:
    """PROPCAST_DBT_LOG_LEVEL (default info): the level of dbt's file log, logs/dbt.log."""
    raw = os.environ.get(DBT_LOG_ENV)
    if raw is None:
        return DEFAULT_DBT_LOG_LEVEL
    level = raw.strip().lower()
    if level not in DBT_LOG_LEVELS:
        raise SettingsError(
            f"{DBT_LOG_ENV}={raw!r} is not a dbt log level: give one of "
            f"{', '.join(DBT_LOG_LEVELS)} (debug logs every statement while you chase a problem), "
            f"or unset it for {DEFAULT_DBT_LOG_LEVEL}"
        )
    return level


@dataclass
class NodeResult:
    unique_id: str
    status: str
    message: str | None
    execution_time: float
    failures: int | None = None
    compiled_sql: str | None = None  # a data test's query (failing or warned tests only)


@dataclass
class DbtResult:
    command: list[str]
    success: bool
    nodes: list[NodeResult] = field(default_factory=list)
    error: str | None = None

    def by_status(self, *statuses: str) -> list[NodeResult]:
        return [n for n in self.nodes if n.status in statuses]

    @property
    def failed(self) -> list[NodeResult]:
        return self.by_status("error", "fail", "runtime error")

    @property
    def warned(self) -> list[NodeResult]:
        return self.by_status("warn")

    @property
    def schema_drifted(self) -> list[str]:
        """The incremental models that failed because the project now gives them columns their
        table lacks (on_schema_change 'fail': a release added columns); one full refresh
        rebuilds them (`full_refresh_hint`)."""
        return [
            n.unique_id.split(".")[-1]
            for n in self.failed
            if SCHEMA_DRIFT_MESSAGE in (n.message or "")
        ]


#: dbt's message when an incremental model's columns differ from its table's.
SCHEMA_DRIFT_MESSAGE = "schemas on this incremental model are out of sync"


def full_refresh_hint(result: DbtResult, run_date: object) -> str | None:
    """The recovery of a build that failed on schema drift only, else None."""
    drifted = result.schema_drifted
    if not drifted or len(drifted) != len(result.failed):
        return None
    return (
        f"propcast build --date {run_date} --full-refresh (the project gave {', '.join(drifted)} "
        "columns the warehouse's tables lack, e.g. after an upgrade; history tables "
        "ml_model_registry and fct_predictions keep their rows)"
    )


def data_test_hint(result: DbtResult, retry: str) -> str | None:
    """The recovery of a build whose failures are all data tests (rows the tests refused, shown
    under each failure by propcast.failing_rows), else None."""
    if not result.failed or not all(n.unique_id.startswith("test.") for n in result.failed):
        return None
    return (
        "correct the rows the failing data test found (shown above) where they come from (a "
        f"vendor's or the league's file, a seed), then {retry}"
    )


def _setting_vars() -> dict[str, Any]:
    """Run vars set by propcast settings: PROPCAST_EDGE_GATE=off passes edge_gate false;
    PROPCAST_STAKING passes staking; PROPCAST_PROP_MARKETS passes prop_markets."""
    from propcast.edge_gate import edge_gate_vars
    from propcast.markets import prop_markets_setting
    from propcast.staking_setting import staking_setting

    staking, markets = staking_setting(), prop_markets_setting()
    return {
        **edge_gate_vars(),
        **({"staking": staking} if staking else {}),
        **({"prop_markets": markets} if markets else {}),
    }


@contextmanager
def dbt_environment(home: Home, project_dir: Path = PROJECT_DIR) -> Iterator[None]:
    """Point dbt at a project and its profile (this repo's unless told) and keep its target/
    and logs/ inside the home."""
    home.ensure()
    wanted = {
        "PROPCAST_HOME": str(home.root),
        "DBT_PROFILES_DIR": str(project_dir),
        "DBT_PROJECT_DIR": str(project_dir),
        "DBT_TARGET_PATH": str(home.dbt_target),
        "DBT_LOG_PATH": str(home.dbt_logs),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    saved = {key: os.environ.get(key) for key in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Dbt:
    """A dbt project bound to one home. Parses once and reuses the manifest for every call.

    `project_dir` runs another copy of the project (e.g. a test's copy with an edited seed).
    `project_vars` hold for the parse and every call: the vars a parse renders into configs
    (e.g. freshness_test_severity) belong there; vars passed to `invoke` only reach nodes as
    they compile.
    """

    def __init__(
        self,
        home: Home,
        target: str = "duckdb",
        quiet: bool = True,
        project_dir: Path | None = None,
        project_vars: dict[str, Any] | None = None,
    ) -> None:
        self.home = home
        self.project_dir = Path(project_dir) if project_dir is not None else PROJECT_DIR
        self.target = target
        self.quiet = quiet
        self.project_vars = dict(project_vars or {})
        self._manifest: Any = None

    def with_home(self, home: Home) -> Dbt:
        """The same project on another home, sharing the manifest parsed so far."""
        other = Dbt(home, self.target, self.quiet, self.project_dir, self.project_vars)
        other._manifest = self._manifest
        return other

    def _vars_flags(self, run_vars: dict[str, Any] | None = None) -> list[str]:
        merged = {**self.project_vars, **(run_vars or {})}
        return ["--vars", json.dumps(merged, default=str)] if merged else []

    @staticmethod
    def _clock_vars() -> dict[str, str]:
        """The product clock for dbt (var now_utc) when PROPCAST_NOW pins it. Passed per
        invocation, never to the parse: nodes read it as they compile, so the manifest stays
        valid whatever the clock says."""
        pinned = pinned_now()
        return {"now_utc": f"{pinned:%Y-%m-%d %H:%M:%S}"} if pinned else {}

    def _runner(self, manifest: Any = None) -> Any:
        from dbt.cli.main import dbtRunner  # dbt import costs ~2 s: only when dbt runs

        return dbtRunner(manifest=manifest, callbacks=dbt_callbacks())

    def manifest(self) -> Any:
        """The project parsed once, with the project vars only. Run vars (run_date, cutoff, ...)
        are read when nodes compile, not when the project is parsed (Python models read theirs
        from int_run_parameters), so one manifest serves every invocation, and dbt's partial
        parsing stays valid from one morning to the next.

        A manifest this process already parsed for the same project files, target and vars
        serves another home too (as `with_home` does): dbt's partial parse file is only valid
        for the home it was written in (the warehouse path is part of the profile it checks),
        so a new home would otherwise parse the whole project again (~8 s). Another process's
        parse serves too, from the on-disk cache (`propcast.manifest_cache`)."""
        if self._manifest is None:
            key = _parse_key(self.project_dir, self.target, self.project_vars)
            parsed = _PARSED.get(key)
            if parsed is not None and _same_env_vars(parsed):
                self._manifest = parsed
                self._write_manifest_json()
                return self._manifest
            self._manifest = _PARSED[key] = self._load_or_parse()
            while len(_PARSED) > _PARSED_KEPT:  # the oldest first (dicts keep insertion order)
                _PARSED.pop(next(iter(_PARSED)))
        return self._manifest

    def _load_or_parse(self) -> Any:
        """The manifest from the on-disk cache (`propcast.manifest_cache`: another process
        parsed the same project), else parsed here and stored there."""
        files = _parsed_files(self.project_dir)
        key = manifest_cache.manifest_key(
            files,
            str(self.project_dir.resolve()),
            self.target,
            json.dumps(self.project_vars, default=str, sort_keys=True),
        )
        cached = manifest_cache.load(key)
        if cached is not None and _same_env_vars(cached):
            self._manifest = cached
            self._write_manifest_json()
            return cached
        with dbt_environment(self.home, self.project_dir):
            res = self._runner().invoke(
                ["parse", "--target", self.target, *self._quiet_flags(), *self._vars_flags()]
            )
        if not res.success:
            raise DbtError(["parse"], str(res.exception or "dbt parse failed"))
        manifest_cache.store(key, res.result)
        return res.result

    def _write_manifest_json(self) -> None:
        """target/manifest.json in this home, as a parse writes it (dbt-score reads it)."""
        from dbt.flags import get_flags, set_flags
        from dbt.parser.manifest import write_manifest

        flags = get_flags()
        if not hasattr(flags, "SEND_ANONYMOUS_USAGE_STATS"):  # no dbt command ran here yet
            set_flags(Namespace(**vars(flags), SEND_ANONYMOUS_USAGE_STATS=False))
        self.home.dbt_target.mkdir(parents=True, exist_ok=True)
        with dbt_environment(self.home, self.project_dir):
            write_manifest(self._manifest, str(self.home.dbt_target))

    def _quiet_flags(self) -> list[str]:
        quiet = ["--quiet"] if self.quiet else []
        return [*quiet, "--log-level-file", dbt_log_level()]

    def invoke(
        self,
        command: Sequence[str],
        *,
        run_vars: dict[str, Any] | None = None,
        reuse_manifest: bool = True,
    ) -> DbtResult:
        args = [
            *command,
            "--target",
            self.target,
            *self._quiet_flags(),
            *self._vars_flags({**self._clock_vars(), **_setting_vars(), **(run_vars or {})}),
        ]
        manifest = self.manifest() if reuse_manifest else None
        with dbt_environment(self.home, self.project_dir):
            res = self._runner(manifest).invoke(args)
        return _result(list(args), res)


#: Manifests parsed in this process, by `_parse_key` (the latest few: one is tens of MB).
_PARSED: dict[tuple[str, ...], Any] = {}
_PARSED_KEPT = 4
#: Where dbt reads project files unless dbt_project.yml says otherwise.
_DEFAULT_PATHS = {
    "model-paths": ["models"],
    "macro-paths": ["macros"],
    "seed-paths": ["seeds"],
    "test-paths": ["tests"],
    "snapshot-paths": ["snapshots"],
    "analysis-paths": ["analyses"],
}


def _parsed_files(project_dir: Path) -> list[Path]:
    """The files a parse reads: dbt_project.yml, the profile, packages, and its paths."""
    import yaml

    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
    files = [project_dir / n for n in ("dbt_project.yml", "profiles.yml", "packages.yml")]
    for key, default in _DEFAULT_PATHS.items():
        for folder in config.get(key, default):
            files += (p for p in (project_dir / folder).rglob("*") if "__pycache__" not in p.parts)
    return sorted(p for p in files if p.is_file())


def _parse_key(project_dir: Path, target: str, project_vars: dict[str, Any]) -> tuple[str, ...]:
    """What a parse depends on: the project folder, target, vars and every parsed file's size
    and modification time (an edited file parses again)."""
    stats = []
    for path in _parsed_files(project_dir):
        info = path.stat()
        stats.append(f"{path.relative_to(project_dir)}:{info.st_size}:{info.st_mtime_ns}")
    files = "|".join(stats)
    return (str(project_dir.resolve()), target, json.dumps(project_vars, default=str), files)


def _same_env_vars(manifest: Any) -> bool:
    """The environment variables the project read while parsing still have those values."""
    used = getattr(manifest, "env_vars", None) or {}
    return all(os.environ.get(name) == value for name, value in used.items())


class DbtError(RuntimeError):
    def __init__(self, command: Sequence[str], message: str) -> None:
        super().__init__(f"dbt {' '.join(command)} failed: {message}")
        self.command = list(command)


def _test_query(node: Any, result: Any) -> str | None:
    """A failed or warned data test's compiled query (propcast.failing_rows shows its rows)."""
    status = str(getattr(result.status, "value", result.status))
    if getattr(node, "resource_type", None) != "test" or status not in ("fail", "warn"):
        return None
    return getattr(node, "compiled_code", None)


def _result(args: list[str], res: Any) -> DbtResult:
    nodes: list[NodeResult] = []
    results = getattr(res.result, "results", None) or []
    for r in results:
        node = getattr(r, "node", None)
        if getattr(node, "unique_id", "").startswith("operation."):
            continue  # project hooks (on-run-end) are housekeeping, not the caller's nodes
        nodes.append(
            NodeResult(
                unique_id=getattr(node, "unique_id", "?"),
                status=str(getattr(r.status, "value", r.status)),
                message=getattr(r, "message", None),
                execution_time=float(getattr(r, "execution_time", 0.0) or 0.0),
                failures=getattr(r, "failures", None),
                compiled_sql=_test_query(node, r),
            )
        )
    error = str(res.exception) if res.exception else None
    return DbtResult(command=args, success=bool(res.success), nodes=nodes, error=error)
