"""``planner scenario compare``: the station planned under each scenario, side by side.

Each scenario is applied to the whole station (:func:`planner.scenarios.apply_scenario`), cut
into beats and planned as one task per beat × scenario (:mod:`planner.app.beats`); the beats'
outcomes are merged per scenario and written with :func:`planner.reports.write_comparison`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from planner.app.beats import (
    OpenStation,
    RunSummary,
    StreetIndex,
    db_stem,
    drive,
    failed_lines,
    open_for_beats,
    split_station,
    station_dirs,
    station_label,
)
from planner.app.common import Db, Line, open_station, say
from planner.executor import LOCAL, ExecutorSpec, Task, TaskResult
from planner.model import Station
from planner.policy import Policy
from planner.reports import write_comparison
from planner.scenarios import Applied, Outcome, Scenario, apply_scenario, compare, run_scenario
from planner.schedule import YearParams
from planner.store import beat_ids


def _compare_beat(applied: Applied, year: int, graph: nx.MultiDiGraph | None) -> Outcome:
    """The task of one beat under one scenario: its :class:`planner.scenarios.Outcome`."""
    return run_scenario(applied, year, graph)


def merge_outcomes(parts: Sequence[Outcome]) -> Outcome:
    """One scenario's :class:`planner.scenarios.Outcome` for a station from its beats'.

    Counts and hours add up; 実施率 is planned over due again; months follow the beat order;
    the campaign's targets are the scenario's (the same in every beat's outcome); officer
    hours are summed from the months' hours.  ``walk_km`` is the sum of the beats' (each
    rounded to 0.1 km by the scenario run).
    """
    first = parts[0]
    codes = list(first.due)
    due = {c: sum(p.due.get(c, 0) for p in parts) for c in codes}
    planned = {c: sum(p.planned.get(c, 0) for p in parts) for c in codes}
    return Outcome(
        name=first.name,
        policy=first.policy,
        due=due,
        planned=planned,
        rate={c: planned[c] / due[c] if due[c] else 1.0 for c in codes},
        unplanned=sum(p.unplanned for p in parts),
        overdue_at_year_end=sum(p.overdue_at_year_end for p in parts),
        approvals=sum(p.approvals for p in parts),
        walk_km=round(sum(p.walk_km for p in parts), 1),
        officer_hours=round(sum(m.hours_available for p in parts for m in p.months), 1),
        months=[m for p in parts for m in p.months],
        campaign_targets=max(p.campaign_targets for p in parts),
        campaign_in_window=sum(p.campaign_in_window for p in parts),
    )


@dataclass(frozen=True, slots=True)
class StationComparison:
    """One station's merged scenario outcomes as written (handed to ``on_station``)."""

    db: Db
    station: Station
    policy: Policy
    outcomes: list[Outcome]
    written: list[Path]
    failed: list[TaskResult]
    notes: list[Line] = field(default_factory=list)

    def lines(self, several: bool = False) -> list[Line]:
        """Each scenario's figures for one station, one line per station among several."""
        out = list(self.notes)
        if several:
            out.append(
                say(
                    f"{self.station.name} ({db_stem(self.db)}): {len(self.outcomes)} scenarios "
                    f"→ {self.written[0].parent}"
                )
            )
        else:
            out += comparison_lines(self.outcomes, self.policy)
            out.append(say("wrote " + ", ".join(str(p) for p in self.written)))
        out += failed_lines(self.failed)
        return out


def compare_stations(
    dbs: Sequence[Db],
    scenarios: Sequence[Scenario],
    out_dir: Path,
    *,
    year: int,
    params: YearParams | None = None,
    spec: ExecutorSpec = LOCAL,
    progress: bool = True,
    on_station: Callable[[StationComparison], None] | None = None,
) -> RunSummary:
    """Plan every beat of the station files under every scenario (one task per beat ×
    scenario) and write each station's comparison (:func:`planner.reports.write_comparison`).

    Each scenario is applied to the whole station first (officers, leave, a boundary moving
    targets between beats …), then cut into beats.  Layout, failures and errors as for
    :func:`plan_stations`; ``scenarios`` are :class:`planner.scenarios.Scenario`.
    """
    dbs = list(dbs)
    params = params or YearParams()
    dirs = station_dirs(dbs, out_dir)
    counts = [len(beat_ids(db)) for db in dbs]
    total = sum(counts) * len(scenarios)
    several = len(dbs) > 1
    opened: dict[int, OpenStation] = {}

    def tasks() -> Iterator[Task]:
        for k, db in enumerate(dbs):
            o = open_for_beats(db, None)
            station, policy, graph = o.station, o.policy, o.graph
            label = station_label(station, db, several)
            applied = [apply_scenario(s, station, policy, year, params) for s in scenarios]
            beats = [split_station(a.station) for a in applied]
            opened[k] = OpenStation(
                db, dirs[k], station, policy, sum(map(len, beats)), notes=o.notes
            )
            index = StreetIndex(graph) if graph is not None else None
            for j, (a, ones) in enumerate(zip(applied, beats, strict=True)):
                for one in ones:
                    b = one.beats[0].beat_id
                    streets = index.around(one) if index is not None else None
                    task = Applied(a.name, one, a.policy, a.params)
                    yield Task(
                        f"{label}/{b}/{a.name}",
                        _compare_beat,
                        (task, year, streets),
                        key=(k, label, b, j),
                    )

    return drive(
        tasks(),
        total,
        spec,
        progress,
        opened,
        out_dir,
        lambda st: _write_station_comparison(st, year, on_station),
    )


def _write_station_comparison(
    st: OpenStation, year: int, on_station: Callable[[StationComparison], None] | None
) -> None:
    by_scenario: dict[int, list[Outcome]] = {}
    for r in st.results:
        if r.ok:
            by_scenario.setdefault(r.key[3], []).append(r.value)
    outcomes = [merge_outcomes(by_scenario[j]) for j in sorted(by_scenario)]
    written = write_comparison(st.out, outcomes, st.policy, year, st.station.name)
    if on_station is not None:
        failed = [r for r in st.results if not r.ok]
        on_station(
            StationComparison(st.db, st.station, st.policy, outcomes, written, failed, st.notes)
        )


def comparison_lines(outcomes: Sequence[Outcome], policy: Policy) -> list[Line]:
    """One line per scenario: 実施率 per tier, unplanned, approvals, km, hours, campaign."""
    out = []
    for o in outcomes:
        rates = ", ".join(
            f"{policy.tier(c).label if c in policy.tier_codes else c} {100 * r:.0f}%"
            for c, r in o.rate.items()
        )
        extra = (
            f", campaign {o.campaign_in_window}/{o.campaign_targets} in its window"
            if o.campaign_targets
            else ""
        )
        out.append(
            say(
                f"{o.name}: {rates}; {o.unplanned} unplanned ({o.overdue_at_year_end} overdue "
                f"at year end), {o.approvals} night approvals, {o.walk_km} km, "
                f"{o.officer_hours} visit hours{extra}"
            )
        )
    return out


def compare_station(
    db: Db,
    scenarios: Sequence[Scenario],
    out_dir: Path,
    *,
    year: int,
    params: YearParams | None = None,
    processes: int | None = 1,
) -> StationComparison:
    """Plan one station under each scenario as a whole (its whole street network, one process
    per scenario when ``processes`` > 1) and write the comparison.

    The demo's and the notebooks' comparison: walking kilometres are measured on the whole
    station's streets, where :func:`compare_stations` cuts each beat's streets out for its
    task, so the two may differ by a percent in ``walk_km``; the plans are the same.
    """
    opened = open_station(db)
    outcomes = compare(
        opened.station,
        opened.policy,
        scenarios,
        year,
        graph=opened.graph,
        params=params or YearParams(),
        processes=processes,
    )
    written = write_comparison(out_dir, outcomes, opened.policy, year, opened.station.name)
    return StationComparison(db, opened.station, opened.policy, outcomes, written, [], opened.notes)
