"""``planner simulate``: a year of 巡回連絡 played duty day by duty day, door by door.

One task per beat (:mod:`planner.app.beats`), each with its own seed (:func:`beat_seed`);
the beats' results are merged per station and written as summary.json and months.csv.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import networkx as nx
import numpy as np

from planner.app.beats import (
    OpenStation,
    RunSummary,
    beat_inputs,
    drive,
    failed_lines,
    station_dirs,
    wanted_beats,
)
from planner.app.common import Db, Line, say
from planner.executor import LOCAL, ExecutorSpec, Task, TaskResult
from planner.files import atomic_path
from planner.model import Station
from planner.policy import Policy
from planner.simulator import MonthStats, SimParams, SimResult, simulate_year


def beat_seed(seed: int, station: str, beat_id: str) -> int:
    """The seed of one beat's simulation: from the run's seed and the beat (stable anywhere)."""
    mix = np.random.SeedSequence([seed, zlib.crc32(f"{station}/{beat_id}".encode())])
    return int(mix.generate_state(1, dtype=np.uint32)[0])


def _simulate_beat(
    beat: Station, policy: Policy, year: int, graph: nx.MultiDiGraph | None, params: SimParams
) -> SimResult:
    """The task of one beat: its simulated year (:class:`planner.simulator.SimResult`)."""
    result = simulate_year(beat, policy, year, graph=graph, params=params)
    result.log = []  # every door of the year: not needed by the merged summary
    result.curve = []
    return result


def merge_sim_results(parts: Sequence[SimResult]) -> SimResult:
    """A station's simulated year from its beats' (:class:`planner.simulator.SimResult`).

    Minutes, metres and counts add up month by month; the year's 実施率 is met over due again.
    A month's cumulative 実施率 per tier is the beats' weighted by their due targets at the
    year's end (exact unless households join the due set during the year).
    """
    first = parts[0]
    tiers = first.tiers
    months = []
    numeric = [f for f in MonthStats.__dataclass_fields__ if f not in ("month", "rate")]
    for m in range(len(first.months)):
        stats = MonthStats(first.months[m].month)
        for name in numeric:
            setattr(stats, name, sum(getattr(p.months[m], name) for p in parts))
        stats.rate = {
            t: (
                sum(p.months[m].rate.get(t, 1.0) * p.due.get(t, 0) for p in parts)
                / sum(p.due.get(t, 0) for p in parts)
            )
            if sum(p.due.get(t, 0) for p in parts)
            else 1.0
            for t in tiers
        }
        months.append(stats)
    return SimResult(
        first.strategy,
        tiers,
        months,
        due={t: sum(p.due.get(t, 0) for p in parts) for t in tiers},
        met={t: sum(p.met.get(t, 0) for p in parts) for t in tiers},
        explained={t: sum(p.explained.get(t, 0) for p in parts) for t in tiers},
        overdue_left=sum(p.overdue_left for p in parts),
        never_met_left=sum(p.never_met_left for p in parts),
    )


@dataclass(frozen=True, slots=True)
class StationSimulation:
    """One station's merged simulated year as written (handed to ``on_station``)."""

    db: Db
    out: Path
    station: Station
    policy: Policy
    result: SimResult | None
    failed: list[TaskResult]
    written: list[Path] = field(default_factory=list)
    notes: list[Line] = field(default_factory=list)

    def lines(self) -> list[Line]:
        """The months' table, the year in one line, what was written; failed beats."""
        out = list(self.notes)
        out += failed_lines(self.failed)
        if self.result is None:
            return out
        summary = self.result.summary()
        brief = (
            "month",
            "walk_hours",
            "wait_hours",
            "interview_hours",
            "km",
            "doors",
            "first_interviews",
            "absent",
        )
        out.append(say("  ".join(brief)))
        out += [
            say("  ".join(f"{m[c]:>{len(c)}}" for c in brief)) for m in self.result.month_rows()
        ]
        rates = ", ".join(
            f"{self.policy.tier(t).label} {100 * r:.0f}%" for t, r in summary["rate"].items()
        )
        out.append(
            say(
                f"{self.result.strategy}: {summary['officer_hours']} officer hours, "
                f"{summary['first_interviews']} first interviews "
                f"({summary['hours_per_interview']} h each), {summary['km']} km; {rates}; "
                f"{summary['overdue_left']} overdue and {summary['never_met_left']} never met left"
            )
        )
        out.append(say("wrote " + ", ".join(str(p) for p in self.written)))
        return out


def simulate_stations(
    dbs: Sequence[Db],
    out_dir: Path,
    *,
    year: int,
    params: SimParams,
    spec: ExecutorSpec = LOCAL,
    policy_name: str | None = None,
    progress: bool = True,
    on_station: Callable[[StationSimulation], None] | None = None,
) -> RunSummary:
    """Simulate the year of every beat of the station files, one task per beat, each beat with
    its own seed (:func:`beat_seed` of ``params.seed``), and hand each station's merged result
    to ``on_station`` once written (:func:`write_simulation`).  Layout, failures and errors as
    for :func:`planner.app.plan.plan_stations`.

    A beat's doors then draw from the beat's own stream, so figures differ from a whole-station
    :func:`planner.simulator.simulate_year` with the same seed (one stream for all beats), but
    not between executors.
    """
    dbs = list(dbs)
    dirs = station_dirs(dbs, out_dir)
    wanted = wanted_beats(dbs, ())
    total = sum(len(ids) for ids in wanted)
    opened: dict[int, OpenStation] = {}

    def tasks() -> Iterator[Task]:
        for k, label, station, policy, one, streets in beat_inputs(
            dbs, wanted, policy_name, dirs, opened
        ):
            b = one.beats[0].beat_id
            p = replace(params, seed=beat_seed(params.seed, station.name, b))
            yield Task(
                f"{label}/{b}", _simulate_beat, (one, policy, year, streets, p), key=(k, label, b)
            )

    def write(st: OpenStation) -> None:
        parts = [r.value for r in st.results if r.ok]
        merged = merge_sim_results(parts) if parts else None
        written = write_simulation(st.out, merged) if merged is not None else []
        failed = [r for r in st.results if not r.ok]
        if on_station is not None:
            on_station(
                StationSimulation(
                    st.db, st.out, st.station, st.policy, merged, failed, written, st.notes
                )
            )

    return drive(tasks(), total, spec, progress, opened, out_dir, write)


def write_simulation(out_dir: Path, result: SimResult) -> list[Path]:
    """summary.json and months.csv of one station's simulated year."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "summary.json", private=False) as tmp:
        tmp.write_text(json.dumps(result.summary(), ensure_ascii=False, indent=2), encoding="utf-8")
    months = result.month_rows()
    columns = list(months[0]) if months else []
    rows = [",".join(columns)] + [",".join(str(m[c]) for c in columns) for m in months]
    with atomic_path(out_dir / "months.csv", private=False) as tmp:
        tmp.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return [out_dir / "summary.json", out_dir / "months.csv"]
