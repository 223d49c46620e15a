"""How sharp is the demo world's market? The de-vigged close's log loss over the truth's.

    .venv/bin/python bench/market_strength.py                  # 60 days, every setting
    .venv/bin/python bench/market_strength.py --days 30 --settings realistic
    .venv/bin/python bench/market_strength.py --league NHL          # the NHL world (nhl.py)

For each market strength (`propcast.world.market.MARKET_STRENGTHS`) it generates a world
(seed `--seed`, every book published through oddsapi) and reads it back from its own files
(`propcast.world.closing`): each book's last quote of a player's market before the game,
de-vigged, averaged over the books on the same line, against the truth's P(over) of that line
(`truth/prop_truth.csv`) and the boxscore outcome; the game totals likewise, as one family
`game_total` (`total_closing_lines`: the line most books close on). No dbt, no model.

Per setting and market family: `ratio` = the close's log loss / the truth's over the realised
outcomes, and `expected_ratio` = the same with each outcome replaced by its truth probability
(no outcome noise). "realistic", the default, is pinned so both sit in [1.03, 1.05] in every
family (tests/unit/world/test_market.py holds the expected one). The last line is one JSON
object: {setting: {family: {market_logloss, truth_logloss, ratio, expected_ratio, n}}}.

`--decompose` (one setting, e.g. `--settings realistic --decompose`): the close's excess log
loss (expected_ratio - 1) split by the error model's terms (`propcast.world.market`'s module
doc). The same world is generated once per variant with terms of `ErrorModel` switched off
(`generate(errors=...)`). The games, boxscores and truth do not depend
on the error model, and the market's random stream is the same, so each variant's close is
exactly the full close minus the switched-off terms. Variants: `full`; `no_shade`
(over_shade 0); `no_form_lag` (form_lag_days 0); `no_minutes_lag` (minutes_lag_weight 0);
`no_learnable` (all three: only the shared and per-book noise is left, i.e. the close a model
that learned shade and lags perfectly would see); `no_shade_minutes_lag` (shade and minutes lag
off: the form lag, the change of a latent form over the last `form_lag_days`, seen by the
warehouse only through one or two noisy games, is left with the noise); `no_noise`
(market_sd, book_sd 0: only the learnable terms); `none` (every term off: the floor of price
rounding to 5 and the de-vig). Per family the decomposition also gives `learnt_close_*`: the
`no_shade_minutes_lag` close over the full close and over the truth, where a model would land
that learnt the shade and the minutes lag perfectly and knew nothing else (`learnt_close`).
The last line is {variants: {variant: {family: {...}}}, decomposition: {family: {...}}}.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd

from propcast.world import generate
from propcast.world.closing import close_over_truth, closing_lines, total_closing_lines
from propcast.world.leagues import NBA
from propcast.world.market import MARKET_STRENGTHS, ErrorModel
from propcast.world.nhl import NHL

BAND = (1.03, 1.05)
_ZERO_SDS = {"market_sd": (0.0, 0.0, 0.0), "book_sd": (0.0, 0.0, 0.0)}
_LEARNABLE_OFF = {"over_shade": 0.0, "form_lag_days": 0, "minutes_lag_weight": 0.0}
#: `--decompose`: variant -> the ErrorModel fields it switches off.
VARIANTS: dict[str, dict] = {
    "full": {},
    "no_shade": {"over_shade": 0.0},
    "no_form_lag": {"form_lag_days": 0},
    "no_minutes_lag": {"minutes_lag_weight": 0.0},
    "no_learnable": _LEARNABLE_OFF,
    "no_shade_minutes_lag": {"over_shade": 0.0, "minutes_lag_weight": 0.0},
    "no_noise": _ZERO_SDS,
    "none": {**_LEARNABLE_OFF, **_ZERO_SDS},
}
#: `learnt_close`'s variant: every term a model can learn switched off.
LEARNED_OFF = "no_shade_minutes_lag"


def measure(
    strength: str, days: int, seed: int, work: Path, league: str = "NBA", errors: dict | None = None
) -> dict:
    """The close against the truth in one generated world; `errors`: ErrorModel fields to
    override."""
    world = work / strength
    spec = {"NBA": NBA, "NHL": NHL}[league]
    preset = dataclasses.replace(ErrorModel(), **(errors or {}))
    generate(world, seed=seed, start=date(2026, 10, 21), days=days, market_strength=strength,
             league=spec, vendors=("oddsapi",), errors=preset)  # fmt: skip
    return close_over_truth(pd.concat([closing_lines(world), total_closing_lines(world)]))


def decompose(variants: dict[str, dict]) -> dict:
    """Per family: the close's expected excess (expected_ratio - 1) in each variant, each
    term's share of the full excess (full minus the variant without it, over the full), and
    `learnt_close`."""
    out = {}
    for family in variants["full"]:
        excess = {name: v[family]["expected_ratio"] - 1.0 for name, v in variants.items()}
        total = excess["full"]
        row = {f"excess_{name}": round(e, 4) for name, e in excess.items()}
        for name in VARIANTS:
            if name in ("full", "none"):
                continue
            row[f"share_{name[3:]}"] = round((total - excess[name]) / total, 3) if total else None
        out[family] = {**row, **learnt_close(variants, family)}
    return out


def learnt_close(variants: dict[str, dict], family: str) -> dict[str, float]:
    """The close with every term a warehouse can learn taken out (`LEARNED_OFF`: the shade
    and the minutes lag), over the close and over the truth, on the realised outcomes and in
    expected log loss: where a model lands that learnt those terms perfectly and added no
    knowledge of its own. Not a bound: a model's own estimate of the mean is a second opinion
    the close lacks. The form lag stays in: the books' form of `form_lag_days` ago differs
    from tonight's by the latent form's innovations since, which nothing published predicts."""
    full, learnt = variants["full"][family], variants[LEARNED_OFF][family]
    return {
        "learnt_close_over_close": round(learnt["ratio"] / full["ratio"], 4),
        "learnt_close_over_truth": learnt["ratio"],
        "learnt_close_expected_over_close": round(
            learnt["expected_ratio"] / full["expected_ratio"], 4
        ),
        "learnt_close_expected_over_truth": learnt["expected_ratio"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=60, help="days of world (default 60)")
    parser.add_argument("--seed", type=int, default=7, help="the world's seed (default 7)")
    parser.add_argument(
        "--settings",
        default=",".join(MARKET_STRENGTHS),
        help="market strengths to measure, comma-separated (default: all)",
    )
    parser.add_argument(
        "--league", choices=("NBA", "NHL"), default="NBA", help="the world's league (default NBA)"
    )
    parser.add_argument(
        "--decompose",
        action="store_true",
        help="split one setting's excess log loss by the error model's terms",
    )
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="propcast-market-"))
    out = {}
    if args.decompose:
        return run_decompose(args, work)
    try:
        for strength in args.settings.split(","):
            started = time.perf_counter()
            out[strength] = measure(strength, args.days, args.seed, work, args.league)
            print(f"market_strength={strength} ({time.perf_counter() - started:.0f}s)")
            for family, r in out[strength].items():
                inside = BAND[0] <= r["ratio"] <= BAND[1]
                print(f"  {family:18} close/truth {r['ratio']:.4f} (expected "
                      f"{r['expected_ratio']:.4f}) n={r['n']:,}"
                      + ("" if strength != "realistic" else
                         ("  in band" if inside else f"  OUTSIDE {BAND}")))  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out))
    return 0


def run_decompose(args: argparse.Namespace, work: Path) -> int:
    (strength,) = args.settings.split(",")
    out = {}
    try:
        for name, errors in VARIANTS.items():
            started = time.perf_counter()
            out[name] = measure(strength, args.days, args.seed, work, args.league, errors)
            print(f"{strength} {name} ({time.perf_counter() - started:.0f}s)", flush=True)
            for family, r in out[name].items():
                print(f"  {family:18} close/truth {r['ratio']:.4f} (expected "
                      f"{r['expected_ratio']:.4f}) n={r['n']:,}")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = decompose(out)
    for family, row in table.items():
        print(f"{family:18} " + " ".join(f"{k}={v}" for k, v in row.items()))
    print(json.dumps({"variants": out, "decomposition": table}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
