"""Command line: a thin shell over the Python API (parse, call, print).

Exit codes: 0 done (warnings included), 2 bad input (message names file, row and column),
1 an unexpected internal error.
"""

from __future__ import annotations

import functools
import logging
import sys
from datetime import date
from pathlib import Path

import click

from planner._errors import InputError, PlannerError

log = logging.getLogger("planner")


def default_year(today: date | None = None) -> int:
    """The plan year a user most likely means: this year until June, next year from July."""
    today = today or date.today()
    return today.year if today.month <= 6 else today.year + 1


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
@click.option("--year", type=int, default=None, help="Plan year (default: see `planner info`).")
@_handle_errors
def demo(out_dir: Path, seed: int, year: int | None) -> None:
    """Build the demo station (a made-up town in Miyagi) and print its summary.

    \b
    The town has one 交番 with three beats and one rural 駐在所 beat, about 3,000
    households and businesses, streets with a river, bridges and a rail line, and
    officers with duty rosters.  Example:
      planner demo --out demo/ --seed 0
    """  # fmt: skip
    from planner.demo import build_demo
    from planner.store import write_station

    year = year or default_year()
    station, streets = build_demo(seed)
    db = out_dir / "demo.gpkg"
    write_station(station, db, streets=streets)
    click.echo(f"wrote {db} ({len(station.targets)} targets, {len(station.beats)} beats)")
    _print_summary(station, year)


@main.command()
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Station file (.gpkg).",
)
@click.option(
    "--year",
    type=int,
    default=None,
    help="Plan year (default: this year until June, next year from July).",
)
@_handle_errors
def info(db: Path, year: int | None) -> None:
    """Print a summary per beat: targets by tier and kind, due this year, officer hours.

    \b
    Example:
      planner info --db demo/demo.gpkg --year 2027
    """  # fmt: skip
    from planner.store import read_station

    _print_summary(read_station(db), year or default_year())


def _print_summary(station, year: int) -> None:
    from planner.policy import load_policy
    from planner.summary import format_summary, summarize

    policy = load_policy(station.policy)
    click.echo(f"{station.name} — {policy.label} — {year}年")
    click.echo(format_summary(summarize(station, policy, year), policy, year))


@main.command(name="import")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Station file (.gpkg); created when absent.",
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
    help="Street network: OSM XML (.osm) or GraphML (.graphml).",
)
@click.argument("targets", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@_handle_errors
def import_(
    db: Path, station_name, policy_name, posts, beats, officers, officer_days, streets, targets
) -> None:
    """Import a register (targets CSV / GeoPackage / GeoJSON) and its posts, beats and officers.

    \b
    Every row is checked; on any bad row nothing is written and each problem is
    printed with file, row and column.  Rows whose id is already in the station
    file replace it.  Example (a new station file from the samples in data/):
      planner import --db station.gpkg --station 緑ケ丘警察署 --policy miyagi \\
        --posts data/posts.csv --beats data/beats.csv --officers data/officers.csv \\
        --officer-days data/officer_days.csv --streets data/streets.osm data/targets.csv
    """  # fmt: skip
    from planner.roster import PATTERNS
    from planner.store import import_files

    graph = _load_streets(streets) if streets else None
    station = import_files(
        db, station_name=station_name, policy_name=policy_name, posts=posts, beats=beats,
        officers=officers, officer_days=officer_days, targets=targets, streets=graph,
        patterns=set(PATTERNS),
    )  # fmt: skip
    click.echo(
        f"{db}: {len(station.posts)} posts, {len(station.beats)} beats, "
        f"{len(station.officers)} officers, {len(station.targets)} targets"
    )
    if graph is not None:
        _report_snapping(station, graph)


def _load_streets(path: Path):
    from planner import network

    if path.suffix.lower() == ".graphml":
        return network.graph_from_graphml(path)
    return network.graph_from_osm(path)


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
        click.echo(f"warning: {len(far)} targets are over {threshold_m:g} m from any street: "
                   f"{ids}{more}", err=True)  # fmt: skip


if __name__ == "__main__":  # pragma: no cover
    main()
