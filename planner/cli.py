"""Command line: a thin shell over the Python API (parse, call, print).

Exit codes: 0 done (warnings included), 2 bad input (message names file, row and column),
1 an unexpected internal error.
"""

from __future__ import annotations

import calendar
import functools
import logging
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import click

from planner import store_pg
from planner._errors import InputError, PlannerError
from planner.access import ROLE_LABELS_JA, Grant, Role

log = logging.getLogger("planner")


def default_year(today: date | None = None) -> int:
    """The plan year a user most likely means: this year until June, next year from July."""
    today = today or date.today()
    return today.year if today.month <= 6 else today.year + 1


class _StationParam(click.ParamType):
    """A station file (a Path), or a PostGIS station URL kept as text (a Path would turn
    ``postgresql://`` into ``postgresql:/``)."""

    name = "FILE|URL"
    _file = click.Path(dir_okay=False, path_type=Path)

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value.startswith("postgresql://"):
            return value
        return self._file.convert(value, param, ctx)


STATION = _StationParam()
DB_OPTION = click.option(
    "--db",
    type=STATION,
    required=True,
    help="Station file (.gpkg) or PostGIS URL (postgresql://…?station=NAME).",
)
PLAN_YEAR_OPTION = click.option(
    "--year",
    type=int,
    default=None,
    help="Plan year (default: this year until June, next year from July).",
)


def _handle_errors(func):
    """Print user errors as one clear message with exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except PlannerError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """巡回連絡 planner: year plans, day routes and official forms for a police station's beats.

    \b
    Start with the demo station:
      planner demo --out demo/
      planner info --db demo/demo.gpkg
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write demo.gpkg (and later the plan, forms, routes) into.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the town.")
@click.option("--year", type=int, default=None, help="Plan year (default: 2027, the demo's).")
@click.option(
    "--time-limit",
    type=float,
    default=5.0,
    show_default=True,
    help="Solver seconds per beat for the year plan.",
)
@click.option(
    "--prefecture",
    is_flag=True,
    help="Instead: a made-up prefecture, one station "
    "file per station in OUT (default the size of Miyagi; minutes).",
)
@click.option(
    "--stations",
    type=click.IntRange(1),
    default=25,
    show_default=True,
    help="--prefecture: station files.",
)
@click.option(
    "--households",
    type=click.IntRange(1),
    default=1_000_000,
    show_default=True,
    help="--prefecture: households and businesses over all stations.",
)
@click.option(
    "--beats",
    type=click.IntRange(1),
    default=None,
    help="--prefecture: beats over all stations (default: households/1650).",
)
@_handle_errors
def demo(
    out_dir: Path,
    seed: int,
    year: int | None,
    time_limit: float,
    prefecture: bool,
    stations: int,
    households: int,
    beats: int | None,
) -> None:
    """Build the demo station (a made-up town in Miyagi), print its summary, plan its year.

    \b
    The town has one 交番 with three beats and one rural 駐在所 beat, about 3,000
    households and businesses, streets with a river, bridges and a rail line, and
    officers with duty rosters.  Writes demo.gpkg and plan/ (plan.csv, forms…),
    then simulates January–March in the field, records the outcomes, writes the
    March results (progress/) and re-plans the rest of the year (replan/).
      planner demo --out demo/ --seed 0
    With --prefecture: station_01.gpkg … (urban, suburban and rural beats; every
    post a copy of the demo town) and prefecture.csv, one station at a time:
      planner demo --prefecture --stations 25 --households 1000000 --out pref/
    """
    from planner.demo import DEMO_YEAR, build_demo
    from planner.schedule import YearParams
    from planner.store import read_station, write_station

    if prefecture:
        _demo_prefecture(out_dir, stations, households, beats, seed, year or DEMO_YEAR)
        return
    year = year or DEMO_YEAR
    station, streets = build_demo(seed)
    db = out_dir / "demo.gpkg"
    write_station(station, db, streets=streets)
    click.echo(f"wrote {db} ({len(station.targets)} targets, {len(station.beats)} beats)")
    _demo_register(station, out_dir, year)
    _demo_exemption(db, out_dir, year)
    _print_summary(read_station(db), year)
    click.echo(f"\n== year plan {year} ==")
    params = YearParams(time_limit_s=time_limit)
    plan = run_plan(db, out_dir / "plan", year=year, params=params)
    _demo_routes(db, out_dir / "routes", plan)
    _demo_compare(db, out_dir / "compare", year)
    _demo_months(db, out_dir, plan, year, seed, params)
    _demo_handover_and_campaign(db, out_dir, year)


def _demo_prefecture(
    out_dir: Path, stations: int, households: int, beats: int | None, seed: int, year: int
) -> None:
    """`demo --prefecture`: the station files, written one at a time (planner.prefecture)."""
    import time

    from planner.prefecture import PrefectureSpec, write_prefecture

    spec = PrefectureSpec(stations=stations, targets=households, beats=beats, seed=seed, year=year)
    start = time.perf_counter()
    click.echo(
        f"a made-up prefecture: {stations} stations, {spec.total_beats} beats, "
        f"{households:,} households and businesses → {out_dir}"
    )

    def done(i) -> None:
        click.echo(
            f"  {i.path.name} {i.name} ({i.kind}): {i.koban} 交番, {i.chuzaisho} 駐在所, "
            f"{i.beats} beats, {i.targets:,} targets, {i.officers} officers "
            f"[{time.perf_counter() - start:.0f} s]"
        )

    infos = write_prefecture(out_dir, spec, progress=done)
    click.echo(
        f"wrote {len(infos)} station files and {out_dir / 'prefecture.csv'}: "
        f"{sum(i.koban for i in infos)} 交番, {sum(i.chuzaisho for i in infos)} 駐在所, "
        f"{sum(i.beats for i in infos)} beats, {sum(i.targets for i in infos):,} targets "
        f"in {time.perf_counter() - start:.0f} s\nnext: planner plan --db {out_dir} "
        f"--year {year} --executor dask --out {out_dir / 'plan'}"
    )


def _demo_register(station, out_dir: Path, year: int) -> None:
    """The register as an office keeps it (案内簿.xlsx, no coordinates), placed offline."""
    from planner.registers import demo_register

    click.echo("\n== 案内簿 → geocoder → import ==")
    for line in demo_register(station, out_dir, today=date(year, 1, 1)):
        click.echo(line)


def _demo_exemption(db: Path, out_dir: Path, year: int) -> None:
    """One order of the chief, recorded as `planner exempt` records it."""
    from datetime import date

    from planner.demo import demo_exemption
    from planner.exemptions import exempt_targets
    from planner.store import read_station

    order = demo_exemption(read_station(db), year)
    path = out_dir / "exemption_orders.csv"
    path.write_text(
        "target_id,ordered_by,date,reason\n"
        f"{order.target_id},{order.ordered_by},{order.date},{order.reason}\n",
        encoding="utf-8",
    )
    r = exempt_targets(db, path, year=year, today=max(order.date, date.today()))
    click.echo(
        f"exempt: {r.added} order of the 署長 ({path}); {r.left_due} target leaves the "
        f"{year} due set (listed in exemptions.csv beside every plan)"
    )


def _demo_handover_and_campaign(db: Path, out_dir: Path, year: int) -> None:
    """A beat changing hands on 1 April, and a campaign ordered after a crime in May."""
    from datetime import datetime

    from planner.store import read_station

    ctx = click.get_current_context()
    replanned = out_dir / "replan" / "plan.csv"
    click.echo(f"\n== handover of K1-2 on {year}-04-01 ==")
    ctx.invoke(
        handover,
        db=db,
        beat_id="K1-2",
        day=datetime(year, 4, 1),
        plan_path=replanned,
        top=20,
        out_dir=out_dir / "handover",
    )
    post = read_station(db).posts[0]
    click.echo(f"\n== campaign after a burglary: 80 m around it, 14 days from {year}-05-10 ==")
    ctx.invoke(
        campaign,
        db=db,
        center=f"{post.lon - 0.0025:.6f},{post.lat + 0.0013:.6f}",
        radius=80.0,
        start=datetime(year, 5, 10),
        days=14,
        kinds="household",
        plan_path=replanned,
        year=year,
        keep="day",
        time_limit=2.0,
        search_plans=2,
        out_dir=out_dir / "campaign",
    )


def _demo_compare(db: Path, out_dir: Path, year: int) -> None:
    """A short comparison for the chief: as is, one officer fewer, a two-week campaign."""
    from datetime import date

    from planner.reports import write_comparison
    from planner.scenarios import compare, scenario_from_dict
    from planner.schedule import YearParams
    from planner.store import read_station, read_streets

    station = read_station(db)
    policy = _policy_of(station, None)
    post = station.posts[0]
    scenarios = [
        scenario_from_dict({"name": "現状"}),
        scenario_from_dict({"name": "一人減", "remove_officers": [station.officers[2].officer_id]}),
        scenario_from_dict(
            {
                "name": "重点警戒",
                "campaign": {
                    "center": [post.lon - 0.0025, post.lat + 0.0013],
                    "radius_m": 150,
                    "start": date(year, 5, 10),
                    "days": 14,
                    "kinds": ["household"],
                },
            }
        ),
    ]
    click.echo(f"\n== scenarios: {', '.join(s.name for s in scenarios)} ==")
    outcomes = compare(
        station,
        policy,
        scenarios,
        year,
        graph=read_streets(db),
        params=YearParams(time_limit_s=2.0),
    )
    written = write_comparison(out_dir, outcomes, policy, year, station.name)
    _print_comparison(outcomes, policy)
    click.echo("wrote " + ", ".join(str(p) for p in written))


