"""`propcast`: the morning job and its runbooks as commands; the logic lives in the package.

This module only assembles the app: each command group lives in its own module and registers
its commands on `propcast.cli.app.app` when imported.
"""

from __future__ import annotations

from propcast.cli import (  # noqa: F401  (registers the commands)
    backfill,
    backtest,
    bets,
    checks,
    daily,
    demo,
    evaluate,
    imports,
    inspect,
    model,
    recover,
    report,
    simulate,
)
from propcast.cli.app import app

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover - console-script entry for `python -m`
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
