"""The monthly progress outputs: result forms (xlsx) and the supervisor's review page (HTML).

The page is one self-contained file (charts as inline PNG, no scripts, no outside links): it
opens on an offline 交番 PC and prints.  It lists addresses of targets at risk, so it is written
owner-only.  With a plan it also shows each beat's estimated incident hours per duty day; by
officer it adds a table and a chart per officer and ``officers_<YYYY-MM>.csv`` (owner-only too:
it evaluates named staff).
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from planner.files import atomic_path
from planner.fonts import EMBEDDED_FAMILY, embedded_font_css, matplotlib_family
from planner.forms import FormHeader, form_values, write_form
from planner.model import Guidance, Station
from planner.plan import PlannedVisit, Unplanned
from planner.policy import Policy, due_targets
from planner.progress import (
    AtRisk,
    IncidentEstimate,
    NightVisit,
    OfficerMonth,
    at_risk,
    estimate_incident_hours,
    first_interviews,
    night_visits,
    officer_progress,
    result_form,
    year_to_date,
    year_visits,
)
from planner.supervision import guidance_of


def year_targets_of(
    station: Station,
    policy: Policy,
    year: int,
    visits: Sequence[PlannedVisit] | None,
    unplanned: Sequence[Unplanned] | None,
) -> list[str]:
    """Ids of the year's targets (対象数 Ｂ): the plan's, or without a plan today's due set
    plus the targets already interviewed this year."""
    if visits is not None:
        return sorted({v.target_id for v in visits} | {u.target_id for u in unplanned or []})
    beats = {b.beat_id: b for b in station.beats}
    due = {d.target.target_id for d in due_targets(station.targets, policy, year, beats)}
    met = set(first_interviews(year_visits(station, year)))
    return sorted(due | met)


def write_progress_outputs(
    out_dir: str | Path,
    station: Station,
    policy: Policy,
    year: int,
    upto: date,
    *,
    visits: Sequence[PlannedVisit] | None = None,
    unplanned: Sequence[Unplanned] | None = None,
    beats: Sequence[str] | None = None,
    by_officer: bool = False,
    review: str = "",
) -> list[Path]:
    """Write ``form_<beat>_<year>.xlsx`` with result rows and ``progress_<year>-<MM>.html``.

    Parameters
    ----------
    out_dir
        Folder for the files (made if missing).
    station, policy, year
        The station with its recorded visits, its policy and the plan year.
    upto
        Last day with results (the page is for its month).
    visits, unplanned
        The year's plan rows and unplanned rows (``None``: no plan; 対象数 from the due set).
        With a plan the page also estimates each beat's incident hours
        (:func:`planner.progress.estimate_incident_hours`).
    beats
        Beats to report (default: all).
    by_officer
        Also a table and a chart per officer on the page
        (:func:`planner.progress.officer_progress`) and ``officers_<year>-<MM>.csv``, with each
        officer's guidance notes of the year (:mod:`planner.supervision`).
    review
        The plan's review line for the forms (:func:`planner.supervision.review_line`).

    Returns
    -------
    list[Path]
        The files written, the page last.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    wanted = list(beats) if beats else [b.beat_id for b in station.beats]
    targets = year_targets_of(station, policy, year, visits, unplanned)
    planned_dates = {v.target_id: v.date for v in visits or []}
    written: list[Path] = []
    sections = []
    for beat_id in wanted:
        mine = [v for v in visits or [] if v.beat_id == beat_id]
        data = result_form(
            station, policy, year, beat_id, targets, [(v.tier, v.month) for v in mine], upto=upto
        )
        data.review = review
        beat = station.beat(beat_id)
        officers = "・".join(o.name for o in station.officers_of(beat_id))
        header = FormHeader(
            year, station.name, station.post_of(beat_id).name, beat_id, beat.name, officers
        )
        path = out / f"form_{beat_id}_{year}.xlsx"
        write_form(path, header, data)
        written.append(path)
        risks = [
            r
            for r in at_risk(station, year, targets, planned_dates, upto=upto)
            if r.beat_id == beat_id
        ]
        sections.append(_section(station, policy, beat_id, form_values(data), risks, upto))
    if visits is not None:
        estimates = estimate_incident_hours(station, policy, year, visits, upto=upto, beats=wanted)
        sections.append(_incident_section(estimates))
    if by_officer:
        rows = officer_progress(station, policy, year, visits, upto=upto, beats=wanted)
        path = out / f"officers_{year}-{upto.month:02d}.csv"
        write_officer_csv(path, rows)
        written.append(path)
        sections.append("<h2>受持警察官別の進捗</h2>")
        sections += [
            _officer_section(station, policy, oid, rows, visits or [], upto)
            for oid in dict.fromkeys(r.officer_id for r in rows)
        ]
    nights = night_visits(station, policy, year, upto.month, beats=wanted)
    if nights:
        path = out / f"night_visits_{year}-{upto.month:02d}.csv"
        written.append(write_night_visits(path, nights))
    page = out / f"progress_{year}-{upto.month:02d}.html"
    _write_page(page, station, year, upto, sections)
    written.append(page)
    return written