def _demo_routes(db: Path, out_dir: Path, plan) -> None:
    """Route sheets (csv, html, pdf) for each beat's first duty day with planned visits."""
    from planner.patrol import patrol_routes
    from planner.planfiles import write_route_outputs
    from planner.store import read_station, read_streets

    station = read_station(db)
    policy = _policy_of(station, None)
    graph = read_streets(db)
    patrols = []
    for beat in station.beats:
        dates = sorted({v.date for v in plan.visits if v.beat_id == beat.beat_id})
        if dates:
            patrols += patrol_routes(
                station, policy, plan.visits, dates[0], beats=[beat.beat_id], graph=graph
            )
    written = write_route_outputs(out_dir, patrols, station, policy, graph=graph)
    click.echo(
        f"\n== route sheets for each beat's first duty day: {len(written)} files in {out_dir} =="
    )


def _demo_months(db: Path, out_dir: Path, plan, year: int, seed: int, params) -> None:
    """The first quarter in the field: simulated outcomes, recorded, the March form, a re-plan."""
    from datetime import date

    from planner.demo import annotate_outcomes
    from planner.planfiles import write_outcomes, write_plan_outputs
    from planner.record import record_outcomes
    from planner.replan import replan_year
    from planner.reports import write_progress_outputs
    from planner.simulate import simulate_outcomes
    from planner.store import read_station, read_streets

    upto, start = date(year, 3, 31), date(year, 4, 1)
    station = read_station(db)
    policy = _policy_of(station, None)
    rows = annotate_outcomes(simulate_outcomes(station, plan.visits, upto, seed=seed), seed)
    outcomes = out_dir / f"outcomes_{year}-01_03.csv"
    write_outcomes(outcomes, rows)
    click.echo(f"\n== January–March in the field (simulated): {outcomes} ==")
    r = record_outcomes(db, outcomes, year=year, today=upto)
    click.echo(f"recorded {r.added} visits, {r.new_targets} new households")
    station = read_station(db)
    written = write_progress_outputs(
        out_dir / "progress",
        station,
        policy,
        year,
        upto,
        visits=plan.visits,
        unplanned=plan.unplanned,
        by_officer=True,
    )
    click.echo("progress: " + ", ".join(str(p) for p in written))
    for month in (1, 2, 3):
        click.get_current_context().invoke(
            opinions, db=db, year=year, month=month, out_dir=out_dir / "opinions", with_names=False
        )
    click.echo(f"\n== re-plan from {start} ==")
    new, kept = replan_year(
        station, policy, year, plan.visits, start, graph=read_streets(db), params=params
    )
    new.visits = sorted(
        kept + new.visits, key=lambda v: (v.beat_id, v.date, v.officer_id, v.slot, v.target_id)
    )
    written = write_plan_outputs(out_dir / "replan", new, station, policy)
    _report_plan(new, policy, params, written)


@main.command()
@DB_OPTION
@PLAN_YEAR_OPTION
@click.option(
    "--access-log", is_flag=True, help="Print the access log (exports that included names) instead."
)
@_handle_errors
def info(db: Path, year: int | None, access_log: bool) -> None:
    """Print a summary per beat: targets by tier and kind, due this year, officer hours.

    \b
    Example:
      planner info --db demo/demo.gpkg --year 2027
      planner info --db demo/demo.gpkg --access-log
    """
    from planner.store import read_station, read_street_report

    station = read_station(db)
    if not access_log:
        _print_summary(station, year or default_year())
        for line in read_street_report(db) or ():
            click.echo(line)
        return
    click.echo(f"{station.name}: {len(station.access_log)} exports with names")
    for a in station.access_log:
        click.echo(f"{a.when.isoformat(sep=' ')}  {a.who}  {a.records:6d}  {a.what}")


@main.command()
@DB_OPTION
@click.option(
    "--out",
    "out_path",
    type=STATION,
    required=True,
    help="The copy to write (.gpkg or a PostGIS URL).",
)
@click.option("--redact", is_flag=True, help="Remove names and free text, cut places to the 丁目.")
@click.option(
    "--beat",
    "beat_id",
    default=None,
    help="An officer's copy: this beat alone (its targets, visits and officers).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["station", "xlsx"]),
    default=None,
    help="xlsx: the register as an office workbook (default: from --out).",
)
@_handle_errors
def export(
    db: Path, out_path: Path, redact: bool, beat_id: str | None = None, fmt: str | None = None
) -> None:
    """Write a copy of the station file; --redact makes one fit to share.

    A full copy holds residents' names and is logged in the station's access log; a redacted
    copy (names, notes and opinions removed, addresses cut to the 丁目 and points moved to its
    centre, the policy's sensitive 別表 codes dropped) is for supervisors and scenario work;
    --beat makes a 受持警察官's copy holding that beat alone.

    \b
    Example:
      planner export --db demo/demo.gpkg --redact --out shared/demo_redacted.gpkg
      planner export --db demo/demo.gpkg --beat K1-1 --out officer_K1-1.gpkg
      planner export --db demo/demo.gpkg --out "postgresql:///hq?station=demo"
    """
    from planner._errors import InputError
    from planner.policy import load_policy
    from planner.redact import beat_copy, named_records, redacted
    from planner.store import log_access, read_station, read_streets, write_station
    from planner.store_pg import describe, same_station

    if fmt == "xlsx" or (fmt is None and str(out_path).lower().endswith(".xlsx")):
        from planner.registers import export_register

        rows, records = export_register(db, out_path, redact=redact)
        named = f"{records} named records, logged" if records else "no names"
        click.echo(f"wrote {out_path}: 案内簿, {rows} targets ({named})")
        return
    where = describe(out_path)  # a URL without its password
    if same_station(out_path, db):
        raise InputError(f"{where}: the copy must not overwrite the station file")
    station = read_station(db)
    if beat_id is not None:
        if beat_id not in {b.beat_id for b in station.beats}:
            raise InputError(f"--beat: unknown beat {beat_id!r}")
        station = beat_copy(station, beat_id)
    sensitive = load_policy(station.policy).sensitive_reasons
    copy = redacted(station, sensitive) if redact else station
    write_station(copy, out_path, streets=read_streets(db))
    records = named_records(copy)
    what = f" --beat {beat_id}" if beat_id else ""
    if records:
        log_access(db, f"export{what} → {where}", records)
    kind = "redacted copy (no names)" if redact else f"full copy ({records} named records, logged)"
    scope = f"beat {beat_id} alone, " if beat_id else ""
    click.echo(f"wrote {where}: {kind}, {scope}{len(copy.targets)} targets")


def _print_summary(station, year: int) -> None:
    from planner.policy import load_policy
    from planner.summary import format_summary, summarize

    policy = load_policy(station.policy)
    click.echo(f"{station.name} — {policy.label} — {year}年")
    click.echo(format_summary(summarize(station, policy, year), policy, year))


