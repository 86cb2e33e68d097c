"""Offline interactive map of one day route (folium / Leaflet), for the officer's browser.

The page needs no network: Leaflet's JavaScript and CSS come from the installed
``xstatic-leaflet`` package and are inlined into the HTML (the map's ``default_js`` and
``default_css`` are emptied so folium emits none of its CDN links), the map has no tile layer
unless the caller passes a tile URL, and the beat's own streets are drawn as the basemap.  Stops
are numbered markers made of inline-styled ``L.divIcon`` HTML (no icon fonts, no plugins), and
popups are bound by a small element of our own because :class:`folium.Popup` needs jQuery.
The Japanese glyphs the page uses are embedded as a small IPAexGothic subset, a fallback for
machines without a Japanese font.

Addresses (and, on request, names) are personal data: :func:`write_route_map` writes the file
owner-only.  The street, colour and label helpers here are shared with :mod:`planner.sheets`.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from planner.files import atomic_path
from planner.fonts import EMBEDDED_FAMILY, embedded_font_css
from planner.model import Availability, Card, Mode, Target
from planner.network import edges_to_lines

if TYPE_CHECKING:
    from planner.routes import DayRoute, RouteStop

TIER_COLOURS: tuple[str, ...] = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b")
"""Marker colours of the tiers in policy order (first tier red, second blue, ...)."""

OPTIONAL_COLOUR = "#7f7f7f"
"""Outline of optional stops (drawn hollow)."""

STREET_COLOUR = "#b0b0b0"
ROUTE_COLOUR = "#ff7f0e"
POST_COLOUR = "#1a237e"

AVAILABILITY_JA: dict[str, str] = {
    Availability.DAY: "昼間",
    Availability.EVENING: "夜間",
    Availability.ANY: "終日",
    Availability.UNKNOWN: "不明",
}
"""Short Japanese labels of :class:`~planner.model.Availability` (when someone is at home)."""

MODE_JA: dict[str, str] = {Mode.WALK: "徒歩", Mode.BIKE: "自転車", Mode.CAR: "自動車"}
SLOT_JA: dict[str, str] = {"day": "日中", "evening": "夕方", "night": "夜間"}
"""Default labels of the policies' time slots (as in ``policies/*.toml``)."""

XML_NAMESPACES = frozenset(
    {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
        "http://www.w3.org/1999/xhtml",
    }
)
"""Namespace identifiers: URL-shaped names that browsers never fetch."""

_URL = re.compile(r"""\b(?:https?|wss?|ftp)://[^\s"'`<>()\\]+""", re.IGNORECASE)
_PROTOCOL_RELATIVE = re.compile(r"""(?:src|href|url)\s*[=(]\s*["']?(//[^\s"'<>()]+)""", re.I)
_STOP_PX = 22
_FONTS = (
    '"Hiragino Kaku Gothic ProN", "Hiragino Sans", "Yu Gothic UI", "Yu Gothic", Meiryo, '
    f'"Noto Sans CJK JP", "Noto Sans JP", IPAexGothic, {EMBEDDED_FAMILY}, sans-serif'
)
_PAGE_CSS = (
    f".leaflet-container {{ background: #f7f7f2; font-family: {_FONTS}; }}\n"
    f".junkai-legend, .junkai-stop {{ font-family: {_FONTS}; }}\n"
)


# --------------------------------------------------------------------------------------------
# helpers shared with planner.sheets


def hhmm(minutes: int) -> str:
    """``"09:05"`` for 545 minutes after midnight (hours past 24 wrap)."""
    return f"{(minutes // 60) % 24:02d}:{minutes % 60:02d}"


def tier_colour(tier: str, tier_labels: Mapping[str, str]) -> str:
    """Colour of a tier: by its position in ``tier_labels`` (policy order), grey if unknown."""
    order = list(tier_labels)
    if tier not in order:
        return OPTIONAL_COLOUR
    return TIER_COLOURS[order.index(tier) % len(TIER_COLOURS)]


def last_visit_ja(target: Target | None) -> str:
    """Last visit as printed: ISO date, or why there is none (未把握 / 仮カードのみ)."""
    if target is None:
        return "—"
    if target.last_visit is None:
        return "仮カードのみ" if target.card is Card.PROVISIONAL else "なし（未把握）"
    return target.last_visit.isoformat()


