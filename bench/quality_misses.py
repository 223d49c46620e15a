"""bench/quality.py's account of every missed target: by how much, and the measurement that
says why (issue 10: "a family that misses says by how much and why").

Per family and target of `TARGETS` the run missed: the value, the target and the gap, and the
reasons this run measured, never a fixed text:

- ECE: the truth's own ECE on the same rows (`truth_ece`), the floor sampling noise puts
  under any predictor of those rows.
- A prop family's log-loss ratio, with `--bound`: where quality_bound.py's reference lands on
  the same ratio. If the reference, told each player's exact rate, minutes and context, misses
  too, the target is beyond the world's public information. If its public-minutes reading
  misses, the target needs tonight's minutes better than public data gives. Otherwise the
  model trails the public-minutes reading by the gap, the price of estimating what the
  reference is told.
- A totals family's log-loss ratio: the error sd of the model's forecast total and of the
  close's implied mean against the game's true mean; with `--bound`, where the close lands with
  the books' learnable errors taken out exactly (quality_totals.learnt_close), judged in
  expected log loss: on ~1,200 games the realised outcomes move a ratio by ~0.01.
"""

from __future__ import annotations

import json

#: Issue 10's targets: each value must be at most its target.
TARGETS = {"model_over_market": 0.98, "model_over_truth": 1.015, "ece": 0.01}
#: The prop reference's key suffix of each log-loss target, and the totals' learnt close's.
_RATIO = {"model_over_market": "over_market", "model_over_truth": "over_truth"}
_LEARNT = {"model_over_market": "over_close", "model_over_truth": "over_truth"}


def explain_misses(results: dict, diagnostics: dict, references: dict) -> dict:
    """{family: {target: {value, target, by, why}}} for every target a family missed.

    `results`: the bench's per-family rows; `diagnostics`: per family `truth_ece` (totals
    also `model_expected_over_*`, `model_mean_error_sd`, `close_mean_error_sd`:
    quality_totals.evaluate_totals); `references`: per family the
    reference's row (quality_bound.reference_results, or quality_totals.learnt_close for
    totals), absent without `--bound`."""
    out: dict = {}
    for family, row in results.items():
        missed = {}
        for target, bound in TARGETS.items():
            value = row[target]
            if value <= bound:
                continue
            facts = diagnostics.get(family, {})
            if target == "ece":
                why = _ece_reason(value, bound, facts.get("truth_ece"))
            elif family.startswith("game_total"):
                why = _totals_reason(target, bound, facts, references.get(family))
            else:
                why = _prop_reason(target, value, bound, references.get(family))
            missed[target] = {"value": value, "target": bound, "by": round(value - bound, 4),
                              "why": why}  # fmt: skip
        if missed:
            out[family] = missed
    return out


def _ece_reason(value: float, bound: float, floor: float | None) -> str:
    if floor is None:
        return "the truth's own ECE was not measured"
    if floor > bound:
        return (f"the truth's own ECE on these rows is {floor:.4f}: sampling noise alone puts "
                "the target out of reach")  # fmt: skip
    return (f"the truth's own ECE on these rows is {floor:.4f}: the model's calibration is "
            f"off by up to {value - floor:.4f} beyond sampling noise")  # fmt: skip


def _prop_reason(target: str, value: float, bound: float, reference: dict | None) -> str:
    if reference is None:
        return "no reference measured (run with --bound)"
    exact = reference[f"reference_{_RATIO[target]}"]
    public = reference[f"public_minutes_{_RATIO[target]}"]
    if exact > bound:
        return (f"beyond the world's public information: the reference told each player's "
                f"exact rate, minutes and context reaches {exact:.4f}")  # fmt: skip
    if public > bound:
        return (f"needs tonight's minutes better than public data gives: the reference reaches "
                f"{exact:.4f} with the exact minutes, {public:.4f} with public ones")  # fmt: skip
    return (
        f"the model trails the reference with public minutes ({public:.4f}) by "
        f"{value - public:.4f}: estimating the rate and context the reference is told"
    )


def _totals_reason(target: str, bound: float, facts: dict, reference: dict | None) -> str:
    parts = []
    if reference is not None:
        expected = reference[f"learnt_close_expected_{_LEARNT[target]}"]
        realised = reference[f"learnt_close_{_LEARNT[target]}"]
        verdict = ("beyond what learning the books' errors gives; the rest is noise the books "
                   "share" if expected > bound else "the model has not learnt them")  # fmt: skip
        parts.append(f"the close with its learnable errors (shade, minutes lag) taken out "
                     f"exactly reaches {expected:.4f} in expected log loss ({realised:.4f} on "
                     f"these outcomes): {verdict}")  # fmt: skip
    if f"model_expected_{_RATIO[target]}" in facts:
        parts.append(f"the model reaches {facts[f'model_expected_{_RATIO[target]}']:.4f} in "
                     "expected log loss")  # fmt: skip
    if "model_mean_error_sd" in facts:
        parts.append(f"the model's forecast total misses the true mean by sd "
                     f"{facts['model_mean_error_sd']:.2f}, the close's by "
                     f"{facts['close_mean_error_sd']:.2f}")  # fmt: skip
    return "; ".join(parts) or "no reference measured (run with --bound)"


def print_misses(strength: str, misses: dict) -> None:
    """One line per missed target, then `misses <json>`."""
    for family, missed in misses.items():
        for target, m in missed.items():
            print(f"missed {strength} {family:21} {target:17} {m['value']:.4f} > "
                  f"{m['target']} by {m['by']:.4f}: {m['why']}")  # fmt: skip
    print("misses " + json.dumps({"market_strength": strength, **misses}), flush=True)
