"""Policies as data: the 別表 classification table, frequencies, slots, the due set."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from planner._errors import InputError
from planner.model import Beat, Card, Target, TargetKind
from planner.policy import (
    POLICY_DIR,
    DueReason,
    classify,
    due_targets,
    load_policy,
    policy_from_dict,
)

MIYAGI = load_policy("miyagi")
AOMORI = load_policy("aomori")

# The Miyagi directive's 別表, read off seeds/000: every listed household reason (1–10) and
# business reason (1–8) makes the target 重点対象; anything else is 一般対象.
BEPPYO = [
    ("household", (), "general"),
    ("business", (), "general"),
    *[("household", (f"H{i}",), "priority") for i in range(1, 11)],
    *[("business", (f"B{i}",), "priority") for i in range(1, 9)],
    ("household", ("H2", "H3"), "priority"),
]


@pytest.mark.parametrize(("kind", "reasons", "tier"), BEPPYO)
def test_miyagi_classification_follows_beppyo(kind, reasons, tier):
    assert classify(kind, reasons, MIYAGI) == tier


@pytest.mark.parametrize(("kind", "reasons"), [(k, r) for k, r, _ in BEPPYO])
def test_aomori_has_one_tier(kind, reasons):
    assert classify(kind, reasons, AOMORI) == "standard"


def test_beppyo_labels_are_japanese_and_complete():
    assert sorted(MIYAGI.reasons, key=lambda c: (c[0], int(c[1:]))) == [
        *[f"B{i}" for i in range(1, 9)],
        *[f"H{i}" for i in range(1, 11)],
    ]
    assert "ホテル" in MIYAGI.reasons["B6"].label
    assert "独居高齢者" in MIYAGI.reasons["H3"].label
    assert MIYAGI.tier("priority").label == "重点対象"
    assert MIYAGI.tier("general").label == "一般対象"


@pytest.mark.parametrize(
    ("kind", "reasons", "match"),
    [
        ("household", ("B4",), "business"),
        ("business", ("H1",), "household"),
        ("household", ("H99",), "unknown"),
    ],
)
def test_bad_reason_codes_are_errors(kind, reasons, match):
    with pytest.raises(InputError, match=match):
        classify(kind, reasons, MIYAGI)


def test_frequencies_and_night_rule():
    assert MIYAGI.tier("priority").frequency_years == 1
    assert MIYAGI.tier("general").frequency_years == 3
    night = MIYAGI.slot("night")
    assert night.requires_approval and night.approver == "地域課長"
    assert not MIYAGI.slot("day").requires_approval
    beat = Beat("A", "P", "", frequency_years=5)
    assert AOMORI.frequency_years("standard", beat) == 5
    assert AOMORI.frequency_years("standard", replace(beat, frequency_years=None)) == 2
    # Miyagi's tiers ignore a per-beat setting.
    assert MIYAGI.frequency_years("general", beat) == 3


def test_user_policy_file(tmp_path):
    mine = tmp_path / "mine.toml"
    original = (POLICY_DIR / "miyagi.toml").read_text(encoding="utf-8")
    mine.write_text(original.replace("frequency_years = 3", "frequency_years = 2"), "utf-8")
    assert load_policy(mine).tier("general").frequency_years == 2


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"name": "x", "default_tier": "a", "slots": []}, "tiers"),
        (
            {"name": "x", "tiers": [{"code": "a", "label": "A"}], "default_tier": "a", "slots": []},
            "tiers[0].frequency_years",
        ),
        (
            {
                "name": "x",
                "tiers": [{"code": "a", "label": "A", "frequency_years": 1}],
                "default_tier": "b",
                "slots": [],
            },
            "default_tier",
        ),
        (
            {
                "name": "x",
                "tiers": [{"code": "a", "label": "A", "frequency_years": 1}],
                "default_tier": "a",
                "slots": [],
                "reasons": {"H1": {"kind": "house", "tier": "a"}},
            },
            "reasons.H1.kind",
        ),
    ],
)
def test_bad_policy_names_the_key(raw, key):
    with pytest.raises(InputError, match=key.replace("[", r"\[").replace("]", r"\]")):
        policy_from_dict(raw)


def _t(i: int, tier: str, last: date | None, card: Card = Card.FULL, beat: str = "A") -> Target:
    return Target(
        f"T{i:03d}",
        beat,
        TargetKind.HOUSEHOLD,
        f"addr {i}",
        140.0,
        38.0,
        tier,
        last_visit=last,
        card=card,
    )


def test_miyagi_due_set():
    year = 2027
    targets = [
        _t(0, "priority", date(2026, 5, 1)),  # yearly
        _t(1, "general", None, Card.NONE),  # never met
        _t(2, "general", date(2020, 1, 1), Card.PROVISIONAL),  # provisional card
        _t(3, "general", date(2024, 6, 1)),  # 3 calendar years ago: overdue
        *[_t(10 + i, "general", date(2025, 1 + i, 1)) for i in range(6)],  # recent
        *[_t(20 + i, "general", date(2026, 1 + i, 1)) for i in range(6)],  # most recent
    ]
    due = {d.target.target_id: d.reason for d in due_targets(targets, MIYAGI, year)}
    assert due["T000"] is DueReason.YEARLY
    assert due["T001"] is DueReason.NEVER_MET
    assert due["T002"] is DueReason.PROVISIONAL
    assert due["T003"] is DueReason.OVERDUE
    general = [t for t in targets if t.tier == "general"]
    # level cycle: about a third of 一般 each year, topped up oldest first
    assert sum(r is not DueReason.YEARLY for r in due.values()) == -(-len(general) // 3)
    cycle = sorted(k for k, r in due.items() if r is DueReason.CYCLE)
    assert cycle == ["T010", "T011"]


def test_due_order_puts_priority_and_never_met_first():
    targets = [
        _t(1, "general", None, Card.NONE),
        _t(2, "priority", date(2026, 1, 1)),
        _t(3, "priority", None, Card.NONE),
    ]
    order = [d.target.target_id for d in due_targets(targets, MIYAGI, 2027)]
    assert order == ["T003", "T002", "T001"]


def test_aomori_due_set_uses_beat_frequency():
    targets = [
        _t(1, "standard", date(2025, 3, 1), beat="A"),
        _t(2, "standard", date(2025, 3, 1), beat="B"),
        _t(3, "standard", None, Card.NONE, beat="B"),
    ]
    beats = {"A": Beat("A", "P", "", frequency_years=1), "B": Beat("B", "P", "", frequency_years=3)}
    due = {d.target.target_id: d.reason for d in due_targets(targets, AOMORI, 2027, beats)}
    assert due == {"T001": DueReason.YEARLY, "T003": DueReason.NEVER_MET}


def test_replan_due_set_counts_this_years_interviews():
    # 9 general targets, 3 of them interviewed already this year: no more are topped up
    targets = [_t(i, "general", date(2026, 1 + i, 1)) for i in range(6)]
    targets += [_t(10 + i, "general", date(2027, 2, 1 + i)) for i in range(3)]
    due = due_targets(targets, MIYAGI, 2027)
    assert due == []
    # with one interviewed this year, two more are due, oldest first
    due = due_targets(targets[:7], MIYAGI, 2027)
    assert [d.target.target_id for d in due] == ["T000", "T001"]


def _paths(value, prefix=()):
    """Every key path of a parsed TOML document (tables and arrays), the root excluded."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


