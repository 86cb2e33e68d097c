"""Beat handover: what the previous officer left, for the 地域課長 instructing the new one.

When a beat changes hands the 地域課長等 checks how 巡回連絡 stands on it and instructs the new
受持警察官 (Aomori 第5-1), who visits promptly (Aomori 第6-8) after learning what the predecessor
did (Miyagi 第5-5).  :func:`handover_report` sums that up as of one day — per tier: targets in the
register, overdue, never met (未把握: no card or only a 仮カード), provisional cards, absent twice
or more in a row since the last interview; per 丁目: targets, share visited within the tier's
frequency, oldest and median years since the last visit; and the top of the at-risk list
(:func:`planner.progress.at_risk`).  :func:`write_handover` writes the page (tables and an offline
map) and the per-丁目 CSV.

Definitions (as of ``day``)
---------------------------
in the register
    Not moved out (転出) and not exempted by the chief on or before ``day``.
never met
    :attr:`planner.model.Target.never_met`: no interview recorded (no card, or a 仮カード only).
overdue
    Met, and the last interview lies more than the tier's frequency
    (:meth:`planner.policy.Policy.frequency_years`, per beat where the policy allows) before
    ``day``: a 重点対象 last met on 2026-03-01 is overdue from 2027-03-02.  Such a target is always
    in :func:`planner.policy.due_targets` of ``day``'s year.
absent in a row
    Recorded visits after the last interview and up to ``day``, counted back from the latest
    while the outcome is 不在 (any other outcome ends the run).

The report is pure (no I/O); the writers keep addresses in owner-only files and never log them.
"""

from __future__ import annotations

import csv
import html
import re
import statistics
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import folium
import networkx as nx
from branca.element import Element

from planner.baseline import address_key
from planner.files import atomic_path
from planner.fonts import EMBEDDED_FAMILY
from planner.maps import (
    POST_COLOUR,
    STREET_COLOUR,
    TooltipBind,
    last_visit_ja,
    latlon,
    map_page,
    offline_map,
    post_icon,
    route_map_html,
    street_lines,
)
from planner.model import Card, Outcome, Station, Target, TargetKind
from planner.plan import PlannedVisit, Unplanned
from planner.policy import Policy
from planner.progress import AtRisk, at_risk
from planner.reports import year_targets_of

TOP_AT_RISK = 20
"""Rows of the at-risk list shown by default."""

CHOME_COLUMNS = (
    "chome",
    "targets",
    "households",
    "within_frequency",
    "overdue",
    "never_met",
    "oldest_years",
    "median_years",
)
"""Columns of ``handover_<beat>_<date>.csv`` (one row per 丁目)."""

AGE_BANDS: tuple[tuple[float, str, str], ...] = (
    (1.0, "1年以内", "#1a9850"),
    (2.0, "1〜2年", "#a6d96a"),
    (3.0, "2〜3年", "#fee08b"),
    (5.0, "3〜5年", "#fc8d59"),
    (float("inf"), "5年超", "#d73027"),
)
"""Map shades by years since the last interview: (upper bound, label, colour)."""

NEVER_MET_COLOUR = "#6a3d9a"
"""Map colour of never-met targets (未把握・仮カードのみ)."""

_CHOME = re.compile(r"^\s*(.*?[0-9〇一二三四五六七八九十]+丁目)")
_UP_TO_NUMBER = re.compile(r"^\s*([^0-9]+)")


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """One target of the beat as the new officer finds it."""

    target_id: str
    tier: str
    chome: str
    years_since: float | None  # since the last interview; None when never met
    overdue: bool
    never_met: bool
    provisional: bool
    absent_in_row: int


@dataclass(frozen=True, slots=True)
class TierStatus:
    """Headline numbers of one tier of the beat."""

    tier: str
    label: str
    frequency_years: int
    targets: int  # in the register
    overdue: int
    never_met: int  # 未把握: no card or only a 仮カード
    provisional: int  # of which 仮カード
    absent_twice: int  # absent twice or more in a row since the last interview

    @property
    def within_frequency(self) -> int:
        """Targets met within the tier's frequency."""
        return self.targets - self.overdue - self.never_met