def stop_address(stop: RouteStop, target: Target | None) -> str:
    """The stop's address, else its target's, else its target id."""
    return stop.address or (target.address if target is not None else "") or stop.target_id


def street_lines(
    streets: gpd.GeoDataFrame | nx.MultiDiGraph | None,
    bbox: tuple[float, float, float, float] | None = None,
) -> list[np.ndarray]:
    """Street centre lines as lon/lat coordinate arrays, one ``(n, 2)`` array per line.

    Parameters
    ----------
    streets
        A street graph (see :mod:`planner.network`), lines from
        :func:`~planner.network.edges_to_lines`, or ``None`` (no streets).
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)``: keep only lines that touch this box.

    Returns
    -------
    list of numpy.ndarray
        Coordinates in EPSG:4326 (lon, lat); empty when there are no streets.
    """
    if streets is None:
        return []
    frame = edges_to_lines(streets) if isinstance(streets, nx.Graph) else streets
    if len(frame) == 0:
        return []
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    geoms = np.asarray(frame.geometry.values)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if bbox is not None:
        geoms = geoms[shapely.intersects(geoms, shapely.box(*bbox))]
    parts = shapely.get_parts(geoms)
    parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING]
    coords, index = shapely.get_coordinates(parts, return_index=True)
    if len(coords) == 0:
        return []
    cuts = np.flatnonzero(np.diff(index)) + 1
    return [c for c in np.split(coords, cuts) if len(c) >= 2]


def route_lonlats(route: DayRoute, post: tuple[float, float]) -> np.ndarray:
    """The route's polyline (lon, lat rows), or straight legs post → stops → post without one."""
    if route.path:
        return np.asarray(route.path, dtype=float)
    pts = [post, *((s.lon, s.lat) for s in route.stops), post]
    return np.asarray(pts if route.stops else [], dtype=float).reshape(-1, 2)


def route_bounds(
    route: DayRoute, post: tuple[float, float], margin: float = 0.08
) -> tuple[float, float, float, float]:
    """``(min_lon, min_lat, max_lon, max_lat)`` around post, stops and path, with a margin."""
    stops = np.asarray([(s.lon, s.lat) for s in route.stops], dtype=float).reshape(-1, 2)
    pts = np.vstack([np.asarray([post], dtype=float), route_lonlats(route, post), stops])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = np.maximum((hi - lo) * margin, 0.0005)
    return (lo[0] - pad[0], lo[1] - pad[1], hi[0] + pad[0], hi[1] + pad[1])


def stop_groups(stops: Sequence[RouteStop]) -> list[list[RouteStop]]:
    """Stops at identical coordinates (units of one building), in route order."""
    groups: dict[tuple[float, float], list[RouteStop]] = defaultdict(list)
    for s in stops:
        groups[(round(s.lon, 7), round(s.lat, 7))].append(s)
    return list(groups.values())


# --------------------------------------------------------------------------------------------
# offline Leaflet


@functools.lru_cache(maxsize=1)
def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS from ``xstatic-leaflet``, ready to inline.

    Marker and layer images referenced by the CSS become ``data:`` URIs, the source-map comment
    is dropped, and the scheme is removed from the URLs that remain in the library text (its
    licence banner and the attribution prefix, which :func:`route_map` never shows), so that the
    inlined page holds no address of an outside host.
    """
    from xstatic.pkg import leaflet as xs

    base = Path(xs.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def image(match: re.Match[str]) -> str:
        data = (base / "images" / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", image, css)
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    js, css = (_strip_schemes(text) for text in (js, css))
    if "</script" in js.lower() or "</style" in css.lower():  # pragma: no cover - sanity check
        raise RuntimeError("xstatic-leaflet assets cannot be inlined")
    return js, css


def _strip_schemes(text: str) -> str:
    def strip(match: re.Match[str]) -> str:
        url = match.group(0)
        return url if url in XML_NAMESPACES else url.split("://", 1)[1]

    return _URL.sub(strip, text)


def _js_string(text: str) -> str:
    """A JavaScript string literal safe inside ``<script>``; Japanese kept readable."""
    literal = json.dumps(text, ensure_ascii=False)
    for char in "<>&'":
        literal = literal.replace(char, f"\\u{ord(char):04x}")
    return literal


class _InlineAssets(Element):
    """``<style>`` and ``<script>`` holding Leaflet itself (rendered verbatim, not as Jinja)."""

    _template = Template(
        "<style>{{ this.css }}</style>\n<style>{{ this.page_css }}</style>\n"
        "<script>{{ this.js }}</script>\n"
    )

    def __init__(self, js: str, css: str) -> None:
        super().__init__()
        self._name = "InlineLeaflet"
        self.js, self.css, self.page_css = js, css, _PAGE_CSS


class TooltipBind(MacroElement):
    """Bind a popup and a tooltip (HTML strings) to the parent layer, without jQuery (the
    offline pages carry no jQuery)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {%- if this.popup %}
            {{ this._parent.get_name() }}.bindPopup({{ this.popup }}, {maxWidth: 320});
            {%- endif %}
            {%- if this.tooltip %}
            {{ this._parent.get_name() }}.bindTooltip({{ this.tooltip }});
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, popup: str = "", tooltip: str = "") -> None:
        super().__init__()
        self._name = "Bind"
        self.popup = _js_string(popup) if popup else ""
        self.tooltip = _js_string(tooltip) if tooltip else ""