OFFICER_COLUMNS = (
    "officer_id",
    "beat_id",
    "month",
    "tier",
    "planned",
    "done",
    "visits",
    "interviews",
    "absent",
    "absent_rate",
    "night_planned",
    "night_visits",
    "night_approved",
    "visit_hours",
    "timed_visits",
    "interviews_per_hour",
    "year_targets",
    "met_to_date",
    "rate",
)
"""Columns of ``officers_<YYYY-MM>.csv`` (see docs/formats.md)."""


NIGHT_COLUMNS = ("target_id", "beat_id", "officer_id", "date", "slot", "approval")
"""Columns of ``night_visits_<YYYY-MM>.csv``: the month's night visits, unapproved first."""


def write_night_visits(path: str | Path, rows: Sequence[NightVisit]) -> Path:
    """Write the month's night visits with their approval status (owner-only)."""
    path = Path(path)
    with (
        atomic_path(path, private=True) as tmp,
        tmp.open("w", newline="", encoding="utf-8") as f,
    ):
        w = csv.writer(f)
        w.writerow(NIGHT_COLUMNS)
        for n in rows:
            w.writerow([n.target_id, n.beat_id, n.officer_id, n.date.isoformat(), n.slot, n.status])
    return path


def write_officer_csv(path: str | Path, rows: Sequence[OfficerMonth]) -> Path:
    """Write the per-officer figures, one row per officer, month and tier (owner-only)."""
    path = Path(path)

    def num(x: float | None, digits: int) -> str:
        return "" if x is None else f"{x:.{digits}f}"

    with (
        atomic_path(path, private=True) as tmp,
        tmp.open("w", newline="", encoding="utf-8") as f,
    ):
        w = csv.writer(f)
        w.writerow(OFFICER_COLUMNS)
        for r in rows:
            w.writerow(
                [
                    *(r.officer_id, r.beat_id, r.month, r.tier, r.planned, r.done, r.visits),
                    *(r.interviews, r.absent, num(r.absent_rate, 3), r.night_planned),
                    *(r.night_visits, r.night_approved, num(r.visit_minutes / 60, 2), r.timed),
                    *(num(r.interviews_per_hour, 2), r.year_targets, r.met_to_date),
                    num(r.rate, 1),
                ]
            )
    return path


_NO_ESTIMATE_JA = {
    "no_officer": "受持警察官がいない",
    "no_month": "計画があり訪問の8割以上に時間の記録がある月がない",
    "few_timed": "時間の記録がある訪問が20件未満",
    "no_duty_day": "訪問時間のある勤務日がない",
}


