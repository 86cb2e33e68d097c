"""``planner route``: a duty day's doors ordered on the streets, as CSV, offline map and sheet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from planner._errors import InputError
from planner.app.common import Db, Line, Opened, open_station, say, warn
from planner.patrol import (
    PatrolRoute,
    absent_to_retry,
    busiest_day,
    check_plan,
    patrol_routes,
    shift_for,
)
from planner.planfiles import read_plan, write_route_outputs
from planner.routes import RouteParams, route_day, route_from_ids
from planner.store import log_access


@dataclass(frozen=True, slots=True)
class RouteResult:
    """The routes written, one per beat, officer and slot."""

    patrols: list[PatrolRoute]
    written: list[Path]
    out_dir: Path
    notes: list[Line] = field(default_factory=list)

    def lines(self) -> list[Line]:
        """One line per route; engine notes and doors that do not fit as warnings."""
        out = list(self.notes)
        for p in self.patrols:
            r = p.route
            out.append(
                say(
                    f"{p.beat_id} {r.date} {r.slot} {r.officer_id}: {len(r.stops)} doors "
                    f"({sum(s.optional for s in r.stops)} extra), {r.total_m / 1000:.1f} km, "
                    f"{r.total_min} min [{r.engine or 'no route'}]"
                )
            )
            out += [
                warn(f"note: {p.beat_id} {r.date}: {n}")
                for n in r.notes
                if "guard" in n or "not installed" in n
            ]
            if r.dropped_mandatory:
                out.append(
                    warn(
                        f"warning: {p.beat_id} {r.date}: {len(r.dropped_mandatory)} planned doors "
                        f"do not fit ({', '.join(r.dropped_mandatory)}); the day overruns by "
                        f"about {r.overrun_min} min"
                    )
                )
        return [*out, say(f"wrote {len(self.written)} files to {self.out_dir}")]


def route_station(
    db: Db,
    out_dir: Path,
    *,
    plan_path: Path | None = None,
    target_ids: Sequence[str] = (),
    day: date | None = None,
    beats: Sequence[str] = (),
    slot: str = "day",
    mode: str | None = None,
    params: RouteParams | None = None,
    with_names: bool = False,
    tiles: str | None = None,
) -> RouteResult:
    """Route a plan's duty day (each beat's busiest without ``day``) or a plain list of doors,
    and write the route CSV, offline map and printed sheet of each.

    Parameters
    ----------
    db
        Station file or PostGIS URL.
    out_dir
        Folder for route_<beat>_<date>_<officer>.csv / .html / .pdf.
    plan_path
        The year's plan.csv (or give ``target_ids``).
    target_ids
        Doors to visit without a plan (needs one beat in ``beats`` and a ``day``).
    day, beats, slot, mode
        Patrol date, beats (default every beat on duty), the slot of a ``target_ids`` route,
        and the travel mode (default: the officer's).
    params
        Solver limits and engine (:class:`planner.routes.RouteParams`).
    with_names, tiles
        Residents' names on the sheet and map (logged in the access log), a tile URL.

    Returns
    -------
    RouteResult

    Raises
    ------
    InputError
        Without a plan or doors, or when the plan has no visits on ``day`` for the beats.
    """
    params = params or RouteParams()
    opened = open_station(db)
    if target_ids:
        patrols = [_route_of_ids(opened, list(target_ids), day, beats, slot, mode, params)]
    else:
        patrols = _routes_of_plan(opened, plan_path, day, beats, mode, params)
    written = write_route_outputs(
        out_dir,
        patrols,
        opened.station,
        opened.policy,
        graph=opened.graph,
        with_names=with_names,
        tiles=tiles,
    )
    if with_names:
        log_access(db, f"route --with-names → {out_dir}", sum(len(p.route.stops) for p in patrols))
    return RouteResult(patrols, written, out_dir, opened.notes)


def _route_of_ids(
    opened: Opened,
    target_ids: list[str],
    day: date | None,
    beats: Sequence[str],
    slot: str,
    mode: str | None,
    params: RouteParams,
) -> PatrolRoute:
    station, policy = opened.station, opened.policy
    if len(beats) != 1 or day is None:
        raise InputError("--targets needs one --beat and a --date")
    beat_id = beats[0]
    stops, officer_id, slot = route_from_ids(
        station,
        target_ids,
        day,
        beat_id,
        policy,
        slot=slot,
        retry=absent_to_retry(station, beat_id, day),
        params=params,
    )
    officer = next((o for o in station.officers if o.officer_id == officer_id), None)
    if officer is None:
        raise InputError(f"beat {beat_id} has no officer")
    shift = shift_for(station, policy, officer_id, day, slot, params)
    post = station.post_of(beat_id)
    r = route_day(
        stops,
        (post.lon, post.lat),
        shift=shift,
        graph=opened.graph,
        mode=mode or officer.mode.value,
        params=params,
        officer_id=officer_id,
        day=day,
        slot=slot,
    )
    return PatrolRoute(beat_id, r, shift, tuple(s.target_id for s in stops if s.mandatory))


def _routes_of_plan(
    opened: Opened,
    plan_path: Path | None,
    day: date | None,
    beats: Sequence[str],
    mode: str | None,
    params: RouteParams,
) -> list[PatrolRoute]:
    station, policy = opened.station, opened.policy
    if plan_path is None:
        raise InputError("give --plan (a plan.csv) or --targets")
    visits = read_plan(plan_path)
    check_plan(plan_path, visits, station, policy)
    wanted = list(beats) or sorted({v.beat_id for v in visits})
    patrols = []
    for beat_id in [b.beat_id for b in station.beats if b.beat_id in wanted]:
        if day and not any(v.beat_id == beat_id and v.date == day for v in visits):
            continue
        when = day or busiest_day(visits, beat_id)
        patrols += patrol_routes(
            station,
            policy,
            visits,
            when,
            beats=[beat_id],
            graph=opened.graph,
            mode=mode,
            params=params,
        )
    if not patrols:
        raise InputError(f"no planned visits on {day} for beat(s) {', '.join(wanted)}")
    return patrols


def first_day_routes(db: Db, out_dir: Path, visits: Sequence) -> RouteResult:
    """Route sheets for each beat's first duty day with planned visits (the demo's)."""
    opened = open_station(db)
    station, policy = opened.station, opened.policy
    patrols = []
    for beat in station.beats:
        dates = sorted({v.date for v in visits if v.beat_id == beat.beat_id})
        if dates:
            patrols += patrol_routes(
                station, policy, list(visits), dates[0], beats=[beat.beat_id], graph=opened.graph
            )
    written = write_route_outputs(out_dir, patrols, station, policy, graph=opened.graph)
    return RouteResult(patrols, written, out_dir, opened.notes)