class _Controls(MacroElement):
    """Metric scale bar and, when there is something to credit, a plain-text attribution.

    Leaflet's own attribution control is off: its prefix links to leafletjs.com.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
            {%- if this.text %}
            L.control.attribution({prefix: false})
                .addAttribution({{ this.text }})
                .addTo({{ this._parent.get_name() }});
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, attribution: str) -> None:
        super().__init__()
        self._name = "Controls"
        self.text = _js_string(attribution) if attribution else ""


def map_page(m: folium.Map) -> Figure:
    """The page a folium map renders into: its root :class:`branca.element.Figure`.

    branca types ``get_root`` as returning an ``Element``; a ``folium.Map`` always sits in a
    ``Figure``, whose ``header`` and ``html`` the pages here add their parts to.

    Parameters
    ----------
    m
        The map.

    Returns
    -------
    branca.element.Figure
        The map's root.

    Raises
    ------
    TypeError
        If the map's root is not a figure (never for a map made by ``folium.Map``).
    """
    root = m.get_root()
    if not isinstance(root, Figure):
        raise TypeError(f"the map's root is a {type(root).__name__}, not a branca Figure")
    return root


def offline_map(location: tuple[float, float], tiles: str | None, attribution: str) -> folium.Map:
    """A folium map whose page loads Leaflet from inlined text and nothing from a CDN."""
    m = folium.Map(
        location=location,
        tiles=None,
        zoom_start=16,
        attributionControl=False,
    )
    # folium's JSCSSMixin.render() adds a <script src>/<link href> for every entry of these
    # (class-level) lists; empty instance lists mean no CDN link at all.
    m.default_js = []
    m.default_css = []
    map_page(m).header.add_child(_InlineAssets(*_leaflet_assets()), name="inline_leaflet")
    texts = []
    if tiles:
        host = urlsplit(tiles).hostname or tiles
        tile_attr = attribution or f"Tiles: {host}"
        folium.TileLayer(tiles=tiles, attr=tile_attr, max_zoom=19).add_to(m)
        texts.append(tile_attr)
    elif attribution:
        texts.append(attribution)
    m.add_child(_Controls(html.escape(" | ".join(texts))))
    return m


# --------------------------------------------------------------------------------------------
# the route map


def _stop_icon(stop: RouteStop, colour: str, offset: int) -> folium.DivIcon:
    """A numbered disc: filled with the tier colour, hollow grey for optional stops."""
    if stop.optional:
        fill, border, text = "#ffffff", OPTIONAL_COLOUR, "#444444"
    else:
        fill, border, text = colour, "#ffffff", "#ffffff"
    style = (
        f"width:{_STOP_PX}px;height:{_STOP_PX}px;border-radius:50%;box-sizing:border-box;"
        f"background:{fill};border:2px solid {border};color:{text};text-align:center;"
        f"font-weight:bold;font-size:11px;line-height:{_STOP_PX - 4}px;"
        "box-shadow:0 0 3px rgba(0,0,0,.6);"
    )
    half = _STOP_PX // 2
    return folium.DivIcon(
        html=f'<div class="junkai-stop" data-seq="{stop.seq}" style="{style}">{stop.seq}</div>',
        icon_size=(_STOP_PX, _STOP_PX),
        icon_anchor=(half - offset, half),
        class_name="junkai-stop-icon",
    )


def post_icon() -> folium.DivIcon:
    """The 交番 / 駐在所 marker: a star drawn inline (no image file, no network)."""
    star = (
        '<svg width="28" height="28" viewBox="0 0 24 24">'
        '<polygon points="12,1 15,9 23,9 17,14 19,23 12,18 5,23 7,14 1,9 9,9" '
        f'fill="{POST_COLOUR}" stroke="#ffffff" stroke-width="1.2"/></svg>'
    )
    return folium.DivIcon(html=star, icon_size=(28, 28), icon_anchor=(14, 14), class_name="")


def _row(label: str, value: str) -> str:
    return f"<tr><th style='text-align:left;padding-right:6px'>{label}</th><td>{value}</td></tr>"


def _popup_html(
    stop: RouteStop, target: Target | None, tier_labels: Mapping[str, str], with_names: bool
) -> str:
    esc = html.escape
    avail = AVAILABILITY_JA.get(target.availability, "不明") if target else "不明"
    window = f"{hhmm(stop.window[0])}–{hhmm(stop.window[1])}"
    rows = [
        _row("順", f"{stop.seq}{'（任意）' if stop.optional else ''}"),
        _row("到着", f"{hhmm(stop.arrive)}（{stop.leg_m:,} m）"),
        _row("住所", esc(stop_address(stop, target))),
    ]
    if with_names and target is not None and target.name:
        rows.append(_row("氏名", esc(target.name)))
    rows += [
        _row("区分", esc(tier_labels.get(stop.tier, stop.tier))),
        _row("前回訪問", esc(last_visit_ja(target))),
        _row("在宅", f"{avail}（{window}）"),
    ]
    return f"<table style='font-size:12px'>{''.join(rows)}</table>"


def _legend_html(route: DayRoute, tier_labels: Mapping[str, str]) -> str:
    esc = html.escape
    day = route.date.isoformat() if isinstance(route.date, date) else ""
    slot = SLOT_JA.get(route.slot, route.slot)
    mode = MODE_JA.get(route.mode, route.mode)

    def disc(fill: str, border: str) -> str:
        return (
            f"<span style='display:inline-block;width:11px;height:11px;border-radius:50%;"
            f"background:{fill};border:2px solid {border};vertical-align:middle'></span>"
        )

    keys = [
        f"{disc(tier_colour(c, tier_labels), '#fff')} {esc(lbl)}" for c, lbl in tier_labels.items()
    ]
    keys.append(f"{disc('#fff', OPTIONAL_COLOUR)} 任意")
    keys.append(f"<span style='color:{POST_COLOUR}'>★</span> 交番・駐在所")
    lines = [
        f"<b>巡回連絡 経路</b> {esc(day)} {esc(slot)} {hhmm(route.start)}–{hhmm(route.end)}",
        f"{len(route.stops)}件 ・ {route.total_m / 1000:.1f} km ・ {route.total_min}分"
        f" ・ {esc(mode)}",
        " ".join(keys),
    ]
    if route.dropped_mandatory:
        over = f"（約{route.overrun_min}分超過）" if route.overrun_min > 0 else ""
        lines.append(
            f"<span style='color:#b71c1c'>時間内に回れない訪問先 {len(route.dropped_mandatory)}件"
            f"{over}</span>"
        )
    style = (
        "position:fixed;top:10px;right:10px;z-index:1000;background:rgba(255,255,255,.92);"
        "padding:6px 9px;border:1px solid #999;border-radius:4px;font-size:12px;line-height:1.5;"
    )
    return f"<div class='junkai-legend' style='{style}'>{'<br>'.join(lines)}</div>"


def latlon(lonlats: Iterable[Sequence[float]]) -> list[list[float]]:
    """Lon/lat pairs as folium's [lat, lon] lists, rounded to 6 decimals (~0.1 m)."""
    return [[round(float(lat), 6), round(float(lon), 6)] for lon, lat in lonlats]


