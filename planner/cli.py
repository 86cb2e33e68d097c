"""Command line: a thin shell over the Python API (parse, call, print).

Exit codes: 0 done (warnings included), 2 bad input (message names file, row and column),
1 an unexpected internal error.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Iterable
from pathlib import Path

import click
from click.core import ParameterSource

from planner._errors import InputError, PlannerError
from planner.access import Role
from planner.app import records
from planner.app.beats import station_files
from planner.app.campaign import Order, run_campaign
from planner.app.common import Line, default_year
from planner.app.compare import compare_stations
from planner.app.demo import run_demo, run_prefecture_demo
from planner.app.handover import hand_over
from planner.app.opinions import month_opinions
from planner.app.plan import plan_stations
from planner.app.progress import monthly_progress
from planner.app.registers import export_station, geocode_register, import_station, station_info
from planner.app.replan import replan_station
from planner.app.route import route_station
from planner.app.simulate import simulate_stations
from planner.app.verify import verify_plan_file
from planner.campaign import parse_center, parse_kinds
from planner.demo import DEMO_YEAR
from planner.executor import ExecutorSpec
from planner.prefecture import PrefectureSpec, StationInfo
from planner.routes import RouteParams
from planner.scenarios import load_scenario
from planner.schedule import YearParams, time_bound_message
from planner.simulator import SimParams
from planner.store_schema import is_station_url


def _echo(lines: Iterable[Line]) -> None:
    """Print a result's lines: warnings to stderr, an alarm bold red."""
    for line in lines:
        if line.alarm:
            click.secho(line.text, bold=True, fg="red", err=line.err)
        else:
            click.echo(line.text, err=line.err)


def _show(result) -> None:
    """Print what a use case's result says (its ``lines()``)."""
    _echo(result.lines())


def _progress(message: str) -> None:
    click.echo(message, err=True)


class _StationParam(click.ParamType):
    """A station file (a Path), or a PostGIS station URL kept as text (a Path would turn
    ``postgresql://`` into ``postgresql:/``)."""

    name = "FILE|URL"

    def __init__(self, folders: bool = False):
        self.folders = folders
        self._file = click.Path(dir_okay=folders, path_type=Path)
        if folders:
            self.name = "FILE|DIR|URL"

    def convert(self, value, param, ctx):
        if isinstance(value, str) and is_station_url(value):
            return value
        return self._file.convert(value, param, ctx)


STATION = _StationParam()
FILE = click.Path(dir_okay=False, path_type=Path)
DIR = click.Path(file_okay=False, path_type=Path)
DAY = click.DateTime(["%Y-%m-%d"])
DB_OPTION = click.option(
    "--db",
    type=STATION,
    required=True,
    help="Station file (.gpkg) or PostGIS URL (postgresql://…?station=NAME).",
)
STATIONS_OPTION = click.option(
    "--db",
    "dbs",
    type=_StationParam(folders=True),
    multiple=True,
    required=True,
    help="Station file (.gpkg), a folder of them, or a PostGIS URL; repeatable: many stations "
    "in one run, each into its own folder under --out.",
)


def _out_dir(help: str):
    """--out: the folder a command writes into."""
    return click.option("--out", "out_dir", type=DIR, required=True, help=help)


def _plan_file(help: str, required: bool = False):
    """--plan: a plan.csv (and what lies beside it)."""
    return click.option("--plan", "plan_path", type=FILE, required=required, help=help)


def _time_limit(default: float, help: str):
    """--time-limit: solver seconds (CP-SAT deterministic time for year plans)."""
    return click.option("--time-limit", type=float, default=default, show_default=True, help=help)


def _beats_option(help: str = "Beat id (repeatable; default all)."):
    """--beat: beat ids, repeatable."""
    return click.option("--beat", "beats", multiple=True, help=help)


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
        help="Where the beats run, one task per beat: in this process, in local processes, or "
        "on a Dask cluster (a LocalCluster of --workers without --scheduler).",
    )(func)


def _executor_spec(executor: str, workers: int | None, scheduler: str | None) -> ExecutorSpec:
    source = click.get_current_context().get_parameter_source("executor")
    if scheduler and source in (ParameterSource.DEFAULT, None):
        executor = "dask"
    return ExecutorSpec(executor, workers=workers, scheduler=scheduler)