@main.command(name="import")
@click.option(
    "--db",
    type=STATION,
    required=True,
    help="Station file (.gpkg) or PostGIS URL; created when absent.",
)
@click.option("--station", "station_name", help="Station name (needed for a new file).")
@click.option(
    "--policy",
    "policy_name",
    help="miyagi, aomori or a policy TOML file (default for a new file: miyagi).",
)
@click.option("--posts", type=click.Path(dir_okay=False, path_type=Path), help="Posts CSV.")
@click.option("--beats", type=click.Path(dir_okay=False, path_type=Path), help="Beats CSV.")
@click.option(
    "--officers",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Officers CSV (duty pattern per officer).",
)
@click.option(
    "--officer-days",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Leave days and 専従日 CSV.",
)
@click.option(
    "--streets",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Street network: OSM XML (.osm), a .osm.pbf extract (clipped to the station's beats "
    "plus 1 km) or GraphML (.graphml).",
)
@click.option("--sheet", help="Register workbook: the sheet to read (default: the first).")
@click.option(
    "--columns",
    "columns_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML file mapping your register's headers to the planner's.",
)
@click.option(
    "--geocode-ref",
    "geocode_refs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Place rows without coordinates offline from this reference (MLIT 街区 / "
    "大字・町丁目 CSV or zip, Geolonia JSON, or a folder; repeatable).",
)
@click.option(
    "--review-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for geocode_review.csv/.html (default: the register's).",
)
@click.argument("targets", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@_handle_errors
def import_(
    db: Path,
    station_name,
    policy_name,
    posts,
    beats,
    officers,
    officer_days,
    streets,
    targets,
    sheet=None,
    columns_file=None,
    geocode_refs=(),
    review_dir=None,
) -> None:
    """Import a register (targets CSV / GeoPackage / GeoJSON) and its posts, beats and officers.

    \b
    Every row is checked; on any bad row nothing is written and each problem is
    printed with file, row and column.  Rows whose id is already in the station
    file replace it.  Example (a new station file from the samples in data/):
      planner import --db station.gpkg --station 緑ケ丘警察署 --policy miyagi \\
        --posts data/posts.csv --beats data/beats.csv --officers data/officers.csv \\
        --officer-days data/officer_days.csv --streets data/streets.osm data/targets.csv
    An office's 案内簿 (.xlsx or Japanese CSV) placed offline by its addresses:
      planner import --db station.gpkg 案内簿.xlsx --geocode-ref 04000-21.0a.zip
    """
    from planner.network import check_near_posts
    from planner.roster import PATTERNS
    from planner.store import posts_from_file, read_station

    graph = _load_streets(streets, db, posts, beats) if streets else None
    if graph is not None:  # streets far from every post are refused before anything is written
        try:
            known = read_station(db).posts
        except InputError:  # a new station file (import_files says why when it is bad)
            known = []
        check_near_posts(
            graph, [*known, *(posts_from_file(posts) if posts else [])], source=str(streets)
        )
    from planner.policy import TierMapping, collect_tier_mapping
    from planner.registers import import_registers

    with collect_tier_mapping() as mapped:
        station, registers = import_registers(
            db,
            station_name=station_name,
            policy_name=policy_name,
            posts=posts,
            beats=beats,
            officers=officers,
            officer_days=officer_days,
            targets=targets,
            streets=graph,
            patterns=set(PATTERNS),
            sheet=sheet,
            columns_file=columns_file,
            refs=geocode_refs,
            review_dir=review_dir,
        )
    if mapped:
        click.echo(TierMapping(station.policy, dict(mapped)).message(), err=True)
    for run in registers.runs:
        click.echo(_geocode_summary(run.table.path, run.counts()))
    from planner.store_pg import describe

    click.echo(
        f"{describe(db)}: {len(station.posts)} posts, {len(station.beats)} beats, "
        f"{len(station.officers)} officers, {len(station.targets)} targets"
    )
    if graph is not None:
        from planner.streets import street_report

        report = street_report(graph)
        for line in report.lines() if report is not None else ():
            click.echo(line)
        _report_snapping(station, graph)


def _geocode_summary(label: str, counts: dict[str, int]) -> str:
    placed = counts["号"] + counts["街区"]
    total = sum(counts.values()) - counts["given"]
    share = f" ({100 * placed / total:.1f} % at 街区 or finer)" if total else ""
    return (
        f"{label}: placed {total} rows{share}: 号 {counts['号']}, 街区 {counts['街区']}, "
        f"町丁目 {counts['町丁目']}, none {counts['none']}; {counts['given']} had "
        "coordinates"
    )


@main.command()
@click.argument("register", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--ref",
    "refs",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="Reference: MLIT 位置参照情報 街区 or 大字・町丁目 CSV (CP932, zipped or not), "
    "Geolonia 町丁目 JSON, or a folder of them (repeatable).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Output register (.xlsx/.csv) with lon, lat and geocode columns.",
)
@click.option("--sheet", help="The sheet to read (default: the first).")
@click.option(
    "--columns",
    "columns_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML file mapping your register's headers to the planner's.",
)
@click.option(
    "--near",
    multiple=True,
    metavar="LON,LAT",
    help="A post of the station: a town in several cities is taken near it.",
)
@_handle_errors
def geocode(register, refs, out_path, sheet, columns_file, near) -> None:
    """Place a register's addresses offline: adds lon, lat, geocode_level, geocode_note.

    
    Rows reaching only the 町丁目 or nothing are listed in geocode_review.csv and drawn on
    an offline map (geocode_review.html) beside --out.  Nothing is written on error.
      planner geocode 案内簿.xlsx --ref 04000-21.0a.zip --ref 宮城県/ --out 案内簿_位置.xlsx
    """
    from planner.registers import geocode_file

    counts, written = geocode_file(
        register, refs=refs, out=out_path, sheet=sheet, columns_file=columns_file, near=near
    )
    click.echo(_geocode_summary(str(register), counts))
    for path in written:
        click.echo(f"wrote {path}")


def _load_streets(path: Path, db=None, posts=None, beats=None):
    from planner import network
    from planner.store import station_places

    around = station_places(db, posts=posts, beats=beats) if db is not None else []
    return network.load_streets(path, around=around)


def _report_snapping(station, graph, threshold_m: float = 60.0) -> None:
    from planner.network import far_from_street

    if not station.targets:
        return
    lons = [t.lon for t in station.targets]
    lats = [t.lat for t in station.targets]
    far = far_from_street(graph, lons, lats, threshold_m=threshold_m)
    if far:
        ids = ", ".join(station.targets[i].target_id for i in far[:20])
        more = f" and {len(far) - 20} more" if len(far) > 20 else ""
        click.echo(
            f"warning: {len(far)} targets are over {threshold_m:g} m from any street: {ids}{more}",
            err=True,
        )


def _policy_of(station, policy_name: str | None):
    """The policy to apply; tiers it lacks (a register made under the other prefecture's
    rules) are mapped in ``station`` and the mapping printed once."""
    from planner.policy import load_policy, map_tiers

    policy = load_policy(policy_name or station.policy)
    targets, mapping = map_tiers(station.targets, policy)
    if mapping:
        station.targets = targets
        click.echo(mapping.message(), err=True)
    return policy


def run_plan(
    db: Path,
    out_dir: Path,
    *,
    year: int,
    beats=(),
    policy_name=None,
    params=None,
    quiet: bool = False,
    executor=None,
):
    """Plan a station's year and write every output; the shared core of `plan` and `demo`.

    With ``executor`` (a :class:`planner.executor.ExecutorSpec`) ``db`` may be a list of
    station files: one task per beat (:func:`planner.executor.plan_stations`); returns the
    plan of a single station file, else ``None``.
    """
    from planner.planfiles import write_plan_outputs
    from planner.schedule import YearParams, plan_year
    from planner.store import read_station, read_streets

    if executor is not None:
        return _run_plan_beats(
            db,
            out_dir,
            year=year,
            beats=beats,
            policy_name=policy_name,
            params=params or YearParams(),
            executor=executor,
        )
    station = read_station(db)
    policy = _policy_of(station, policy_name)
    progress = None if quiet else (lambda msg: click.echo(msg, err=True))
    plan = plan_year(
        station,
        policy,
        year,
        beats=list(beats) or None,
        graph=read_streets(db),
        params=params or YearParams(),
        progress=progress,
    )
    written = write_plan_outputs(out_dir, plan, station, policy)
    _report_plan(plan, policy, params or YearParams(), written)
    return plan


def _report_plan(plan, policy, params, written) -> None:
    """Print a plan's summary, monthly loads, shortfalls and what was written."""
    from planner.summary import format_loads

    year = plan.year
    click.echo(
        f"{policy.label} {year}年: {len(plan.visits)} visits planned, "
        f"{len(plan.unplanned)} due targets unplanned, "
        f"{len(plan.approvals(policy))} night visits need approval"
    )
    click.echo(format_loads(plan, policy))
    from planner.schedule import front_load_rule

    click.echo(front_load_rule(policy, params.weights))
    reasons = Counter(u.reason for u in plan.unplanned)
    for s in plan.shortfalls:
        click.echo(f"warning: {s.message}", err=True)
    if plan.shortfalls:
        reserve = params.reserve
        click.echo(
            f"note: the plan keeps {reserve:.0%} of each month's visit hours for revisits "
            "of absent households (--reserve)",
            err=True,
        )
    for reason in ("no_window", "unreachable", "no_officer"):
        if reasons[reason]:
            click.echo(
                f"warning: {reasons[reason]} due targets unplanned ({reason}); see unplanned.csv",
                err=True,
            )
    forms = [p for p in written if p.suffix == ".xlsx"]
    files = [p for p in written if p.suffix != ".xlsx"]
    click.echo("wrote " + ", ".join(str(p) for p in files) + f" and {len(forms)} forms")


class _StationsParam(click.ParamType):
    """A station file, a folder of station files (its ``*.gpkg``) or a PostGIS station URL."""

    name = "FILE|DIR|URL"

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value.startswith("postgresql://"):
            return value
        return click.Path(path_type=Path).convert(value, param, ctx)


STATIONS_OPTION = click.option(
    "--db",
    "dbs",
    type=_StationsParam(),
    multiple=True,
    required=True,
    help="Station file (.gpkg), a folder of them, or a PostGIS URL; repeatable: many stations "
    "in one run, each into its own folder under --out.",
)


def _executor_options(func):
    """--executor, --workers, --scheduler: where the beats run (planner.executor)."""
    func = click.option(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="A running Dask scheduler (tcp://host:8786); implies --executor dask.",
    )(func)
    func = click.option(
        "--workers",
        type=click.IntRange(1),
        default=None,
        help="Processes or Dask LocalCluster workers (default: the machine's cores).",
    )(func)
    return click.option(
        "--executor",
        type=click.Choice(["serial", "processes", "dask"]),
        default="processes",
        show_default=True,
        help="Where the beats run, one task per beat: in this process, in "
        "local processes, or on a Dask cluster (a LocalCluster of --workers "
        "without --scheduler).",
    )(func)


def _executor_spec(executor: str, workers: int | None, scheduler: str | None):
    from click.core import ParameterSource

    from planner.executor import ExecutorSpec

    source = click.get_current_context().get_parameter_source("executor")
    if scheduler and source in (ParameterSource.DEFAULT, None):
        executor = "dask"
    return ExecutorSpec(executor, workers=workers, scheduler=scheduler)


def _run_plan_beats(dbs, out_dir: Path, *, year, beats, policy_name, params, executor):
    """`plan` over the beats of one or many station files (planner.executor.plan_stations)."""
    from planner.executor import db_stem, plan_stations, station_files

    files = station_files([dbs] if isinstance(dbs, str | Path) else list(dbs))
    plans = []

    def report(sp) -> None:
        if len(files) == 1:
            plans.append(sp.plan)
            _report_plan(sp.plan, sp.policy, params, sp.written)
        else:
            p = sp.plan
            click.echo(
                f"{sp.station.name} ({db_stem(sp.db)}): {len(p.visits)} visits planned, "
                f"{len(p.unplanned)} due targets unplanned, {len(p.shortfalls)} "
                f"shortfalls → {sp.written[0].parent}"
            )
        for r in sp.failed:
            click.echo(
                f"error: beat {r.name} failed after {r.attempts} attempts: {r.error}", err=True
            )

    summary = plan_stations(
        files,
        out_dir,
        year=year,
        params=params,
        spec=executor,
        beats=beats,
        policy_name=policy_name,
        on_station=report,
    )
    click.echo(summary.message(), err=True)
    summary.raise_failures()
    return plans[0] if plans else None


@main.command()
@STATIONS_OPTION
@PLAN_YEAR_OPTION
@click.option("--beat", "beats", multiple=True, help="Beat id to plan (repeatable; default all).")
@click.option(
    "--policy", "policy_name", help="miyagi, aomori or a policy TOML file (default: the station's)."
)
@click.option(
    "--time-limit",
    type=float,
    default=20.0,
    show_default=True,
    help="Solver budget per beat in CP-SAT deterministic time (about seconds on an idle core); "
    "the plan does not depend on the machine's load.",
)
@click.option(
    "--wall-guard",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Wall-clock seconds a beat may take (default 30 x --time-limit, at least 300); a beat "
    "it stops fails and the run exits 1.",
)
@_executor_options
@click.option(
    "--threads",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Solver threads per beat (CP-SAT interleaved search): the same input, seed and "
    "--threads give the same plan.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Solver random seed.")
@click.option(
    "--reserve",
    type=click.FloatRange(0, 0.9),
    default=0.2,
    show_default=True,
    help="Share of each month's visit hours kept for revisits of absent households.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for plan.csv, unplanned.csv, approvals.csv, forms.",
)
@click.option(
    "--night/--no-night",
    default=True,
    show_default=True,
    help="Allow night visits (they need the 地域課長's approval; listed in approvals.csv).",
)
@_handle_errors
def plan(
    dbs,
    year,
    beats,
    policy_name,
    time_limit,
    wall_guard,
    executor,
    workers,
    scheduler,
    threads,
    seed,
    reserve,
    out_dir,
    night,
) -> None:
    """Plan the year: every due target to a month, a duty day and a slot (CP-SAT).

    \b
    Writes plan.csv, unplanned.csv (what does not fit, and why), approvals.csv
    (night visits for the 地域課長) and form_<beat>_<year>.xlsx (年間実施計画・結果表),
    and prints planned hours against the officers' visit hours per month.  A
    shortfall is a warning (exit 0); bad input exits 2.  Example:
      planner plan --db demo/demo.gpkg --year 2027 --out demo/plan
    Each beat is one task (--executor; same files whatever the executor).  Many
    stations at once, each into OUT/<file stem>/; a beat that fails twice is named
    in OUT/failed_beats.csv, the others are written (exit 1):
      planner plan --db pref/ --year 2027 --executor dask --workers 8 --out pref_plan
    """
    from planner.schedule import YearParams, time_bound_message

    params = YearParams(
        time_limit_s=time_limit,
        workers=threads,
        seed=seed,
        reserve=reserve,
        allow_night=night,
        wall_guard_s=wall_guard,
    )
    click.echo(time_bound_message(params), err=True)
    run_plan(
        dbs,
        out_dir,
        year=year or default_year(),
        beats=beats,
        policy_name=policy_name,
        params=params,
        executor=_executor_spec(executor, workers, scheduler),
    )


@main.command()
@DB_OPTION
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="plan.csv (the planner's or a hand plan in the same columns).",
)
@click.option("--year", type=int, default=None, help="Plan year (default: from the plan's dates).")
@click.option("--policy", "policy_name", help="Policy (default: the station's).")
@click.option(
    "--from",
    "start",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="A re-plan's first day: rows before it are history and not checked (those after the "
    "last recorded outcome count as made).",
)
@_handle_errors
def verify(db: Path, plan_path: Path, year, policy_name, start) -> None:
    """Check a plan against the rules, independently of the solver, and score it.

    \b
    Rules: due set, exactly once, duty days, leave, slots and windows, capacity,
    night approvals.  unplanned.csv, approvals.csv and a campaign plan's
    campaign.csv beside the plan are read when present.  Exits 1 listing each
    violation by rule; prints walking minutes and monthly load balance so a hand
    plan can be compared with the optimised one.
      planner verify --db demo/demo.gpkg --plan demo/plan/plan.csv
      planner verify --db demo/demo.gpkg --plan demo/replan/plan.csv --from 2027-04-01
    """
    from planner.planfiles import read_approval_ids, read_campaign, read_plan, read_unplanned
    from planner.routes import route_check
    from planner.store import read_station, read_streets
    from planner.verify import verify_plan

    station = read_station(db)
    policy = _policy_of(station, policy_name)
    visits = read_plan(plan_path)
    start = start.date() if start else None
    if start is not None:
        # rows before --from that no outcome has been recorded for yet count as made (as the
        # re-plan took them); the rows from --from on are checked
        from planner.replan import assume_done, unrecorded

        station = assume_done(station, unrecorded(station, [v for v in visits if v.date < start]))
        visits = [v for v in visits if v.date >= start]
    if year is None:
        years = Counter(v.date.year for v in visits)
        year = years.most_common(1)[0][0] if years else default_year()
    folder = plan_path.parent
    unplanned = (
        read_unplanned(folder / "unplanned.csv") if (folder / "unplanned.csv").is_file() else None
    )
    approvals = (
        read_approval_ids(folder / "approvals.csv")
        if (folder / "approvals.csv").is_file()
        else None
    )
    campaign = (
        read_campaign(folder / "campaign.csv") if (folder / "campaign.csv").is_file() else None
    )
    beats = sorted({v.beat_id for v in visits} | {u.beat_id for u in unplanned or []})
    report = verify_plan(
        station,
        policy,
        year,
        visits,
        unplanned=unplanned,
        approvals=approvals,
        beats=[b for b in beats if b in {x.beat_id for x in station.beats}] or None,
        graph=read_streets(db),
        start=start,
        campaign=campaign,
        router=route_check,
    )
    sc = report.score
    click.echo(
        f"{plan_path}: {sc.visits} visits on {sc.days_used} officer-days; walking "
        f"{sc.walk_minutes / 60:.1f} h ({sc.walk_minutes_per_visit:.1f} min per visit); "
        f"monthly load CV {sc.monthly_load_cv:.2f}"
    )
    for v in report.violations:
        click.echo(f"violation [{v.rule}] {v.target_id or '-'}: {v.message}", err=True)
    if not report.ok:
        counts = Counter(v.rule for v in report.violations)
        click.echo("FAILED: " + ", ".join(f"{r} {n}" for r, n in sorted(counts.items())), err=True)
        sys.exit(1)
    click.echo("OK: the plan keeps every rule")


@main.command()
@DB_OPTION
@click.option("--year", type=int, default=None, help="Year of the visits (default: this year).")
@click.option(
    "--unapproved-ok",
    is_flag=True,
    help="Record night visits without the 地域課長's approval on record (they are "
    "listed in the month's progress report).",
)
@click.argument("outcomes", type=click.Path(dir_okay=False, path_type=Path))
@_handle_errors
def record(db: Path, year: int | None, unapproved_ok: bool, outcomes: Path) -> None:
    """Record visit outcomes (面接・不在・拒否・転出・新規・仮カード) into the station file.

    \b
    Columns: target_id, date, officer_id, outcome (visited | absent | refused |
    moved_out | new | provisional), notes; new households (new, or provisional
    for a household not yet in the register) also need beat_id, kind, address,
    lon, lat.  Optional: slot (day | evening | night) or start, end (HH:MM);
    card_left (cr_meishi | patrol_card | none) on absent rows; opinion,
    opinion_kind (request | concern | complaint | other), action (意見・要望 and
    措置), minutes_spent.  A night visit needs the 地域課長's approval on record
    (planner approve) unless --unapproved-ok.  Every row is checked first;
    recording the same file twice changes nothing.  Example:
      planner record --db demo/demo.gpkg --year 2027 outcomes_2027-03.csv
    """
    from planner.record import record_outcomes

    r = record_outcomes(db, outcomes, year=year, unapproved_ok=unapproved_ok)
    click.echo(
        f"{outcomes}: {r.added} visits recorded ({r.already_recorded} already there), "
        f"{r.new_targets} new targets, {r.updated_targets} targets updated"
    )


@main.command()
@DB_OPTION
@click.argument("decisions", type=click.Path(dir_okay=False, path_type=Path))
@_handle_errors
def approve(db: Path, decisions: Path) -> None:
    """Record the 地域課長's decisions on night visits (Miyagi 第5-3, Aomori 第6-3).

    \b
    Columns: target_id, date, slot, decided_by, decided_on, decision (approve |
    deny, or 承認 | 不承認), note (optional).  decided_on is on or before the
    visit's date (approval in advance).  One decision per visit (target_id,
    date, slot): a row that differs from the stored one corrects it.  Every row
    is checked first; recording the same file twice changes nothing.  record
    then accepts the approved night visits.  Example:
      planner approve --db demo/demo.gpkg decisions_2027-05.csv
    """
    from planner.approvals import record_approvals

    r = record_approvals(db, decisions)
    click.echo(
        f"{decisions}: {r.added} decisions recorded, {r.already_recorded} already recorded, "
        f"{r.replaced} corrected ({r.approved} approve, {r.denied} deny)"
    )


@main.command()
@DB_OPTION
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The plan.csv to sign (its folder's forms get the review line).",
)
@click.option("--by", "by", required=True, help="The supervisor, e.g. '地域課長 警部 佐藤'.")
@click.option("--note", default="", help="What the review found or asked for.")
@_handle_errors
def review(db: Path, plan_path: Path, by: str, note: str) -> None:
    """Sign a year plan as reviewed (Miyagi 第4-3, 第7-2; Aomori 第4-6).

    \b
    The station file keeps who reviewed which plan and when, with the SHA-256 of
    plan.csv; the forms beside it then show 幹部確認 with the name and date.  A plan
    changed afterwards shows 未確認 on every form written from it.  Example:
      planner review --db demo/demo.gpkg --plan demo/plan/plan.csv --by '警部 佐藤'
    """
    from planner.supervision import review_line, review_plan

    r = review_plan(db, plan_path, by=by, note=note)
    what = "recorded" if r.added else "already recorded"
    click.echo(f"{plan_path}: review {what}: {review_line(r.review)}")


@main.command()
@DB_OPTION
@click.option("--officer", "officer_id", required=True, help="Officer id.")
@click.option(
    "--month", required=True, type=click.DateTime(["%Y-%m"]), help="Month guided (YYYY-MM)."
)
@click.option("--by", "by", required=True, help="The supervisor who gave the guidance.")
@click.option("--note", required=True, help="The guidance given.")
@_handle_errors
def guide(db: Path, officer_id: str, month, by: str, note: str) -> None:
    """Record a supervisor's monthly guidance to an officer (指導記録).

    \b
    Shown per officer on planner progress --by officer.  Example:
      planner guide --db demo/demo.gpkg --officer OF01 --month 2027-03 \\
        --by '警部補 高橋' --note '夕方の訪問を増やすこと'
    """
    from planner.supervision import record_guidance

    added = record_guidance(db, officer_id, month.year, month.month, by=by, note=note)
    state = "recorded" if added else "already there"
    click.echo(f"{officer_id} {month:%Y-%m}: guidance {state}")


@main.command()
@DB_OPTION
@click.option("--login", required=True, help="The person's database login (one per person).")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    help="officer 受持警察官 (--beat), handler 取扱責任者 (--post), manager 管理責任者, "
    "chief 統括管理責任者.",
)
@click.option("--beat", "beat_id", default="", help="An officer's beat.")
@click.option("--post", "post_id", default="", help="A handler's post.")
@click.option("--revoke", is_flag=True, help="Take the login's access to this station away.")
@_handle_errors
def grant(db: str, login: str, role: str | None, beat_id: str, post_id: str, revoke: bool) -> None:
    """Give a person access to the rows their role allows (PostGIS stations).

    \b
    The database enforces it with row-level security on every table that names a
    household: an officer reads their own beat, a handler their post's beats, a
    manager or chief the whole station (and its access log) — with the planner or
    with raw SQL alike.  For a GeoPackage station give an officer their own beat
    with planner export --beat.  Example:
      planner grant --db "postgresql:///hq?station=midori" --login yamada \\
        --role officer --beat K1-1
    """
    if not store_pg.is_url(db):
        raise InputError(
            f"{db}: roles are enforced by PostgreSQL; for a GeoPackage station give an officer "
            "a copy of their own beat (planner export --beat)"
        )
    if revoke:
        gone = store_pg.revoke_access(db, login)
        click.echo(f"{login}: access " + ("revoked" if gone else "was not granted"))
        return
    if role is None:
        raise InputError("--role: give the login's role (or --revoke)")
    store_pg.grant_access(db, Grant(login, Role(role), beat_id or post_id))
    for g in store_pg.access_grants(db):
        scope = f" {g.scope}" if g.scope else ""
        click.echo(f"{g.login}\t{ROLE_LABELS_JA[g.role]} ({g.role.value}{scope})")


