"""Recording what happened at each door: parse an outcomes file, update the register.

An outcome row is one visit: ``visited`` (面接: card made or updated), ``absent`` (不在: CR名刺 or
パトロールカード left, told apart by ``card_left``), ``refused``, ``moved_out`` (転出), ``new``
(新規: a household found and interviewed, with its coordinates) or ``provisional`` (仮カード from a
nameplate or meter — for a known target, or for a household not yet in the register, with its
coordinates like ``new``).

A row may say its ``slot`` (``day`` / ``evening`` / ``night``; else it is read off ``start``).
A visit in a slot that needs approval (night) is refused unless the 地域課長's approval of that
visit is on record (``planner approve``), or the caller passes ``unapproved_ok`` — such visits
are then listed in the month's progress report.
A row may also carry a resident's opinion (``opinion`` text with its ``opinion_kind`` and the
``action`` taken, 意見・要望と措置) and the time spent at the door (``minutes_spent``, or ``start``
and ``end`` times).  Every row is checked before anything changes; recording the same file twice
changes nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, time
from pathlib import Path
from typing import Any

from planner import _validate as v
from planner._errors import RowError
from planner.approvals import APPROVED, decision_status, decisions_by_visit
from planner.model import (
    Availability,
    Card,
    CardLeft,
    HouseholdType,
    OpinionKind,
    Outcome,
    Station,
    Target,
    TargetKind,
    Visit,
)
from planner.policy import Policy, classify

NEW_TARGET_COLUMNS = ("beat_id", "kind", "address", "lon", "lat")
MAX_MINUTES_SPENT = 480
"""Longest time at one door a row may record (8 hours)."""


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """One parsed row of an outcomes file (``new_target`` for a row that adds a target: ``new``,
    or ``provisional`` for a household not yet in the register)."""

    row: int
    visit: Visit
    new_target: Target | None = None


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What recording a file changed."""

    added: int
    already_recorded: int
    new_targets: int
    updated_targets: int


