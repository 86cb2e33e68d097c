"""A shareable copy of a station: residents' names and free text removed, places cut to the 丁目.

Supervisors and scenario work need the register's shape (how many households of which tier and
kind, where roughly, when last visited), not who lives where.  :func:`redacted` keeps exactly that:
every target stays (ids, tier, kind, card, last visit, availability, household type, minutes),
but its name is blanked, its address cut to the 丁目 (「みどり町1丁目」) and its point moved to the
centre of its 丁目's targets; visits lose their notes, opinions and actions (free text can name
people), exemption orders their reason, and the access log is left out (it holds OS logins).
The policy's sensitive 別表 codes (DV, stalking, crime victims, …) are dropped altogether.
:func:`beat_copy` cuts an officer's copy holding one beat alone.
Plans made on the copy are the plans of the original up to walking distances inside a 丁目.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import replace

from planner.handover import chome_of
from planner.model import Station


def redacted(station: Station, sensitive: Collection[str] = ()) -> Station:
    """A copy of ``station`` fit to share: see the module docstring for what is removed.

    ``sensitive`` are 別表 reason codes dropped from every target (``Policy.sensitive_reasons``:
    crime victims, stalking and DV, abuse, people needing protection): the copy keeps the tier,
    never the reason.
    """
    drop = frozenset(sensitive)
    groups: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for t in station.targets:
        groups[(t.beat_id, chome_of(t.address))].append((t.lon, t.lat))
    centre = {
        key: (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))
        for key, pts in groups.items()
    }
    targets = []
    for t in station.targets:
        chome = chome_of(t.address)
        lon, lat = centre[(t.beat_id, chome)]
        targets.append(
            replace(
                t,
                name="",
                address=chome,
                lon=round(lon, 6),
                lat=round(lat, 6),
                reasons=tuple(c for c in t.reasons if c not in drop),
            )
        )
    return Station(
        name=station.name,
        policy=station.policy,
        posts=list(station.posts),
        beats=list(station.beats),
        targets=targets,
        officers=list(station.officers),
        officer_days=list(station.officer_days),
        visits=[replace(x, notes="", opinion="", action="") for x in station.visits],
        exemptions=[replace(e, reason="") for e in station.exemptions],
        approvals=[replace(a, note="") for a in station.approvals],
        reviews=[replace(r, note="") for r in station.reviews],
        guidance=[replace(g, note="") for g in station.guidance],
        access_log=[],
    )


def named_records(station: Station) -> int:
    """How many targets carry a resident's name (the count an export with names logs)."""
    return sum(1 for t in station.targets if t.name)


def beat_copy(station: Station, beat_id: str) -> Station:
    """The station cut to one beat, for the officer responsible for it (受持警察官: own beat).

    Keeps the beat, its post, its targets and every record about them (visits, decisions,
    exemption orders, beat moves), its officers with their days and guidance; reviews (plan
    hashes only) stay.  Other beats' households are not in the copy at all.

    Raises
    ------
    KeyError
        If the station has no such beat.
    """
    beat = station.beat(beat_id)
    ids = {t.target_id for t in station.targets if t.beat_id == beat_id}
    officers = [o for o in station.officers if o.beat_id == beat_id]
    staff = {o.officer_id for o in officers}
    return Station(
        name=station.name,
        policy=station.policy,
        posts=[p for p in station.posts if p.post_id == beat.post_id],
        beats=[beat],
        targets=[t for t in station.targets if t.target_id in ids],
        officers=officers,
        officer_days=[d for d in station.officer_days if d.officer_id in staff],
        visits=[x for x in station.visits if x.target_id in ids],
        exemptions=[e for e in station.exemptions if e.target_id in ids],
        approvals=[a for a in station.approvals if a.target_id in ids],
        reviews=list(station.reviews),
        guidance=[g for g in station.guidance if g.officer_id in staff],
        beat_moves=[m for m in station.beat_moves if m.target_id in ids],
        access_log=[],
    )