@dataclass(frozen=True, slots=True)
class ChomeStatus:
    """Last visits in one 丁目 (or 字) of the beat."""

    chome: str
    targets: int
    households: int
    within_frequency: float  # share of targets met within their tier's frequency
    overdue: int
    never_met: int
    oldest_years: float | None  # among targets met at least once
    median_years: float | None


@dataclass(frozen=True, slots=True)
class HandoverReport:
    """How 巡回連絡 stands on one beat on the day it changes hands."""

    station: str
    beat_id: str
    beat_name: str
    day: date
    tiers: tuple[TierStatus, ...]
    chome: tuple[ChomeStatus, ...]
    targets: tuple[TargetStatus, ...]
    at_risk: tuple[AtRisk, ...]  # the top rows
    at_risk_total: int

    @property
    def in_register(self) -> int:
        """Targets in the register, all tiers."""
        return sum(t.targets for t in self.tiers)

    @property
    def overdue_or_never_met(self) -> list[str]:
        """Ids of the targets the new officer should visit first (overdue or never met)."""
        return [t.target_id for t in self.targets if t.overdue or t.never_met]


def chome_of(address: str) -> str:
    """町名 and 丁目 of an address (``「みどり町1丁目」``); without a 丁目, the part before the
    first number (``「大字上沢字本郷」`` of a rural 番地).  Full-width digits become ASCII."""
    text = unicodedata.normalize("NFKC", address)
    if m := _CHOME.match(text):
        return m.group(1).strip()
    if m := _UP_TO_NUMBER.match(text):
        return m.group(1).strip() or "（住所なし）"
    return "（住所なし）"


def _years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def in_register(t: Target, day: date) -> bool:
    """Not moved out and not exempted on or before ``day``."""
    gone = t.moved_out is not None and t.moved_out <= day
    return not gone and not (t.exempted is not None and t.exempted <= day)


def target_statuses(
    station: Station, policy: Policy, beat_id: str, day: date
) -> list[TargetStatus]:
    """Every register target of the beat on ``day`` (see the module's definitions), in
    register order.

    Raises
    ------
    KeyError
        If the station has no such beat.
    """
    beat = station.beat(beat_id)
    mine = [t for t in station.targets_of(beat_id) if in_register(t, day)]
    ids = {t.target_id for t in mine}
    visits: dict[str, list] = {tid: [] for tid in ids}
    for x in station.visits:
        if x.target_id in ids and x.date <= day:
            visits[x.target_id].append(x)
    out = []
    for t in mine:
        freq = policy.frequency_years(t.tier, beat)
        never = t.never_met
        met_on = None if never else t.last_visit  # never_met is True when last_visit is None
        years = None if met_on is None else (day - met_on).days / 365.25
        overdue = met_on is not None and met_on < _years_before(day, freq)
        since = [x for x in visits[t.target_id] if t.last_visit is None or x.date > t.last_visit]
        run = 0
        for x in sorted(since, key=lambda x: x.date, reverse=True):
            if x.outcome is not Outcome.ABSENT:
                break
            run += 1
        out.append(
            TargetStatus(
                t.target_id,
                t.tier,
                chome_of(t.address),
                years,
                overdue,
                never,
                t.card is Card.PROVISIONAL,
                run,
            )
        )
    return out