@main.command()
@DB_OPTION
@click.option(
    "--before",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Remove what is past retention before this day (default: today).",
)
@_handle_errors
def purge(db: Path, before) -> None:
    """Remove the records of moved-out and exempt households past their retention.

    \b
    A household that moved out (転出) or that the chief exempted is kept with its
    visits for the policy's retention_years ([records] in the policy) after the
    move or the order; then it goes with its visits, decisions, exemption order
    and beat moves.  Active targets are never touched.  Counts are printed and the
    purge is written to the station's access log.  Example:
      planner purge --db demo/demo.gpkg --before 2031-01-01
    """
    from planner.records import purge_station

    r = purge_station(db, before=before.date() if before else None)
    click.echo(
        f"purge before {r.before}: {r.targets} targets, {r.visits} visits, {r.approvals} "
        f"decisions, {r.exemptions} exemption orders, {r.beat_moves} beat moves removed"
    )


@main.command()
@DB_OPTION
@PLAN_YEAR_OPTION
@click.argument("orders", type=click.Path(dir_okay=False, path_type=Path))
@_handle_errors
def exempt(db: Path, year: int | None, orders: Path) -> None:
    """Record the 署長's exemption orders: targets that need no visit (Miyagi 第5-1(1)).

    \b
    Columns: target_id, ordered_by, date, reason (all required; the date not in
    the future).  An exempt target stays in the register with its history and is
    out of the due set from the order's year; every plan lists it in
    exemptions.csv.  One order per target: a row that differs from the stored
    order replaces it.  Every row is checked first; recording the same file twice
    changes nothing.  Example:
      planner exempt --db demo/demo.gpkg exemptions_2027.csv
    """
    from planner.exemptions import exempt_targets

    r = exempt_targets(db, orders, year=year or default_year())
    joined = f" ({r.joined_due} join it as the cycle's top-up)" if r.joined_due else ""
    click.echo(
        f"{orders}: {r.added} orders added, {r.already_recorded} already recorded, "
        f"{r.replaced} replaced; {r.left_due} targets leave the {r.year} due set"
        f"{joined}"
    )


