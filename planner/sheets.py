"""Printed route sheet (経路表): one A4 PDF per day route, in Japanese, for the patrol.

Page 1 holds the header (date with weekday, beat, officer, shift, mode, distance and time), a
warning line for stops that do not fit, a static map of the route over the beat's streets and
the first :data:`FIRST_PAGE_ROWS` stops; longer routes continue on further pages.  Each stop row
has tick boxes for the outcome (面接 / 不在・CR名刺 / 転出 / 新規) and a blank 備考 cell.

Drawn with matplotlib's object-oriented API (no pyplot, so no GUI backend is selected and no
global figure state is touched) in IPAexGothic from ``matplotlib-fontja``, embedded as TrueType
(``pdf.fonttype`` 42) so the text stays searchable and extractable.  The sheet holds addresses
(and names on request): it is written owner-only.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import matplotlib
import networkx as nx
import numpy as np
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Circle, Rectangle
from matplotlib.textpath import TextToPath

from planner import geo
from planner.files import atomic_path
from planner.fonts import matplotlib_family
from planner.maps import (
    AVAILABILITY_JA,
    MODE_JA,
    OPTIONAL_COLOUR,
    POST_COLOUR,
    ROUTE_COLOUR,
    SLOT_JA,
    STREET_COLOUR,
    hhmm,
    route_bounds,
    route_lonlats,
    stop_address,
    stop_groups,
    street_lines,
    tier_colour,
)
from planner.model import Target

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from planner.routes import DayRoute, RouteStop

FIRST_PAGE_ROWS = 22
"""Stops on page 1 (below header and map); the rest continue on the next pages."""

NEXT_PAGE_ROWS = 42
"""Stops on each continuation page."""

FONT_FAMILY = "IPAexGothic"  # one weight only: emphasis by size and colour, never bold
WEEKDAYS_JA = "月火水木金土日"

_PAGE_W, _PAGE_H = 210.0, 297.0  # A4 portrait, mm
_MARGIN = 12.0
_ROW_H = 6.0
_TICK_MM = 3.4
_MAP_BOTTOM = 141.0  # mm from the top; 22 rows fit below
_HEAD_ROW_H = 7.0
_MM_PER_PT = 25.4 / 72
_TEXT = "#111111"
_RULE = "#555555"
_SHADE = "#eeeeee"


@dataclass(frozen=True)
class SheetHeader:
    """What the sheet's header says besides the route itself.

    Attributes
    ----------
    date
        Day of the patrol.
    beat_id, beat_name
        The 受持区.
    officer
        The officer as printed (e.g. ``"巡査部長 山田"``).
    shift
        The duty as printed (e.g. ``"日勤"`` or ``"当番"``).
    mode
        How the officer moves: a :class:`~planner.model.Mode` value (printed as 徒歩 / 自転車 /
        自動車) or text printed as is.
    station
        The police station (警察署) or post name printed top right.
    """

    date: date
    beat_id: str
    beat_name: str
    officer: str
    shift: str
    mode: str
    station: str


# --------------------------------------------------------------------------------------------
# text helpers


def date_ja(day: date) -> str:
    """``"2027年4月5日（月）"``."""
    return f"{day.year}年{day.month}月{day.day}日（{WEEKDAYS_JA[day.weekday()]}）"


def _font_ready() -> str:
    """IPAexGothic registered with matplotlib (once per process); its family name."""
    return matplotlib_family()


@functools.lru_cache(maxsize=4096)
def _text_width_mm(text: str, size_pt: float) -> float:
    prop = FontProperties(family=FONT_FAMILY, size=size_pt)
    width, _, _ = TextToPath().get_text_width_height_descent(text, prop, ismath=False)
    return width * _MM_PER_PT


def _fit(
    text: str, width_mm: float, size_pt: float = 7.5, wrap_pt: float = 6.0
) -> tuple[str, float]:
    """Text and font size that fit a cell: shrink to 6 pt, then wrap to two lines, then cut.

    Wrapping prefers a natural break (after a space, 、 or ・, before （) to a cut mid-word.
    """
    for size in (size_pt, size_pt - 0.75, 6.0):
        if _text_width_mm(text, size) <= width_mm:
            return text, size
    size = wrap_pt
    cut = len(text)
    while cut > 1 and _text_width_mm(text[:cut], size) > width_mm:
        cut -= 1
    natural = [
        i
        for i in range(1, cut + 1)
        if i < len(text) and (text[i - 1] in " 　、・" or text[i] == "（")
    ]
    if natural and natural[-1] >= cut // 2:
        cut = natural[-1]
    first, rest = text[:cut].rstrip(), text[cut:].lstrip()
    while len(rest) > 1 and _text_width_mm(rest, size) > width_mm:
        rest = rest[:-2] + "…"
    return f"{first}\n{rest}", size


def _seq_label(stops: Sequence[RouteStop]) -> str:
    seqs = [s.seq for s in stops]
    if len(seqs) > 2 and seqs == list(range(seqs[0], seqs[-1] + 1)):
        return f"{seqs[0]}–{seqs[-1]}"
    return ",".join(str(q) for q in seqs)


def shortfall_line(route: DayRoute, targets: Mapping[str, Target]) -> str:
    """The warning printed under the header, or ``""`` when everything fits.

    Dropped mandatory stops are named by address (target id when the address is unknown):
    ``時間内に回れない訪問先: …（約N分超過）``.
    """
    parts = []
    if route.dropped_mandatory:
        names = [targets[t].address if t in targets else t for t in route.dropped_mandatory[:6]]
        more = len(route.dropped_mandatory) - len(names)
        listed = "、".join(names) + (f" ほか{more}件" if more > 0 else "")
        parts.append(f"時間内に回れない訪問先: {listed}")
    if route.overrun_min > 0:
        over = f"（約{route.overrun_min}分超過）"
        parts.append(over if parts else f"予定時間を超過{over}")
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# drawing


def _page(pdf_w: float = _PAGE_W, pdf_h: float = _PAGE_H) -> tuple[Figure, Axes]:
    """An A4 figure and a full-page axes in millimetres, origin top left."""
    fig = Figure(figsize=(pdf_w / 25.4, pdf_h / 25.4))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, pdf_w)
    ax.set_ylim(pdf_h, 0)
    ax.set_axis_off()
    return fig, ax


def _mm_rect(x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
    """Figure-fraction rectangle (left, bottom, width, height) of a box given in mm from top."""
    return (x / _PAGE_W, 1 - (y + h) / _PAGE_H, w / _PAGE_W, h / _PAGE_H)


def _cell(
    ax: Axes,
    x: float,
    y: float,
    w: float,
    h: float,
    text: str = "",
    *,
    shade: str | None = None,
    size: float = 8.0,
    align: str = "left",
    colour: str = _TEXT,
) -> None:
    ax.add_patch(Rectangle((x, y), w, h, facecolor=shade or "none", edgecolor=_RULE, linewidth=0.5))
    if text:
        tx = {"left": x + 1.2, "center": x + w / 2, "right": x + w - 1.2}[align]
        ax.text(
            tx,
            y + h / 2,
            text,
            ha=align,
            va="center",
            fontsize=size,
            color=colour,
            linespacing=1.05,
        )


def _header(ax: Axes, header: SheetHeader, route: DayRoute, page: int, pages: int) -> float:
    """Title and header grid; returns the y (mm) below it."""
    x0, x1 = _MARGIN, _PAGE_W - _MARGIN
    title = "巡回連絡 経路表" if page == 1 else "巡回連絡 経路表（続き）"
    ax.text(x0, 13, title, fontsize=17 if page == 1 else 13, va="baseline")
    ax.text(
        x1, 8.5, "取扱注意（個人情報）", fontsize=7.5, ha="right", va="baseline", color="#b71c1c"
    )
    ax.text(x1, 13, f"{header.station}　{page}/{pages}", fontsize=9, ha="right", va="baseline")
    beat = f"{header.beat_id}　{header.beat_name}".strip()
    if page > 1:
        ax.text(
            x0,
            20,
            f"{date_ja(header.date)}　受持区 {beat}　{header.officer}",
            fontsize=9,
            va="baseline",
        )
        return 24.0
    mode = MODE_JA.get(header.mode, header.mode)
    slot = SLOT_JA.get(route.slot, route.slot)
    n_opt = sum(s.optional for s in route.stops)
    visits = f"{len(route.stops)}件" + (f"（うち任意{n_opt}件）" if n_opt else "")
    cells = [
        [("日付", date_ja(header.date)), ("受持区", beat), ("警察官", header.officer)],
        [
            ("勤務", header.shift),
            ("時間帯", f"{slot} {hhmm(route.start)}–{hhmm(route.end)}"),
            ("移動手段", mode),
        ],
        [
            ("訪問先", visits),
            ("総距離", f"{route.total_m / 1000:.1f} km"),
            ("所要", f"{route.total_min} 分"),
        ],
    ]
    label_w, col_w, y = 15.0, (x1 - x0) / 3, 17.0
    for row in cells:
        for k, (label, value) in enumerate(row):
            x = x0 + k * col_w
            _cell(ax, x, y, label_w, 6.5, label, shade=_SHADE, size=8, align="center")
            text, size = _fit(value, col_w - label_w - 2.4, 9.0)
            _cell(ax, x + label_w, y, col_w - label_w, 6.5, text, size=size)
        y += 6.5
    return y + 2.0


def _warning(ax: Axes, route: DayRoute, targets: Mapping[str, Target], y: float) -> float:
    text = shortfall_line(route, targets)
    if not text:
        return y
    line, size = _fit(text, _PAGE_W - 2 * _MARGIN - 2, 8.5)
    ax.text(_MARGIN + 1, y + 4.2, line, fontsize=size, color="#b71c1c", va="center")
    return y + 9.0


def _map_limits(
    bounds: tuple[float, float, float, float], w_mm: float, h_mm: float
) -> tuple[float, float, float, float, float]:
    """Lon/lat limits that fill a ``w_mm`` × ``h_mm`` box at true shape, and ``cos(lat)``."""
    min_lon, min_lat, max_lon, max_lat = bounds
    kx = float(np.cos(np.radians((min_lat + max_lat) / 2)))
    w, h = (max_lon - min_lon) * kx, max_lat - min_lat
    cx, cy = (min_lon + max_lon) / 2, (min_lat + max_lat) / 2
    if w / h < w_mm / h_mm:
        w = h * w_mm / h_mm
    else:
        h = w * h_mm / w_mm
    return cx - w / kx / 2, cy - h / 2, cx + w / kx / 2, cy + h / 2, kx


def _scale_bar(ax: Axes, limits: tuple[float, float, float, float], kx: float) -> None:
    min_lon, min_lat, max_lon, max_lat = limits
    m_per_deg = geo.M_PER_DEG * kx
    span_m = (max_lon - min_lon) * m_per_deg
    length = next((v for v in (1000, 500, 200, 100, 50) if v <= span_m / 4), 20)
    x = min_lon + (max_lon - min_lon) * 0.03
    y = min_lat + (max_lat - min_lat) * 0.04
    ax.plot(
        [x, x + length / m_per_deg],
        [y, y],
        color="#000000",
        linewidth=2,
        zorder=6,
        solid_capstyle="butt",
    )
    label = f"{length // 1000} km" if length >= 1000 else f"{length} m"
    ax.text(x, y + (max_lat - min_lat) * 0.015, label, fontsize=7, va="bottom", zorder=6)
    north = (max_lon - (max_lon - min_lon) * 0.03, max_lat - (max_lat - min_lat) * 0.04)
    ax.text(*north, "N↑", ha="right", va="top", fontsize=9, zorder=6)


def _static_map(
    fig: Figure,
    box_mm: tuple[float, float, float, float],
    route: DayRoute,
    streets: gpd.GeoDataFrame | nx.MultiDiGraph | None,
    post: tuple[float, float],
    tier_labels: Mapping[str, str],
    attribution: str | None = None,
) -> None:
    """Streets in grey, route line, numbered stops in tier colours and the post's star; the
    streets' credit (e.g. "© OpenStreetMap contributors") bottom right inside the map."""
    x, y, w, h = box_mm
    ax = fig.add_axes(_mm_rect(x, y, w, h))
    min_lon, min_lat, max_lon, max_lat, kx = _map_limits(route_bounds(route, post), w, h)
    ax.set_xlim(min_lon, max_lon)
    ax.set_ylim(min_lat, max_lat)
    ax.set_aspect(1 / kx, adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
    ax.set_facecolor("#fbfbf8")

    lines = street_lines(streets, bbox=(min_lon, min_lat, max_lon, max_lat))
    if lines:
        ax.add_collection(LineCollection(lines, colors=STREET_COLOUR, linewidths=0.7, zorder=1))
    path = route_lonlats(route, post)
    if len(path) >= 2:
        ax.plot(
            path[:, 0],
            path[:, 1],
            color=ROUTE_COLOUR,
            linewidth=2.2,
            alpha=0.8,
            zorder=2,
            solid_joinstyle="round",
            solid_capstyle="round",
        )
    ax.plot(
        *post,
        marker="*",
        markersize=15,
        color=POST_COLOUR,
        markeredgecolor="white",
        markeredgewidth=0.8,
        zorder=5,
        linestyle="none",
    )
    for group in stop_groups(route.stops):
        first = group[0]
        mandatory = [s for s in group if not s.optional]
        if mandatory:
            face, edge, text = tier_colour(mandatory[0].tier, tier_labels), "white", "white"
        else:
            face, edge, text = "white", OPTIONAL_COLOUR, "#333333"
        label = _seq_label(group)
        style = "circle,pad=0.22" if len(label) <= 2 else "round,pad=0.22"
        ax.text(
            first.lon,
            first.lat,
            label,
            ha="center",
            va="center",
            fontsize=6.5,
            color=text,
            zorder=4,
            bbox={"boxstyle": style, "facecolor": face, "edgecolor": edge, "linewidth": 0.8},
        )
    _scale_bar(ax, (min_lon, min_lat, max_lon, max_lat), kx)
    _map_legend(ax, tier_labels)
    if attribution:
        ax.text(
            0.995,
            0.008,
            attribution,
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=6,
            color="#333333",
            zorder=6,
            bbox={
                "boxstyle": "square,pad=0.15",
                "facecolor": "white",
                "edgecolor": "none",
                "alpha": 0.85,
            },
        )


def _map_legend(ax: Axes, tier_labels: Mapping[str, str]) -> None:
    from matplotlib.lines import Line2D

    def disc(face: str, edge: str) -> Line2D:
        return Line2D(
            [],
            [],
            marker="o",
            linestyle="none",
            markersize=6,
            markerfacecolor=face,
            markeredgecolor=edge,
        )

    handles = [disc(tier_colour(c, tier_labels), "white") for c in tier_labels]
    labels = list(tier_labels.values())
    handles += [
        disc("white", OPTIONAL_COLOUR),
        Line2D([], [], color=ROUTE_COLOUR, linewidth=2),
        Line2D([], [], marker="*", linestyle="none", markersize=9, color=POST_COLOUR),
    ]
    labels += ["任意", "経路", "交番・駐在所"]
    ax.legend(
        handles,
        labels,
        loc="upper left",
        fontsize=6.5,
        framealpha=0.9,
        borderpad=0.4,
        handletextpad=0.4,
        handlelength=1.6,
        labelspacing=0.25,
    )


@dataclass(frozen=True)
class _Column:
    title: str
    width: float
    align: str = "left"
    tick: bool = False  # a box to tick by hand


TICKS = ("面接", "不在・CR名刺", "転出", "新規")
"""Outcome boxes of each row (不在: a CR名刺 or パトロールカード was left)."""


def _columns(with_names: bool) -> list[_Column]:
    """Table columns, 186 mm wide in all."""
    cols = [
        _Column("順", 9, "right"),
        _Column("時刻", 11, "center"),
        _Column("住所", 48 if with_names else 62),
    ]
    if with_names:
        cols.append(_Column("氏名", 22))
    cols += [_Column("区分", 17, "center"), _Column("在宅", 10, "center")]
    cols += [_Column(t, 14 if len(t) > 2 else 9, "center", tick=True) for t in TICKS]
    cols.append(_Column("備考", 28 if with_names else 36))
    return cols


def _table(
    ax: Axes,
    y: float,
    stops: Sequence[RouteStop],
    targets: Mapping[str, Target],
    tier_labels: Mapping[str, str],
    with_names: bool,
) -> float:
    """The stop table from ``y`` (mm); returns the y below it."""
    cols = _columns(with_names)
    x = _MARGIN
    for c in cols:
        text, size = _fit(c.title, c.width - 1.6, 8.5, wrap_pt=7.0)
        _cell(ax, x, y, c.width, _HEAD_ROW_H, text, shade=_SHADE, size=size, align="center")
        x += c.width
    y += _HEAD_ROW_H
    for i, stop in enumerate(stops):
        target = targets.get(stop.target_id)
        tier = tier_labels.get(stop.tier, stop.tier)
        values = {
            "順": str(stop.seq),
            "時刻": hhmm(stop.arrive),
            "住所": stop_address(stop, target),
            "氏名": target.name if target is not None else "",
            "区分": f"{tier}（任意）" if stop.optional else tier,
            "在宅": AVAILABILITY_JA.get(target.availability, "不明") if target else "不明",
            "備考": "",
        }
        shade = "#f7f7f7" if i % 2 else None
        x = _MARGIN
        for c in cols:
            text, size = ("", 7.5) if c.tick else _fit(values[c.title], c.width - 2.4, 7.5)
            _cell(ax, x, y, c.width, _ROW_H, text, shade=shade, size=size, align=c.align)
            if c.tick:
                box = _TICK_MM
                ax.add_patch(
                    Rectangle(
                        (x + (c.width - box) / 2, y + (_ROW_H - box) / 2),
                        box,
                        box,
                        facecolor="white",
                        edgecolor=_TEXT,
                        linewidth=0.7,
                    )
                )
            x += c.width
        face = OPTIONAL_COLOUR if stop.optional else tier_colour(stop.tier, tier_labels)
        ax.add_patch(Circle((_MARGIN + 1.6, y + _ROW_H / 2), 0.9, facecolor=face, edgecolor="none"))
        y += _ROW_H
    return y


def _footer(ax: Axes) -> None:
    note = "個人情報を含みます。携行中は紛失に注意し、使用後は所定の方法で廃棄してください。"
    ax.text(
        _PAGE_W - _MARGIN,
        _PAGE_H - 6,
        note,
        fontsize=6.5,
        ha="right",
        va="baseline",
        color="#555555",
    )


def _pages(n_stops: int) -> list[tuple[int, int]]:
    """``(start, stop)`` slices of the stop list per page."""
    spans = [(0, min(n_stops, FIRST_PAGE_ROWS))]
    start = FIRST_PAGE_ROWS
    while start < n_stops:
        spans.append((start, min(n_stops, start + NEXT_PAGE_ROWS)))
        start += NEXT_PAGE_ROWS
    return spans


def route_sheet(
    path: str | Path,
    route: DayRoute,
    *,
    streets: gpd.GeoDataFrame | nx.MultiDiGraph | None,
    post: tuple[float, float],
    targets: Mapping[str, Target],
    header: SheetHeader,
    tier_labels: Mapping[str, str],
    with_names: bool = False,
    attribution: str | None = None,
) -> None:
    """Write the printed route sheet of one day route as an A4 PDF (owner-only).

    Parameters
    ----------
    path
        Destination ``.pdf``; replaced atomically.
    route
        The day route (:class:`planner.routes.DayRoute`).
    streets
        The beat's streets (graph or :func:`~planner.network.edges_to_lines` output) for the map;
        ``None`` for a map without streets.
    post
        ``(lon, lat)`` of the 交番・駐在所.
    targets
        Targets by ``target_id`` (availability, names, addresses of dropped stops).
    header
        Date, beat, officer, shift, mode and station as printed.
    tier_labels
        Tier code → Japanese label, in policy order (colours as on the interactive map).
    with_names
        Add a 氏名 column (personal data: off by default).
    attribution
        The streets' credit printed on the map, e.g. ``"© OpenStreetMap contributors"``
        (:data:`planner.streets.OSM_ATTRIBUTION`) when they came from OSM; ``None`` for none.
    """
    family = _font_ready()
    spans = _pages(len(route.stops))
    with (  # the settings inline: matplotlib's stubs type their keys as literal names
        matplotlib.rc_context(
            {"pdf.fonttype": 42, "font.family": family, "axes.unicode_minus": False}
        ),
        atomic_path(path, private=True) as tmp,
    ):
        meta = {
            "Title": f"巡回連絡 経路表 {header.date.isoformat()} {header.beat_id}",
            "Creator": "junkai-planner",
            "Producer": "junkai-planner",
        }
        with PdfPages(tmp, metadata=meta) as pdf:
            for page, (a, b) in enumerate(spans, start=1):
                fig, ax = _page()
                y = _header(ax, header, route, page, len(spans))
                if page == 1:
                    y = _warning(ax, route, targets, y)
                    map_h = _MAP_BOTTOM - y
                    _static_map(
                        fig,
                        (_MARGIN, y, _PAGE_W - 2 * _MARGIN, map_h),
                        route,
                        streets,
                        post,
                        tier_labels,
                        attribution,
                    )
                    y = _MAP_BOTTOM + 4.0
                _table(ax, y, route.stops[a:b], targets, tier_labels, with_names)
                _footer(ax)
                pdf.savefig(fig)