def handover_report(
    station: Station,
    policy: Policy,
    beat_id: str,
    day: date,
    *,
    planned: Sequence[PlannedVisit] | None = None,
    unplanned: Sequence[Unplanned] | None = None,
    top: int = TOP_AT_RISK,
) -> HandoverReport:
    """How 巡回連絡 stands on a beat on ``day``, for the handover to a new officer.

    Parameters
    ----------
    station
        The register with its recorded visits.
    policy
        The prefecture's rules: tiers and their frequencies.
    beat_id
        The beat changing hands.
    day
        The handover day: everything is counted as of this day.
    planned
        The year's plan, if any: its targets are the year's targets of the at-risk list and a
        planned date already passed without an interview puts a target at risk.  Without one,
        the year's due set and the targets met this year are used.
    unplanned
        The plan's unplanned.csv rows (year's targets too).
    top
        Rows of the at-risk list to keep.

    Returns
    -------
    HandoverReport
        Per-tier and per-丁目 rows, every target's status and the top of the at-risk list.

    Raises
    ------
    KeyError
        If the station has no such beat.
    """
    beat = station.beat(beat_id)
    rows = target_statuses(station, policy, beat_id, day)
    tiers = []
    for tier in policy.tiers:
        mine = [r for r in rows if r.tier == tier.code]
        tiers.append(
            TierStatus(
                tier.code,
                tier.label,
                policy.frequency_years(tier.code, beat),
                len(mine),
                sum(r.overdue for r in mine),
                sum(r.never_met for r in mine),
                sum(r.provisional for r in mine),
                sum(r.absent_in_row >= 2 for r in mine),
            )
        )
    kinds = {t.target_id: t.kind for t in station.targets}
    by_chome: dict[str, list[TargetStatus]] = {}
    for r in rows:
        by_chome.setdefault(r.chome, []).append(r)
    chome = []
    for name in sorted(by_chome, key=address_key):
        members = by_chome[name]
        years = [r.years_since for r in members if r.years_since is not None]
        within = sum(not r.overdue and not r.never_met for r in members)
        households = sum(kinds[r.target_id] is TargetKind.HOUSEHOLD for r in members)
        chome.append(
            ChomeStatus(
                name,
                len(members),
                households,
                within / len(members),
                sum(r.overdue for r in members),
                sum(r.never_met for r in members),
                max(years) if years else None,
                statistics.median(years) if years else None,
            )
        )
    if planned is not None and unplanned is None:
        unplanned = []
    year_targets = year_targets_of(station, policy, day.year, planned, unplanned)
    dates = {v.target_id: v.date for v in planned or []}
    risks = [
        r for r in at_risk(station, day.year, year_targets, dates, upto=day) if r.beat_id == beat_id
    ]
    return HandoverReport(
        station.name,
        beat_id,
        beat.name,
        day,
        tuple(tiers),
        tuple(chome),
        tuple(rows),
        tuple(risks[:top]),
        len(risks),
    )


# --------------------------------------------------------------------------- writers