@main.command()
@DB_OPTION
@click.option("--year", type=int, required=True, help="Year of the visits.")
@click.option("--month", type=click.IntRange(1, 12), required=True, help="Month of the visits.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for opinions_<YYYY-MM>.xlsx and complaints_<YYYY-MM>.csv.",
)
@click.option("--with-names", is_flag=True, help="Add residents' names (personal data).")
@click.option(
    "--mark-reported",
    "reported_on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Record that the month's unreported complaints went to headquarters on this day.",
)
@_handle_errors
def opinions(db: Path, year: int, month: int, out_dir: Path, with_names: bool, reported_on) -> None:
    """Report the month's opinions and requests (意見・要望) and the complaints for HQ.

    \b
    Writes the 巡回連絡における意見・要望等報告書 (xlsx, A4 landscape, complaints
    first) and complaints_<YYYY-MM>.csv: complaints about police work (苦情),
    which the chief reports to headquarters at once.  Both are written even for
    a month without any (a nil return) and are owner-only.  Example:
      planner opinions --db demo/demo.gpkg --year 2027 --month 3 --out demo/opinions
    """
    from planner.model import OPINION_LABELS_JA
    from planner.opinions import mark_reported, write_opinion_outputs
    from planner.store import read_station, station_update

    if reported_on is not None:
        with station_update(db) as station:
            try:
                marked = mark_reported(station, year, month, reported_on.date())
            except ValueError as exc:
                raise InputError(f"--mark-reported: {exc}") from None
        click.echo(
            f"{year}-{month:02d}: {marked} complaints marked reported on {reported_on:%Y-%m-%d}"
        )
    out = write_opinion_outputs(out_dir, read_station(db), year, month, with_names=with_names)
    kinds = ", ".join(f"{OPINION_LABELS_JA[k]} {n}" for k, n in out.counts().items() if n)
    click.echo(
        f"{year}-{month:02d}: {len(out.rows)} opinions"
        + (f" ({kinds})" if kinds else "")
        + f" → {out.report}"
    )
    if out.complaints:
        today = date.today()
        open_ = [r for r in out.rows if r.is_complaint and r.reported_on is None]
        late = sum(r.status(today) == "overdue" for r in open_)
        click.secho(
            f"苦情 {out.complaints} 件: headquarters must be told at once → {out.complaints_csv}",
            bold=True,
            fg="red",
        )
        click.echo(
            f"  {len(open_)} not yet reported to headquarters ({late} overdue); "
            "record the day they were with --mark-reported YYYY-MM-DD"
        )
    else:
        click.echo(f"苦情 0 件: no complaint to report (nil return → {out.complaints_csv})")


def _read_plan_dir(plan_path: Path | None):
    from planner.planfiles import read_plan, read_unplanned

    if plan_path is None:
        return None, None
    unplanned_path = plan_path.parent / "unplanned.csv"
    unplanned = read_unplanned(unplanned_path) if unplanned_path.is_file() else None
    return read_plan(plan_path), unplanned


