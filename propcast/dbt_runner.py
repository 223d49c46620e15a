"""dbt, invoked in-process: one home, one parsed manifest, one invocation per phase or run."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from propcast.faults import dbt_callbacks
from propcast.settings import PROJECT_DIR, Home
from propcast.timeutil import pinned_now


@dataclass
class NodeResult:
    unique_id: str
    status: str
    message: str | None
    execution_time: float
    failures: int | None = None


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
        parsing stays valid from one morning to the next."""
        if self._manifest is None:
            with dbt_environment(self.home, self.project_dir):
                res = self._runner().invoke(
                    ["parse", "--target", self.target, *self._quiet_flags(), *self._vars_flags()]
                )
            if not res.success:
                raise DbtError(["parse"], str(res.exception or "dbt parse failed"))
            self._manifest = res.result
        return self._manifest

    def _quiet_flags(self) -> list[str]:
        return ["--quiet"] if self.quiet else []

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
            *self._vars_flags({**self._clock_vars(), **(run_vars or {})}),
        ]
        manifest = self.manifest() if reuse_manifest else None
        with dbt_environment(self.home, self.project_dir):
            res = self._runner(manifest).invoke(args)
        return _result(list(args), res)


class DbtError(RuntimeError):
    def __init__(self, command: Sequence[str], message: str) -> None:
        super().__init__(f"dbt {' '.join(command)} failed: {message}")
        self.command = list(command)


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
            )
        )
    error = str(res.exception) if res.exception else None
    return DbtResult(command=args, success=bool(res.success), nodes=nodes, error=error)