def write_handover(
    report: HandoverReport,
    station: Station,
    out_dir: str | Path,
    *,
    policy: Policy | None = None,
    graph: nx.MultiDiGraph | None = None,
) -> list[Path]:
    """Write ``handover_<beat>_<date>.html`` and ``handover_<beat>_<date>.csv`` (owner-only).

    The page, in Japanese for the 地域課長, holds the per-tier table, the instructions for the new
    officer, the per-丁目 table, the top of the at-risk list and an offline map of the beat
    (targets shaded by years since the last interview, never met in their own colour, overdue
    ringed in black; the beat's streets from ``graph`` as the background, no tiles; Leaflet
    inlined, nothing fetched).  Names are never shown.  The CSV holds the
    per-丁目 table (:data:`CHOME_COLUMNS`; UTF-8 with a BOM so that Excel opens it).

    Parameters
    ----------
    report
        From :func:`handover_report`.
    station
        The same station (addresses and coordinates of the targets, the post).
    out_dir
        Folder to write into (created if missing).
    policy
        For the at-risk rows' tier labels (default: the report's tier labels).
    graph
        The street network (optional).

    Returns
    -------
    list of Path
        The page and the CSV.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"handover_{report.beat_id}_{report.day.isoformat()}"
    page, table = out / f"{stem}.html", out / f"{stem}.csv"
    with (
        atomic_path(table, private=True) as tmp,
        tmp.open("w", encoding="utf-8-sig", newline="") as f,
    ):
        w = csv.writer(f)
        w.writerow(CHOME_COLUMNS)
        for c in report.chome:
            w.writerow(
                [
                    c.chome,
                    c.targets,
                    c.households,
                    f"{c.within_frequency:.3f}",
                    c.overdue,
                    c.never_met,
                    _num(c.oldest_years),
                    _num(c.median_years),
                ]
            )
    labels = {t.tier: t.label for t in report.tiers}
    if policy is not None:
        labels = {t.code: t.label for t in policy.tiers}
    text = route_map_html(handover_map(report, station, labels, graph=graph))
    with atomic_path(page, private=True) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return [page, table]


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def age_band(years: float | None) -> tuple[str, str]:
    """Label and colour of a target on the map: by years since the last interview."""
    if years is None:
        return "未把握・仮カードのみ", NEVER_MET_COLOUR
    for upper, label, colour in AGE_BANDS:
        if years <= upper:
            return label, colour
    return AGE_BANDS[-1][1], AGE_BANDS[-1][2]  # pragma: no cover - the last band is unbounded


def handover_map(
    report: HandoverReport,
    station: Station,
    tier_labels: Mapping[str, str],
    *,
    graph: nx.MultiDiGraph | None = None,
) -> folium.Map:
    """The handover page as a folium map: the tables, then an offline map of the beat.

    Leaflet is inlined and there is no tile layer (:mod:`planner.maps`); render it with
    :func:`planner.maps.route_map_html`.
    """
    targets = {t.target_id: t for t in station.targets}
    post = station.post_of(report.beat_id)
    points = [(targets[r.target_id].lon, targets[r.target_id].lat) for r in report.targets]
    points.append((post.lon, post.lat))
    lons, lats = zip(*points, strict=True)
    pad = 0.002
    bbox = (min(lons) - pad, min(lats) - pad, max(lons) + pad, max(lats) + pad)
    from planner.streets import OSM_ATTRIBUTION, from_osm

    credit = OSM_ATTRIBUTION if from_osm(graph) else ""  # the ODbL asks for it with OSM streets
    m = offline_map(((bbox[1] + bbox[3]) / 2, (bbox[0] + bbox[2]) / 2), None, credit)
    m.height = (560, "px")
    lines = street_lines(graph, bbox)
    if lines:
        folium.PolyLine(
            [latlon(c) for c in lines], color=STREET_COLOUR, weight=2, opacity=0.9
        ).add_to(m)
    polygon = station.beat(report.beat_id).polygon
    if polygon is not None and not polygon.is_empty:
        for part in getattr(polygon, "geoms", [polygon]):
            if hasattr(part, "exterior"):
                folium.PolyLine(
                    latlon(part.exterior.coords),
                    color=POST_COLOUR,
                    weight=2,
                    dash_array="6 4",
                    opacity=0.7,
                ).add_to(m)
    marker = folium.Marker([post.lat, post.lon], icon=post_icon(), z_index_offset=1000)
    marker.add_child(TooltipBind(tooltip=f"{post.name}"))
    marker.add_to(m)
    esc = html.escape
    for r in report.targets:
        t = targets[r.target_id]
        band, colour = age_band(r.years_since)
        dot = folium.CircleMarker(
            [t.lat, t.lon],
            radius=5,
            color="#000000" if r.overdue else colour,
            weight=2 if r.overdue else 1,
            fill=True,
            fill_color=colour,
            fill_opacity=0.85,
        )
        rows = [
            ("ID", esc(r.target_id)),
            ("住所", esc(t.address)),
            ("区分", esc(tier_labels.get(r.tier, r.tier))),
            ("前回面接", esc(last_visit_ja(t))),
            ("経過", esc(band) + ("（周期超過）" if r.overdue else "")),
        ]
        if r.absent_in_row:
            rows.append(("連続不在", f"{r.absent_in_row}回"))
        popup = (
            "<table style='font-size:12px'>"
            + "".join(
                f"<tr><th style='text-align:left;padding-right:6px'>{k}</th><td>{v}</td></tr>"
                for k, v in rows
            )
            + "</table>"
        )
        dot.add_child(TooltipBind(popup=popup, tooltip=esc(t.address)))
        dot.add_to(m)
    m.fit_bounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]])
    root = map_page(m)
    root.header.add_child(
        Element(f"<title>{esc(_title(report))}</title><style>{_CSS}</style>"), name="handover_css"
    )
    # the map's own <div> is appended when the page renders: the tables go before it
    page = _tables_html(report, targets, tier_labels)
    root.html.add_child(Element(page), name="handover_tables", index=0)
    return m


_CSS = (
    ".handover{padding:1em 2em;font-family:'Hiragino Kaku Gothic ProN','Yu Gothic',Meiryo,"
    f"'Noto Sans CJK JP',IPAexGothic,{EMBEDDED_FAMILY},sans-serif}}"
    ".handover table{border-collapse:collapse;margin:.5em 0}"
    ".handover td,.handover th{border:1px solid #999;padding:2px 8px;font-size:90%}"
    ".handover code{font-family:inherit;background:#eee}.handover td.n{text-align:right}"
    ".legend span.dot{display:inline-block;width:11px;height:11px;border-radius:50%;"
    "vertical-align:middle;margin:0 3px 0 10px}"
    "@media print{.folium-map{page-break-inside:avoid}}"
)


def _title(report: HandoverReport) -> str:
    return f"巡回連絡 受持区引継ぎ {report.beat_id} {report.day.isoformat()}"


def _summary_html(report: HandoverReport) -> str:
    e = html.escape
    head = (
        "<tr><th>区分</th><th>周期</th><th>対象数</th><th>周期内に面接済</th><th>周期超過</th>"
        "<th>未把握</th><th>うち仮カード</th><th>連続不在2回以上</th></tr>"
    )
    rows = "".join(
        f"<tr><td>{e(t.label)}</td><td class='n'>{t.frequency_years}年</td>"
        f"<td class='n'>{t.targets}</td><td class='n'>{t.within_frequency}"
        f"（{_pct(t.within_frequency, t.targets)}）</td><td class='n'>{t.overdue}</td>"
        f"<td class='n'>{t.never_met}</td><td class='n'>{t.provisional}</td>"
        f"<td class='n'>{t.absent_twice}</td></tr>"
        for t in report.tiers
    )
    first = len(report.overdue_or_never_met)
    absent = sum(t.absent_twice for t in report.tiers)
    lowest = sorted(report.chome, key=lambda c: (c.within_frequency, address_key(c.chome)))[:3]
    orders = [
        f"未把握 {sum(t.never_met for t in report.tiers)} 件と周期超過 "
        f"{sum(t.overdue for t in report.tiers)} 件（計 {first} 件）を最優先で訪問すること"
        "（年間計画の見直しは <code>planner replan --front-load 月数</code> で前倒しできる）。",
        f"連続して2回以上不在の対象 {absent} 件は、夕方・休日など在宅の見込める時間帯に"
        "訪問すること。",
    ]
    if lowest:
        names = "、".join(f"{e(c.chome)}（{_pct_share(c.within_frequency)}）" for c in lowest)
        orders.append(f"周期内の面接率が低い地区（{names}）から計画的に回ること。")
    orders.append("前任者の巡回連絡カード・案内簿の記載と本表を照合し、実施状況を把握すること。")
    return (
        f"<h1>{e(_title(report))}</h1>"
        f"<p>{e(report.station)} 受持区 {e(report.beat_id)} {e(report.beat_name)} — "
        f"{report.day.year}年{report.day.month}月{report.day.day}日現在の実施状況。"
        "受持警察官の交替に当たり、地域課長等は当該受持区の巡回連絡の実施状況を確認し、"
        "新たな受持警察官に必要な指示を行う（青森 第5-1）。新たな受持警察官は前任者の実施状況を"
        "把握した上で、速やかに巡回連絡を実施する（宮城 第5-5、青森 第6-8）。</p>"
        f"<h2>区分別の実施状況（対象 {report.in_register} 件）</h2>"
        f"<table>{head}{rows}</table>"
        "<p style='font-size:85%'>周期超過: 最後の面接から区分の周期を超えて経過。"
        "未把握: 面接の記録がない（カードなし又は仮カードのみ）。連続不在: 最後の面接以後、"
        "直近から続けて不在だった回数。</p>"
        "<h2>新任の受持警察官への指示（案）</h2><ol>"
        + "".join(f"<li>{o}</li>" for o in orders)
        + "</ol>"
    )


def _tables_html(
    report: HandoverReport, targets: Mapping[str, Target], tier_labels: Mapping[str, str]
) -> str:
    """Everything above the map: summary, instructions, per-丁目 table, at-risk list, legend."""
    e = html.escape
    legend = "".join(
        f"<span class='dot' style='background:{colour}'></span>{e(label)}"
        for _upper, label, colour in AGE_BANDS
    )
    legend += (
        f"<span class='dot' style='background:{NEVER_MET_COLOUR}'></span>未把握・仮カードのみ"
        "<span class='dot' style='background:#fff;border:2px solid #000'></span>周期超過（黒枠）"
        f"<span style='color:{POST_COLOUR};margin-left:10px'>★</span> 交番・駐在所"
    )
    return (
        f"<div class='handover'>{_summary_html(report)}"
        f"{_lists_html(report, targets, tier_labels)}"
        "<h2>受持区の地図（最後の面接からの経過年数）</h2>"
        f"<p class='legend'>{legend}</p></div>"
    )


def _lists_html(
    report: HandoverReport, targets: Mapping[str, Target], tier_labels: Mapping[str, str]
) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(c.chome)}</td><td class='n'>{c.targets}</td><td class='n'>{c.households}</td>"
        f"<td class='n'>{_pct_share(c.within_frequency)}</td><td class='n'>{c.overdue}</td>"
        f"<td class='n'>{c.never_met}</td><td class='n'>{_years(c.oldest_years)}</td>"
        f"<td class='n'>{_years(c.median_years)}</td></tr>"
        for c in report.chome
    )
    risks = "".join(
        f"<tr><td>{e(r.target_id)}</td><td>{e(tier_labels.get(r.tier, r.tier))}</td>"
        f"<td>{e(targets[r.target_id].address if r.target_id in targets else '')}</td>"
        f"<td>{e(_why_ja(r, report.day))}</td></tr>"
        for r in report.at_risk
    )
    shown = f"（{report.at_risk_total}件）"
    if report.at_risk_total > len(report.at_risk):
        shown = f"（{report.at_risk_total}件中 上位{len(report.at_risk)}件）"
    return (
        "<h2>丁目別の実施状況</h2><table><tr><th>丁目・字</th><th>対象数</th>"
        "<th>うち世帯</th><th>周期内に面接済</th><th>周期超過</th><th>未把握</th>"
        "<th>最長経過（年）</th><th>経過の中央値（年）</th></tr>"
        f"{rows}</table><p style='font-size:85%'>経過年数は面接済の対象について。"
        f"丁目別の表は CSV（handover_{e(report.beat_id)}_{report.day.isoformat()}.csv）"
        "にもある。</p>"
        f"<h2>要注意の対象{shown}</h2>"
        "<table><tr><th>ID</th><th>区分</th><th>住所</th><th>理由</th></tr>"
        f"{risks}</table>"
    )


def _why_ja(r: AtRisk, day: date) -> str:
    parts = []
    if r.absences >= 2:
        parts.append(f"本年 {r.absences} 回不在")
    if r.planned is not None and r.planned <= day:
        parts.append(f"計画日 {r.planned.isoformat()} を過ぎて未面接")
    return "・".join(parts) or r.why


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.0f}%" if total else "-"


def _pct_share(share: float) -> str:
    return f"{100 * share:.0f}%"


def _years(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
