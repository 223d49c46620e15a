"""The warehouse build and its summary: what ran, what failed, what tables now hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from propcast.dbt_runner import Dbt, DbtResult
from propcast.failing_rows import failing_examples
from propcast.settings import Home
from propcast.warehouse import connect


@dataclass
class BuildSummary:
    run_date: date
    result: DbtResult
    tables: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    examples: dict[str, list[str]] = field(default_factory=dict)  # a failing test's rows

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for node in self.result.nodes:
            out[node.status] = out.get(node.status, 0) + 1
        return out

    def problems(self) -> list[str]:
        lines = []
        for node in self.result.failed + self.result.warned:
            message = (node.message or "").strip().splitlines()
            lines.append(f"{node.status.upper()} {node.unique_id}: {message[0] if message else ''}")
            lines += [f"  e.g. {row}" for row in self.examples.get(node.unique_id, [])]
        if self.result.error:
            lines.append(f"ERROR dbt: {self.result.error.strip().splitlines()[0]}")
        return lines + [f"NOTE {note}" for note in self.notes]


def build(
    home: Home,
    run_date: date,
    *,
    dbt: Dbt | None = None,
    select: list[str] | None = None,
    full_refresh: bool = False,
    slice_start: date | None = None,
) -> BuildSummary:
    """`dbt build` (seeds, models, tests) for a run date, training excluded. Without a model
    trained before the date, for any prop family priced (e.g. one added to prop_markets), the
    predictions phase is left out too (scoring would fail: nothing may score the slate), and the
    summary says so."""
    from propcast.markets import active_prop_markets
    from propcast.training import families_without_model, registered_models

    dbt = dbt or Dbt(home)
    command = ["build", "--exclude", "tag:train"]
    notes = []
    markets = active_prop_markets(dbt.project_vars, dbt.project_dir)
    missing = families_without_model(home, run_date, markets)
    any_model = registered_models(home, run_date) > 0
    if not any_model or missing:
        what = f"{', '.join(missing)} model" if any_model else "model"
        command.append("tag:phase_predictions")
        notes.append(
            f"predictions not built: no {what} trained before {run_date} "
            f"(propcast train --date {run_date}, then build again)"
        )
    if select:
        command += ["--select", *select]
    if full_refresh:
        command.append("--full-refresh")
    run_vars = {"run_date": run_date.isoformat()}
    if slice_start:
        run_vars["slice_start"] = slice_start.isoformat()
    result = dbt.invoke(command, run_vars=run_vars)
    return BuildSummary(
        run_date=run_date,
        result=result,
        tables=table_rows(home),
        notes=notes,
        examples=failing_examples(home, result),
    )


def table_rows(home: Home) -> dict[str, int]:
    """Row counts of the raw tables and the dbt tables (views are left out: counting a staging
    view would run it over the whole raw layer)."""
    if not home.warehouse.exists():
        return {}
    con = connect(home)
    try:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'main') and table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        return {
            f"{schema}.{name}": con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[
                0
            ]
            for schema, name in names
        }
    finally:
        con.close()