def outcomes_from_file(
    path: str | Path,
    station: Station,
    policy: Policy,
    *,
    year: int,
    today: date | None = None,
    unapproved_ok: bool = False,
) -> list[OutcomeRow]:
    """Parse and check an outcomes CSV against the station.

    Raises
    ------
    RowError
        Naming row and column of every problem: unknown target or officer, a date outside
        ``year`` or in the future, an unknown outcome, a ``new`` row without coordinates,
        address or beat, whose point is far from every post (or has lon and lat swapped), or
        whose id is already another target; an unknown ``opinion_kind``,
        opinion text without a kind or a kind without text, an ``action`` without an opinion;
        ``minutes_spent`` outside 1..480, a ``start`` without ``end`` (or the reverse), an
        ``end`` not after ``start``, or ``minutes_spent`` that disagrees with them; an unknown
        ``slot`` or one that disagrees with ``start``; a ``card_left`` on a visit that was not
        ``absent``; a visit in a slot that needs approval without an approval on record (unless
        ``unapproved_ok``).
    """
    from planner.store import far_from_posts

    path = Path(path)
    today = today or date.today()
    targets = {t.target_id for t in station.targets}
    officers = {o.officer_id for o in station.officers}
    beats = {b.beat_id for b in station.beats}
    recorded = {_key(x) for x in station.visits}
    decisions = decisions_by_visit(station.approvals)
    needing = policy.approval_slots
    slot_codes = {s.code for s in policy.slots}

    def slot(raw: str) -> str:
        code = unicodedata.normalize("NFKC", raw).strip().lower()
        if code and code not in slot_codes:
            known = ", ".join(sorted(slot_codes))
            raise ValueError(f"{raw.strip()!r} is not a slot of the policy ({known})")
        return code

    def in_year(raw: str) -> date:
        day = v.iso_date(not_after=today)(raw)
        if day.year != year:
            raise ValueError(f"{day} is not in {year}")
        return day

    cols = [
        v.Column("target_id", v.nonempty),
        v.Column("date", in_year),
        v.Column("officer_id", v.nonempty),
        v.Column("outcome", v.choice(Outcome)),
        v.Column("notes", v.text, required=False, default=""),
        v.Column("beat_id", v.text, required=False, default=""),
        v.Column("kind", v.choice(TargetKind), required=False),
        v.Column("address", v.text, required=False, default=""),
        v.Column("lon", v.number(-180, 180, "longitude"), required=False),
        v.Column("lat", v.number(-90, 90, "latitude"), required=False),
        v.Column("building_id", v.text, required=False, default=""),
        v.Column("reasons", v.codes, required=False, default=()),
        v.Column(
            "availability", v.choice(Availability), required=False, default=Availability.UNKNOWN
        ),
        v.Column("household_type", v.choice(HouseholdType), required=False),
        v.Column("visit_minutes", v.integer(1, 240), required=False, default=15),
        v.Column("name", v.text, required=False, default=""),
        v.Column("opinion", v.text, required=False, default=""),
        v.Column("opinion_kind", v.choice(OpinionKind), required=False),
        v.Column("action", v.text, required=False, default=""),
        v.Column("minutes_spent", v.integer(1, MAX_MINUTES_SPENT), required=False),
        v.Column("start", clock_time, required=False),
        v.Column("end", clock_time, required=False),
        v.Column("slot", slot, required=False, default=""),
        v.Column("card_left", card_left, required=False),
    ]

    def check(r: dict[str, Any]) -> list[tuple[str, str]]:
        out = []
        if r["officer_id"] not in officers:
            out.append(("officer_id", f"unknown officer {r['officer_id']!r}"))
        out.extend(check_slot(r, policy))
        if r["card_left"] is not None and r["outcome"] is not Outcome.ABSENT:
            out.append(
                (
                    "card_left",
                    f"card_left given on a {r['outcome'].value!r} visit: a "
                    "card is left only where nobody answered (absent)",
                )
            )
        visit_slot = _slot_of(r, policy)
        if visit_slot in needing and not unapproved_ok:
            status = decision_status(decisions, (r["target_id"], r["date"], visit_slot))
            if status != APPROVED:
                what = "was denied" if status == "denied" else "has no approval on record"
                out.append(("slot", unapproved_message(visit_slot, r["date"], what)))
        if not _creates_target(r, targets):
            if r["target_id"] not in targets and r["target_id"] not in born:
                out.append(("target_id", f"unknown target {r['target_id']!r}"))
            return out
        if r["outcome"] is Outcome.PROVISIONAL and all(
            r[col] in (None, "") for col in NEW_TARGET_COLUMNS
        ):
            needs = ", ".join(NEW_TARGET_COLUMNS)
            out.append(
                (
                    "target_id",
                    f"unknown target {r['target_id']!r} (a 仮カード for a "
                    f"household not yet in the register needs {needs})",
                )
            )
            return out
        for col in NEW_TARGET_COLUMNS:
            if r[col] in (None, ""):
                out.append((col, f"a new target needs {col}"))
        if r["beat_id"] and r["beat_id"] not in beats:
            out.append(("beat_id", f"unknown beat {r['beat_id']!r}"))
        visit_key = (r["target_id"], r["date"], r["officer_id"], r["outcome"].value)
        if r["target_id"] in targets and visit_key not in recorded:
            out.append(("target_id", f"{r['target_id']!r} is already a target: give a new id"))
        if r["kind"] is not None and r["reasons"]:
            try:
                classify(r["kind"], r["reasons"], policy)
            except Exception as exc:  # InputError: unknown or wrong-kind code
                out.append(("reasons", str(exc)))
        if r["lon"] is not None and r["lat"] is not None:
            out.extend(far_from_posts(r["lon"], r["lat"], station.posts))
        return out

    table = v.read_table(path)
    born = _ids_registered_in(table)
    rows = v.check_rows(path, table, cols, row_checks=[check, check_opinion, check_time_spent])
    parsed = [
        _outcome_row(i, r, policy, targets) for i, r in zip(v.row_numbers(rows), rows, strict=True)
    ]
    check_unique_new_ids(str(path), parsed)
    check_not_before_registered(str(path), parsed)
    return parsed


def _ids_registered_in(table: Sequence[Mapping[str, str]]) -> set[str]:
    """Ids that rows of the file itself add to the register (``new``, or ``provisional`` with a
    beat), so that later rows of the same file may visit them."""
    adds = {Outcome.NEW.value, Outcome.PROVISIONAL.value}
    return {
        (r.get("target_id") or "").strip()
        for r in table
        if (r.get("outcome") or "").strip().lower() in adds and (r.get("beat_id") or "").strip()
    }


def check_not_before_registered(path: str, rows: Sequence[OutcomeRow]) -> None:
    """A visit to a target that the same file adds may not be dated before it is added."""
    added = {r.visit.target_id: r for r in rows if r.new_target is not None}
    problems = []
    for r in rows:
        first = added.get(r.visit.target_id)
        if r.new_target is None and first is not None and r.visit.date < first.visit.date:
            why = f"{r.visit.date} is before {r.visit.target_id!r} is added on row {first.row}"
            problems.append((r.row, "date", f"{why} ({first.visit.date})"))
    if problems:
        raise RowError(path, problems)


