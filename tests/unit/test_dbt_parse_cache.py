"""One dbt parse per process serves every home (propcast.dbt_runner): a manifest is reused for
the same project files, target and vars, and parsed again when any of them differs; another
process's parse is loaded from the disk cache (propcast.manifest_cache)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from propcast import dbt_runner, manifest_cache
from propcast.dbt_runner import Dbt, _parse_key, _same_env_vars
from propcast.settings import PROJECT_DIR, Home


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A stand-in project: dbt_project.yml with its paths, a model, a macro, a README."""
    root = tmp_path / "project"
    (root / "models").mkdir(parents=True)
    (root / "python_models").mkdir()
    (root / "macros").mkdir()
    (root / "dbt_project.yml").write_text(
        'name: p\nmodel-paths: ["models", "python_models"]\nmacro-paths: ["macros"]\n'
    )
    (root / "models" / "m.sql").write_text("select 1 as a\n")
    (root / "python_models" / "p.py").write_text("def model(dbt, session): ...\n")
    (root / "macros" / "x.sql").write_text("{% macro x() %}1{% endmacro %}\n")
    (root / "README.md").write_text("not parsed\n")
    return root


def test_the_key_is_stable_for_an_unchanged_project(project: Path) -> None:
    assert _parse_key(project, "duckdb", {}) == _parse_key(project, "duckdb", {})


def test_the_key_changes_with_target_vars_and_every_parsed_file(project: Path) -> None:
    before = _parse_key(project, "duckdb", {})
    assert _parse_key(project, "bigquery", {}) != before
    assert _parse_key(project, "duckdb", {"train_overrides": {"a": 1}}) != before
    for path in ("models/m.sql", "python_models/p.py", "macros/x.sql", "dbt_project.yml"):
        original = (project / path).read_text()
        (project / path).write_text(original + "\n")
        assert _parse_key(project, "duckdb", {}) != before, path
        (project / path).write_text(original)
        os.utime(project / path, ns=(0, 0))
        assert _parse_key(project, "duckdb", {}) != before, f"{path}: mtime only"
    (project / "models" / "new.sql").write_text("select 2 as b\n")
    assert _parse_key(project, "duckdb", {}) != before


def test_the_key_ignores_what_dbt_does_not_parse(project: Path) -> None:
    before = _parse_key(project, "duckdb", {})
    (project / "README.md").write_text("edited\n")
    (project / "macros" / "__pycache__").mkdir()
    (project / "macros" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert _parse_key(project, "duckdb", {}) == before


def test_a_parse_that_read_an_environment_variable_holds_while_it_is_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed = SimpleNamespace(env_vars={"PROPCAST_TEST_SCHEMA": "a"})
    monkeypatch.setenv("PROPCAST_TEST_SCHEMA", "a")
    assert _same_env_vars(parsed)
    monkeypatch.setenv("PROPCAST_TEST_SCHEMA", "b")
    assert not _same_env_vars(parsed)


def test_a_second_home_reuses_the_parse_and_gets_its_manifest_json(tmp_path: Path) -> None:
    """On a copy of the project (a file edited in the checkout meanwhile cannot interfere)."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy2(PROJECT_DIR / name, project / name)
    for folder in ("models", "python_models", "macros", "seeds", "tests/data_tests"):
        shutil.copytree(PROJECT_DIR / folder, project / folder)
    home = Home(tmp_path / "a").ensure()
    first = Dbt(home, project_dir=project).manifest()
    other = Home(tmp_path / "b").ensure()
    assert Dbt(other, project_dir=project).manifest() is first
    assert (other.dbt_target / "manifest.json").exists()
    (project / "models" / "added.sql").write_text("select 1 as a\n")
    edited = Dbt(home, project_dir=project).manifest()  # home a: a partial parse
    assert edited is not first and "model.propcast.added" in edited.nodes


def test_a_new_process_loads_the_parse_from_the_disk_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process (no dbt command run in it yet) takes the pickled parse: the same nodes,
    models compile with it (refs, sources), its home's manifest.json is written, and no dbt
    parse ran there (one writes partial_parse.msgpack)."""
    monkeypatch.setenv(manifest_cache.CACHE_ENV, str(tmp_path / "cache"))
    parsed = Dbt(Home(tmp_path / "a").ensure()).manifest()  # parsed, or this process's
    key = manifest_cache.manifest_key(
        dbt_runner._parsed_files(PROJECT_DIR), str(PROJECT_DIR.resolve()), "duckdb", "{}"
    )
    manifest_cache.store(key, parsed)
    other = Home(tmp_path / "b").ensure()
    script = (
        "import sys; from pathlib import Path; from propcast.dbt_runner import Dbt; "
        "from propcast.settings import Home; dbt = Dbt(Home(Path(sys.argv[1]))); "
        "compiled = dbt.invoke(['compile', '--select', 'stg_propcast_raw__run_registry', "
        "'int_prop_odds_unioned', 'fct_prop_line_features']); "
        "print(compiled.success, compiled.error, len(dbt.manifest().nodes))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(other.root)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # Compiled with the loaded manifest: refs and sources resolve through its lookups.
    assert done.stdout.split()[-3:] == ["True", "None", str(len(parsed.nodes))], done.stdout
    assert (other.dbt_target / "manifest.json").exists()
    assert not (other.dbt_target / "partial_parse.msgpack").exists()


@dataclass
class Tiny:
    """A manifest's shape: public fields, and private lookups rebuilt on first use."""

    nodes: int
    _lookup: str | None = None


def test_a_torn_cache_file_is_dropped_and_off_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(manifest_cache.CACHE_ENV, str(tmp_path))
    (tmp_path / "k.pickle").write_bytes(b"\x80\x05torn")
    assert manifest_cache.load("k") is None and not (tmp_path / "k.pickle").exists()
    manifest_cache.store("k", Tiny(nodes=1, _lookup="dropped"))
    assert manifest_cache.load("k") == Tiny(nodes=1)  # private lookups are rebuilt on use
    monkeypatch.setenv(manifest_cache.CACHE_ENV, "off")
    assert manifest_cache.cache_dir() is None and manifest_cache.load("k") is None
    manifest_cache.store("j", Tiny(nodes=2))
    assert not (tmp_path / "j.pickle").exists()


def test_the_disk_key_changes_with_a_file_byte_and_keeps_the_newest(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = dbt_runner._parsed_files(project)
    before = manifest_cache.manifest_key(files, str(project), "duckdb", "{}")
    assert manifest_cache.manifest_key(files, str(project), "bigquery", "{}") != before
    (project / "models" / "m.sql").write_text("select 2 as a\n")  # same size, other bytes
    assert manifest_cache.manifest_key(files, str(project), "duckdb", "{}") != before
    monkeypatch.setenv(manifest_cache.CACHE_ENV, str(tmp_path / "cache"))
    for k in range(manifest_cache.KEPT + 3):
        manifest_cache.store(f"k{k}", Tiny(nodes=k))
        os.utime(tmp_path / "cache" / f"k{k}.pickle", ns=(k * 10**9, k * 10**9))
    kept = sorted(p.stem for p in (tmp_path / "cache").glob("*.pickle"))
    assert len(kept) == manifest_cache.KEPT and "k0" not in kept
