"""The runbook CLI's own documentation: every command's --help describes each option and states
its exit codes, the layout keeps command modules and functions small, and the runbook pages
(one per DESIGN §7 incident) and the README's cron line name commands that exist."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import pytest
import typer
from propcast.cli.main import app
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "cli"
RUNBOOKS = ROOT / "docs" / "runbooks"
# Every command of the CLI.
RUNBOOK_COMMANDS = (
    "ingest", "build", "train", "demo", "run-day", "backfill", "freshness", "docs", "status",
    "recover", "health", "verify", "positive-control", "validate-golden", "report", "export",
    "model list", "model pin", "model unpin", "model rollback", "backtest", "evaluate",
    "import totals", "import props",
)  # fmt: skip
INCIDENTS = 12  # DESIGN §7


def _commands() -> dict[str, object]:
    root = typer.main.get_command(app)
    found: dict[str, object] = {}

    def walk(command, path: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            if hasattr(sub, "commands"):
                walk(sub, [*path, name])
            else:
                found[" ".join([*path, name])] = sub

    walk(root, [])
    return found


COMMANDS = _commands()


@pytest.mark.parametrize("name", RUNBOOK_COMMANDS)
def test_help_describes_every_option_and_states_the_exit_codes(name: str) -> None:
    command = COMMANDS[name]
    undocumented = [
        p.name for p in command.params if p.param_type_name == "option" and not p.help
    ]  # fmt: skip
    assert undocumented == [], f"{name}: options without help: {undocumented}"
    text = " ".join((command.help or "").split())
    assert re.search(r"\bExit 0\b", text), f"{name}: --help states no exit codes"
    assert "1 " in text.split("Exit 0", 1)[1], f"{name}: --help does not say when it exits 1"
    assert "2 usage error" in text, f"{name}: --help does not state exit 2 (usage)"
    result = CliRunner().invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.replace("│", " ").split())  # rich's box and wrapping
    assert "--json" in shown and "Exit 0" in shown, shown


def test_every_command_states_exit_3_when_it_can_degrade() -> None:
    """The commands whose runs can complete degraded say so in their help."""
    for name in ("ingest", "build", "demo", "run-day", "backfill", "freshness", "status",
                 "recover", "report", "export"):  # fmt: skip
        assert re.search(r"\b3\b", COMMANDS[name].help or ""), name


def _function_lengths(path: Path) -> dict[str, int]:
    tree = ast.parse(path.read_text())
    return {
        node.name: node.end_lineno - node.lineno + 1
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
    }


def test_cli_layout_main_assembles_and_modules_stay_small() -> None:
    main = (CLI / "main.py").read_text()
    assert "@app.command" not in main and len(main.splitlines()) < 60
    for module in sorted(CLI.glob("*.py")):
        lines = len(module.read_text().splitlines())
        assert lines <= 450, f"{module.name}: {lines} lines"
        long = {n: k for n, k in _function_lengths(module).items() if k > 75}
        assert long == {}, f"{module.name}: functions over 75 lines: {long}"


def _runbook_pages() -> list[Path]:
    return sorted(RUNBOOKS.glob("[0-9][0-9]-*.md"))


def test_one_runbook_page_per_incident_with_symptom_and_commands() -> None:
    pages = _runbook_pages()
    assert [int(p.name[:2]) for p in pages] == list(range(1, INCIDENTS + 1))
    index = (RUNBOOKS / "README.md").read_text()
    for page in pages:
        text = page.read_text()
        assert page.name in index, f"{page.name} is not in the runbook index"
        for part in ("**Symptom.**", "**See it.**", "**Recover.**"):
            assert part in text, f"{page.name}: no {part}"
        see, recover = text.split("**See it.**", 1)[1].split("**Recover.**", 1)
        assert "propcast " in see, f"{page.name}: no command shows the incident"
        assert "propcast " in recover or "nothing to recover" in recover, page.name


def _named_commands(text: str) -> set[str]:
    """`propcast <command> [<subcommand>]` as named in prose and code blocks."""
    named = set()
    for match in re.finditer(r"propcast ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?(?![@.\w])", text):
        first, second = match.groups()
        named.add(f"{first} {second}" if first in ("model", "import") and second else first)
    return named


def test_runbooks_and_readme_name_only_real_commands() -> None:
    known = set(COMMANDS) | {n.split()[0] for n in COMMANDS}
    texts = {p.name: p.read_text() for p in [*_runbook_pages(), RUNBOOKS / "README.md"]}
    for name, text in texts.items():
        unknown = {c for c in _named_commands(text) if c not in known and not c.startswith("-")}
        unknown -= {"is", "package", "the", "and", "home", "cli"}  # prose, not commands
        assert unknown == set(), f"{name} names commands that do not exist: {unknown}"


def test_readme_has_a_cron_line_for_the_morning_run() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```cron\n(.*?)```", readme, re.S)
    assert block, "README has no cron example"
    line = block.group(1).strip().splitlines()[0]
    fields = line.split(None, 5)
    assert len(fields) == 6 and all(re.fullmatch(r"[\d*/,-]+", f) for f in fields[:5]), line
    words = shlex.split(fields[5].replace("&&", " && "))
    run = words[words.index(next(w for w in words if w.endswith("bin/propcast"))) + 1]
    assert run == "run-day", line
    assert "PROPCAST_ALERT_CMD=" in line
