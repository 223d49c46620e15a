"""The world's truth files, written beside the feeds as days stream in and read by no model:
the exact P(over) of every offered prop line (`prop_truth.csv`) and game total
(`game_total_truth.csv`)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

import numpy as np

from propcast.world import distributions as dist
from propcast.world.leagues import LeagueSpec
from propcast.world.roster import Roster
from propcast.world.season import Day

TRUTH_HEADER = [
    "game_id", "event_id", "game_date", "player_id", "market", "line", "true_mean", "true_p_over",
    "true_expected_minutes", "true_form",
]  # fmt: skip
TOTAL_TRUTH_HEADER = [
    "game_id", "event_id", "game_date", "league", "line", "true_mean", "true_p_over",
]  # fmt: skip


class TruthFiles:
    """The two truth CSVs of one world, open while its days are written; counts their rows."""

    def __init__(self, truth_dir: Path, spec: LeagueSpec, roster: Roster) -> None:
        self.spec, self.roster = spec, roster
        self.rows = 0
        self.total_rows = 0
        self._props: IO[str] = open(  # noqa: SIM115 - stays open while days stream in
            truth_dir / "prop_truth.csv", "w", newline="", encoding="utf-8"
        )
        self._props_csv = csv.writer(self._props, lineterminator="\n")
        self._props_csv.writerow(TRUTH_HEADER)
        self._totals: IO[str] = open(  # noqa: SIM115 - as _props
            truth_dir / "game_total_truth.csv", "w", newline="", encoding="utf-8"
        )
        self._totals_csv = csv.writer(self._totals, lineterminator="\n")
        self._totals_csv.writerow(TOTAL_TRUTH_HEADER)

    def close(self) -> None:
        self._props.close()
        self._totals.close()

    def write_day(self, day: Day) -> None:
        self._write_props(day)
        self._write_totals(day)

    def _write_props(self, day: Day) -> None:
        """One row per distinct offered line: its true mean and P(over), and the hidden state
        behind the mean (expected minutes, form)."""
        q = day.quotes
        if len(q) == 0:
            return
        # One row per distinct offered line, whichever books and snapshots offered it.
        # One integer key per (row, stat, line) sorts like the tuple (lines stay under 5000).
        n_stats = len(self.spec.stats)
        half_points = np.round(q.line * 2).astype(np.int64)
        keys = np.unique((q.row * n_stats + q.stat) * 10_000 + half_points)
        rows, stats = np.divmod(keys // 10_000, n_stats)
        lines = (keys % 10_000) / 2.0
        means = day.true_mean[rows, stats]
        minutes, form = day.expected_minutes[rows], day.form[rows, stats]
        p_over = np.empty(len(rows))
        for s, stat in enumerate(self.spec.stats):
            sel = stats == s
            p_over[sel] = dist.p_over(stat, means[sel], lines[sel])
        games = day.row_game[rows].tolist()
        players = day.row_player[rows].tolist()
        game_date = day.day.isoformat()
        records = []
        for i in range(len(rows)):
            match = day.games[games[i]]
            records.append((
                match.game_id, match.event_id, game_date, self.roster.player_ids[players[i]],
                self.spec.stats[stats[i]].market, f"{lines[i]:.1f}", f"{means[i]:.4f}",
                f"{p_over[i]:.6f}", f"{minutes[i]:.3f}", f"{form[i]:.5f}",
            ))  # fmt: skip
        self._props_csv.writerows(records)
        self.rows += len(records)

    def _write_totals(self, day: Day) -> None:
        """One row per distinct offered (game, total line), whichever books and snapshots
        offered it: P(combined score > line) (world/totals.py)."""
        t = day.totals.quotes
        if len(t) == 0:
            return
        keys = np.unique(t.game * 100_000 + np.round(t.line * 2).astype(np.int64))
        game_date = day.day.isoformat()
        records = []
        for key in keys.tolist():
            g, line = key // 100_000, (key % 100_000) / 2.0
            match = day.games[g]
            records.append((
                match.game_id, match.event_id, game_date, self.spec.name, f"{line:.1f}",
                f"{day.totals.true_mean[g]:.4f}", f"{day.totals.p_over(g, line):.6f}",
            ))  # fmt: skip
        self._totals_csv.writerows(records)
        self.total_rows += len(records)
