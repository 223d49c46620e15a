"""Where a run reads and writes: everything lives under PROPCAST_HOME."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_DIR = Path(__file__).resolve().parent.parent
SLATE_TZ = ZoneInfo("America/New_York")
VENDORS = ("oddsapi", "csvfeed", "decimalfeed")


class SettingsError(ValueError):
    """A setting is present but unusable; the message says which and how to fix it."""


@dataclass(frozen=True)
class Home:
    """The folder a run owns: warehouse file, inbox, outputs, run state and dbt's artefacts."""

    root: Path

    @classmethod
    def from_env(cls) -> Home:
        raw = os.environ.get("PROPCAST_HOME", "").strip()
        root = Path(raw).expanduser() if raw else PROJECT_DIR / ".home"
        if root.exists() and not root.is_dir():
            raise SettingsError(
                f"PROPCAST_HOME={root} exists and is not a folder; point it at a folder."
            )
        return cls(root.resolve())

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def outputs(self) -> Path:
        return self.root / "outputs"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def world(self) -> Path:
        """Ground truth of the demo world: kept apart from anything the warehouse reads."""
        return self.root / "world"

    @property
    def dbt_target(self) -> Path:
        return self.root / "target"

    @property
    def dbt_logs(self) -> Path:
        return self.root / "logs"

    def ensure(self) -> Home:
        for path in (
            self.root,
            self.inbox,
            self.outputs,
            self.runs,
            self.dbt_target,
            self.dbt_logs,
        ):
            path.mkdir(parents=True, exist_ok=True)
        return self