@main.command()
@DB_OPTION
@click.option("--year", type=int, required=True, help="Year of the form.")
@click.option(
    "--month",
    type=click.IntRange(1, 12),
    default=None,
    help="Results up to the end of this month (default: last month with visits).",
)
@click.option("--beat", "beats", multiple=True, help="Beat id (repeatable; default all).")
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The year's plan.csv (実施計画 rows and 対象数; unplanned.csv beside it).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the forms and the progress page.",
)
@click.option(
    "--by",
    "by",
    type=click.Choice(["beat", "officer"]),
    default="beat",
    show_default=True,
    help="officer: add a table and chart per officer to the page and write officers_<YYYY-MM>.csv.",
)
@_handle_errors
def progress(db, year, month, beats, plan_path, out_dir, by) -> None:
    """Fill the result rows of the 年間実施計画・結果表 and write the monthly review page.

    \b
    実施数 counts the first interview of the year only; 未実施数, 新規把握数,
    仮カード, 転出数, CR名刺・パトロールカード, 実施率 and 把握率 as the directive
    defines them.  The page (HTML, offline) shows planned vs done per tier and the
    targets at risk.  With --plan it also estimates each beat's incident hours per
    duty day from the visits' recorded times and prints what to set in beats.csv.
    --by officer adds planned vs done, 実施率, interviews per visit hour, absent
    rate and night visits per officer.  Example:
      planner progress --db demo/demo.gpkg --year 2027 --month 3 \\
        --plan demo/plan/plan.csv --out demo/progress --by officer
    """
    from datetime import date

    from planner.progress import estimate_incident_hours
    from planner.reports import write_progress_outputs
    from planner.store import read_station
    from planner.supervision import plan_digest, review_line, review_of

    station = read_station(db)
    policy = _policy_of(station, None)
    visits, unplanned = _read_plan_dir(plan_path)
    if month is None:
        months = [x.date.month for x in station.visits if x.date.year == year]
        month = max(months, default=1)
    upto = date(year, month, calendar.monthrange(year, month)[1])
    reviewed = ""
    if plan_path is not None:
        reviewed = review_line(review_of(station.reviews, plan_digest(plan_path)))
    written = write_progress_outputs(
        out_dir,
        station,
        policy,
        year,
        upto,
        visits=visits,
        unplanned=unplanned,
        beats=list(beats) or None,
        by_officer=by == "officer",
        review=reviewed,
    )
    click.echo("wrote " + ", ".join(str(p) for p in written))
    if visits is not None:
        for estimate in estimate_incident_hours(
            station, policy, year, visits, upto=upto, beats=list(beats) or None
        ):
            click.echo(estimate.message())


@main.command()
@DB_OPTION
@click.option("--year", type=int, required=True, help="Plan year.")
@click.option(
    "--from",
    "start",
    type=click.DateTime(["%Y-%m-%d"]),
    required=True,
    help="First day to re-plan (everything before it stays; planned visits after the last "
    "recorded outcome count as made).",
)
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The plan to re-plan (default: OUT/plan.csv).",
)
@click.option(
    "--keep",
    type=click.Choice(["day", "month", "none"]),
    default="month",
    show_default=True,
    help="How much of the old future plan stays where it was.",
)
@click.option("--beat", "beats", multiple=True, help="Beat id (repeatable; default all).")
@click.option(
    "--time-limit", type=float, default=20.0, show_default=True, help="Solver seconds per beat."
)
@click.option(
    "--front-load",
    "front_load",
    type=click.IntRange(1, 12),
    default=None,
    metavar="MONTHS",
    help="A beat changing hands: plan every overdue and never-met target within the first "
    "MONTHS months from --from where hours allow; says what does not fit.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the re-plan (plan.csv, forms…).",
)
@_handle_errors
def replan(db, year, start, plan_path, keep, beats, time_limit, front_load, out_dir) -> None:
    """Re-plan the rest of the year from a date, absent and new households included.

    \b
    Visits before --from stay as they were; every still-due target is planned again
    over the remaining duty days.  Says whether the year goal is still reachable
    and, if not, the shortfall in hours per month.  Example:
      planner replan --db demo/demo.gpkg --year 2027 --from 2027-04-01 \\
        --plan demo/plan/plan.csv --out demo/replan
    With --front-load 3 (a new officer on the beat) the overdue and never-met
    targets go into the first 3 months; those that do not fit are unplanned.
    """
    from planner.planfiles import write_plan_outputs
    from planner.replan import front_load_summary, kept_share, replan_year
    from planner.schedule import YearParams
    from planner.store import read_station, read_streets

    station = read_station(db)
    policy = _policy_of(station, None)
    old, _ = _read_plan_dir(plan_path or out_dir / "plan.csv")
    params = YearParams(time_limit_s=time_limit)
    plan, kept = replan_year(
        station,
        policy,
        year,
        old,
        start.date(),
        keep=keep,
        beats=list(beats) or None,
        graph=read_streets(db),
        params=params,
        progress=lambda msg: click.echo(msg, err=True),
        front_load=front_load,
    )
    share = kept_share(old, plan.visits, start.date())
    fl = front_load_summary(plan, plan.campaign) if plan.campaign is not None else None
    plan.visits = sorted(
        kept + plan.visits, key=lambda v: (v.beat_id, v.date, v.officer_id, v.slot, v.target_id)
    )
    written = write_plan_outputs(out_dir, plan, station, policy)
    _report_plan(plan, policy, params, written)
    click.echo(
        f"kept {len(kept)} visits before {start.date()}; {share:.0%} of the old plan's "
        f"later visits stay in their month"
    )
    if fl is not None:
        _report_front_load(fl)
    if plan.shortfalls:
        click.echo("the year goal is NOT reachable with these hours (see the warnings)")
    else:
        click.echo("the year goal is still reachable")


def _report_front_load(fl) -> None:
    """Print how many front-loaded targets the window holds and how many do not fit."""
    window = f"{fl.start} – {fl.end}"
    click.echo(
        f"front-load {window}: {fl.targets} overdue or never-met targets; "
        f"{fl.planned_in_window} planned in the window, {fl.planned_outside} planned "
        f"after it, {len(fl.not_fitting)} not at all"
    )
    if fl.planned_outside:
        click.echo(
            f"warning: {fl.planned_outside} front-loaded targets do not fit {window} and "
            "are planned later in the year; a longer --front-load or more visit hours "
            "in the window would bring them forward",
            err=True,
        )
    if fl.not_fitting:
        per_beat = ", ".join(f"{b} {n}" for b, n in sorted(fl.by_beat.items()))
        click.echo(
            f"warning: {len(fl.not_fitting)} front-loaded targets fit nowhere this year "
            f"({per_beat}): see unplanned.csv",
            err=True,
        )


@main.command()
@DB_OPTION
@click.option(
    "--center",
    required=True,
    metavar="LON,LAT",
    help="Centre of the circle in degrees, e.g. 140.870,38.272.",
)
@click.option("--radius", type=float, required=True, help="Radius of the circle in metres.")
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    required=True,
    help="First day of the campaign: the plan is re-planned from it.",
)
@click.option(
    "--days",
    type=int,
    required=True,
    help="Every target in the circle visited within this many days.",
)
@click.option(
    "--kinds",
    default="household,business",
    show_default=True,
    help="Kinds of target the campaign covers.",
)
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The plan in force (plan.csv; unplanned.csv beside it is read).  Without it, "
    "the beats in the circle are first planned from --start without the "
    "campaign.",
)
@click.option("--year", type=int, default=None, help="Plan year (default: the year of --start).")
@click.option(
    "--keep",
    type=click.Choice(["day", "month", "none"]),
    default="day",
    show_default=True,
    help="How much of the old plan stays where it was.",
)
@click.option(
    "--time-limit",
    type=float,
    default=5.0,
    show_default=True,
    help="Solver seconds per beat and planning.",
)
@click.option(
    "--search-plans",
    type=click.IntRange(0, 20),
    default=6,
    show_default=True,
    help="Plannings allowed to find the days the campaign needs when --days is too "
    "short (0: do not search).",
)
@click.option("--ordered-by", default="", help="Who ordered the campaign (kept on record).")
@click.option("--reason", default="", help="Why: the incident (kept on record).")
@click.option(
    "--ordered-on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Day of the order (default: today, or --start if that is earlier).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for plan.csv, unplanned.csv, displaced.csv, forms and routes/.",
)
@_handle_errors
def campaign(
    db,
    center,
    radius,
    start,
    days,
    kinds,
    plan_path,
    year,
    keep,
    time_limit,
    search_plans,
    ordered_by,
    reason,
    ordered_on,
    out_dir,
) -> None:
    """Re-plan so that every target in a circle is visited within N days (a campaign).

    \b
    After a serious crime the chief orders a visiting campaign around it (Aomori
    第4-3).  The beats the circle touches are re-planned from --start, the
    campaign first, the rest of the plan kept where it can stay.  Writes
    plan.csv, unplanned.csv, approvals.csv and forms as `replan` does,
    displaced.csv (visits of the old plan moved or dropped) and route sheets
    for every campaign day (routes/).  If N days are too short for the
    officers' hours, says how many days the campaign needs.  With --ordered-by
    and --reason the order is kept in the station file (who, when, why, where).
    Example:
      planner campaign --db demo/demo.gpkg --center 140.870,38.272 --radius 100 \\
        --start 2027-05-10 --days 14 --plan demo/plan/plan.csv --out demo/campaign \\
        --ordered-by '署長 宮城一郎' --reason '5月8日 空き巣連続発生'
    """
    from planner.campaign import (
        campaign_order,
        campaign_patrols,
        order_on_record,
        parse_center,
        parse_kinds,
        plan_campaign,
        record_order,
        write_displaced,
    )
    from planner.planfiles import write_campaign, write_plan_outputs, write_route_outputs
    from planner.schedule import YearParams
    from planner.store import read_station, read_streets

    station = read_station(db)
    policy = _policy_of(station, None)
    graph = read_streets(db)
    first = start.date()
    year = year or first.year
    order = campaign_order(
        station,
        year,
        center=parse_center(center),
        radius_m=radius,
        start=first,
        days=days,
        kinds=parse_kinds(kinds),
    )
    if ordered_by or reason:
        when = ordered_on.date() if ordered_on else min(date.today(), first)
        kept = order_on_record(
            order,
            ordered_by=ordered_by,
            reason=reason,
            ordered_on=when,
            center=parse_center(center),
            radius_m=radius,
            kinds=parse_kinds(kinds),
        )
        added = record_order(db, kept)
        click.echo(
            f"campaign order {'kept on record' if added else 'already on record'}: "
            f"{kept.ordered_by}, {kept.ordered_on}, {kept.reason}"
        )
    else:
        click.echo("note: the order is not on record (give --ordered-by and --reason)", err=True)
    old, old_unplanned = _read_plan_dir(plan_path)
    params = YearParams(time_limit_s=time_limit)
    result = plan_campaign(
        station,
        policy,
        year,
        old,
        order,
        old_unplanned=old_unplanned,
        graph=graph,
        params=params,
        keep=keep,
        find_days=search_plans > 0,
        max_plans=search_plans,
        progress=lambda msg: click.echo(msg, err=True),
    )
    written = write_plan_outputs(out_dir, result.plan, station, policy)
    write_campaign(out_dir / "campaign.csv", order)
    write_displaced(out_dir / "displaced.csv", result.displaced)
    routes = []
    for patrols in campaign_patrols(
        station, policy, result.plan.visits, order, graph=graph
    ).values():
        routes += write_route_outputs(out_dir / "routes", patrols, station, policy, graph=graph)
    _report_plan(result.plan, policy, params, written)
    _report_campaign(result, year, radius, parse_kinds(kinds), plan_path is not None)
    click.echo(
        f"wrote {out_dir / 'displaced.csv'} and {len(routes)} route files in {out_dir / 'routes'}"
    )


