"""Domain model of a station's 巡回連絡 world: plain typed dataclasses, no I/O, no solving.

Every other module passes these objects around.  Minutes and metres are integers wherever a
solver will see them; dates are :class:`datetime.date`.
"""

from __future__ import annotations

import datetime as dt  # for annotations after a field named ``date``, which hides the class
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from shapely.geometry.base import BaseGeometry


class PostKind(StrEnum):
    """交番 (rotating shifts) or 駐在所 (one officer living on site, day work)."""

    KOBAN = "koban"
    CHUZAISHO = "chuzaisho"


class TargetKind(StrEnum):
    """世帯 (household) or 事業所 (business / institution)."""

    HOUSEHOLD = "household"
    BUSINESS = "business"


class Card(StrEnum):
    """State of the target's 巡回連絡カード."""

    NONE = "none"  # never met, no card (未把握)
    PROVISIONAL = "provisional"  # 仮カード from a nameplate or meter, no interview yet
    FULL = "full"  # 作成済カード from an interview


class Availability(StrEnum):
    """When the card says a visit suits the household."""

    DAY = "day"
    EVENING = "evening"
    ANY = "any"
    UNKNOWN = "unknown"


class HouseholdType(StrEnum):
    """Drives the chance that somebody answers the door (absence table in ``data/absence.csv``)."""

    ELDERLY = "elderly"
    FAMILY = "family"
    DUAL_EARNER = "dual_earner"
    SINGLE_WORKER = "single_worker"
    BUSINESS = "business"
    UNKNOWN = "unknown"


class Mode(StrEnum):
    """How the officer moves between doors."""

    WALK = "walk"
    BIKE = "bike"
    CAR = "car"


class DutyType(StrEnum):
    """Kinds of duty day in a roster (当番・非番・日勤・週休 and friends)."""

    TOBAN = "toban"  # 当番: 24-hour duty at a 交番
    HIBAN = "hiban"  # 非番: off after a 当番
    NIKKIN = "nikkin"  # 日勤: day shift
    YAKIN = "yakin"  # 夜勤: night shift (4-shift rotations)
    SHUKYU = "shukyu"  # 週休: weekly rest
    HOLIDAY = "holiday"  # 祝日 rest (day-work patterns)
    SENJU = "senju"  # 専従日: a day dedicated to 巡回連絡
    LEAVE = "leave"  # 休暇: leave, no visits


DUTY_LABELS_JA: dict[DutyType, str] = {
    DutyType.TOBAN: "当番",
    DutyType.HIBAN: "非番",
    DutyType.NIKKIN: "日勤",
    DutyType.YAKIN: "夜勤",
    DutyType.SHUKYU: "週休",
    DutyType.HOLIDAY: "祝日",
    DutyType.SENJU: "専従日",
    DutyType.LEAVE: "休暇",
}


class Outcome(StrEnum):
    """Outcome of one door (see the monthly-results capability)."""

    VISITED = "visited"  # 面接
    ABSENT = "absent"  # 不在 (CR名刺 / パトロールカード left)
    REFUSED = "refused"
    MOVED_OUT = "moved_out"  # 転出
    NEW = "new"  # 新規把握
    PROVISIONAL = "provisional"  # 仮カード without interview


class CardLeft(StrEnum):
    """What the officer left at a door where nobody answered (別記様式: 活用数 rows)."""

    NONE = "none"
    CR_MEISHI = "cr_meishi"  # CR名刺
    PATROL_CARD = "patrol_card"  # パトロールカード


class Decision(StrEnum):
    """The 地域課長's decision on a visit in a slot that needs approval (night visits)."""

    APPROVE = "approve"  # 承認
    DENY = "deny"  # 不承認


class OpinionKind(StrEnum):
    """What a resident's opinion or request (意見・要望) heard at the door is about."""

    REQUEST = "request"  # 要望
    CONCERN = "concern"  # 不安・心配 (crime, traffic, neighbourhood)
    COMPLAINT = "complaint"  # 警察活動に関する苦情: goes to headquarters at once (Aomori 第4-5)
    OTHER = "other"  # その他


OPINION_LABELS_JA: dict[OpinionKind, str] = {
    OpinionKind.REQUEST: "要望",
    OpinionKind.CONCERN: "不安・心配",
    OpinionKind.COMPLAINT: "苦情",
    OpinionKind.OTHER: "その他",
}