def clock_time(raw: str) -> time:
    """Parse a time of day ``HH:MM`` (``9:05`` and full-width ``９：０５`` are accepted).

    Raises
    ------
    ValueError
        If the text is not hours 0–23 and minutes 00–59 separated by a colon.
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    hours, sep, minutes = text.partition(":")
    if (
        not sep
        or not (hours.isascii() and hours.isdigit() and 1 <= len(hours) <= 2)
        or not (minutes.isascii() and minutes.isdigit() and len(minutes) == 2)
        or int(hours) > 23
        or int(minutes) > 59
    ):
        raise ValueError(f"{raw.strip()!r} is not a time of day (HH:MM, e.g. 14:05)")
    return time(int(hours), int(minutes))


def unapproved_message(slot: str, day: date, what: str) -> str:
    """Why a visit in a slot that needs approval is refused, and what to do."""
    return (
        f"{slot} visit on {day} {what}: the 地域課長's approval comes first (planner approve), "
        "or record it with --unapproved-ok to list it in the month's report"
    )


def card_left(raw: str) -> CardLeft:
    """``cr_meishi`` / ``patrol_card`` / ``none`` (also CR名刺 / パトロールカード / なし)."""
    word = unicodedata.normalize("NFKC", raw).strip().lower()
    for value, words in _CARD_WORDS.items():
        if word in words:
            return value
    raise ValueError(f"{raw.strip()!r} is not a card left (cr_meishi, patrol_card, none)")


_CARD_WORDS: dict[CardLeft, tuple[str, ...]] = {
    CardLeft.CR_MEISHI: ("cr_meishi", "cr名刺", "cr"),
    CardLeft.PATROL_CARD: ("patrol_card", "パトロールカード", "patrol"),
    CardLeft.NONE: ("none", "なし", "無"),
}


def check_slot(r: dict[str, Any], policy: Policy) -> list[tuple[str, str]]:
    """A ``slot`` given beside ``start`` must be the slot ``start`` falls in."""
    if not r["slot"] or r["start"] is None:
        return []
    at = policy.slot_at(r["start"])
    if at is not None and at != r["slot"]:
        return [("slot", f"slot {r['slot']!r} disagrees with start {r['start']:%H:%M} ({at})")]
    return []


def _slot_of(r: dict[str, Any], policy: Policy) -> str:
    """The row's slot: as written, else the slot its ``start`` falls in, else unknown ("")."""
    if r["slot"]:
        return r["slot"]
    if r["start"] is not None:
        return policy.slot_at(r["start"]) or ""
    return ""


def _creates_target(r: dict[str, Any], targets: set[str]) -> bool:
    """A ``new`` row, or a ``provisional`` row for a household not yet in the register."""
    if r["outcome"] is Outcome.NEW:
        return True
    return r["outcome"] is Outcome.PROVISIONAL and r["target_id"] not in targets


