"""Prefectural rules as data: tiers, frequencies, 別表 reason codes, time slots, the due set.

A policy is read from a TOML file (``planner/policies/miyagi.toml``, ``aomori.toml`` or a user's
own).  Tier classification (:func:`classify`) and the due set (:func:`due_targets`) live here and
nowhere else.
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date, time
from enum import StrEnum
from pathlib import Path
from typing import Any

from planner import _validate as v
from planner._errors import InputError
from planner.model import Beat, Card, Station, Target, TargetKind

POLICY_DIR = Path(__file__).parent / "policies"
BUILTIN_POLICIES = ("miyagi", "aomori")


@dataclass(frozen=True, slots=True)
class Tier:
    """A target tier (重点対象, 一般対象, or Aomori's single tier) and how often it is visited."""

    code: str
    label: str
    frequency_years: int
    level_cycle: bool = False
    per_beat_frequency: bool = False


@dataclass(frozen=True, slots=True)
class Reason:
    """One line of the 別表: a reason code that makes a target a given tier."""

    code: str
    kind: TargetKind
    tier: str
    label: str


@dataclass(frozen=True, slots=True)
class Slot:
    """A time slot of a duty day; night slots may need the 地域課長's approval."""

    code: str
    label: str
    start: time
    end: time
    requires_approval: bool = False
    approver: str = ""

    @property
    def minutes(self) -> int:
        """Length of the slot in minutes."""
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


@dataclass(frozen=True, slots=True)
class Policy:
    """A prefecture's 巡回連絡 rules."""

    name: str
    label: str
    tiers: tuple[Tier, ...]
    default_tier: str
    reasons: Mapping[str, Reason]
    slots: tuple[Slot, ...]
    month_factors: tuple[float, ...] = (1.0,) * 12
    no_visit_days: frozenset[tuple[int, int]] = frozenset()  # (month, day): e.g. 年末年始
    retention_years: int = 3  # records of moved-out / exempt targets kept this long ([records])
    sensitive_reasons: frozenset[str] = frozenset()  # 別表 codes a redacted copy drops (DV …)

    def visits_allowed(self, day: date) -> bool:
        """False on the calendar days the policy keeps free of visits (年末年始)."""
        return (day.month, day.day) not in self.no_visit_days

    @property
    def approval_slots(self) -> frozenset[str]:
        """Codes of the slots whose visits need the 地域課長's approval (night visits)."""
        return frozenset(s.code for s in self.slots if s.requires_approval)

    def slot_at(self, clock: time) -> str | None:
        """The code of the slot a clock time falls in (start inclusive), or ``None``."""
        for s in self.slots:
            if s.start <= clock < s.end:
                return s.code
        return None

    def tier(self, code: str) -> Tier:
        """The tier with this code (``KeyError`` if the policy has none)."""
        for t in self.tiers:
            if t.code == code:
                return t
        raise KeyError(code)

    @property
    def tier_codes(self) -> tuple[str, ...]:
        """Tier codes in priority order (first = most important)."""
        return tuple(t.code for t in self.tiers)

    def slot(self, code: str) -> Slot:
        """The slot with this code (``KeyError`` if the policy has none)."""
        for s in self.slots:
            if s.code == code:
                return s
        raise KeyError(code)

    def frequency_years(self, tier: str, beat: Beat | None = None) -> int:
        """Visit frequency of a tier in years, with the beat's override where the tier allows it."""
        t = self.tier(tier)
        if t.per_beat_frequency and beat is not None and beat.frequency_years:
            return beat.frequency_years
        return t.frequency_years


def load_policy(name_or_path: str | Path) -> Policy:
    """Load a built-in policy by name (``miyagi``, ``aomori``) or a user's TOML file.

    A file may be UTF-8 (with or without a BOM) or Shift_JIS (CP932), as :func:`read_toml`
    reads it.

    Raises
    ------
    InputError
        If the file is missing or a key is missing or invalid; the message names the key.
    """
    path = Path(name_or_path)
    if str(name_or_path) in BUILTIN_POLICIES:
        path = POLICY_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        raise InputError(f"policy {name_or_path!s}: no such built-in policy or file")
    return policy_from_dict(read_toml(path), source=str(path))


def read_toml(path: str | Path) -> dict[str, Any]:
    """The table of a TOML file, decoded as :func:`planner._validate.read_text` decodes text:
    UTF-8 with or without a BOM, UTF-16 with a BOM, or Shift_JIS (CP932).

    Raises
    ------
    InputError
        If the file cannot be read, is not text, or is not valid TOML (the message names the
        file and, for TOML, the line).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        text = v.read_text(path)
    except InputError as exc:
        reason = (
            str(exc).removeprefix(f"{path}: ").replace("save it as CSV UTF-8", "save it as UTF-8")
        )
        raise InputError(f"{path}: not a valid TOML file: {reason}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not a valid TOML file: {exc}") from None


def _table(value: Any, where: str, source: str) -> Mapping[str, Any]:
    """``value`` if it is a TOML table, else an error naming the key."""
    if not isinstance(value, Mapping):
        raise InputError(f"{source}: '{where}' must be a table, got {value!r}")
    return value


def _tables(value: Any, where: str, source: str) -> list[Mapping[str, Any]]:
    """``value`` if it is an array of tables (``[[where]]``), else an error naming the key."""
    if not isinstance(value, list) or not all(isinstance(x, Mapping) for x in value):
        raise InputError(
            f"{source}: '{where}' must be an array of tables ([[{where}]]), got {value!r}"
        )
    return value


def _text(value: Any, where: str, source: str) -> str:
    """``value`` if it is a string, else an error naming the key."""
    if not isinstance(value, str):
        raise InputError(f"{source}: '{where}' must be text, got {value!r}")
    return value


def policy_from_dict(raw: Mapping, *, source: str = "policy") -> Policy:
    """Build a :class:`Policy` from parsed TOML, with a clear error naming any bad key.

    Raises
    ------
    InputError
        If a key is missing or holds a value of the wrong kind (``tiers = 3``, a slot time that
        is not ``HH:MM``, a reason of an unknown tier, ...); the message names the key.
    """

    def need(mapping: Mapping, key: str, where: str):
        if key not in mapping:
            raise InputError(f"{source}: missing key '{where}{key}'")
        return mapping[key]

    tiers = []
    for i, t in enumerate(_tables(need(raw, "tiers", ""), "tiers", source)):
        where = f"tiers[{i}]."
        freq = need(t, "frequency_years", where)
        if not isinstance(freq, int) or isinstance(freq, bool) or freq < 1:
            raise InputError(f"{source}: '{where}frequency_years' must be a whole number >= 1")
        tiers.append(
            Tier(
                code=_text(need(t, "code", where), f"{where}code", source),
                label=str(need(t, "label", where)),
                frequency_years=freq,
                level_cycle=bool(t.get("level_cycle", False)),
                per_beat_frequency=bool(t.get("per_beat_frequency", False)),
            )
        )
    if not tiers:
        raise InputError(f"{source}: 'tiers' is empty")
    codes = {t.code for t in tiers}
    default_tier = _text(need(raw, "default_tier", ""), "default_tier", source)
    if default_tier not in codes:
        raise InputError(f"{source}: 'default_tier' {default_tier!r} is not one of {sorted(codes)}")

    reasons: dict[str, Reason] = {}
    for code, r in _table(raw.get("reasons", {}), "reasons", source).items():
        where = f"reasons.{code}."
        r = _table(r, f"reasons.{code}", source)
        kind = need(r, "kind", where)
        if not isinstance(kind, str) or kind not in {k.value for k in TargetKind}:
            raise InputError(f"{source}: '{where}kind' must be household or business")
        tier = need(r, "tier", where)
        if not isinstance(tier, str) or tier not in codes:
            raise InputError(f"{source}: '{where}tier' {tier!r} is not one of {sorted(codes)}")
        reasons[code] = Reason(code, TargetKind(kind), tier, str(r.get("label", "")))

    slots = []
    for i, s in enumerate(_tables(need(raw, "slots", ""), "slots", source)):
        where = f"slots[{i}]."
        code = _text(need(s, "code", where), f"{where}code", source)
        try:
            start = time.fromisoformat(need(s, "start", where))
            end = time.fromisoformat(need(s, "end", where))
        except (TypeError, ValueError) as exc:
            raise InputError(f"{source}: '{where}start/end' must be HH:MM times") from exc
        if end <= start:
            raise InputError(f"{source}: '{where}end' must be after start")
        slots.append(
            Slot(
                code=code,
                label=str(s.get("label", code)),
                start=start,
                end=end,
                requires_approval=bool(s.get("requires_approval", False)),
                approver=str(s.get("approver", "")),
            )
        )
    factors = _table(raw.get("capacity", {}), "capacity", source).get("month_factors", [1.0] * 12)
    if (
        not isinstance(factors, list)
        or len(factors) != 12
        or not all(isinstance(f, int | float) and 0 <= f <= 2 for f in factors)
    ):
        raise InputError(f"{source}: 'capacity.month_factors' must be 12 numbers in [0, 2]")
    no_visit = set()
    days = _table(raw.get("calendar", {}), "calendar", source).get("no_visit_days", [])
    if not isinstance(days, list):
        raise InputError(f"{source}: 'calendar.no_visit_days' must be a list of \"MM-DD\"")
    for i, raw_day in enumerate(days):
        try:
            month, day = (int(x) for x in str(raw_day).split("-"))
            date(2024, month, day)  # a leap year accepts 02-29
        except ValueError:
            raise InputError(
                f"{source}: 'calendar.no_visit_days[{i}]' must be MM-DD, got {raw_day!r}"
            ) from None
        no_visit.add((month, day))
    retention, sensitive = _records(raw, set(reasons), source)
    name = _text(need(raw, "name", ""), "name", source)
    return Policy(
        name=name,
        label=str(raw.get("label", name)),
        tiers=tuple(tiers),
        default_tier=default_tier,
        reasons=reasons,
        slots=tuple(slots),
        month_factors=tuple(float(f) for f in factors),
        no_visit_days=frozenset(no_visit),
        retention_years=retention,
        sensitive_reasons=sensitive,
    )


def _records(raw: Mapping, reasons: set[str], source: str) -> tuple[int, frozenset[str]]:
    """The ``[records]`` table: ``retention_years`` (whole number >= 1) and
    ``sensitive_reasons`` (reason codes of the policy)."""
    records = _table(raw.get("records", {}), "records", source)
    unknown_keys = sorted(set(records) - {"retention_years", "sensitive_reasons"})
    if unknown_keys:
        raise InputError(f"{source}: unknown key 'records.{unknown_keys[0]}'")
    years = records.get("retention_years", 3)
    if not isinstance(years, int) or isinstance(years, bool) or years < 1:
        raise InputError(f"{source}: 'records.retention_years' must be a whole number >= 1")
    codes = records.get("sensitive_reasons", [])
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise InputError(f"{source}: 'records.sensitive_reasons' must be a list of reason codes")
    unknown = sorted(set(codes) - reasons)
    if unknown:
        raise InputError(f"{source}: 'records.sensitive_reasons' has unknown codes {unknown}")
    return years, frozenset(codes)


def classify(kind: TargetKind | str, reasons: Iterable[str], policy: Policy) -> str:
    """Tier code of a target from its 別表 reason codes.

    The most important tier among the reasons wins (tiers are listed most important first);
    a target with no listed reason gets the policy's default tier (一般対象 in Miyagi).

    Raises
    ------
    InputError
        If a code is not in the policy's 別表, or belongs to the other kind of target
        (a business code on a household).
    """
    kind = TargetKind(kind)
    order = {code: i for i, code in enumerate(policy.tier_codes)}
    best = policy.default_tier
    for code in reasons:
        reason = policy.reasons.get(code)
        if reason is None:
            raise InputError(f"unknown reason code {code!r} for policy {policy.name}")
        if reason.kind is not kind:
            raise InputError(
                f"reason code {code!r} is for a {reason.kind.value}, not a {kind.value}"
            )
        if order[reason.tier] < order[best]:
            best = reason.tier
    return best


# ----------------------------------------------------------------------------------------------
# one register, either prefecture's rules


@functools.cache
def known_tiers() -> frozenset[str]:
    """Tier codes of the built-in policies (a register made under one of them may be planned
    under the other: :func:`mapped_tier`)."""
    return frozenset(code for name in BUILTIN_POLICIES for code in load_policy(name).tier_codes)


_MAPPED: ContextVar[Counter | None] = ContextVar("planner_tier_mapping", default=None)


@contextmanager
def collect_tier_mapping() -> Iterator[Counter]:
    """Count the tiers :func:`mapped_tier` maps inside the ``with`` block, as
    ``Counter({(from, to): n})`` (for a command to print the mapping once)."""
    counts: Counter = Counter()
    token = _MAPPED.set(counts)
    try:
        yield counts
    finally:
        _MAPPED.reset(token)


def mapped_tier(kind: TargetKind | str, reasons: Iterable[str], tier: str, policy: Policy) -> str:
    """A target's tier under ``policy``, for a register made under another prefecture's rules.

    A tier the policy has stays.  Otherwise the tier comes from the target's 別表 codes as the
    policy lists them (the most important tier among them; codes the policy does not list, or
    listed for the other kind of target, are passed over), else the policy's default tier:
    to Aomori every target is ``standard``; to Miyagi H1–H10 / B1–B8 make ``priority`` (重点),
    everything else ``general`` (一般).
    """
    if tier in policy.tier_codes:
        return tier
    kind = TargetKind(kind)
    order = {code: i for i, code in enumerate(policy.tier_codes)}
    best = policy.default_tier
    for code in reasons:
        reason = policy.reasons.get(code)
        if reason is not None and reason.kind is kind and order[reason.tier] < order[best]:
            best = reason.tier
    counts = _MAPPED.get()
    if counts is not None:
        counts[(tier or "-", best)] += 1
    return best


@dataclass(frozen=True, slots=True)
class TierMapping:
    """Which tiers a register's targets were mapped from and to under a policy."""

    policy: str
    counts: Mapping[tuple[str, str], int]

    def __bool__(self) -> bool:
        return bool(self.counts)

    def message(self) -> str:
        """One sentence, e.g. ``tiers mapped to aomori: priority → standard 120, general →
        standard 340 (Aomori has one tier: every target standard)``."""
        pairs = ", ".join(f"{a} → {b} {n:,}" for (a, b), n in sorted(self.counts.items()))
        return f"tiers mapped to {self.policy}: {pairs} ({TIER_RULE.get(self.policy, _RULE)})"


_RULE = "from the 別表 codes the policy lists, else its default tier"
TIER_RULE = {
    "aomori": "Aomori has one tier: every target standard",
    "miyagi": "Miyagi: 重点 (priority) from the 別表 codes H1–H10 / B1–B8, else 一般 (general)",
}
"""The mapping rule of each built-in policy, as printed."""


def map_tiers(targets: Sequence[Target], policy: Policy) -> tuple[list[Target], TierMapping]:
    """The targets with every tier the policy lacks mapped (:func:`mapped_tier`)."""
    with collect_tier_mapping() as counts:
        out = [
            t
            if t.tier in policy.tier_codes
            else replace(t, tier=mapped_tier(t.kind, t.reasons, t.tier, policy))
            for t in targets
        ]
    outer = _MAPPED.get()
    if outer is not None:
        outer.update(counts)
    return out, TierMapping(policy.name, dict(counts))


def station_under(station: Station, policy: Policy) -> tuple[Station, TierMapping]:
    """The station with its targets' tiers mapped to ``policy`` (the same object when none
    needs it)."""
    targets, mapping = map_tiers(station.targets, policy)
    if not mapping:
        return station, mapping
    return replace(station, targets=targets), mapping


class DueReason(StrEnum):
    """Why a target is in the due set of a year (column ``due_reason`` of plan.csv)."""

    YEARLY = "yearly"  # tier visited every year (重点対象)
    NEVER_MET = "never_met"  # 未把握: no card, never interviewed
    PROVISIONAL = "provisional"  # 仮カード only
    OVERDUE = "overdue"  # last visit at least the tier's frequency ago
    CYCLE = "cycle"  # not yet overdue, brought forward to keep the cycle level
    CAMPAIGN = "campaign"  # inside a visiting campaign ordered by the chief (Aomori 第4-3)


@dataclass(frozen=True, slots=True)
class DueTarget:
    """A target that must be visited in the plan year, with why and how urgently.

    ``urgency`` sorts the due set: lower is more urgent (never met first, then longest unvisited).
    """

    target: Target
    reason: DueReason
    years_since: float
    urgency: tuple


def _years_since(last: date | None, year: int) -> float:
    if last is None:
        return math.inf
    return (date(year, 1, 1) - last).days / 365.25


def due_targets(
    targets: Iterable[Target], policy: Policy, year: int, beats: Mapping[str, Beat] | None = None
) -> list[DueTarget]:
    """The targets due in ``year`` under ``policy``, most urgent first.

    Moved-out targets and targets exempted by the chief in ``year`` or earlier are never due.
    A target of a tier with frequency *F* years is due when it was never interviewed (no card or
    only a 仮カード) or its last visit was in year ``year - F`` or earlier.  A tier with
    ``level_cycle`` (Miyagi 一般対象) then tops its due set up, oldest last visit first, to
    ``ceil(n / F)`` targets so that about 1/F of the tier is visited every year.

    Parameters
    ----------
    targets
        The register (any number of beats).
    policy
        The rules to apply; each target's ``tier`` must be one of the policy's tiers.
    year
        The plan year.
    beats
        Beats by id, for per-beat frequencies (Aomori).  Optional.
    """
    beats = beats or {}
    by_tier: dict[tuple[str, str], list[Target]] = {}
    for t in targets:
        if t.active_in(year):  # 転出 and exempt targets stay in the register, not in the due set
            by_tier.setdefault((t.beat_id, t.tier), []).append(t)
    due: list[DueTarget] = []
    for (beat_id, tier_code), members in by_tier.items():
        tier = policy.tier(tier_code)
        freq = policy.frequency_years(tier_code, beats.get(beat_id))
        chosen: list[DueTarget] = []
        rest: list[Target] = []
        for t in members:
            since = _years_since(t.last_visit, year)
            if t.last_visit is None or t.card is Card.NONE:
                reason = DueReason.NEVER_MET
            elif t.card is Card.PROVISIONAL:
                reason = DueReason.PROVISIONAL
            elif t.last_visit.year <= year - freq:
                reason = DueReason.YEARLY if freq == 1 else DueReason.OVERDUE
            else:
                rest.append(t)
                continue
            chosen.append(DueTarget(t, reason, since, _urgency(reason, since, t)))
        if tier.level_cycle and freq > 1:
            # targets already interviewed this year (a re-plan) count toward the year's share
            done = sum(1 for t in rest if t.last_visit and t.last_visit.year >= year)
            quota = math.ceil(len(members) / freq) - done
            rest = [t for t in rest if not (t.last_visit and t.last_visit.year >= year)]
            rest.sort(key=lambda t: (t.last_visit or date.min, t.target_id))
            for t in rest[: max(0, quota - len(chosen))]:
                since = _years_since(t.last_visit, year)
                urgency = _urgency(DueReason.CYCLE, since, t)
                chosen.append(DueTarget(t, DueReason.CYCLE, since, urgency))
        due.extend(chosen)
    tier_rank = {code: i for i, code in enumerate(policy.tier_codes)}
    due.sort(key=lambda d: (tier_rank[d.target.tier], d.urgency))
    return due


_REASON_RANK = {
    DueReason.NEVER_MET: 0,
    DueReason.PROVISIONAL: 1,
    DueReason.OVERDUE: 2,
    DueReason.YEARLY: 3,
    DueReason.CYCLE: 4,
    DueReason.CAMPAIGN: 5,
}


def _urgency(reason: DueReason, since: float, t: Target) -> tuple:
    years = since if math.isfinite(since) else 1e9
    return (_REASON_RANK[reason], -years, t.target_id)