@dataclass(frozen=True, slots=True)
class Post:
    """A 交番 or 駐在所: where beats' officers start and end their rounds."""

    post_id: str
    name: str
    kind: PostKind
    lon: float
    lat: float
    station: str = ""


@dataclass(frozen=True, slots=True)
class Beat:
    """A 受持区: the area of one post that one officer is responsible for.

    ``registry_households`` is the 住民基本台帳世帯数 (C on the official form).
    ``frequency_years`` overrides the policy's frequency for this beat (Aomori: set by the chief).
    ``incident_hours`` is the time per duty day lost to incidents and other calls: plans use each
    duty day's visit hours net of it (Miyagi 第7-2).
    """

    beat_id: str
    post_id: str
    name: str
    registry_households: int | None = None
    frequency_years: int | None = None
    polygon: BaseGeometry | None = None
    incident_hours: float = 0.0


@dataclass(frozen=True, slots=True)
class Target:
    """One household or business the beat officer must visit.

    Households in one apartment building share ``building_id`` and coordinates.
    ``last_visit`` is ``None`` when the target was never met (未把握).
    """

    target_id: str
    beat_id: str
    kind: TargetKind
    address: str
    lon: float
    lat: float
    tier: str
    reasons: tuple[str, ...] = ()
    building_id: str = ""
    last_visit: date | None = None
    card: Card = Card.NONE
    availability: Availability = Availability.UNKNOWN
    household_type: HouseholdType = HouseholdType.UNKNOWN
    visit_minutes: int = 10
    name: str = ""  # personal data: never logged, exported only on request
    moved_out: date | None = None  # 転出: leaves the due set, stays in the register and history
    exempted: date | None = None  # 除外 by the chief's order: out of the due set from this date
    registered: date | None = None  # entered the register by a recorded visit (新規, 仮カード)

    def in_register_on(self, day: date) -> bool:
        """Whether the target is in the register (案内簿) on ``day``: entered by then (imported
        targets always are) and not moved out on or before it."""
        entered = self.registered is None or self.registered <= day
        return entered and (self.moved_out is None or self.moved_out > day)

    def active_in(self, year: int) -> bool:
        """False once the target moved out (転出) or the chief exempted it in ``year`` or before.

        Such a target stays in the register and its history but is nobody's visit.
        """
        return self.moved_out is None and (self.exempted is None or self.exempted.year > year)

    @property
    def never_met(self) -> bool:
        """True when no interview has ever been recorded (未把握 or 仮カード only)."""
        return self.last_visit is None or self.card is not Card.FULL


@dataclass(frozen=True, slots=True)
class Officer:
    """A 受持警察官 with the duty pattern their roster is generated from.

    ``phase`` is the position in the pattern's cycle on 1 January, so that the officers of one
    交番 are staggered.  ``visit_hours`` overrides the default visit hours per duty type and slot
    (keys ``"<duty>"`` for the day slot or ``"<duty>.evening"``).
    """

    officer_id: str
    beat_id: str
    name: str
    pattern: str
    phase: int = 0
    mode: Mode = Mode.WALK
    visit_hours: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OfficerDay:
    """A leave day or 専従日 set for one officer on one date."""

    officer_id: str
    date: date
    kind: DutyType  # LEAVE or SENJU


@dataclass(frozen=True, slots=True)
class DutyDay:
    """One officer's duty on one date and the minutes it leaves for visits, per slot."""

    officer_id: str
    date: date
    duty: DutyType
    day_minutes: int
    evening_minutes: int

    @property
    def visit_minutes(self) -> int:
        """All minutes available for visits on this day."""
        return self.day_minutes + self.evening_minutes


@dataclass(frozen=True, slots=True)
class Visit:
    """One recorded door: what happened when an officer called on a target."""

    target_id: str
    date: date
    officer_id: str
    outcome: Outcome
    notes: str = ""
    card_before: Card | None = None  # the card's state when the visit was recorded
    opinion: str = ""  # 意見・要望 heard at the door (free text)
    opinion_kind: OpinionKind | None = None
    action: str = ""  # 措置: what the officer did about the opinion
    minutes_spent: int | None = None  # time at the door, when the officer recorded it
    slot: str = ""  # the policy's slot of the visit (day / evening / night), when known
    card_left: CardLeft | None = None  # at an absent door; None: not recorded (older files)
    reported_on: dt.date | None = None  # a complaint (苦情): day it was reported to headquarters