def _demo_prefecture(
    out_dir: Path, stations: int, households: int, beats: int | None, seed: int, year: int
) -> None:
    """`demo --prefecture`: the station files, written one at a time (planner.prefecture)."""
    spec = PrefectureSpec(stations=stations, targets=households, beats=beats, seed=seed, year=year)
    click.echo(
        f"a made-up prefecture: {stations} stations, {spec.total_beats} beats, "
        f"{households:,} households and businesses → {out_dir}"
    )

    def done(i: StationInfo, seconds: float) -> None:
        click.echo(
            f"  {i.path.name} {i.name} ({i.kind}): {i.koban} 交番, {i.chuzaisho} 駐在所, "
            f"{i.beats} beats, {i.targets:,} targets, {i.officers} officers [{seconds:.0f} s]"
        )

    infos, seconds = run_prefecture_demo(out_dir, spec, done)
    click.echo(
        f"wrote {len(infos)} station files and {out_dir / 'prefecture.csv'}: "
        f"{sum(i.koban for i in infos)} 交番, {sum(i.chuzaisho for i in infos)} 駐在所, "
        f"{sum(i.beats for i in infos)} beats, {sum(i.targets for i in infos):,} targets "
        f"in {seconds:.0f} s\nnext: planner plan --db {out_dir} "
        f"--year {year} --executor dask --out {out_dir / 'plan'}"
    )


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
@_out_dir("Folder to write demo.gpkg (and later the plan, forms, routes) into.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the town.")
@click.option("--year", type=int, default=None, help="Plan year (default: 2027, the demo's).")
@_time_limit(5.0, "Solver seconds per beat for the year plan.")
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
    if prefecture:
        _demo_prefecture(out_dir, stations, households, beats, seed, year or DEMO_YEAR)
        return
    run_demo(
        out_dir,
        seed=seed,
        year=year or DEMO_YEAR,
        time_limit=time_limit,
        on_step=_echo,
        progress=True,
    )


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
    _show(station_info(db, year or default_year(), access_log=access_log))


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
    _show(export_station(db, out_path, redact=redact, beat_id=beat_id, fmt=fmt))


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
@click.option("--posts", type=FILE, help="Posts CSV.")
@click.option("--beats", type=FILE, help="Beats CSV.")
@click.option("--officers", type=FILE, help="Officers CSV (duty pattern per officer).")
@click.option("--officer-days", type=FILE, help="Leave days and 専従日 CSV.")
@click.option(
    "--streets",
    type=FILE,
    help="Street network: OSM XML (.osm), a .osm.pbf extract (clipped to the station's beats "
    "plus 1 km) or GraphML (.graphml).",
)
@click.option("--sheet", help="Register workbook: the sheet to read (default: the first).")
@click.option(
    "--columns",
    "columns_file",
    type=FILE,
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
    type=DIR,
    default=None,
    help="Folder for geocode_review.csv/.html (default: the register's).",
)
@click.argument("targets", nargs=-1, type=FILE)
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
    _show(
        import_station(
            db,
            station_name=station_name,
            policy_name=policy_name,
            posts=posts,
            beats=beats,
            officers=officers,
            officer_days=officer_days,
            streets=streets,
            targets=targets,
            sheet=sheet,
            columns_file=columns_file,
            geocode_refs=geocode_refs,
            review_dir=review_dir,
        )
    )


