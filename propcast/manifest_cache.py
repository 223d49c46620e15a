"""Parsed dbt manifests kept on disk, so a new process or a new home does not parse again.

Every `propcast` command is its own process, and dbt's partial parsing is tied to one
warehouse path (the profile's connection keys, the path among them, are part of the state it
checks): a command in a home that has not parsed yet, a restored or copied home, or each CLI
process of the test suite, parses the whole project again (~8 s on 2 cores). A parsed manifest
does not depend on the home (the warehouse file is always `warehouse.duckdb`, so every node's
database is the same), and its public fields pickle (`_state`): the manifest is stored under
a key of everything a parse reads (every project file's bytes, the target, the vars, the
project folder, and the dbt, adapter and Python versions), and loading it takes ~0.05 s.

Where: `PROPCAST_DBT_MANIFEST_CACHE` (a folder; `off` disables it), else
`$XDG_CACHE_HOME/propcast/dbt-manifests` (`~/.cache/...`). The newest `KEPT` files are kept.
A file that does not load (a torn write, another dbt version) is removed and the project is
parsed. The environment variables the project read while parsing are checked by the caller
(`propcast.dbt_runner`), as for a manifest parsed in this process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

CACHE_ENV = "PROPCAST_DBT_MANIFEST_CACHE"
KEPT = 16  # ~3 MB each: the project under a few sets of vars and targets


def cache_dir() -> Path | None:
    """The cache folder, or None when `PROPCAST_DBT_MANIFEST_CACHE=off`."""
    raw = os.environ.get(CACHE_ENV, "").strip()
    if raw.lower() == "off":
        return None
    if raw:
        return Path(raw).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
    return Path(base) / "propcast" / "dbt-manifests"


def manifest_key(files: Iterable[Path], *parts: str) -> str:
    """A digest of the files' names and bytes, `parts` (project folder, target, vars) and the
    versions a pickled manifest depends on."""
    digest = hashlib.sha256()
    versions = [metadata.version(p) for p in ("dbt-core", "dbt-duckdb")]
    for text in (*parts, *versions, sys.version):
        digest.update(text.encode() + b"\0")
    for path in files:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def load(key: str) -> Any | None:
    """The manifest stored under `key`, or None."""
    folder = cache_dir()
    path = folder / f"{key}.pickle" if folder else None
    if path is None or not path.is_file():
        return None
    try:
        kind, fields = pickle.loads(path.read_bytes())
        manifest = kind(**fields)
    except Exception:  # a torn or foreign file: parse instead, and drop it
        path.unlink(missing_ok=True)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # the newest used are the ones kept
    return manifest


def store(key: str, manifest: Any) -> None:
    """Write the manifest under `key` (atomically: a reader sees the whole file or none) and
    drop all but the newest `KEPT` files. A cache that cannot be written is skipped."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as handle:
            handle.write(pickle.dumps(_state(manifest), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(handle.name, folder / f"{key}.pickle")
        stored = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in stored[KEPT:]:
            old.unlink(missing_ok=True)
    except OSError:
        return


def _state(manifest: Any) -> tuple[type, dict[str, Any]]:
    """The manifest's class and its public fields. Not `Manifest.__reduce_ex__`: in dbt-core
    1.11 it passes its fields by position and leaves out `fixtures` and two lookups, so every
    later field lands one or more places off (a loaded manifest failed to compile a ref with
    "RefableLookup.find() missing 1 required positional argument"). The private lookups and
    caches are rebuilt on first use."""
    names = [f.name for f in dataclasses.fields(manifest) if not f.name.startswith("_")]
    return type(manifest), {name: getattr(manifest, name) for name in names}