def _report_campaign(r, year: int, radius: float, kinds, had_plan: bool) -> None:
    """Print a campaign's targets, those inside the window, the days it needs, what moved."""
    c = r.campaign
    n = (c.end - c.start).days + 1
    length = f"{n} day" + ("s" if n > 1 else "")
    click.echo(
        f"campaign {c.start} – {c.end} ({length}): {len(c.target_ids)} targets "
        f"({'/'.join(kinds)}) within {radius:g} m, beat(s) "
        f"{', '.join(r.beats)}"
    )
    if not had_plan:
        click.echo(
            f"note: no --plan: the old plan is the plan of beat(s) {', '.join(r.beats)} "
            f"from {c.start} without the campaign; plan.csv covers those beats only",
            err=True,
        )
    if c.end.year > year:
        click.echo(
            f"note: the window runs past 31 December; the plan year {year} ends there", err=True
        )
    left = len(r.missing) - len(r.blocked)
    more = f"; {left} do not fit in {length} (unplanned.csv)" if left else ""
    click.echo(f"planned inside the window: {len(r.in_window)} of {len(c.target_ids)}{more}")
    if r.blocked:
        why = ", ".join(f"{k} {v}" for k, v in sorted(Counter(r.blocked.values()).items()))
        click.echo(
            f"warning: {len(r.blocked)} campaign targets cannot be planned however long "
            f"the campaign lasts ({why}); see unplanned.csv",
            err=True,
        )
    d = r.needed
    if d is not None and left:
        hours = (
            f"at least {d.lower_bound} by the visit hours alone"
            if d.lower_bound
            else "the officers' visit hours to 31 December are not enough"
        )
        if d.days is None and d.exact:
            click.echo(
                f"the campaign does not fit even in the rest of the year ({d.horizon} "
                f"days to 31 December; {hours})"
            )
        elif d.days is None:
            click.echo(
                f"the campaign needs more than {max(k for k, _ in d.tried)} days ({hours}); "
                "the search stopped (--search-plans)"
            )
        elif d.exact:
            click.echo(
                f"the campaign needs {d.days} days with these officers' hours ({hours}): "
                f"--days {d.days}"
            )
        else:
            failed = max((k for k, ok in d.tried if not ok and k < d.days), default=n)
            click.echo(
                f"the campaign fits in {d.days} days with these officers' hours ({hours}; "
                f"{failed} days did not fit, --search-plans narrows it): "
                f"--days {d.days}"
            )
    if r.not_due:
        click.echo(
            f"note: {len(r.not_due)} campaign targets are not due this year otherwise "
            "(the campaign adds them; campaign.csv tells `planner verify`)"
        )
    moved = Counter("moved" if x.reason == "moved" else "dropped" for x in r.displaced)
    click.echo(
        f"displaced: {len(r.displaced)} visits of the old plan from {c.start} "
        f"({moved['moved']} moved, {moved['dropped']} no longer planned): "
        "displaced.csv"
    )


@main.command()
@DB_OPTION
@click.option("--beat", "beat_id", required=True, help="The beat changing hands.")
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Handover day: everything is counted as of it (default: today).",
)
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The year's plan.csv (optional): a planned date passed without an interview puts a "
    "target at risk.",
)
@click.option(
    "--top",
    type=click.IntRange(1),
    default=20,
    show_default=True,
    help="Rows of the at-risk list on the page.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for handover_<beat>_<date>.html / .csv.",
)
@_handle_errors
def handover(db, beat_id, day, plan_path, top, out_dir) -> None:
    """How 巡回連絡 stands on a beat changing hands, for the 地域課長 instructing the new officer.

    \b
    Per tier: targets, overdue, never met (未把握・仮カード), absent twice or more in
    a row; per 丁目: last visits; the at-risk list; an offline map of the beat
    shaded by years since the last interview.  Writes handover_<beat>_<date>.html
    and .csv (owner-only: addresses).  Then front-load the overdue and never met:
      planner handover --db demo/demo.gpkg --beat K1-1 --date 2027-04-01 --out demo/handover
      planner replan --db demo/demo.gpkg --year 2027 --from 2027-04-01 --beat K1-1 \\
        --plan demo/plan/plan.csv --front-load 3 --out demo/handover/replan
    """
    from planner.handover import handover_report, write_handover
    from planner.store import read_station, read_streets

    station = read_station(db)
    policy = _policy_of(station, None)
    if beat_id not in {b.beat_id for b in station.beats}:
        raise InputError(f"unknown beat: {beat_id}")
    day = day.date() if day else date.today()
    visits, unplanned = _read_plan_dir(plan_path)
    report = handover_report(
        station, policy, beat_id, day, planned=visits, unplanned=unplanned, top=top
    )
    written = write_handover(report, station, out_dir, policy=policy, graph=read_streets(db))
    click.echo(
        f"{report.beat_id} {report.beat_name} on {day}: {report.in_register} targets "
        "in the register"
    )
    for t in report.tiers:
        click.echo(
            f"  {t.label} (every {t.frequency_years} y): {t.targets}; "
            f"{t.within_frequency} met within it, {t.overdue} overdue, {t.never_met} never "
            f"met ({t.provisional} 仮カード), {t.absent_twice} absent twice or more in a "
            "row"
        )
    first = len(report.overdue_or_never_met)
    click.echo(
        f"  to visit first: {first} overdue or never met (planner replan --front-load MONTHS)"
    )
    if report.chome:
        low = min(report.chome, key=lambda c: c.within_frequency)
        click.echo(
            f"  {len(report.chome)} 丁目; lowest share met within frequency: {low.chome} "
            f"{low.within_frequency:.0%}"
        )
    click.echo(f"  at risk: {report.at_risk_total}")
    click.echo("wrote " + ", ".join(str(p) for p in written))


@main.command()
@DB_OPTION
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The year's plan.csv (or give --targets).",
)
@click.option(
    "--targets",
    "target_ids",
    help="Comma-separated target ids to visit, without a plan (needs --beat).",
)
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Patrol date (default: each beat's busiest day of the plan).",
)
@click.option("--beat", "beats", multiple=True, help="Beat id (repeatable; default all on duty).")
@click.option(
    "--slot",
    type=click.Choice(["day", "evening", "night"]),
    default="day",
    show_default=True,
    help="Slot of a --targets route.",
)
@click.option(
    "--mode",
    type=click.Choice(["walk", "bike", "car"]),
    default=None,
    help="How the officer moves (default: the officer's).",
)
@click.option("--with-names", is_flag=True, help="Print residents' names on the sheet and map.")
@click.option(
    "--tiles",
    default=None,
    help="A tile URL for the map background (off by default: "
    "household locations must not go to tile servers).",
)
@click.option(
    "--time-limit", type=float, default=3.0, show_default=True, help="Solver seconds per route."
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "ortools", "pyvrp", "lkh"]),
    default="auto",
    show_default=True,
    help="Routing engine (auto: LKH for a plain tour, PyVRP with windows or optional stops).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for route_<beat>_<date>_<officer>.csv / .html / .pdf.",
)
@_handle_errors
def route(
    db,
    plan_path,
    target_ids,
    day,
    beats,
    slot,
    mode,
    with_names,
    tiles,
    time_limit,
    engine,
    out_dir,
) -> None:
    """Order a duty day's visits on the streets: CSV, offline map and printed A4 sheet.

    \b
    Starts and ends at the post, keeps each household's window and the officer's
    visit minutes for that duty, keeps one building's households together, and
    fills spare minutes with absent households to retry and due targets nearby.
    A day whose planned doors do not fit says which drop and by how many minutes.
      planner route --db demo/demo.gpkg --plan demo/plan/plan.csv --date 2027-04-05 \\
        --beat K1-1 --out demo/routes
      planner route --db demo/demo.gpkg --targets T00001,T00002 --beat K1-1 \\
        --date 2027-04-05 --out demo/routes
    """
    from planner.routes import RouteParams

    params = RouteParams(time_limit_s=time_limit, engine=engine)
    patrols, station, policy, graph = _route_patrols(
        db, plan_path, target_ids, day.date() if day else None, beats, slot, mode, params
    )
    from planner.planfiles import write_route_outputs

    written = write_route_outputs(
        out_dir, patrols, station, policy, graph=graph, with_names=with_names, tiles=tiles
    )
    if with_names:
        from planner.store import log_access

        log_access(db, f"route --with-names → {out_dir}", sum(len(p.route.stops) for p in patrols))
    for p in patrols:
        r = p.route
        click.echo(
            f"{p.beat_id} {r.date} {r.slot} {r.officer_id}: {len(r.stops)} doors "
            f"({sum(s.optional for s in r.stops)} extra), {r.total_m / 1000:.1f} km, "
            f"{r.total_min} min [{r.engine or 'no route'}]"
        )
        for note in (n for n in r.notes if "guard" in n or "not installed" in n):
            click.echo(f"note: {p.beat_id} {r.date}: {note}", err=True)
        if r.dropped_mandatory:
            click.echo(
                f"warning: {p.beat_id} {r.date}: {len(r.dropped_mandatory)} planned doors "
                f"do not fit ({', '.join(r.dropped_mandatory)}); the day overruns by "
                f"about {r.overrun_min} min",
                err=True,
            )
    click.echo(f"wrote {len(written)} files to {out_dir}")