def _incident_section(estimates: Sequence[IncidentEstimate]) -> str:
    """The beats' incident-hours estimates as a table (Miyagi 第7-2)."""
    e = html.escape
    rows = []
    for x in estimates:
        if x.lost_per_day is None:
            why = _NO_ESTIMATE_JA.get(x.reason, x.note)
            rows.append(
                f"<tr><td>{e(x.beat_id)}</td><td>{x.current:g}</td>"
                f"<td colspan='6'>推定なし（{e(why)}）</td></tr>"
            )
            continue
        rows.append(
            f"<tr><td>{e(x.beat_id)}</td><td>{x.current:g}</td>"
            f"<td>{'・'.join(f'{m}月' for m in x.months)}</td><td>{x.duty_days}</td>"
            f"<td>{x.planned_hours:.1f}</td><td>{x.spent_hours:.1f}</td>"
            f"<td>{x.timed}/{x.visits}</td><td>{x.lost_per_day:+.1f} → {x.suggested:.1f}</td></tr>"
        )
    return (
        "<h2>事件・事故等の取扱いによる訪問時間の減少（推定）</h2>"
        "<table><tr><th>受持区</th><th>現在の設定 h/日</th><th>対象月</th><th>勤務日数</th>"
        "<th>計画 h</th><th>実績 h</th><th>時間記録</th><th>1日あたり不足 h → 推奨値</th></tr>"
        + "".join(rows)
        + "</table>"
        "<p>計画した訪問時間（移動を含む）と実際に訪問に使った時間（記録した面接時間＋計画上の"
        "移動時間）の差を、訪問時間のある勤務日数で割った値。推奨値を beats.csv の "
        "incident_hours に設定すると、計画はその時間を差し引いて立てられる。訪問の8割以上に"
        "時間が記録された月のみを数え、時間記録のある訪問が20件以上必要。</p>"
    )


def _chart(policy: Policy, values: dict, upto: date) -> str:
    """Cumulative planned vs done per tier, as an inline PNG (data URI)."""
    index = [m - 1 if m <= 6 else m for m in range(1, 13)]
    series = [
        (
            policy.tier(code).label,
            [values[("plan", code)][i] or 0 for i in index],
            [values[("done", code)][i] for i in index],
        )
        for code in policy.tier_codes
    ]
    return _cumulative_chart(series, upto)


def _cumulative_chart(
    series: Sequence[tuple[str, Sequence[int], Sequence[int | None]]], upto: date
) -> str:
    """Cumulative planned (dashed, 12 months) vs done (dots, months not ``None``) per series,
    as an inline PNG (data URI)."""
    import matplotlib
    from matplotlib.figure import Figure

    buf = io.BytesIO()
    with matplotlib.rc_context({"font.family": matplotlib_family()}):
        fig = Figure(figsize=(6.4, 2.8), dpi=100)
        ax = fig.subplots()
        for k, (label, plan, done) in enumerate(series):
            ax.plot(
                range(1, 13), _running(plan), color=f"C{k}", linestyle="--", label=f"{label} 計画"
            )
            recorded = [(m, d) for m in range(1, 13) if (d := done[m - 1]) is not None]
            ax.plot(
                [m for m, _ in recorded],
                _running([d for _, d in recorded]),
                color=f"C{k}",
                marker="o",
                label=f"{label} 実施",
            )
        ax.axvline(upto.month, color="grey", linewidth=0.8)
        ax.set_xticks(range(1, 13), [f"{m}月" for m in range(1, 13)])
        ax.set_ylabel("累計件数")
        ax.legend(fontsize=8, ncol=2)
        fig.tight_layout()
        fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _running(values: Sequence[int]) -> list[int]:
    out, total = [], 0
    for v in values:
        total += v
        out.append(total)
    return out