@dataclass(frozen=True, slots=True)
class Exemption:
    """The chief's order that a target need not be visited (Miyagi 第5-1(1)), from ``date`` on.

    The target stays in the register and its history; it leaves the due set.
    """

    target_id: str
    ordered_by: str
    date: date
    reason: str


@dataclass(frozen=True, slots=True)
class Approval:
    """The 地域課長's decision, in advance, on one visit in a slot that needs approval.

    Miyagi 第5-3 and Aomori 第6-3: night visits only with the approval of the station's
    地域課長.  One decision per ``(target_id, date, slot)``; a later decision on the same visit
    replaces the earlier one (a correction).
    """

    target_id: str
    date: date  # the day of the visit
    slot: str  # the policy's slot code (e.g. "night")
    decided_by: str
    decided_on: dt.date
    decision: Decision
    note: str = ""

    @property
    def key(self) -> tuple[str, dt.date, str]:
        """The visit the decision is about."""
        return (self.target_id, self.date, self.slot)


@dataclass(frozen=True, slots=True)
class Review:
    """A supervisor's review of a year plan (Miyagi 第4-3, 第7-2; Aomori 第4-6), on record.

    The review holds the SHA-256 of the ``plan.csv`` it signed: a plan changed afterwards no
    longer matches and shows as not reviewed.
    """

    plan_sha256: str
    year: int
    reviewed_by: str
    reviewed_on: date
    note: str = ""


@dataclass(frozen=True, slots=True)
class Guidance:
    """A supervisor's monthly guidance to one officer (指導), kept for inspection."""

    officer_id: str
    year: int
    month: int
    given_by: str
    given_on: date
    note: str


@dataclass(frozen=True, slots=True)
class CampaignOrder:
    """The chief's order of a visiting campaign after a serious crime (Aomori 第4-3), on record:
    who ordered it, when, why, and the circle and days it covers."""

    ordered_by: str
    ordered_on: date
    reason: str
    start: date
    days: int
    lon: float
    lat: float
    radius_m: float
    kinds: str  # "household,business"
    targets: int  # targets in the circle when ordered


@dataclass(frozen=True, slots=True)
class BeatMove:
    """A target re-imported under another beat of the station: its visits stay with it."""

    target_id: str
    from_beat: str
    to_beat: str
    moved_on: date  # the day of the import that moved it


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One line of the station's access log: an export that included residents' names."""

    when: datetime  # local time of the export, to the second
    who: str  # OS login of the person who ran it
    what: str  # the command and file, e.g. "route --with-names routes/K1-1_2027-01-04.pdf"
    records: int  # how many residents' records it held


@dataclass(slots=True)
class Station:
    """Everything one station file holds: the register and the people who work it."""

    name: str
    policy: str
    posts: list[Post] = field(default_factory=list)
    beats: list[Beat] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    officers: list[Officer] = field(default_factory=list)
    officer_days: list[OfficerDay] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    exemptions: list[Exemption] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    guidance: list[Guidance] = field(default_factory=list)
    beat_moves: list[BeatMove] = field(default_factory=list)
    campaign_orders: list[CampaignOrder] = field(default_factory=list)
    access_log: list[AccessEntry] = field(default_factory=list)

    def beat(self, beat_id: str) -> Beat:
        """The beat with this id (``KeyError`` if absent)."""
        for b in self.beats:
            if b.beat_id == beat_id:
                return b
        raise KeyError(beat_id)

    def post_of(self, beat_id: str) -> Post:
        """The post a beat belongs to."""
        post_id = self.beat(beat_id).post_id
        for p in self.posts:
            if p.post_id == post_id:
                return p
        raise KeyError(post_id)

    def targets_of(self, beat_id: str) -> list[Target]:
        """Targets of one beat, in register order."""
        return [t for t in self.targets if t.beat_id == beat_id]

    def incident_hours(self) -> dict[str, float]:
        """Hours per duty day lost to incidents, by beat id (``Beat.incident_hours``)."""
        return {b.beat_id: b.incident_hours for b in self.beats}

    def register_households(self, beat_id: str, day: date) -> int:
        """案内簿一般世帯数 (Ｄ on the form): households of the beat in the register on ``day``,
        businesses and offices excluded (別記様式 注7); the same count on plan and result forms."""
        return sum(
            1
            for t in self.targets
            if t.beat_id == beat_id and t.kind is TargetKind.HOUSEHOLD and t.in_register_on(day)
        )

    def officers_of(self, beat_id: str) -> list[Officer]:
        """Officers responsible for one beat."""
        return [o for o in self.officers if o.beat_id == beat_id]
