"""Per-beat summary of a station: targets by tier and kind, due this year, officer hours.

This is what ``planner info`` and ``planner demo`` print; notebooks use the same functions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from planner.model import Station, TargetKind
from planner.policy import Policy, due_targets
from planner.roster import duty_calendar


@dataclass(frozen=True, slots=True)
class BeatSummary:
    """Headline figures of one beat for one plan year."""

    beat_id: str
    post: str
    targets: int
    households: int
    businesses: int
    by_tier: dict[str, int] = field(default_factory=dict)
    due_by_tier: dict[str, int] = field(default_factory=dict)
    never_met: int = 0
    officers: int = 0
    visit_hours: float = 0.0  # officers' visit hours net of the beat's incident hours
    visit_minutes_due: int = 0

    @property
    def due(self) -> int:
        """Targets due this year, all tiers."""
        return sum(self.due_by_tier.values())


def summarize(station: Station, policy: Policy, year: int) -> list[BeatSummary]:
    """One :class:`BeatSummary` per beat, in the station's beat order."""
    beats = {b.beat_id: b for b in station.beats}
    due = due_targets(station.targets, policy, year, beats)
    due_count = Counter((d.target.beat_id, d.target.tier) for d in due)
    due_minutes: Counter[str] = Counter()
    for d in due:
        due_minutes[d.target.beat_id] += d.target.visit_minutes
    out = []
    for beat in station.beats:
        targets = station.targets_of(beat.beat_id)
        officers = station.officers_of(beat.beat_id)
        minutes = sum(  # net of the beat's incident hours (Miyagi 第7-2)
            day.visit_minutes
            for o in officers
            for day in duty_calendar(
                o, year, officer_days=station.officer_days, incident_hours=beat.incident_hours
            )
        )
        post = next((p for p in station.posts if p.post_id == beat.post_id), None)
        out.append(
            BeatSummary(
                beat_id=beat.beat_id,
                post=post.name if post else beat.post_id,
                targets=len(targets),
                households=sum(t.kind is TargetKind.HOUSEHOLD for t in targets),
                businesses=sum(t.kind is TargetKind.BUSINESS for t in targets),
                by_tier={c: sum(t.tier == c for t in targets) for c in policy.tier_codes},
                due_by_tier={c: due_count[(beat.beat_id, c)] for c in policy.tier_codes},
                never_met=sum(t.never_met for t in targets),
                officers=len(officers),
                visit_hours=minutes / 60,
                visit_minutes_due=due_minutes[beat.beat_id],
            )
        )
    return out


def format_summary(rows: list[BeatSummary], policy: Policy, year: int) -> str:
    """A plain-text table of the summaries, with Japanese tier labels."""
    labels = [policy.tier(c).label for c in policy.tier_codes]
    due = [f"{lab}({year}対象)" for lab in labels]
    head = [
        "受持区",
        "交番・駐在所",
        "対象数",
        "世帯",
        "事業所",
        *labels,
        "未把握",
        *due,
        "訪問h(移動除く)",
        "勤務内訪問h",
    ]
    lines = []
    for r in rows:
        lines.append(
            [
                r.beat_id,
                r.post,
                str(r.targets),
                str(r.households),
                str(r.businesses),
                *[str(r.by_tier[c]) for c in policy.tier_codes],
                str(r.never_met),
                *[str(r.due_by_tier[c]) for c in policy.tier_codes],
                f"{r.visit_minutes_due / 60:.0f}",
                f"{r.visit_hours:.0f}",
            ]
        )
    widths = [max(_width(h), *(_width(ln[i]) for ln in lines)) for i, h in enumerate(head)]
    out = ["  ".join(_pad(h, w) for h, w in zip(head, widths, strict=True))]
    out += ["  ".join(_pad(c, w) for c, w in zip(ln, widths, strict=True)) for ln in lines]
    return "\n".join(out)


def _width(s: str) -> int:
    """Display width: East Asian wide characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _width(s))


def format_loads(plan, policy: Policy) -> str:
    """Per beat and month: visit hours available and planned, and planned visits per tier.

    ``plan`` is a :class:`planner.plan.YearPlan`.
    """
    out = []
    beats = list(dict.fromkeys(ld.beat_id for ld in plan.loads))
    for beat_id in beats:
        loads = [ld for ld in plan.loads if ld.beat_id == beat_id]
        head = ["受持区 " + beat_id, *[f"{ld.month}月" for ld in loads], "計"]
        rows = [
            [
                "勤務内訪問h",
                *[f"{ld.capacity_min / 60:.0f}" for ld in loads],
                f"{sum(ld.capacity_min for ld in loads) / 60:.0f}",
            ],
            [
                "計画h",
                *[f"{ld.planned_min / 60:.0f}" for ld in loads],
                f"{sum(ld.planned_min for ld in loads) / 60:.0f}",
            ],
        ]
        for code in policy.tier_codes:
            counts = [ld.visits.get(code, 0) for ld in loads]
            rows.append([policy.tier(code).label, *map(str, counts), str(sum(counts))])
        widths = [max(_width(r[i]) for r in [head, *rows]) for i in range(len(head))]
        for r in [head, *rows]:
            out.append(
                "  ".join(
                    _pad(c, w) if i == 0 else c.rjust(w)
                    for i, (c, w) in enumerate(zip(r, widths, strict=True))
                )
            )
        out.append("")
    return "\n".join(out)
