"""`propcast import totals --format sbr FILE.xlsx [...]`: run and report (propcast.sbr_importer)."""

from __future__ import annotations

from time import perf_counter

from propcast.cli.common import open_home, require_packages
from propcast.cli.output import ExitCode, console, finish, progress_bar
from rich.markup import escape

TOP_REASONS = 8


def run_sbr(
    items: list[str], league: str | None, season: str | None, no_build: bool, wait: float,
    as_json: bool,
) -> None:  # fmt: skip
    import duckdb

    from propcast.importer import ImportRefused
    from propcast.locking import WarehouseBusy, writer_lock
    from propcast.sbr_importer import expand_paths, import_sbr

    home = open_home()
    require_packages("import totals --format sbr", "openpyxl", as_json=as_json)
    retry = "propcast import totals --format sbr " + " ".join(f"'{i}'" for i in items)
    if league and league.lower() not in ("nba", "nhl"):
        finish(ExitCode.FAILED, f"--league {league}: nba or nhl", recover=retry, as_json=as_json)
    started = perf_counter()
    try:
        paths = expand_paths(items)
        with (
            writer_lock(
                home, f"import totals --format sbr ({len(paths)} files)", wait, console.out
            ),
            progress_bar("importing SBR workbooks") as advance,
        ):
            results = import_sbr(
                home, paths, league=league, season=season, run_build=not no_build,
                progress=advance,
            )  # fmt: skip
    except ImportRefused as exc:
        finish(ExitCode.FAILED, f"import totals --format sbr refused: {exc}",
               recover=f"fix the workbook or the options, then `{retry}`",
               payload={"files": items}, as_json=as_json)  # fmt: skip
    except WarehouseBusy as exc:
        finish(ExitCode.FAILED, str(exc), recover=retry, as_json=as_json)
    except (OSError, RuntimeError, duckdb.Error) as exc:
        finish(ExitCode.FAILED, f"import totals --format sbr failed: {type(exc).__name__}: {exc}",
               recover=f"fix the cause above, then `{retry}` (nothing is loaded twice)",
               payload={"files": items}, as_json=as_json)  # fmt: skip
    _report(home, results, retry, perf_counter() - started, as_json)


def _file_lines(home, result) -> dict:
    from propcast.importer import top_reasons
    from propcast.sbr_importer import unmapped_teams

    say = console.print
    added = "already imported: nothing added" if result.already_imported else (
        f"{result.rows_loaded:,} loaded, {result.rows_quarantined:,} quarantined")  # fmt: skip
    say(f"{escape(result.file)}: {result.rows_read:,} games read, {added}")
    for reason, n in top_reasons(result.quarantine_reasons, TOP_REASONS):
        say(f"    {n:>7,}  {escape(reason)}")
    if result.quarantine_file and result.rows_quarantined:
        say(f"  quarantined games (row, reason, rows): {escape(result.quarantine_file)}")
    unmapped = unmapped_teams(home, result) if result.built else {}
    if unmapped:
        labels = ", ".join(f"{label} ({n})" for label, n in sorted(unmapped.items()))
        say(f"  team labels no alias maps (games kept in staging only): {escape(labels)}")
    payload = result.as_json()
    payload["games_read"], payload["unmapped_teams"] = result.rows_read, unmapped
    payload["games_loaded"], payload["games_quarantined"] = (
        result.rows_loaded, result.rows_quarantined)  # fmt: skip
    return payload


def _report(home, results, retry: str, seconds: float, as_json: bool) -> None:
    files = [_file_lines(home, result) for result in results]
    read = sum(r.rows_read for r in results)
    loaded = sum(r.rows_loaded for r in results)
    bad = sum(r.rows_quarantined for r in results)
    build = results[0].build if results else None
    payload = {"format": "sbr", "files": files, "games_read": read, "games_loaded": loaded,
               "games_quarantined": bad, "seconds": round(seconds, 2),
               "built": bool(build and build.result.success),
               "build_nodes": build.counts if build else {}}  # fmt: skip
    errors = [r for r in results if r.error]
    if errors or (build is not None and not build.result.success):
        for line in build.problems() if build else []:
            console.print(f"  {escape(line)}")
        what = errors[0].error if errors else "the build failed"
        finish(ExitCode.FAILED, f"import totals --format sbr: {what}",
               recover=f"fix the cause above, then `{retry}` (nothing is loaded twice)",
               payload=payload, as_json=as_json)  # fmt: skip
    built = "not built (--no-build)" if build is None else "built"
    degraded = bad > 0 or (build is not None and build.result.warned)
    finish(
        ExitCode.DEGRADED if degraded else ExitCode.OK,
        f"import totals --format sbr: {len(results)} workbook(s), {read:,} games read, "
        f"{loaded:,} loaded, {bad:,} quarantined; {built} in {seconds:.1f}s",
        recover="read the quarantined games (files above); the good games are loaded",
        payload=payload,
        as_json=as_json,
    )
