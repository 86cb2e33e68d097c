"""The made-up prefecture (planner/prefecture.py, planner demo --prefecture)."""

from __future__ import annotations

import csv
import stat
from collections import Counter

import networkx as nx
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

import planner.prefecture as prefecture
from planner.cli import main
from planner.demo import build_demo
from planner.model import Mode, PostKind
from planner.prefecture import PrefectureSpec, build_station, layout, station_name
from planner.store import read_station, read_streets


def test_default_layout_is_the_size_of_miyagi():
    plans = layout(PrefectureSpec())
    posts = [p for s in plans for p in s.posts]
    sizes = [n for p in posts for n in p.sizes]
    assert len(plans) == 25
    assert len(sizes) == round(1_000_000 / 1650) == 606
    assert sum(sizes) == 1_000_000
    # 606 beats = 24 per station and one more for stations 0–5.  Kinds repeat urban, suburban,
    # rural, suburban, rural: 10 rural stations with round(0.40 × 24 or 25) = 10 駐在所 each,
    # 10 suburban with round(0.15 × 24 or 25) = 4 each, urban none: 140 駐在所 (Miyagi: 140)
    assert Counter(s.kind for s in plans) == {"urban": 5, "suburban": 10, "rural": 10}
    chuzaisho = [p for p in posts if p.kind is PostKind.CHUZAISHO]
    assert len(chuzaisho) == 140 and all(len(p.sizes) == 1 for p in chuzaisho)
    # 交番 beats per station: urban 24 or 25 over 8 a 交番 → 3 or 4 (stations 0 and 5 have 25);
    # suburban 20–21 over 6 → 4; rural 14–15 over 5 → 3: 3 × 3 + 2 × 4 + 10 × 4 + 10 × 3 = 87
    assert sum(p.kind is PostKind.KOBAN for p in posts) == 87
    koban_beats = [n for p in posts if p.kind is PostKind.KOBAN for n in p.sizes]
    chu_beats = [p.sizes[0] for p in chuzaisho]
    assert max(chu_beats) < min(koban_beats)  # a 駐在所's beat is the small rural one
    assert 700 < sum(chu_beats) / len(chu_beats) < 1000


def test_sizes_add_up_for_any_spec():
    spec = PrefectureSpec(stations=3, targets=1001, beats=7, seed=5)
    plans = layout(spec)
    sizes = [n for s in plans for p in s.posts for n in p.sizes]
    assert len(sizes) == 7 and sum(sizes) == 1001 and min(sizes) >= 1
    assert [sum(len(p.sizes) for p in s.posts) for s in plans] == [3, 2, 2]
    with pytest.raises(Exception, match="at least"):
        PrefectureSpec(stations=3, targets=2, beats=3)
    with pytest.raises(Exception, match="at least --stations"):
        PrefectureSpec(stations=3, targets=100, beats=2)
    assert station_name(0) == "北緑ケ丘警察署" and station_name(26) == "南緑ケ丘2警察署"


def test_a_rural_station_has_chuzaisho_with_a_car_and_koban_with_bicycles():
    spec = PrefectureSpec(stations=3, targets=3 * 2000, beats=3 * 5)
    plan = layout(spec)[2]  # the third station is rural: round(0.4 × 5) = 2 駐在所
    assert plan.kind == "rural"
    st, graph = build_station(plan, spec)
    kinds = Counter(p.kind for p in st.posts)
    assert kinds == {PostKind.KOBAN: 1, PostKind.CHUZAISHO: 2}
    for beat in st.beats:
        officers = st.officers_of(beat.beat_id)
        targets = st.targets_of(beat.beat_id)
        if st.post_of(beat.beat_id).kind is PostKind.CHUZAISHO:
            assert [(o.pattern, o.mode) for o in officers] == [("chuzai", Mode.CAR)]
        else:  # one 交番 officer per 1,000 targets (rounded up), on the 当番 rotation
            assert len(officers) == -(-len(targets) // 1000)
            assert {(o.pattern, o.mode) for o in officers} == {("koban3", Mode.BIKE)}
        assert all(beat.polygon.covers(Point(t.lon, t.lat)) for t in targets)
    assert len(st.targets) == sum(
        plan.posts[j].sizes[k] for j in range(3) for k in range(len(plan.posts[j].sizes))
    )
    # every post is its own copy of the station's demo town: three street networks, apart
    town = build_demo(spec.seed * 1000 + plan.index)[1]
    assert graph.number_of_nodes() == 3 * town.number_of_nodes()
    assert graph.number_of_edges() == 3 * town.number_of_edges()
    assert nx.number_weakly_connected_components(graph) == 3
    # leave: 2 days at New Year and 3 at お盆, and one 専従日 a month, for every officer
    per_officer = Counter((d.officer_id, d.kind.value) for d in st.officer_days)
    for o in st.officers:
        assert per_officer[(o.officer_id, "leave")] == 5
        assert per_officer[(o.officer_id, "senju")] == 12


def test_demo_prefecture_writes_one_station_file_at_a_time(tmp_path, monkeypatch):
    import planner.store as store

    calls: list[str] = []
    real_build, real_write = prefecture.build_station, store.write_station

    def logged_build(plan, spec):
        calls.append(f"build {plan.index}")
        return real_build(plan, spec)

    def logged_write(station, path, **kw):
        calls.append(f"write {path.name}")
        real_write(station, path, **kw)

    monkeypatch.setattr(prefecture, "build_station", logged_build)
    monkeypatch.setattr(store, "write_station", logged_write)
    out = tmp_path / "pref"
    result = CliRunner().invoke(
        main,
        [
            "demo",
            "--prefecture",
            "--stations",
            "2",
            "--households",
            "360",
            "--beats",
            "6",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    # never two stations in memory: each is written before the next is built
    assert calls == ["build 0", "write station_01.gpkg", "build 1", "write station_02.gpkg"]
    assert "wrote 2 station files" in result.output and "planner plan --db" in result.output
    with (out / "prefecture.csv").open(encoding="utf-8", newline="") as f:
        index = list(csv.DictReader(f))
    assert [r["file"] for r in index] == ["station_01.gpkg", "station_02.gpkg"]
    ids, total = set(), 0
    for row in index:
        path = out / row["file"]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # a register: owner-only
        st = read_station(path)
        assert st.name == row["station"] and len(st.beats) == int(row["beats"]) == 3
        assert len(st.targets) == int(row["targets"])
        assert {t.beat_id for t in st.targets} == {b.beat_id for b in st.beats}
        assert all(st.officers_of(b.beat_id) for b in st.beats)
        assert read_streets(path).number_of_nodes() > 0
        ids |= {t.target_id for t in st.targets}
        total += len(st.targets)
    assert total == 360 and len(ids) == 360  # ids unique over the prefecture


def test_same_spec_same_stations():
    spec = PrefectureSpec(stations=2, targets=200, beats=4, seed=3)
    a, _ = build_station(layout(spec)[1], spec)
    b, _ = build_station(layout(spec)[1], spec)
    assert a.targets == b.targets and a.beats == b.beats and a.officers == b.officers
    other = PrefectureSpec(stations=2, targets=200, beats=4, seed=4)
    c, _ = build_station(layout(other)[1], other)
    assert [t.lon for t in c.targets] != [t.lon for t in a.targets]
