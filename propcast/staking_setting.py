"""The PROPCAST_STAKING setting, apart from propcast.staking (numpy, scipy) so that checking
settings and starting dbt import nothing heavy."""

from __future__ import annotations

import os

from propcast.settings import SettingsError

STAKING_ENV = "PROPCAST_STAKING"
#: The policies fct_bet_stakes can choose (dbt var staking).
STAKINGS = ("kelly", "joint-kelly")


def staking_setting() -> str | None:
    """PROPCAST_STAKING (kelly or joint-kelly; it wins over dbt var staking: dbt_runner passes
    it as the var), None when unset; SettingsError for any other value."""
    raw = os.environ.get(STAKING_ENV, "").strip()
    if not raw:
        return None
    if raw not in STAKINGS:
        raise SettingsError(
            f"{STAKING_ENV}={raw!r} must be kelly (independent fractional Kelly) or joint-kelly "
            '(the slate\'s stakes maximised jointly, README "Staking and simulation"); unset it '
            "for dbt var staking (default kelly)"
        )
    return raw