def _section(
    station: Station,
    policy: Policy,
    beat_id: str,
    values: dict,
    risks: Sequence[AtRisk],
    upto: date,
) -> str:
    e = html.escape
    m = upto.month - 1 if upto.month <= 6 else upto.month
    months = [k - 1 if k <= 6 else k for k in range(1, upto.month + 1)]
    rows = []
    for code in (*policy.tier_codes, "total"):
        label = policy.tier(code).label if code != "total" else "計"
        planned = sum(values[("plan", code)][i] or 0 for i in months)
        done = sum(values[("done", code)][i] or 0 for i in months)
        rows.append(
            f"<tr><td>{e(label)}</td><td>{values[('targets', code)][m] or 0}</td>"
            f"<td>{planned}</td><td>{done}</td><td>{values[('not_done', code)][m] or 0}</td></tr>"
        )
    address = {t.target_id: t.address for t in station.targets}
    risk_rows = "".join(
        f"<tr><td>{e(r.target_id)}</td><td>{e(policy.tier(r.tier).label)}</td>"
        f"<td>{e(address.get(r.target_id, ''))}</td><td>{e(r.why)}</td></tr>"
        for r in risks[:50]
    )
    rate = values[("rate", "total")][m]
    return (
        f"<h2>受持区 {e(beat_id)} {e(station.beat(beat_id).name)}</h2>"
        f"<p>実施率 {rate if rate is not None else '-'} %（{upto.month}月末）</p>"
        f"<img alt='計画と実施の累計' src='{_chart(policy, values, upto)}'>"
        "<table><tr><th>区分</th><th>対象数</th><th>計画（累計）</th><th>実施（累計）</th>"
        "<th>未実施数</th></tr>" + "".join(rows) + "</table>"
        f"<h3>要注意の対象（{len(risks)}件）</h3>"
        "<table><tr><th>ID</th><th>区分</th><th>住所</th><th>理由</th></tr>"
        + risk_rows
        + "</table>"
    )


def _guidance_list(notes: Sequence[Guidance]) -> str:
    """The officer's guidance notes of the year (指導記録), or a line saying there is none."""
    e = html.escape
    if not notes:
        return "<p>指導記録：なし</p>"
    items = "".join(
        f"<li>{g.month}月　{e(g.given_on.isoformat())}　{e(g.given_by)}：{e(g.note)}</li>"
        for g in notes
    )
    return f"<p>指導記録</p><ul>{items}</ul>"


def _officer_section(
    station: Station,
    policy: Policy,
    officer_id: str,
    rows: Sequence[OfficerMonth],
    plan: Sequence[PlannedVisit],
    upto: date,
) -> str:
    """One officer's month-by-month table and cumulative chart (Miyagi 第4-3, Aomori 第4-6);
    the chart's planned line runs through the whole year of the plan."""
    e = html.escape
    mine = [r for r in rows if r.officer_id == officer_id]
    cell = {(r.month, r.tier): r for r in mine}
    codes = policy.tier_codes
    labels = [policy.tier(c).label for c in codes]
    name = next((o.name for o in station.officers if o.officer_id == officer_id), "")
    beat_id = mine[0].beat_id if mine else ""
    months = sorted({r.month for r in mine})
    totals = {r.tier: r for r in year_to_date(mine)}

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.0f} %"

    def line(head: str, by_tier: dict[str, OfficerMonth]) -> str:
        t = by_tier["total"]
        per = "".join(f"<td>{by_tier[c].planned}</td><td>{by_tier[c].done}</td>" for c in codes)
        rate = "-" if t.rate is None else f"{t.rate} %"
        iph = "-" if t.interviews_per_hour is None else f"{t.interviews_per_hour:.1f}"
        return (
            f"<tr><td>{head}</td>{per}<td>{t.planned}</td><td>{t.done}</td><td>{rate}</td>"
            f"<td>{t.visits}</td><td>{t.interviews}</td><td>{t.visit_minutes / 60:.1f}</td>"
            f"<td>{iph}</td><td>{pct(t.absent_rate)}</td><td>{t.night_planned}</td></tr>"
        )

    body = "".join(line(f"{m}月", {c: cell[(m, c)] for c in (*codes, "total")}) for m in months)
    body += line("計", totals) if months else ""
    series = []
    for c, label in zip(codes, labels, strict=True):
        planned = [0] * 12
        for v in plan:
            if v.officer_id == officer_id and v.tier == c and v.date.year == upto.year:
                planned[v.month - 1] += 1
        done = [cell[(m, c)].done if (m, c) in cell else None for m in range(1, 13)]
        series.append((label, planned, done))
    head = "".join(f"<th>{e(lab)} 計画</th><th>{e(lab)} 実施</th>" for lab in labels)
    rates = "、".join(
        f"{e(lab)} {'-' if totals[c].rate is None else totals[c].rate} %"
        for c, lab in zip(codes, labels, strict=True)
        if c in totals
    )
    return (
        f"<h3>{e(name)}（{e(officer_id)}） 受持区 {e(beat_id)}</h3>"
        f"<p>実施率（年間の計画対象のうち面接済み、{upto.month}月末）：{rates}</p>"
        f"<img alt='計画と実施の累計（{e(officer_id)}）' src='{_cumulative_chart(series, upto)}'>"
        f"<table><tr><th>月</th>{head}<th>計画</th><th>実施</th><th>実施率</th><th>訪問</th>"
        "<th>面接</th><th>訪問時間 h</th><th>面接/時間</th><th>不在率</th>"
        "<th>夜間（計画）</th></tr>" + body + "</table>"
        "<p>実施＝その月に本人が行った年内初回の面接。実施率は月末までに面接済みとなった割合。"
        "訪問時間は記録した面接時間＋計画上の移動時間（記録がない訪問は計画の見積り時間）。"
        "夜間は承認を要する時間帯の計画件数。</p>"
        + _guidance_list(guidance_of(station.guidance, officer_id, upto.year, upto.month))
    )


