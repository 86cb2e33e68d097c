"""Property tests of the input parsers: random input never crashes them with anything but
``ValueError`` (cells) or ``InputError``/``RowError`` (files); valid rows round-trip."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import tiny_station
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import _validate as v
from planner._errors import InputError, RowError
from planner.exemptions import exemptions_from_file
from planner.model import Availability, Card, HouseholdType, Outcome, Post, PostKind, TargetKind
from planner.policy import load_policy
from planner.record import outcomes_from_file
from planner.store import officer_days_from_file, targets_from_file

MIYAGI = load_policy("miyagi")
POSTS = [Post("P1", "みどり町交番", PostKind.KOBAN, 140.87, 38.27)]
TODAY = date(2027, 12, 31)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# eras written out by hand (not taken from the module under test): name, letter, first day
ERAS = [
    ("昭和", "S", date(1926, 12, 25)),
    ("平成", "H", date(1989, 1, 8)),
    ("令和", "R", date(2019, 5, 1)),
]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
WEEKDAYS = "月火水木金土日"

cells = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
first_cells = cells.filter(lambda s: not s.lstrip().startswith("#"))  # '#' starts a comment line
tidy_text = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from('\n",#'),
    max_size=20,
)  # what a spreadsheet cell may hold: quotes, commas, '#', line breaks, any script


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("property")


def _filled(rows: list[dict[str, str]]) -> int:
    """Rows with a non-blank cell (rows of empty cells are skipped, as Excel writes them)."""
    return sum(any(c.strip() for c in r.values()) for r in rows)


def _encode(content: str, encoding: str) -> bytes:
    """The text in ``encoding``, or in UTF-8 when it cannot hold every character as it is
    (CP932 writes ``¢`` as the bytes of ``￠``: such text never comes back from a CP932 file)."""
    try:
        data = content.encode(encoding)
    except UnicodeEncodeError:
        return content.encode("utf-8")
    return data if data.decode(encoding) == content else content.encode("utf-8")


def _csv(header: list[str], rows: list[list[str]], lineterminator: str = "\r\n") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=lineterminator)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# cell parsers

PARSERS = {
    "integer": v.integer(),
    "minutes": v.integer(1, 240),
    "lon": v.number(-180, 180, "lon"),
    "card": v.choice(Card),
    "date": v.iso_date(),
    "past date": v.iso_date(not_after=TODAY),
    "codes": v.codes,
    "nonempty": v.nonempty,
    "text": v.text,
    "optional": v.optional(v.integer()),
}


@SETTINGS
@given(name=st.sampled_from(sorted(PARSERS)), raw=cells)
def test_cell_parsers_raise_only_value_error(name, raw):
    try:
        value = PARSERS[name](raw)
    except ValueError as exc:
        assert str(exc)
        return
    expected = {
        "integer": int,
        "minutes": int,
        "lon": float,
        "card": Card,
        "date": date,
        "past date": date,
        "codes": tuple,
        "nonempty": str,
        "text": str,
    }
    if name == "optional" and not raw.strip():
        assert value is None
    if name in expected:
        assert isinstance(value, expected[name])


def _era(d: date) -> tuple[str, str, int]:
    name, letter, first = next(e for e in reversed(ERAS) if d >= e[2])
    return name, letter, d.year - first.year + 1


def _formats(d: date) -> list[str]:
    name, letter, y = _era(d)
    kanji_year = "元" if y == 1 else str(y)
    weekday = WEEKDAYS[d.weekday()]
    return [
        d.isoformat(),
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year}.{d.month:02d}.{d.day:02d}",
        f"{d.year}年{d.month}月{d.day}日",
        f"{name}{kanji_year}年{d.month}月{d.day}日",
        f"{letter}{y}.{d.month}.{d.day}",
        f"{letter.lower()}{y:02d}/{d.month:02d}/{d.day:02d}",
        f"{name}{kanji_year}年{d.month}月{d.day}日({weekday})".translate(FULL_WIDTH),
        f"{d.year}/{d.month:02d}/{d.day:02d} 0:00",
        f" {letter}{y}-{d.month}-{d.day} ",
    ]


@SETTINGS
@given(d=st.dates(date(1926, 12, 25), date(2099, 12, 31)), form=st.integers(0, 9))
def test_dates_round_trip_in_every_form(d, form):
    assert v.parse_date(_formats(d)[form]) == d


@SETTINGS
@given(d=st.dates(date(1989, 1, 8), date(2099, 12, 31)))
def test_a_date_outside_its_era_is_refused(d):
    name, _, _ = _era(d)
    wrong = [e for e in ERAS if e[0] != name and e[2] < d]  # an earlier era, carried on too long
    if not wrong:
        return
    _, other_letter, first = wrong[-1]
    with pytest.raises(ValueError, match="is not a date"):
        v.parse_date(f"{other_letter}{d.year - first.year + 1}.{d.month}.{d.day}")


@SETTINGS
@given(
    picked=st.sets(
        st.sampled_from([*(f"H{i}" for i in range(1, 11)), *(f"B{i}" for i in range(1, 9))]),
        max_size=5,
    ),
    seps=st.lists(
        st.sampled_from([",", "、", "，", "・", " ", ";", ", ", "　"]), min_size=5, max_size=5
    ),
    wide=st.booleans(),
    lower=st.booleans(),
)
def test_codes_round_trip(picked, seps, wide, lower):
    written = sorted(picked)
    raw = "".join(c + s for c, s in zip(written, seps, strict=False)).strip(",、，・ ;　")
    if lower:
        raw = raw.lower()
    if wide:
        raw = raw.translate(str.maketrans("HBhb0123456789", "ＨＢｈｂ０１２３４５６７８９"))
    assert v.codes(raw) == tuple(sorted(picked, key=lambda c: (c[0], int(c[1:]))))


# --------------------------------------------------------------------------------------------
# whole files

COLUMNS = [
    v.Column("id", v.nonempty),
    v.Column("n", v.integer(0, 99)),
    v.Column("day", v.iso_date(), required=False),
]


@SETTINGS
@given(
    data=st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=300).map(lambda s: ("id,n,day\n" + s).encode("utf-8")),
        st.text(alphabet='id,n,day0123456789"#\r\n\x00 番号', max_size=300).map(
            lambda s: s.encode("cp932")
        ),
    )
)
def test_any_bytes_give_rows_or_an_input_error(folder, data):
    path = folder / "any.csv"
    path.write_bytes(data)
    try:
        rows = v.check_rows(path, v.read_table(path), COLUMNS)
    except InputError as exc:
        assert str(exc).startswith(str(path))
        return
    assert all(isinstance(r["n"], int) for r in rows)


@SETTINGS
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 99), st.sampled_from(["", "\n", "# note\n", '# a, "b\n', ",,\n"])),
        min_size=1,
        max_size=30,
    ),
    bad=st.integers(0, 29),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932", "utf-16"]),
)
def test_row_numbers_are_those_a_spreadsheet_shows(folder, rows, bad, encoding):
    """Comment lines and blank rows count; the bad row is named by its line in the file."""
    bad %= len(rows)
    lines, bad_line = ["id,n,day"], 0
    for i, (n, before) in enumerate(rows):
        lines += before.splitlines() if before != "\n" else [""]
        lines.append(f"番号{i},{'九十九' if i == bad else n},")
        if i == bad:
            bad_line = len(lines)
    path = folder / "numbered.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    with pytest.raises(RowError) as err:
        v.check_rows(path, v.read_table(path), COLUMNS)
    assert err.value.problems == [(bad_line, "n", "'九十九' is not a number")]


TARGET_HEADER = [
    "target_id",
    "beat_id",
    "kind",
    "address",
    "lon",
    "lat",
    "tier",
    "reasons",
    "building_id",
    "last_visit",
    "card",
    "availability",
    "household_type",
    "visit_minutes",
    "name",
    "moved_out",
]


@SETTINGS
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "target_id": st.one_of(st.just("S1"), first_cells),
                "beat_id": st.sampled_from(["K1-1", "K9", ""]),
                "kind": st.sampled_from(["household", "business", "ＨＯＵＳＥＨＯＬＤ", "cat", ""]),
                "address": cells,
                "lon": st.one_of(st.floats(allow_nan=True).map(str), cells),
                "lat": st.one_of(st.floats(30, 45).map(str), st.floats().map(str), cells),
                "tier": st.sampled_from(["", "priority", "general", "vip"]),
                "reasons": st.one_of(st.sampled_from(["", "H2", "B4", "H2、H3", "H99"]), cells),
                "last_visit": st.one_of(
                    st.dates().map(str), st.sampled_from(["令和7年4月1日", "H31.5.1"]), cells
                ),
                "card": st.sampled_from(["", "full", "none", "provisional", "x"]),
                "visit_minutes": st.one_of(st.integers(-5, 300).map(str), cells),
                "name": cells,
                "moved_out": st.one_of(st.just(""), cells),
            }
        ),
        min_size=1,
        max_size=5,
    )
)
def test_random_target_rows_give_targets_or_a_row_error(folder, rows):
    path = folder / "targets.csv"
    path.write_text(
        _csv(TARGET_HEADER, [[r.get(c, "") for c in TARGET_HEADER] for r in rows]), encoding="utf-8"
    )
    try:
        targets = targets_from_file(
            path, policy=MIYAGI, beat_ids={"K1-1"}, posts=POSTS, today=TODAY
        )
    except InputError as exc:
        assert str(exc).startswith(str(path))
        return
    assert len(targets) == _filled(rows)


ids = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-_", min_size=1, max_size=8)
HOUSEHOLD_CODES = [f"H{i}" for i in range(1, 11)]
BUSINESS_CODES = [f"B{i}" for i in range(1, 9)]


@st.composite
def valid_target(draw, target_id: str) -> dict:
    kind = draw(st.sampled_from(list(TargetKind)))
    codes = HOUSEHOLD_CODES if kind is TargetKind.HOUSEHOLD else BUSINESS_CODES
    return {
        "target_id": target_id,
        "beat_id": "K1-1",
        "kind": kind,
        "tier": None,
        "address": draw(tidy_text.filter(lambda s: s.strip())),
        "lon": round(draw(st.floats(140.80, 140.95)), 6),
        "lat": round(draw(st.floats(38.20, 38.35)), 6),
        "reasons": tuple(
            sorted(draw(st.sets(st.sampled_from(codes), max_size=3)), key=lambda c: int(c[1:]))
        ),
        "building_id": draw(st.one_of(st.just(""), ids)),
        "last_visit": draw(st.one_of(st.none(), st.dates(date(1990, 1, 1), TODAY))),
        "card": draw(st.one_of(st.none(), st.sampled_from(list(Card)))),
        "availability": draw(st.sampled_from(list(Availability))),
        "household_type": draw(st.one_of(st.none(), st.sampled_from(list(HouseholdType)))),
        "visit_minutes": draw(st.one_of(st.none(), st.integers(1, 240))),
        "name": draw(tidy_text),
        "moved_out": draw(st.one_of(st.none(), st.dates(date(2000, 1, 1), TODAY))),
        "date_form": draw(st.integers(0, 9)),
    }


@st.composite
def valid_targets(draw) -> list[dict]:
    names = draw(st.lists(ids, min_size=1, max_size=6, unique=True))
    return [draw(valid_target(n)) for n in names]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value.value if hasattr(value, "value") else value)


@SETTINGS
@given(
    rows=valid_targets(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932", "utf-16"]),
    terminator=st.sampled_from(["\r\n", "\n"]),
)
def test_valid_target_rows_round_trip(folder, rows, encoding, terminator):
    def cell(r: dict, c: str) -> str:
        dated = c in ("last_visit", "moved_out") and r[c] is not None
        return _formats(r[c])[r["date_form"]] if dated else _cell(r[c])

    table = [[cell(r, c) for c in TARGET_HEADER] for r in rows]
    path = folder / "valid.csv"
    path.write_bytes(_encode(_csv(TARGET_HEADER, table, terminator), encoding))
    targets = targets_from_file(path, policy=MIYAGI, beat_ids={"K1-1"}, posts=POSTS, today=TODAY)
    assert [t.target_id for t in targets] == [r["target_id"] for r in rows]
    for t, r in zip(targets, rows, strict=True):
        card = r["card"] or (Card.FULL if r["last_visit"] else Card.NONE)
        business = r["kind"] is TargetKind.BUSINESS
        assert (t.kind, t.address, t.lon, t.lat, t.reasons, t.building_id) == (
            r["kind"],
            r["address"].strip(),
            r["lon"],
            r["lat"],
            r["reasons"],
            r["building_id"],
        )
        assert (t.last_visit, t.moved_out, t.card, t.availability) == (
            r["last_visit"],
            r["moved_out"],
            card,
            r["availability"],
        )
        assert t.household_type == (
            r["household_type"] or (HouseholdType.BUSINESS if business else HouseholdType.UNKNOWN)
        )
        assert t.visit_minutes == (r["visit_minutes"] or (10 if card is Card.FULL else 15))
        assert t.tier == ("priority" if r["reasons"] else "general")
        assert t.name == r["name"].strip()


# --------------------------------------------------------------------------------------------
# outcomes (planner record)

STATION = tiny_station()
OUTCOME_HEADER = [
    "target_id",
    "date",
    "officer_id",
    "outcome",
    "notes",
    "beat_id",
    "kind",
    "address",
    "lon",
    "lat",
    "minutes_spent",
]


@SETTINGS
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "target_id": st.one_of(st.sampled_from(["T000", "T001", "N1"]), first_cells),
                "date": st.one_of(st.dates(date(2026, 1, 1), date(2028, 12, 31)).map(str), cells),
                "officer_id": st.sampled_from(["O1", "O9", ""]),
                "outcome": st.one_of(st.sampled_from([o.value for o in Outcome]), cells),
                "notes": cells,
                "beat_id": st.sampled_from(["", "B1", "B9"]),
                "kind": st.sampled_from(["", "household", "business", "x"]),
                "address": cells,
                "lon": st.one_of(st.just("140.875"), cells),
                "lat": st.one_of(st.just("38.27"), cells),
                "minutes_spent": st.one_of(st.integers(-5, 600).map(str), cells),
            }
        ),
        min_size=1,
        max_size=5,
    )
)
def test_random_outcome_rows_give_rows_or_a_row_error(folder, rows):
    path = folder / "outcomes.csv"
    path.write_text(
        _csv(OUTCOME_HEADER, [[r[c] for c in OUTCOME_HEADER] for r in rows]), encoding="utf-8"
    )
    try:
        parsed = outcomes_from_file(path, STATION, MIYAGI, year=2027, today=TODAY)
    except InputError as exc:
        assert str(exc).startswith(str(path))
        return
    assert len(parsed) == _filled(rows)


@SETTINGS
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "target_id": st.sampled_from([t.target_id for t in STATION.targets]),
                "date": st.dates(date(2027, 1, 1), TODAY),
                "date_form": st.integers(0, 9),
                "outcome": st.sampled_from([o for o in Outcome if o is not Outcome.NEW]),
                "notes": tidy_text,
                "minutes_spent": st.one_of(st.none(), st.integers(1, 480)),
            }
        ),
        min_size=1,
        max_size=6,
    ),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932"]),
)
def test_valid_outcome_rows_round_trip(folder, rows, encoding):
    header = ["target_id", "date", "officer_id", "outcome", "notes", "minutes_spent"]
    table = [
        [
            r["target_id"],
            _formats(r["date"])[r["date_form"]],
            "O1",
            r["outcome"].value,
            r["notes"],
            _cell(r["minutes_spent"]),
        ]
        for r in rows
    ]
    path = folder / "valid_outcomes.csv"
    path.write_bytes(_encode(_csv(header, table), encoding))
    parsed = outcomes_from_file(path, STATION, MIYAGI, year=2027, today=TODAY)
    got = [
        (
            p.visit.target_id,
            p.visit.date,
            p.visit.officer_id,
            p.visit.outcome,
            p.visit.notes,
            p.visit.minutes_spent,
        )
        for p in parsed
    ]
    assert got == [
        (r["target_id"], r["date"], "O1", r["outcome"], r["notes"].strip(), r["minutes_spent"])
        for r in rows
    ]
    assert [p.row for p in parsed] == list(range(2, len(rows) + 2))


def test_era_table_matches_the_calendar():
    """The hand-written eras above: each begins the day after the previous one ends."""
    for (_, _, first), (name, _, nxt) in itertools.pairwise(ERAS):
        last = nxt - timedelta(days=1)
        _, prev_letter, _ = _era(last)
        assert (
            v.parse_date(f"{prev_letter}{last.year - first.year + 1}.{last.month}.{last.day}")
            == last
        )
        assert v.parse_date(f"{name}元年{nxt.month}月{nxt.day}日") == nxt


@SETTINGS
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C", "番"]), st.sampled_from(["", "\n", "# note\n", ",,\n"])
        ),
        min_size=1,
        max_size=20,
    )
)
def test_duplicate_ids_are_named_by_spreadsheet_rows(folder, rows):
    lines, first, expected = ["id,n"], {}, []
    for ident, before in rows:
        lines += before.splitlines() if before != "\n" else [""]
        lines.append(f"{ident},1")
        if ident in first:
            expected.append(
                (len(lines), "id", f"duplicate id {ident!r} (also on row {first[ident]})")
            )
        first.setdefault(ident, len(lines))
    path = folder / "ids.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    parsed = v.check_rows(path, v.read_table(path), COLUMNS[:2])
    assert v.duplicate_ids(parsed, "id") == sorted(expected)
    data_lines = [i + 1 for i, line in enumerate(lines) if line.endswith(",1")]
    assert v.row_numbers(parsed) == data_lines


GAPS = st.sampled_from(["", "", "\n", "# 追記\n", ",,,\n"])  # what may stand between two rows


def _numbered(header: str, rows: list[str], gaps: list[str]) -> tuple[str, list[int]]:
    """A file of ``rows`` with ``gaps`` before them, and the line number of each row."""
    lines, numbers = [header], []
    for row, gap in zip(rows, gaps, strict=True):
        lines += gap.splitlines() if gap != "\n" else [""]
        lines.append(row)
        numbers.append(len(lines))
    return "\n".join(lines) + "\n", numbers


@SETTINGS
@given(data=st.data(), n=st.integers(1, 6))
def test_outcome_and_order_rows_carry_spreadsheet_row_numbers(folder, data, n):
    gaps = data.draw(st.lists(GAPS, min_size=n, max_size=n))
    ids = [t.target_id for t in STATION.targets[:n]]
    content, expected = _numbered(
        "target_id,date,officer_id,outcome",
        [f"{i},2027-03-0{k + 1},O1,visited" for k, i in enumerate(ids)],
        gaps,
    )
    path = folder / "numbered_outcomes.csv"
    path.write_text(content, encoding="utf-8")
    assert [
        r.row for r in outcomes_from_file(path, STATION, MIYAGI, year=2027, today=TODAY)
    ] == expected
    content, expected = _numbered(
        "target_id,ordered_by,date,reason", [f"{i},署長,2027-03-01,長期入院" for i in ids], gaps
    )
    path = folder / "numbered_orders.csv"
    path.write_text(content, encoding="utf-8")
    assert [r.row for r in exemptions_from_file(path, STATION, today=TODAY)] == expected


@SETTINGS
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["O1", "O2"]),
            st.integers(1, 3),
            st.sampled_from(["leave", "senju"]),
            GAPS,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_one_kind_of_officer_day_a_day(folder, rows):
    """Leave and 専従日 for one officer on one day are refused on the later row, naming the
    earlier one; a row repeated as it is, is accepted."""
    content, numbers = _numbered(
        "officer_id,date,kind",
        [f"{o},2027-05-0{d},{k}" for o, d, k, _ in rows],
        [g for *_, g in rows],
    )
    path = folder / "officer_days.csv"
    path.write_text(content, encoding="utf-8")
    first: dict[tuple[str, int], tuple[str, int]] = {}
    expected = []
    for (o, d, k, _), row in zip(rows, numbers, strict=True):
        kind, at = first.setdefault((o, d), (k, row))
        if kind != k:
            expected.append((row, "date", f"(row {at})"))
    try:
        days = officer_days_from_file(path, officer_ids={"O1", "O2"})
    except RowError as err:
        assert [(r, c) for r, c, _ in err.problems] == [(r, c) for r, c, _ in expected]
        assert all(
            want in msg for (_, _, msg), (_, _, want) in zip(err.problems, expected, strict=True)
        )
        return
    assert expected == []
    assert len(days) == len(rows)
