"""``planner plan``: the year plan of every beat of one or many stations, written per station.

One path plans a station whoever calls it (the CLI, the demo, the notebooks, the benchmarks):
one task per beat (:mod:`planner.app.beats`) on the executor asked for, merged in the station's
beat order and written with :func:`planner.planfiles.write_plan_outputs`.  Plans do not depend
on the executor (CP-SAT stops on deterministic limits).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from planner.app.beats import (
    OpenStation,
    RunSummary,
    beat_inputs,
    db_stem,
    drive,
    failed_lines,
    station_dirs,
    wanted_beats,
)
from planner.app.common import Db, Line, say, warn
from planner.executor import LOCAL, SERIAL, ExecutorSpec, Task, TaskResult
from planner.model import Station
from planner.plan import YearPlan
from planner.planfiles import write_plan_outputs
from planner.policy import Policy
from planner.schedule import YearParams, front_load_rule, plan_year
from planner.summary import format_loads


def _plan_beat(
    beat: Station, policy: Policy, year: int, graph: nx.MultiDiGraph | None, params: YearParams
) -> YearPlan:
    """The task of one beat: its year plan."""
    return plan_year(beat, policy, year, graph=graph, params=params)


def merge_plans(year: int, policy: str, parts: Sequence[YearPlan]) -> YearPlan:
    """One station's plan from its beats' plans (given in the station's beat order).

    Visits are sorted as :func:`planner.schedule.plan_year` sorts them; unplanned targets,
    loads and shortfalls follow the beat order, as a whole-station plan lists them.
    """
    plan = YearPlan(year, policy)
    due = 0
    for p in parts:
        plan.visits.extend(p.visits)
        plan.unplanned.extend(p.unplanned)
        plan.loads.extend(p.loads)
        plan.shortfalls.extend(p.shortfalls)
        plan.objective.update(p.objective)
        due += int(p.stats.get("due", 0))
    plan.visits.sort(key=lambda v: (v.beat_id, v.date, v.officer_id, v.slot, v.target_id))
    plan.stats = {"due": due, "planned": len(plan.visits), "unplanned": len(plan.unplanned)}
    return plan


@dataclass(frozen=True, slots=True)
class StationPlan:
    """One station's merged plan as written (handed to ``on_station``)."""

    db: Db
    station: Station
    policy: Policy
    plan: YearPlan
    written: list[Path]
    failed: list[TaskResult]
    params: YearParams = field(default_factory=YearParams)
    notes: list[Line] = field(default_factory=list)

    def lines(self, several: bool = False) -> list[Line]:
        """What the plan says: in full for one station, one line each among several."""
        out = list(self.notes)
        if several:
            p = self.plan
            out.append(
                say(
                    f"{self.station.name} ({db_stem(self.db)}): {len(p.visits)} visits planned, "
                    f"{len(p.unplanned)} due targets unplanned, {len(p.shortfalls)} "
                    f"shortfalls → {self.written[0].parent}"
                )
            )
        else:
            out += plan_report(self.plan, self.policy, self.params, self.written)
        out += failed_lines(self.failed)
        return out


def plan_stations(
    dbs: Sequence[Db],
    out_dir: Path,
    *,
    year: int,
    params: YearParams | None = None,
    spec: ExecutorSpec = LOCAL,
    beats: Sequence[str] = (),
    policy_name: str | None = None,
    progress: bool = True,
    on_station: Callable[[StationPlan], None] | None = None,
) -> RunSummary:
    """Plan the year of every beat of the station files, one task per beat, and write each
    station's plan files (:func:`planner.planfiles.write_plan_outputs`) as soon as its beats
    are in; ``failed_beats.csv`` goes to ``out_dir``.

    Parameters
    ----------
    dbs
        Station files; with one, its files go to ``out_dir``, with several to
        ``out_dir/<file stem>/``.
    out_dir
        Output folder.
    year, params, policy_name
        As for :func:`planner.schedule.plan_year` (``policy_name`` default: each station's).
    spec
        Where the beats run (:class:`ExecutorSpec`).
    beats
        Beat ids to plan (default all); an id in none of the files is bad input.
    progress
        Show beats done / total on stderr.
    on_station
        Called after each station's files are written, with the merged plan.

    Returns
    -------
    RunSummary
        Every task's result (without the plans, which are written), failed ones included:
        a beat that failed every attempt is named with its error there and in
        ``failed_beats.csv`` (:meth:`RunSummary.raise_failures` turns them into an error).

    Raises
    ------
    InputError
        Unknown beat, missing station file.
    """
    dbs = list(dbs)
    params = params or YearParams()
    dirs = station_dirs(dbs, out_dir)
    wanted = wanted_beats(dbs, beats)
    total = sum(len(ids) for ids in wanted)
    opened: dict[int, OpenStation] = {}

    def tasks() -> Iterator[Task]:
        for k, label, _station, policy, one, streets in beat_inputs(
            dbs, wanted, policy_name, dirs, opened
        ):
            b = one.beats[0].beat_id
            yield Task(
                f"{label}/{b}", _plan_beat, (one, policy, year, streets, params), key=(k, label, b)
            )

    return drive(
        tasks(),
        total,
        spec,
        progress,
        opened,
        out_dir,
        lambda st: _write_station_plan(st, year, params, on_station),
    )


def _write_station_plan(
    st: OpenStation,
    year: int,
    params: YearParams,
    on_station: Callable[[StationPlan], None] | None,
) -> None:
    plan = merge_plans(year, st.policy.name, [r.value for r in st.results if r.ok])
    written = write_plan_outputs(st.out, plan, st.station, st.policy)
    if on_station is not None:
        failed = [r for r in st.results if not r.ok]
        on_station(
            StationPlan(st.db, st.station, st.policy, plan, written, failed, params, st.notes)
        )


def plan_station(
    db: Db,
    out_dir: Path,
    *,
    year: int,
    params: YearParams | None = None,
    spec: ExecutorSpec = SERIAL,
    beats: Sequence[str] = (),
    policy_name: str | None = None,
    progress: bool = False,
) -> StationPlan:
    """Plan one station's year and write its files (:func:`plan_stations` for one file).

    Returns
    -------
    StationPlan
        The merged plan, what was written, and the notes.

    Raises
    ------
    PlannerError
        If a beat failed every attempt (the others are written).
    """
    done: list[StationPlan] = []
    summary = plan_stations(
        [db],
        out_dir,
        year=year,
        params=params,
        spec=spec,
        beats=beats,
        policy_name=policy_name,
        progress=progress,
        on_station=done.append,
    )
    summary.raise_failures()
    return done[0]


def plan_report(
    plan: YearPlan, policy: Policy, params: YearParams, written: Sequence[Path]
) -> list[Line]:
    """A plan's summary, monthly loads, shortfalls and what was written (plan, replan,
    campaign)."""
    out = [
        say(
            f"{policy.label} {plan.year}年: {len(plan.visits)} visits planned, "
            f"{len(plan.unplanned)} due targets unplanned, "
            f"{len(plan.approvals(policy))} night visits need approval"
        ),
        say(format_loads(plan, policy)),
        say(front_load_rule(policy, params.weights)),
    ]
    out += [warn(f"warning: {s.message}") for s in plan.shortfalls]
    if plan.shortfalls:
        out.append(
            warn(
                f"note: the plan keeps {params.reserve:.0%} of each month's visit hours for "
                "revisits of absent households (--reserve)"
            )
        )
    reasons = Counter(u.reason for u in plan.unplanned)
    out += [
        warn(f"warning: {reasons[r]} due targets unplanned ({r}); see unplanned.csv")
        for r in ("no_window", "unreachable", "no_officer")
        if reasons[r]
    ]
    forms = [p for p in written if p.suffix == ".xlsx"]
    files = [p for p in written if p.suffix != ".xlsx"]
    out.append(say("wrote " + ", ".join(str(p) for p in files) + f" and {len(forms)} forms"))
    return out
