"""make check-bigquery's real path (propcast.bigquery_check: dbt compile for the bigquery target
offline, then the BigQuery rules) on a small copy of the project: the project's own dbt_project,
profile, macros and seeds, with three models of its own (one in Python). The whole project is
compiled and checked by `make check-bigquery` in every `make test`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from propcast.bigquery_check import print_report, run_check
from propcast.settings import PROJECT_DIR

# A game_date slice like the odds chain's: its incremental branch compiles only through the
# project's is_incremental() override (offline, dbt's own would ask BigQuery and hang).
SLICED_MODEL = """
{{ config(**game_date_slices()) }}
select
    game_date,
    date_add(game_date, interval 1 day) as next_day,
    cast(1 as {{ type_double() }}) as one
from unnest(generate_date_array(date '2026-01-01', date '2026-01-31')) as game_date
where {{ in_build_slice('game_date') }}
"""

PYTHON_MODEL = """
def model(dbt, session):
    return dbt.ref("sliced_days")
"""

BROKEN_MODEL = """
select
    game_date::date as game_date,
    strftime(game_date, '%Y') as season,
    list_value(1, 2) as sides,
    * exclude (next_day)
from {{ ref('sliced_days') }}
"""


def _small_project(root: Path, models: dict[str, str]) -> Path:
    root.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_DIR / name, root / name)
    for folder in ("macros", "seeds"):
        shutil.copytree(PROJECT_DIR / folder, root / folder)
    (root / "models").mkdir()
    shutil.copy(PROJECT_DIR / "models" / "_groups.yml", root / "models" / "_groups.yml")
    for name, code in models.items():
        suffix = ".py" if "def model(" in code else ".sql"
        path = root / "models" / f"{name}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")
    return root


def test_a_duckdb_only_model_fails_the_check(tmp_path: Path, capsys) -> None:
    project = _small_project(
        tmp_path / "project",
        {
            "marts/core/sliced_days": SLICED_MODEL,
            "staging/broken": BROKEN_MODEL,
            "scored": PYTHON_MODEL,
        },
    )
    report = run_check(project, tmp_path / "work", timeout_s=180)
    assert report.error is None, report.error
    assert report.checked["sliced_days"] == []
    problems = " | ".join(report.failed["broken"])
    for expected in ("`::` cast", "strftime()", "list_value()", "`* exclude`"):
        assert expected in problems, problems
    assert report.unchecked == ["scored"]
    assert set(report.failed) == {"broken"}

    # BigQuery: one dataset per layer (macros/portability/layer_datasets.sql)
    manifest = json.loads((tmp_path / "work" / "target" / "manifest.json").read_text())
    schemas = {n["name"]: n["schema"] for n in manifest["nodes"].values()}
    assert schemas["sliced_days"] == "propcast_marts"
    assert schemas["broken"] == "propcast_staging"
    assert schemas["scored"] == "propcast_predictors"
    assert schemas["team_aliases"] == "propcast_seeds"

    print_report(report, seconds=1.0, project_dir=project)
    out = capsys.readouterr().out
    assert "broken" in out and "FAILED check-bigquery" in out and "make check-bigquery" in out
