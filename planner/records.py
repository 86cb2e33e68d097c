"""The life of a register's records: beat moves on re-import, retention and disposal.

* **Moves.**  A register re-imported with a known target under another beat of the station moves
  the target: its recorded visits stay with it (they are keyed by target id), the state the visits
  gave it (last interview, card, 仮カード date, move-out) is kept where the file is silent or
  older, and the move is kept as a :class:`~planner.model.BeatMove` (from, to, day).
* **Retention.**  Records of households that moved out (転出) or that the chief exempted are kept
  ``Policy.retention_years`` after the move or the order (the directives leave the period to a
  separate rule, Miyagi 第7-4), then :func:`purge` removes the target with its visits, decisions,
  exemption order and moves.  Active targets are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TypeVar

from planner.model import BeatMove, Card, Station, Target

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


def keep_recorded_state(stored: Target, incoming: Target) -> Target:
    """The incoming register row, with what recorded visits gave the stored target kept.

    The later last interview, the more complete card, the day it entered the register by a
    record, and a move-out the file does not mention.
    """
    card = max(stored.card, incoming.card, key=_CARD_RANK.__getitem__)
    return replace(
        incoming,
        last_visit=_later(stored.last_visit, incoming.last_visit),
        card=card,
        registered=incoming.registered or stored.registered,
        moved_out=incoming.moved_out or stored.moved_out,
    )


def merge_targets(
    stored: Sequence[Target], incoming: Sequence[Target], on: date
) -> tuple[list[Target], list[BeatMove]]:
    """Targets after importing ``incoming`` over ``stored`` (order kept, new ids appended).

    Returns
    -------
    tuple
        The merged targets (see :func:`keep_recorded_state`) and the beat moves of the import.
    """
    by_id = {t.target_id: t for t in incoming}
    merged, moves = [], []
    for t in stored:
        new = by_id.pop(t.target_id, None)
        if new is None:
            merged.append(t)
            continue
        merged.append(keep_recorded_state(t, new))
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


def purge_station(db, *, before: date | None = None) -> PurgeResult:
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
                AccessEntry(datetime.now().replace(microsecond=0), getpass.getuser(),
                            f"purge --before {before.isoformat()} "
                            f"(retention {policy.retention_years} years)", result.targets)
            )  # fmt: skip
    return result
