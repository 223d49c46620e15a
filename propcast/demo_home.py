"""Which world a demo home holds, so a demo never mixes two worlds in one warehouse.

A demo season ends on the latest priced slate, so tomorrow's `make demo` generates another
world (the season moved a day) into the same home; loaded beside yesterday's, the two seasons'
games, players and lines would collide. The demo records the world it generates in
`world/demo.json`; a later demo of another world starts the home over (its warehouse, inbox
and run files: nothing in them is anyone's but the demo's), and one of the same world keeps
them (a rerun loads nothing twice). A home with a warehouse no demo made is refused: it may
hold a team's real history.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from typing import Any

from propcast.settings import Home

MARKER = "demo.json"


class NotADemoHome(RuntimeError):
    """PROPCAST_HOME holds a warehouse or inbox no demo made."""


def recorded_world(home: Home) -> dict[str, Any] | None:
    """The world the home's last demo generated (None: no demo recorded one)."""
    path = home.world / MARKER
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def start_over_if_another_world(
    home: Home, world: dict[str, Any], say: Callable[[str], None]
) -> bool:
    """Make `home` ready for a demo of `world` (its JSON-able parameters); True when it was
    started over. Raises NotADemoHome for a home with data and no demo's world in it."""
    has_data = home.warehouse.exists() or any(p.is_file() for p in home.inbox.rglob("*"))
    before = recorded_world(home)
    if before == world or not has_data:
        return False
    if before is None and not (home.world / "truth" / "world.json").exists():
        raise NotADemoHome(
            f"PROPCAST_HOME={home.root} holds a warehouse or inbox that no demo made; the demo "
            "would load its own world into it"
        )
    described = "an earlier release's demo world" if before is None else describe(before)
    say(
        f"      this home holds {described}, not this one ({describe(world)}): starting it "
        "over (its warehouse, inbox and runs are removed)"
    )
    for path in (home.warehouse, home.warehouse.with_name(home.warehouse.name + ".wal")):
        path.unlink(missing_ok=True)
    for folder in (home.inbox, home.runs):
        shutil.rmtree(folder, ignore_errors=True)
    home.ensure()
    return True


def record_world(home: Home, world: dict[str, Any]) -> None:
    home.world.mkdir(parents=True, exist_ok=True)
    (home.world / MARKER).write_text(json.dumps(world, sort_keys=True) + "\n", encoding="utf-8")


def describe(world: dict[str, Any]) -> str:
    return (
        f"{world.get('leagues')} {world.get('start')} → {world.get('end')}, seed "
        f"{world.get('seed')}, {world.get('market_strength')}"
    )