def route_map(
    route: DayRoute,
    *,
    streets: gpd.GeoDataFrame | nx.MultiDiGraph | None,
    post: tuple[float, float],
    targets: Mapping[str, Target],
    tier_labels: Mapping[str, str],
    tiles: str | None = None,
    with_names: bool = False,
    attribution: str | None = None,
) -> folium.Map:
    """An interactive map of one day route that works without any network.

    Parameters
    ----------
    route
        The day route (:class:`planner.routes.DayRoute`).
    streets
        The beat's streets (a street graph or :func:`~planner.network.edges_to_lines` output),
        drawn as thin grey lines in place of map tiles; ``None`` for none.
    post
        ``(lon, lat)`` of the 交番・駐在所 where the route starts and ends.
    targets
        Targets by ``target_id``, for last visit, availability and (optionally) names.
    tier_labels
        Tier code → Japanese label, in policy order (first tier red, second blue, ...).
    tiles
        A tile URL template (``https://.../{z}/{x}/{y}.png``).  ``None`` (default): no tile
        layer, so the page never reaches a tile server.
    with_names
        Show residents' names in the popups (personal data: off by default).
    attribution
        Plain-text attribution shown bottom right, e.g. ``"© OpenStreetMap contributors"``
        when the streets or tiles come from OSM; with ``tiles`` it defaults to the tile host.

    Returns
    -------
    folium.Map
        Write it with :func:`write_route_map`.
    """
    min_lon, min_lat, max_lon, max_lat = route_bounds(route, post)
    m = offline_map(((min_lat + max_lat) / 2, (min_lon + max_lon) / 2), tiles, attribution or "")

    lines = street_lines(streets)
    if lines:
        folium.PolyLine(
            [latlon(c) for c in lines], color=STREET_COLOUR, weight=2, opacity=0.9
        ).add_to(m)

    path = route_lonlats(route, post)
    if len(path) >= 2:
        folium.PolyLine(latlon(path), color=ROUTE_COLOUR, weight=5, opacity=0.75).add_to(m)

    post_marker = folium.Marker([post[1], post[0]], icon=post_icon(), z_index_offset=1000)
    post_marker.add_child(TooltipBind(tooltip="交番・駐在所（出発・帰着）"))
    post_marker.add_to(m)

    for group in stop_groups(route.stops):
        for k, stop in enumerate(group):
            offset = (k - (len(group) - 1) / 2) * (_STOP_PX - 4)
            target = targets.get(stop.target_id)
            colour = tier_colour(stop.tier, tier_labels)
            marker = folium.Marker([stop.lat, stop.lon], icon=_stop_icon(stop, colour, int(offset)))
            popup = _popup_html(stop, target, tier_labels, with_names)
            label = html.escape(stop_address(stop, target))
            marker.add_child(TooltipBind(popup=popup, tooltip=f"{stop.seq} {label}"))
            marker.add_to(m)

    map_page(m).html.add_child(Element(_legend_html(route, tier_labels)), name="junkai_legend")
    m.fit_bounds([[min_lat, min_lon], [max_lat, max_lon]])
    return m


