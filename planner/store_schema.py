"""The station's one layer schema, shared by its two stores, and how a station is addressed.

A station is a GeoPackage file (:mod:`planner.store_gpkg`) or a schema in a PostGIS database
(:mod:`planner.store_pg`); both hold the same layers with the same columns (:data:`LAYERS`), and
:func:`is_station_url` tells which one a ``--db`` value names.  :mod:`planner.store` is the
station's API over both.  Imports go one way: ``store`` -> ``store_pg`` -> ``store_gpkg`` ->
``store_schema`` (the PostGIS store converts through a temporary GeoPackage); none imports
``store``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from planner.model import (
    Approval,
    BeatMove,
    CampaignOrder,
    DutyType,
    Guidance,
    Review,
)

FORMAT_VERSION = "1"
CRS = "EPSG:4326"
SRID = 4326
LOCK_TIMEOUT_S = 30.0
"""How long a change waits for another run's lock on the same station (seconds)."""

URL_PREFIX = "postgresql://"


def is_station_url(value: Any) -> bool:
    """Whether ``value`` names a PostGIS station (a ``str`` starting ``postgresql://``); anything
    else is a GeoPackage station file.  The one test of the two stores: see
    :func:`planner.store.backend`."""
    return isinstance(value, str) and value.startswith(URL_PREFIX)


# --------------------------------------------------------------------------------------------
# the layers

TARGET_COLUMNS = (
    "target_id",
    "beat_id",
    "kind",
    "tier",
    "reasons",
    "address",
    "building_id",
    "last_visit",
    "card",
    "availability",
    "household_type",
    "visit_minutes",
    "lon",
    "lat",
    "name",
    "moved_out",
    "registered",
)
STREET_FLAGS = ("walk", "bike", "car", "forward")
"""Edge columns of ``street_edges``: which modes may use the edge, and ``forward`` = 0 where a
car may not go that way on a one-way street (files without them: every mode, both ways)."""
STREET_META = ("streets_source", "streets_report")
"""``meta`` keys of the streets: ``openstreetmap`` (outputs credit OSM) and the import report."""
STREET_LAYERS = ("street_nodes", "street_edges")

RECORD_LAYERS: dict[str, type] = {
    "approvals": Approval,
    "reviews": Review,
    "guidance": Guidance,
    "beat_moves": BeatMove,
    "campaign_orders": CampaignOrder,
}
"""Station lists of flat records kept as tables of the same name, one column per field in
field order (dates as ISO text, enums as their values)."""

TEXT, INTEGER, BIGINT, FLOAT = "text", "integer", "bigint", "double precision"


@dataclass(frozen=True)
class Layer:
    """One table of a station: its columns with PostgreSQL types and its geometry type, if any.

    ``geometry`` is the PostGIS type (``Point``, ``LineString`` or ``Geometry`` for polygons and
    multipolygons); ``gpkg_geometry`` the GeoPackage's, as :mod:`planner.store_gpkg` writes it.
    """

    name: str
    columns: tuple[tuple[str, str], ...]
    geometry: str | None = None
    gpkg_geometry: str | None = None


def _text(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((n, TEXT) for n in names)


# fmt: off
LAYERS: tuple[Layer, ...] = (
    Layer("meta", _text("key", "value")),
    Layer("posts", (*_text("post_id", "name", "kind"), ("lon", FLOAT), ("lat", FLOAT),
                    ("station", TEXT)), "Point", "Point"),
    Layer("beats", (*_text("beat_id", "post_id", "name"), ("registry_households", INTEGER),
                    ("frequency_years", INTEGER), ("incident_hours", FLOAT)),
          "Geometry", "Unknown"),
    Layer("targets", (*_text("target_id", "beat_id", "kind", "tier", "reasons", "address",
                             "building_id", "last_visit", "card", "availability",
                             "household_type"),
                      ("visit_minutes", INTEGER), ("lon", FLOAT), ("lat", FLOAT),
                      *_text("name", "moved_out", "registered")), "Point", "Point"),
    Layer("officers", (*_text("officer_id", "beat_id", "name", "pattern"), ("phase", INTEGER),
                       *_text("mode", "visit_hours"))),
    Layer("officer_days", _text("officer_id", "date", "kind")),
    Layer("visits", (*_text("target_id", "date", "officer_id", "outcome", "notes", "card_before",
                            "opinion", "opinion_kind", "action"),
                     ("minutes_spent", INTEGER), *_text("slot", "card_left", "reported_on"))),
    Layer("approvals", _text("target_id", "date", "slot", "decided_by", "decided_on", "decision",
                             "note")),
    Layer("reviews", (*_text("plan_sha256"), ("year", INTEGER),
                      *_text("reviewed_by", "reviewed_on", "note"))),
    Layer("guidance", (*_text("officer_id"), ("year", INTEGER), ("month", INTEGER),
                       *_text("given_by", "given_on", "note"))),
    Layer("beat_moves", _text("target_id", "from_beat", "to_beat", "moved_on")),
    Layer("campaign_orders", (*_text("ordered_by", "ordered_on", "reason", "start"),
                              ("days", INTEGER), ("lon", FLOAT), ("lat", FLOAT),
                              ("radius_m", FLOAT), ("kinds", TEXT), ("targets", INTEGER))),
    Layer("access_log", (*_text("when", "who", "what"), ("records", INTEGER))),
    Layer("exemptions", _text("target_id", "ordered_by", "date", "reason")),
    Layer("street_nodes", (("osmid", BIGINT), ("x", FLOAT), ("y", FLOAT)), "Point", "Point"),
    Layer("street_edges", (("u", BIGINT), ("v", BIGINT), ("key", INTEGER), ("length", FLOAT),
                           ("highway", TEXT), ("name", TEXT), ("walk", INTEGER),
                           ("bike", INTEGER), ("car", INTEGER), ("forward", INTEGER)),
          "LineString", "LineString"),
)
# fmt: on
LAYER_BY_NAME = {layer.name: layer for layer in LAYERS}


# --------------------------------------------------------------------------------------------
# cells


def cell_text(value: Any) -> str:
    """A cell as text: ``""`` for a missing one (``None`` or NaN)."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def hours_to_text(hours: dict[str, float]) -> str:
    """An officer's ``visit_hours`` as its column's text: ``duty=hours`` joined by ``;``."""
    return ";".join(f"{k}={hours[k]:g}" for k in sorted(hours))


def hours_from_text(raw: str) -> dict[str, float]:
    """Parse ``visit_hours`` text (``toban=1.5;toban.evening=1``).

    Raises
    ------
    ValueError
        For a part that is not duty=hours, an unknown duty type, or hours outside [0, 24].
    """
    out: dict[str, float] = {}
    for part in raw.replace(" ", "").split(";"):
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r} is not duty=hours (e.g. toban=1.5;toban.evening=1)")
        duty = key.split(".")[0]
        if (
            duty not in {d.value for d in DutyType}
            or key.count(".") > 1
            or ("." in key and not key.endswith(".evening"))
        ):
            raise ValueError(f"{key!r} is not a duty type (optionally with .evening)")
        try:
            hours = float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a number of hours") from None
        if not 0 <= hours <= 24:
            raise ValueError(f"{hours} hours is out of range [0, 24]")
        out[key] = hours
    return out