def _route_patrols(db, plan_path, target_ids, day, beats, slot, mode, params):
    """The routes the `route` command writes (a plan's day, or a plain list of ids)."""
    from planner.patrol import (
        PatrolRoute,
        absent_to_retry,
        busiest_day,
        check_plan,
        patrol_routes,
        shift_for,
    )
    from planner.planfiles import read_plan
    from planner.routes import route_day, route_from_ids
    from planner.store import read_station, read_streets

    station = read_station(db)
    policy = _policy_of(station, None)
    graph = read_streets(db)
    if target_ids:
        if len(beats) != 1 or day is None:
            raise InputError("--targets needs one --beat and a --date")
        stops, officer_id, slot = route_from_ids(
            station,
            [t.strip() for t in target_ids.split(",") if t.strip()],
            day,
            beats[0],
            policy,
            slot=slot,
            retry=absent_to_retry(station, beats[0], day),
            params=params,
        )
        officer = next((o for o in station.officers if o.officer_id == officer_id), None)
        if officer is None:
            raise InputError(f"beat {beats[0]} has no officer")
        shift = shift_for(station, policy, officer_id, day, slot, params)
        post = station.post_of(beats[0])
        r = route_day(
            stops,
            (post.lon, post.lat),
            shift=shift,
            graph=graph,
            mode=mode or officer.mode.value,
            params=params,
            officer_id=officer_id,
            day=day,
            slot=slot,
        )
        mandatory = tuple(s.target_id for s in stops if s.mandatory)
        return [PatrolRoute(beats[0], r, shift, mandatory)], station, policy, graph
    if plan_path is None:
        raise InputError("give --plan (a plan.csv) or --targets")
    visits = read_plan(plan_path)
    check_plan(plan_path, visits, station, policy)
    wanted = list(beats) or sorted({v.beat_id for v in visits})
    patrols = []
    for beat_id in [b.beat_id for b in station.beats if b.beat_id in wanted]:
        when = day or busiest_day(visits, beat_id)
        if day and not any(v.beat_id == beat_id and v.date == day for v in visits):
            continue
        patrols += patrol_routes(
            station, policy, visits, when, beats=[beat_id], graph=graph, mode=mode, params=params
        )
    if not patrols:
        raise InputError(f"no planned visits on {day} for beat(s) {', '.join(wanted)}")
    return patrols, station, policy, graph


@main.command()
@STATIONS_OPTION
@click.option("--year", type=int, required=True, help="Year to simulate.")
@click.option("--policy", "policy_name", help="Policy (default: the station's).")
@click.option(
    "--strategy",
    type=click.Choice(["planner", "baseline"]),
    default="planner",
    show_default=True,
    help="The planner, or hand planning (address order, fixed doors a day, by day only).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the doors.")
@click.option(
    "--time-limit",
    type=float,
    default=3.0,
    show_default=True,
    help="Solver seconds per beat for each (re-)plan.",
)
@_executor_options
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for summary.json and months.csv.",
)
@_handle_errors
def simulate(
    dbs, year, policy_name, strategy, seed, time_limit, executor, workers, scheduler, out_dir
) -> None:
    """Play a year of 巡回連絡 duty day by duty day and report what it cost and achieved.

    \b
    At each door somebody answers with the contact model's chance (household type,
    weekday or weekend, slot; planner/contact.py); the officer walks each day's
    doors from the post within the day's visit minutes.  Reports per month
    (months.csv) and at year end (summary.json): officer hours walking, waiting
    and visiting, km, first interviews and 実施率 per tier, what is left overdue
    or never met, night visits, households found.  Example:
      planner simulate --db demo/demo.gpkg --year 2027 --strategy baseline --out sim/b
    Each beat is one task (--executor) with its own seed drawn from --seed and the
    beat; several --db: one summary per station in OUT/<file stem>/.
    """
    from planner.executor import simulate_stations, station_files
    from planner.schedule import YearParams
    from planner.simulator import SimParams

    dbs = station_files(dbs)
    params = SimParams(strategy=strategy, seed=seed, plan=YearParams(time_limit_s=time_limit))

    def write(sim) -> None:
        for r in sim.failed:
            click.echo(
                f"error: beat {r.name} failed after {r.attempts} attempts: {r.error}", err=True
            )
        if sim.result is not None:
            _write_simulation(sim.out, sim.result, sim.policy, strategy)

    summary = simulate_stations(
        dbs,
        out_dir,
        year=year,
        params=params,
        policy_name=policy_name,
        spec=_executor_spec(executor, workers, scheduler),
        on_station=write,
    )
    click.echo(summary.message(), err=True)
    summary.raise_failures()


def _write_simulation(out_dir: Path, result, policy, strategy: str) -> None:
    """summary.json and months.csv of one station's simulated year, and what they say."""
    import json

    from planner.files import atomic_path

    summary = result.summary()
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "summary.json", private=False) as tmp:
        tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    months = result.month_rows()
    columns = list(months[0]) if months else []
    rows = [",".join(columns)] + [",".join(str(m[c]) for c in columns) for m in months]
    with atomic_path(out_dir / "months.csv", private=False) as tmp:
        tmp.write_text("\n".join(rows) + "\n", encoding="utf-8")
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
    click.echo("  ".join(brief))
    for m in months:
        click.echo("  ".join(f"{m[c]:>{len(c)}}" for c in brief))
    rates = ", ".join(f"{policy.tier(t).label} {100 * r:.0f}%" for t, r in summary["rate"].items())
    click.echo(
        f"{strategy}: {summary['officer_hours']} officer hours, "
        f"{summary['first_interviews']} first interviews "
        f"({summary['hours_per_interview']} h each), {summary['km']} km; {rates}; "
        f"{summary['overdue_left']} overdue and {summary['never_met_left']} never met left"
    )
    click.echo(f"wrote {out_dir / 'summary.json'}, {out_dir / 'months.csv'}")


@main.group()
def scenario() -> None:
    """What-if studies for the 署長 and 地域課長: staffing, frequencies, campaigns, seasons."""


@scenario.command(name="compare")
@STATIONS_OPTION
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--year", type=int, required=True, help="Plan year.")
@click.option(
    "--time-limit",
    type=float,
    default=10.0,
    show_default=True,
    help="Solver seconds per beat and scenario.",
)
@_executor_options
@click.option(
    "--processes",
    type=click.IntRange(1),
    default=None,
    hidden=True,
    help="Old name of --workers (with the processes executor).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for comparison.csv, comparison_months.csv, .html.",
)
@_handle_errors
def scenario_compare(
    dbs, files, year, time_limit, executor, workers, scheduler, processes, out_dir
) -> None:
    """Plan the station under each scenario file and compare them side by side.

    \b
    Each TOML file changes the base without editing it: officers added or removed,
    leave, visit hours, duty pattern, 専従日 per month, policy and frequencies, a
    campaign, seasonal capacity, transport mode, a beat boundary (keys in
    planner/scenarios.py and data/scenarios/).  Example:
      planner scenario compare --db demo/demo.gpkg data/scenarios/base.toml \\
        data/scenarios/one_officer_fewer.toml data/scenarios/campaign.toml \\
        --year 2027 --out demo/compare
    Each beat × scenario is one task (--executor); several --db: one comparison
    per station in OUT/<file stem>/, failed beats in OUT/failed_beats.csv.
    """
    from planner.executor import compare_stations, db_stem, station_files
    from planner.scenarios import load_scenario
    from planner.schedule import YearParams

    scenarios = [load_scenario(f) for f in files]
    dbs = station_files(dbs)
    spec = _executor_spec(executor, workers or processes, scheduler)
    click.echo(f"planning {len(scenarios)} scenarios ...", err=True)

    def report(sc) -> None:
        if len(dbs) == 1:
            _print_comparison(sc.outcomes, sc.policy)
            click.echo("wrote " + ", ".join(str(p) for p in sc.written))
        else:
            click.echo(
                f"{sc.station.name} ({db_stem(sc.db)}): {len(sc.outcomes)} scenarios "
                f"→ {sc.written[0].parent}"
            )
        for r in sc.failed:
            click.echo(
                f"error: beat {r.name} failed after {r.attempts} attempts: {r.error}", err=True
            )

    summary = compare_stations(
        dbs,
        scenarios,
        out_dir,
        year=year,
        spec=spec,
        params=YearParams(time_limit_s=time_limit),
        on_station=report,
    )
    click.echo(summary.message(), err=True)
    summary.raise_failures()


def _print_comparison(outcomes, policy) -> None:
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
        click.echo(
            f"{o.name}: {rates}; {o.unplanned} unplanned ({o.overdue_at_year_end} overdue "
            f"at year end), {o.approvals} night approvals, {o.walk_km} km, "
            f"{o.officer_hours} visit hours{extra}"
        )


if __name__ == "__main__":  # pragma: no cover
    main()