def _minutes_between(start: time, end: time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def check_opinion(r: dict[str, Any]) -> list[tuple[str, str]]:
    """An opinion needs both its text and its kind; an action answers an opinion."""
    kinds = ", ".join(k.value for k in OpinionKind)
    if r["opinion_kind"] is not None and not r["opinion"]:
        return [
            (
                "opinion",
                f"opinion_kind {r['opinion_kind'].value!r} given without opinion "
                "text: write what the resident said",
            )
        ]
    if r["opinion"] and r["opinion_kind"] is None:
        return [("opinion_kind", f"opinion text given without opinion_kind ({kinds})")]
    if r["action"] and not r["opinion"]:
        return [("action", "action given without an opinion: write the opinion it answers")]
    return []


def check_time_spent(r: dict[str, Any]) -> list[tuple[str, str]]:
    """``start`` and ``end`` come together, ``end`` after ``start``, agreeing with minutes_spent."""
    start, end, spent = r["start"], r["end"], r["minutes_spent"]
    if start is None and end is None:
        return []
    if end is None:
        return [("end", "start given without end (HH:MM)")]
    if start is None:
        return [("start", "end given without start (HH:MM)")]
    span = _minutes_between(start, end)
    what = f"{start:%H:%M}–{end:%H:%M}"
    if span <= 0:
        return [("end", f"end {end:%H:%M} is not after start {start:%H:%M}")]
    if span > MAX_MINUTES_SPENT:
        return [("end", f"{what} is {span} minutes, above the maximum {MAX_MINUTES_SPENT}")]
    if spent is not None and spent != span:
        return [
            ("minutes_spent", f"{spent} minutes disagrees with start–end {what} ({span} minutes)")
        ]
    return []


def _spent(r: dict[str, Any]) -> int | None:
    if r["minutes_spent"] is not None:
        return r["minutes_spent"]
    if r["start"] is not None and r["end"] is not None:
        return _minutes_between(r["start"], r["end"])
    return None


def _outcome_row(row: int, r: dict[str, Any], policy: Policy, targets: set[str]) -> OutcomeRow:
    visit = Visit(
        r["target_id"],
        r["date"],
        r["officer_id"],
        r["outcome"],
        r["notes"],
        opinion=r["opinion"],
        opinion_kind=r["opinion_kind"],
        action=r["action"],
        minutes_spent=_spent(r),
        slot=_slot_of(r, policy),
        card_left=r["card_left"],
    )
    if not _creates_target(r, targets):
        return OutcomeRow(row, visit)
    met = r["outcome"] is Outcome.NEW
    kind: TargetKind = r["kind"]
    household = r["household_type"] or (
        HouseholdType.BUSINESS if kind is TargetKind.BUSINESS else HouseholdType.UNKNOWN
    )
    target = Target(
        target_id=r["target_id"],
        beat_id=r["beat_id"],
        kind=kind,
        address=r["address"],
        lon=r["lon"],
        lat=r["lat"],
        tier=classify(kind, r["reasons"], policy),
        reasons=r["reasons"],
        building_id=r["building_id"],
        last_visit=r["date"] if met else None,
        card=Card.FULL if met else Card.PROVISIONAL,
        registered=r["date"],
        availability=r["availability"],
        household_type=household,
        visit_minutes=r["visit_minutes"],
        name=r["name"],
    )
    return OutcomeRow(row, visit, target)


def _key(x: Visit) -> tuple:
    return (x.target_id, x.date, x.officer_id, x.outcome.value)


def apply_outcomes(station: Station, rows: Sequence[OutcomeRow]) -> RecordResult:
    """Add the visits to the station and update its targets (in date order); idempotent.

    ``visited`` and ``new``: last visit and a full card; ``provisional``: a 仮カード where there
    was none; ``moved_out``: the target leaves the due set (``moved_out`` date) but stays.
    Each visit keeps the card's state before it (``card_before``) for the monthly form.
    """
    recorded = {_key(x) for x in station.visits}
    by_id = {t.target_id: i for i, t in enumerate(station.targets)}
    added = already = created = 0
    touched: set[str] = set()
    for r in sorted(rows, key=lambda r: (r.visit.date, r.row)):
        if _key(r.visit) in recorded:
            already += 1
            continue
        recorded.add(_key(r.visit))
        if r.new_target is not None:
            by_id[r.new_target.target_id] = len(station.targets)
            station.targets.append(r.new_target)
            station.visits.append(replace(r.visit, card_before=Card.NONE))
            created += 1
            added += 1
            continue
        i = by_id[r.visit.target_id]
        before = station.targets[i]
        station.targets[i] = _updated(before, r.visit)
        if station.targets[i] != before:
            touched.add(before.target_id)
        station.visits.append(replace(r.visit, card_before=before.card))
        added += 1
    return RecordResult(added, already, created, len(touched))


def _updated(t: Target, x: Visit) -> Target:
    if x.outcome is Outcome.VISITED:
        last = max(t.last_visit, x.date) if t.last_visit else x.date
        return replace(t, last_visit=last, card=Card.FULL)
    if x.outcome is Outcome.PROVISIONAL and t.card is Card.NONE:
        return replace(t, card=Card.PROVISIONAL)
    if x.outcome is Outcome.MOVED_OUT and t.moved_out is None:
        return replace(t, moved_out=x.date)
    return t


def check_unique_new_ids(path: str, rows: Sequence[OutcomeRow]) -> None:
    """Two different ``new`` rows may not create the same target id."""
    first: dict[str, OutcomeRow] = {}
    problems = []
    for r in rows:
        if r.new_target is None:
            continue
        other = first.setdefault(r.visit.target_id, r)
        if other is not r and _key(other.visit) != _key(r.visit):
            problems.append(
                (
                    r.row,
                    "target_id",
                    f"new id {r.visit.target_id!r} also created on row {other.row}",
                )
            )
    if problems:
        raise RowError(path, problems)


def record_outcomes(
    db: str | Path,
    path: str | Path,
    *,
    year: int | None = None,
    today: date | None = None,
    unapproved_ok: bool = False,
) -> RecordResult:
    """Check an outcomes file and record it into a station file in one atomic write.

    On any bad row nothing is written (the station file stays byte-identical).  Two officers
    recording at once take turns on the station file's lock; neither loses a row.  A night
    visit without the 地域課長's approval on record is a bad row unless ``unapproved_ok``.
    """
    from planner.policy import load_policy
    from planner.store import station_update

    today = today or date.today()
    with station_update(db) as station:
        policy = load_policy(station.policy)
        rows = outcomes_from_file(
            path,
            station,
            policy,
            year=year or today.year,
            today=today,
            unapproved_ok=unapproved_ok,
        )
        return apply_outcomes(station, rows)