def route_map_html(m: folium.Map, *, embed_font: bool = True) -> str:
    """The complete HTML page of a map made by :func:`route_map`.

    Parameters
    ----------
    m
        The map.
    embed_font
        Embed the Japanese glyphs the page uses (see :func:`planner.fonts.embedded_font_css`).

    Returns
    -------
    str
        One self-contained HTML document.
    """
    page = m.get_root().render()
    font_css = embedded_font_css(page) if embed_font else ""
    if font_css:
        head, sep, rest = page.partition("</head>")
        page = f"{head}<style>{font_css}</style>\n{sep}{rest}" if sep else page
    return page


def write_route_map(path: str | Path, m: folium.Map) -> None:
    """Write the map as one self-contained HTML file, owner-only (it holds addresses).

    Parameters
    ----------
    path
        Destination ``.html`` file; replaced atomically.
    m
        A map from :func:`route_map`.
    """
    page = route_map_html(m)
    with atomic_path(path, private=True) as tmp:
        tmp.write_text(page, encoding="utf-8")


def assert_offline(html_text: str) -> list[str]:
    """Addresses of outside hosts that a page refers to; empty when it is fully offline.

    Every ``http(s)://``, ``ws(s)://`` and ``ftp://`` URL anywhere in the text counts, as does a
    protocol-relative ``//host`` in ``src``, ``href`` or CSS ``url()``, except the XML namespace
    identifiers (``http://www.w3.org/2000/svg`` ...), which browsers never fetch.

    Parameters
    ----------
    html_text
        The page's HTML.

    Returns
    -------
    list of str
        The URLs found, each once, in order of appearance.
    """
    found = [u for u in _URL.findall(html_text) if u.rstrip("/.,;") not in XML_NAMESPACES]
    found += _PROTOCOL_RELATIVE.findall(html_text)
    return list(dict.fromkeys(found))
