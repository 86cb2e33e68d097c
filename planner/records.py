"""The life of a register's records: beat moves on re-import, retention and disposal.

* **Moves.**  A register re-imported with a known target under another beat of the station moves
  the target: its recorded visits stay with it (they are keyed by target id), what those visits
  show (the last interview, the card they made, the day a record added it, a move-out) is kept
  where the file is silent or older, and the move is kept as a
  :class:`~planner.model.BeatMove` (from, to, day).  Without recorded visits the file's row
  stands as it is: the register is the office's.
* **Retention.**  Records of households that moved out (転出) or that the chief exempted are kept
  ``Policy.retention_years`` after the move or the order (the directives leave the period to a
  separate rule, Miyagi 第7-4), then :func:`purge` removes the target with its visits, decisions,
  exemption order and moves.  Active targets are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TypeVar

from planner.model import BeatMove, Card, Outcome, Station, Target, Visit

_CARD_RANK = {Card.NONE: 0, Card.PROVISIONAL: 1, Card.FULL: 2}
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Upserted:
    """What :func:`upsert` did: records added, already there as they are, replaced."""

    added: int
    already: int
    replaced: int


def upsert(stored: list[R], incoming: Iterable[R], key: Callable[[R], Hashable]) -> Upserted:
    """Keep one record per key in ``stored`` (in place): a new key is appended, an equal record
    is already there, a differing one replaces the stored record where it stands (a correction).
    """
    where = {key(x): i for i, x in enumerate(stored)}
    added = already = replaced = 0
    for x in incoming:
        i = where.get(key(x))
        if i is None:
            where[key(x)] = len(stored)
            stored.append(x)
            added += 1
        elif stored[i] == x:
            already += 1
        else:
            stored[i] = x
            replaced += 1
    return Upserted(added, already, replaced)


@dataclass(frozen=True, slots=True)
class PurgeResult:
    """What :func:`purge` removed (counts only: the records themselves are gone)."""

    before: date
    targets: int
    visits: int
    approvals: int
    exemptions: int
    beat_moves: int

    @property
    def removed(self) -> int:
        """All records removed."""
        return self.targets + self.visits + self.approvals + self.exemptions + self.beat_moves


def _later(a: date | None, b: date | None) -> date | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a target's recorded visits show: its last interview and the card they made."""

    last_interview: date | None = None
    card: Card = Card.NONE
    moved_out: date | None = None


def recorded_state(visits: Sequence[Visit]) -> dict[str, Recorded]:
    """Per target, what its recorded visits show (targets without visits are absent)."""
    out: dict[str, Recorded] = {}
    for x in sorted(visits, key=lambda x: x.date):
        r = out.get(x.target_id, Recorded())
        if x.outcome in (Outcome.VISITED, Outcome.NEW):
            r = replace(r, last_interview=x.date, card=Card.FULL)
        elif x.outcome is Outcome.PROVISIONAL and r.card is Card.NONE:
            r = replace(r, card=Card.PROVISIONAL)
        elif x.outcome is Outcome.MOVED_OUT and r.moved_out is None:
            r = replace(r, moved_out=x.date)
        out[x.target_id] = r
    return out


def keep_recorded_state(stored: Target, incoming: Target, recorded: Recorded) -> Target:
    """The incoming register row, with what the target's recorded visits show kept.

    The later of the file's last interview and the last recorded one, the more complete of the
    file's card and the recorded one, the day a record added the target, and a recorded move-out
    the file does not mention.
    """
    card = max(incoming.card, recorded.card, key=_CARD_RANK.__getitem__)
    return replace(
        incoming,
        last_visit=_later(incoming.last_visit, recorded.last_interview),
        card=card,
        registered=incoming.registered or stored.registered,
        moved_out=incoming.moved_out or recorded.moved_out,
    )


def merge_targets(
    stored: Sequence[Target],
    incoming: Sequence[Target],
    on: date,
    visits: Sequence[Visit] = (),
) -> tuple[list[Target], list[BeatMove]]:
    """Targets after importing ``incoming`` over ``stored`` (order kept, new ids appended).

    Returns
    -------
    tuple
        The merged targets (see :func:`keep_recorded_state`, from ``visits``, the station's
        recorded visits) and the beat moves of the import.
    """
    by_id = {t.target_id: t for t in incoming}
    recorded = recorded_state(visits)
    merged, moves = [], []
    for t in stored:
        new = by_id.pop(t.target_id, None)
        if new is None:
            merged.append(t)
            continue
        merged.append(keep_recorded_state(t, new, recorded.get(t.target_id, Recorded())))
        if new.beat_id != t.beat_id:
            moves.append(BeatMove(t.target_id, t.beat_id, new.beat_id, on))
    merged += [t for t in incoming if t.target_id in by_id]
    return merged, moves


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def retention_end(target: Target, years: int) -> date | None:
    """The day a moved-out or exempt target's records may go; ``None`` for an active target."""
    gone = [d for d in (target.moved_out, target.exempted) if d is not None]
    return _add_years(min(gone), years) if gone else None


def purge(station: Station, retention_years: int, before: date) -> PurgeResult:
    """Remove the records whose retention ended before ``before`` (in place).

    A target goes with every record naming it (visits, night-visit decisions, its exemption
    order, its beat moves) when it moved out or was exempted and ``retention_years`` have
    passed since, before ``before``.  Active targets and their records are never touched.
    """
    gone = {
        t.target_id
        for t in station.targets
        if (end := retention_end(t, retention_years)) is not None and end < before
    }

    def keep(rows: list, attr: str = "target_id") -> tuple[list, int]:
        kept = [r for r in rows if getattr(r, attr) not in gone]
        return kept, len(rows) - len(kept)

    station.targets, n_targets = keep(station.targets)
    station.visits, n_visits = keep(station.visits)
    station.approvals, n_approvals = keep(station.approvals)
    station.exemptions, n_exemptions = keep(station.exemptions)
    station.beat_moves, n_moves = keep(station.beat_moves)
    return PurgeResult(before, n_targets, n_visits, n_approvals, n_exemptions, n_moves)


def purge_station(db: str | Path, *, before: date | None = None) -> PurgeResult:
    """Purge a station file (one locked write; nothing written when nothing is past retention).

    The station's access log keeps a line with the counts (never names or addresses).
    """
    import getpass
    from datetime import datetime

    from planner.model import AccessEntry
    from planner.policy import load_policy
    from planner.store import station_update

    before = before or date.today()
    with station_update(db) as station:
        policy = load_policy(station.policy)
        result = purge(station, policy.retention_years, before)
        if result.removed:
            station.access_log.append(
                AccessEntry(
                    datetime.now().replace(microsecond=0),
                    getpass.getuser(),
                    f"purge --before {before.isoformat()} "
                    f"(retention {policy.retention_years} years)",
                    result.targets,
                )
            )
    return result