@main.command()
@click.argument("register", type=FILE)
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
    type=FILE,
    required=True,
    help="Output register (.xlsx/.csv) with lon, lat and geocode columns.",
)
@click.option("--sheet", help="The sheet to read (default: the first).")
@click.option(
    "--columns",
    "columns_file",
    type=FILE,
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
    _show(
        geocode_register(
            register, out_path, refs=refs, sheet=sheet, columns_file=columns_file, near=near
        )
    )


@main.command()
@STATIONS_OPTION
@PLAN_YEAR_OPTION
@_beats_option("Beat id to plan (repeatable; default all).")
@click.option(
    "--policy", "policy_name", help="miyagi, aomori or a policy TOML file (default: the station's)."
)
@_time_limit(
    20.0,
    "Solver budget per beat in CP-SAT deterministic time (about seconds on an idle core); "
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
@_out_dir("Folder for plan.csv, unplanned.csv, approvals.csv, forms.")
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
    params = YearParams(
        time_limit_s=time_limit,
        workers=threads,
        seed=seed,
        reserve=reserve,
        allow_night=night,
        wall_guard_s=wall_guard,
    )
    click.echo(time_bound_message(params), err=True)
    files = station_files(dbs)
    summary = plan_stations(
        files,
        out_dir,
        year=year or default_year(),
        params=params,
        spec=_executor_spec(executor, workers, scheduler),
        beats=beats,
        policy_name=policy_name,
        on_station=lambda sp: _echo(sp.lines(several=len(files) > 1)),
    )
    click.echo(summary.message(), err=True)
    summary.raise_failures()


@main.command()
@DB_OPTION
@_plan_file("plan.csv (the planner's or a hand plan in the same columns).", required=True)
@click.option("--year", type=int, default=None, help="Plan year (default: from the plan's dates).")
@click.option("--policy", "policy_name", help="Policy (default: the station's).")
@click.option(
    "--from",
    "start",
    type=DAY,
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
    result = verify_plan_file(
        db, plan_path, year=year, policy_name=policy_name, start=start.date() if start else None
    )
    _show(result)
    if not result.ok:
        sys.exit(1)


@main.command()
@DB_OPTION
@click.option("--year", type=int, default=None, help="Year of the visits (default: this year).")
@click.option(
    "--unapproved-ok",
    is_flag=True,
    help="Record night visits without the 地域課長's approval on record (they are "
    "listed in the month's progress report).",
)
@click.argument("outcomes", type=FILE)
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
    _show(records.record(db, outcomes, year=year, unapproved_ok=unapproved_ok))


@main.command()
@DB_OPTION
@click.argument("decisions", type=FILE)
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
    _show(records.approve(db, decisions))


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
    _show(records.review(db, plan_path, by=by, note=note))


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
    _show(records.guide(db, officer_id, month.year, month.month, by=by, note=note))


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
    _show(records.grant(db, login, role=role, scope=beat_id or post_id, revoke=revoke))


@main.command()
@DB_OPTION
@click.option(
    "--before",
    type=DAY,
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
    _show(records.purge(db, before=before.date() if before else None))


@main.command()
@DB_OPTION
@PLAN_YEAR_OPTION
@click.argument("orders", type=FILE)
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
    _show(records.exempt(db, orders, year=year or default_year()))


@main.command()
@DB_OPTION
@click.option("--year", type=int, required=True, help="Year of the visits.")
@click.option("--month", type=click.IntRange(1, 12), required=True, help="Month of the visits.")
@_out_dir("Folder for opinions_<YYYY-MM>.xlsx and complaints_<YYYY-MM>.csv.")
@click.option("--with-names", is_flag=True, help="Add residents' names (personal data).")
@click.option(
    "--mark-reported",
    "reported_on",
    type=DAY,
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
    day = reported_on.date() if reported_on else None
    _show(
        month_opinions(db, out_dir, year=year, month=month, with_names=with_names, reported_on=day)
    )


@main.command()
@DB_OPTION
@click.option("--year", type=int, required=True, help="Year of the form.")
@click.option(
    "--month",
    type=click.IntRange(1, 12),
    default=None,
    help="Results up to the end of this month (default: last month with visits).",
)
@_beats_option("Beat id (repeatable; default all).")
@_plan_file("The year's plan.csv (実施計画 rows and 対象数; unplanned.csv beside it).")
@_out_dir("Folder for the forms and the progress page.")
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
    _show(
        monthly_progress(
            db,
            out_dir,
            year=year,
            month=month,
            beats=beats,
            plan_path=plan_path,
            by_officer=by == "officer",
        )
    )


@main.command()
@DB_OPTION
@click.option("--year", type=int, required=True, help="Plan year.")
@click.option(
    "--from",
    "start",
    type=DAY,
    required=True,
    help="First day to re-plan (everything before it stays; planned visits after the last "
    "recorded outcome count as made).",
)
@_plan_file("The plan to re-plan (default: OUT/plan.csv).")
@click.option(
    "--keep",
    type=click.Choice(["day", "month", "none"]),
    default="month",
    show_default=True,
    help="How much of the old future plan stays where it was.",
)
@_beats_option("Beat id (repeatable; default all).")
@_time_limit(20.0, "Solver seconds per beat.")
@click.option(
    "--front-load",
    "front_load",
    type=click.IntRange(1, 12),
    default=None,
    metavar="MONTHS",
    help="A beat changing hands: plan every overdue and never-met target within the first "
    "MONTHS months from --from where hours allow; says what does not fit.",
)
@_out_dir("Folder for the re-plan (plan.csv, forms…).")
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
    _show(
        replan_station(
            db,
            out_dir,
            year=year,
            start=start.date(),
            plan_path=plan_path,
            keep=keep,
            beats=beats,
            params=YearParams(time_limit_s=time_limit),
            front_load=front_load,
            progress=_progress,
        )
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
    type=DAY,
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
@_plan_file(
    "The plan in force (plan.csv; unplanned.csv beside it is read).  Without it, "
    "the beats in the circle are first planned from --start without the "
    "campaign."
)
@click.option("--year", type=int, default=None, help="Plan year (default: the year of --start).")
@click.option(
    "--keep",
    type=click.Choice(["day", "month", "none"]),
    default="day",
    show_default=True,
    help="How much of the old plan stays where it was.",
)
@_time_limit(5.0, "Solver seconds per beat and planning.")
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
    type=DAY,
    default=None,
    help="Day of the order (default: today, or --start if that is earlier).",
)
@_out_dir("Folder for plan.csv, unplanned.csv, displaced.csv, forms and routes/.")
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
    order = Order(ordered_by, reason, ordered_on.date() if ordered_on else None)
    _show(
        run_campaign(
            db,
            out_dir,
            center=parse_center(center),
            radius_m=radius,
            start=start.date(),
            days=days,
            kinds=parse_kinds(kinds),
            plan_path=plan_path,
            year=year,
            keep=keep,
            params=YearParams(time_limit_s=time_limit),
            search_plans=search_plans,
            order=order,
            progress=_progress,
        )
    )


@main.command()
@DB_OPTION
@click.option("--beat", "beat_id", required=True, help="The beat changing hands.")
@click.option(
    "--date",
    "day",
    type=DAY,
    default=None,
    help="Handover day: everything is counted as of it (default: today).",
)
@_plan_file(
    "The year's plan.csv (optional): a planned date passed without an interview puts a "
    "target at risk."
)
@click.option(
    "--top",
    type=click.IntRange(1),
    default=20,
    show_default=True,
    help="Rows of the at-risk list on the page.",
)
@_out_dir("Folder for handover_<beat>_<date>.html / .csv.")
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
    day = day.date() if day else None
    _show(hand_over(db, beat_id, out_dir, day=day, plan_path=plan_path, top=top))


@main.command()
@DB_OPTION
@_plan_file("The year's plan.csv (or give --targets).")
@click.option(
    "--targets",
    "target_ids",
    help="Comma-separated target ids to visit, without a plan (needs --beat).",
)
@click.option(
    "--date",
    "day",
    type=DAY,
    default=None,
    help="Patrol date (default: each beat's busiest day of the plan).",
)
@_beats_option("Beat id (repeatable; default all on duty).")
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
@_time_limit(3.0, "Solver seconds per route.")
@click.option(
    "--engine",
    type=click.Choice(["auto", "ortools", "pyvrp", "lkh"]),
    default="auto",
    show_default=True,
    help="Routing engine (auto: LKH for a plain tour, PyVRP with windows or optional stops).",
)
@_out_dir("Folder for route_<beat>_<date>_<officer>.csv / .html / .pdf.")
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
    _show(
        route_station(
            db,
            out_dir,
            plan_path=plan_path,
            target_ids=[t.strip() for t in (target_ids or "").split(",") if t.strip()],
            day=day.date() if day else None,
            beats=beats,
            slot=slot,
            mode=mode,
            params=RouteParams(time_limit_s=time_limit, engine=engine),
            with_names=with_names,
            tiles=tiles,
        )
    )


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
@_time_limit(3.0, "Solver seconds per beat for each (re-)plan.")
@_executor_options
@_out_dir("Folder for summary.json and months.csv.")
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
    params = SimParams(strategy=strategy, seed=seed, plan=YearParams(time_limit_s=time_limit))
    summary = simulate_stations(
        station_files(dbs),
        out_dir,
        year=year,
        params=params,
        policy_name=policy_name,
        spec=_executor_spec(executor, workers, scheduler),
        on_station=lambda sim: _echo(sim.lines()),
    )
    click.echo(summary.message(), err=True)
    summary.raise_failures()


@main.group()
def scenario() -> None:
    """What-if studies for the 署長 and 地域課長: staffing, frequencies, campaigns, seasons."""


@scenario.command(name="compare")
@STATIONS_OPTION
@click.argument("files", nargs=-1, required=True, type=FILE)
@click.option("--year", type=int, required=True, help="Plan year.")
@_time_limit(10.0, "Solver seconds per beat and scenario.")
@_executor_options
@click.option(
    "--processes",
    type=click.IntRange(1),
    default=None,
    hidden=True,
    help="Old name of --workers (with the processes executor).",
)
@_out_dir("Folder for comparison.csv, comparison_months.csv, .html.")
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
    scenarios = [load_scenario(f) for f in files]
    dbs = station_files(dbs)
    click.echo(f"planning {len(scenarios)} scenarios ...", err=True)
    summary = compare_stations(
        dbs,
        scenarios,
        out_dir,
        year=year,
        params=YearParams(time_limit_s=time_limit),
        spec=_executor_spec(executor, workers or processes, scheduler),
        on_station=lambda sc: _echo(sc.lines(several=len(dbs) > 1)),
    )
    click.echo(summary.message(), err=True)
    summary.raise_failures()


if __name__ == "__main__":  # pragma: no cover
    main()