def _write_page(path: Path, station: Station, year: int, upto: date, sections: list[str]) -> None:
    e = html.escape
    text = (
        "<!doctype html><html lang='ja'><head><meta charset='utf-8'>"
        f"<title>巡回連絡 進捗 {year}年{upto.month}月</title><style>"
        "@FONT@"
        f"body{{font-family:'IPAexGothic','Meiryo','MS Gothic',{EMBEDDED_FAMILY},sans-serif;"
        "margin:2em}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #999;"
        "padding:2px 8px;font-size:90%}td:first-child{white-space:nowrap}img{max-width:100%}"
        "</style></head><body>"
        f"<h1>巡回連絡 進捗状況 {e(station.name)} {year}年{upto.month}月末</h1>"
        + "".join(sections)
        + "</body></html>"
    )
    text = text.replace("@FONT@", embedded_font_css(text), 1)
    with atomic_path(path, private=True) as tmp:
        tmp.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- scenario comparison


def write_comparison(
    out_dir: str | Path, outcomes: Sequence, policy: Policy, year: int, station_name: str
) -> list[Path]:
    """``comparison.csv`` (one row per scenario), ``comparison_months.csv`` (hours per scenario,
    beat and month) and ``comparison.html`` (charts a chief can print; offline)."""
    import csv

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    codes = sorted({c for o in outcomes for c in o.rate})
    summary = out / "comparison.csv"
    with (
        atomic_path(summary, private=False) as tmp,
        tmp.open("w", newline="", encoding="utf-8") as f,
    ):
        w = csv.writer(f)
        w.writerow(
            [
                "scenario",
                "policy",
                *[f"due_{c}" for c in codes],
                *[f"planned_{c}" for c in codes],
                *[f"rate_{c}" for c in codes],
                "unplanned",
                "overdue_at_year_end",
                "night_approvals",
                "walk_km",
                "officer_hours",
                "campaign_targets",
                "campaign_in_window",
            ]
        )
        for o in outcomes:
            w.writerow(
                [
                    o.name,
                    o.policy,
                    *[o.due.get(c, "") for c in codes],
                    *[o.planned.get(c, "") for c in codes],
                    *[f"{o.rate[c]:.3f}" if c in o.rate else "" for c in codes],
                    o.unplanned,
                    o.overdue_at_year_end,
                    o.approvals,
                    o.walk_km,
                    o.officer_hours,
                    o.campaign_targets,
                    o.campaign_in_window,
                ]
            )
    months = out / "comparison_months.csv"
    with (
        atomic_path(months, private=False) as tmp,
        tmp.open("w", newline="", encoding="utf-8") as f,
    ):
        w = csv.writer(f)
        w.writerow(
            ["scenario", "beat_id", "month", "hours_available", "hours_planned", "hours_needed"]
        )
        for o in outcomes:
            for m in o.months:
                w.writerow(
                    [
                        o.name,
                        m.beat_id,
                        m.month,
                        f"{m.hours_available:.1f}",
                        f"{m.hours_planned:.1f}",
                        f"{m.hours_needed:.1f}",
                    ]
                )
    page = out / "comparison.html"
    _write_comparison_page(page, outcomes, policy, year, station_name)
    return [summary, months, page]