WRONG = [
    3,
    -1,
    1.5,
    True,
    "",
    "x",
    [],
    [1],
    ["a"],
    [{}],
    {},
    {"a": 1},
    [{"a": 1}],
    date(2027, 1, 1),
    None,
]


@pytest.mark.parametrize("name", ["miyagi", "aomori"])
def test_any_wrong_value_anywhere_is_an_input_error(name):
    """Every key of a shipped policy replaced by each wrong kind of value, or deleted: a Policy
    or an InputError naming the file, never a TypeError or KeyError."""
    import copy
    import tomllib

    base = tomllib.loads((POLICY_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    refused = 0
    for path in _paths(base):
        for wrong in [*WRONG, "delete"]:
            raw = copy.deepcopy(base)
            parent = raw
            for key in path[:-1]:
                parent = parent[key]
            if wrong == "delete":
                parent.pop(path[-1])
            else:
                parent[path[-1]] = wrong
            try:
                policy_from_dict(raw, source="mine.toml")
            except InputError as exc:
                assert re.match(r"mine\.toml: .*'[\w./\[\]]+'", str(exc)), exc  # names the key
                refused += 1
    assert refused > 100  # most changes break the policy


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932", "utf-16"])
def test_policy_file_in_a_japanese_encoding(tmp_path, encoding):
    text = (POLICY_DIR / "miyagi.toml").read_text(encoding="utf-8").replace("–", "-")
    path = tmp_path / "mine.toml"
    path.write_bytes(text.replace('name = "miyagi"', 'name = "宮城改"').encode(encoding))
    policy = load_policy(path)
    assert policy.name == "宮城改" and policy.tier("priority").label == "重点対象"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01\x02", "not a valid TOML file: a binary file"),
        (b"a = 1\nb = = 2\n", "not a valid TOML file: .*line 2"),
        (b"name = 'x'\ntiers = 3\n", "'tiers' must be an array of tables"),
        (
            b"name = 'x'\nslots = 'day'\ndefault_tier = 'a'\n[[tiers]]\ncode = 'a'\nlabel = 'A'\n"
            b"frequency_years = 1\n",
            "'slots' must be an array of tables",
        ),
    ],
)
def test_bad_policy_files(tmp_path, content, message):
    path = tmp_path / "mine.toml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        load_policy(path)
    assert str(err.value).startswith(str(path))