def _comparison_chart(outcomes: Sequence, policy: Policy) -> str:
    import matplotlib
    from matplotlib.figure import Figure

    buf = io.BytesIO()
    names = [o.name for o in outcomes]
    with matplotlib.rc_context({"font.family": matplotlib_family()}):
        fig = Figure(figsize=(9, 3.2), dpi=100)
        ax1, ax2 = fig.subplots(1, 2)
        x = range(len(outcomes))
        avail = [sum(m.hours_available for m in o.months) for o in outcomes]
        need = [sum(m.hours_needed for m in o.months) for o in outcomes]
        ax1.bar([i - 0.2 for i in x], avail, width=0.4, label="勤務内の訪問時間")
        ax1.bar([i + 0.2 for i in x], need, width=0.4, label="必要な時間")
        ax1.set_xticks(list(x), names, fontsize=8)
        ax1.set_ylabel("時間（年）")
        ax1.legend(fontsize=8)
        width = 0.8 / max(1, len(policy.tier_codes))
        for k, code in enumerate(policy.tier_codes):
            ax2.bar(
                [i + k * width - 0.4 + width / 2 for i in x],
                [100 * o.rate.get(code, 0) for o in outcomes],
                width=width,
                label=policy.tier(code).label,
            )
        ax2.set_xticks(list(x), names, fontsize=8)
        ax2.set_ylabel("計画上の実施率 %")
        ax2.set_ylim(0, 105)
        ax2.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _write_comparison_page(
    path: Path, outcomes: Sequence, policy: Policy, year: int, station_name: str
) -> None:
    e = html.escape
    head = (
        "<tr><th>シナリオ</th>"
        + "".join(f"<th>{e(policy.tier(c).label)} 実施率</th>" for c in policy.tier_codes)
        + "<th>計画外</th><th>年末の期限超過</th><th>夜間承認</th><th>移動 km</th>"
        "<th>訪問時間 h</th></tr>"
    )
    rows = "".join(
        f"<tr><td>{e(o.name)}</td>"
        + "".join(f"<td>{100 * o.rate.get(c, 0):.0f} %</td>" for c in policy.tier_codes)
        + f"<td>{o.unplanned}</td><td>{o.overdue_at_year_end}</td><td>{o.approvals}</td>"
        f"<td>{o.walk_km}</td><td>{o.officer_hours}</td></tr>"
        for o in outcomes
    )
    text = (
        "<!doctype html><html lang='ja'><head><meta charset='utf-8'>"
        f"<title>巡回連絡 シナリオ比較 {year}年</title><style>@FONT@"
        f"body{{font-family:'IPAexGothic','Meiryo','MS Gothic',{EMBEDDED_FAMILY},sans-serif;"
        "margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;"
        "padding:2px 8px}img{max-width:100%}@page{size:A4 landscape}</style></head><body>"
        f"<h1>巡回連絡 シナリオ比較 {e(station_name)} {year}年</h1>"
        f"<img alt='時間と実施率' src='{_comparison_chart(outcomes, policy)}'>"
        f"<table>{head}{rows}</table>"
        "<p>実施率は計画上の値（対象のうち計画に入った割合）。必要な時間は計画した訪問と、"
        "時間が足りず計画に入らなかった訪問の見積り時間の合計。</p></body></html>"
    )
    text = text.replace("@FONT@", embedded_font_css(text), 1)
    with atomic_path(path, private=False) as tmp:
        tmp.write_text(text, encoding="utf-8")
