"""Address normalisation: the spellings of one address read the same (hand cases and properties)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.address import kanji_to_int, normalize, parse_tail, split_town

SETTINGS = settings(max_examples=200, deadline=None)
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
DIGITS_JA = "〇一二三四五六七八九"


def kanji(n: int) -> str:
    """漢数字 with 十/百/千, written out here independently of the module under test."""
    out = ""
    for value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        d, n = divmod(n, value)
        if d:
            out += ("" if d == 1 else DIGITS_JA[d]) + unit
    return out + (DIGITS_JA[n] if n else "") or "〇"


@pytest.mark.parametrize(
    ("text", "chome", "block", "number"),
    [
        ("2丁目3番4号", 2, 3, 4),
        ("二丁目三番四号", 2, 3, 4),
        ("2-3-4", 2, 3, 4),
        ("２－３－４", 2, 3, 4),
        ("2ー3ー4", 2, 3, 4),
        ("2−3−4", 2, 3, 4),
        ("2丁目3-4", 2, 3, 4),
        ("二丁目3番地4", 2, 3, 4),
        ("2丁目", 2, None, None),
        ("十二丁目二十番十一号", 12, 20, 11),
    ],
)
def test_chome_forms(text: str, chome, block, number) -> None:
    t = parse_tail(normalize(text), has_chome=True)
    assert (t.chome, t.block, t.number) == (chome, block, number)


@pytest.mark.parametrize(
    ("text", "block", "number"),
    [
        ("123番地", 123, None),
        ("123番地の4", 123, 4),
        ("123-4", 123, 4),
        ("123ノ4", 123, 4),
        ("123の4", 123, 4),
        ("百二十三番地四", 123, 4),
        ("5番", 5, None),
    ],
)
def test_banchi_forms_in_a_town_without_chome(text: str, block: int, number) -> None:
    t = parse_tail(normalize(text), has_chome=False)
    assert (t.chome, t.block, t.number) == (None, block, number)


@pytest.mark.parametrize(
    ("text", "building", "room"),
    [
        ("1-2-3 コーポ桜101号室", "コーポ桜", "101号室"),
        ("1丁目2番3号　メゾン緑　２０５号室", "メゾン緑", "205号室"),
        ("1-2-3-101", "", "101"),
        ("1-2-3 第一ビル", "第一ビル", ""),
        ("1-2-3", "", ""),
    ],
)
def test_building_and_room_are_split_off_and_kept(text: str, building: str, room: str) -> None:
    t = parse_tail(normalize(text), has_chome=True)
    assert (t.chome, t.block, t.number) == (1, 2, 3)
    assert (t.building, t.room) == (building, room)


def test_town_names_keep_their_numerals() -> None:
    assert split_town("一番町四丁目") == ("一番町", 4)
    assert split_town("川内三十人町") == ("川内三十人町", None)
    assert split_town("桜台1丁目") == ("桜台", 1)
    assert split_town("本町") == ("本町", None)
    assert normalize("緑ヶ丘１丁目") == "緑ケ丘1丁目"
    assert normalize("コーポ　サクラ") == "コーポ サクラ"  # the long-vowel mark stays in words


def test_kanji_numbers() -> None:
    assert [kanji_to_int(x) for x in ("一", "十", "十一", "二十", "二〇三", "百五", "千二百")] == [
        1,
        10,
        11,
        20,
        203,
        105,
        1200,
    ]
    with pytest.raises(ValueError):
        kanji_to_int("桜")


@SETTINGS
@given(st.integers(1, 9999))
def test_kanji_round_trip(n: int) -> None:
    assert kanji_to_int(kanji(n)) == n


@SETTINGS
@given(st.text(max_size=40))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@SETTINGS
@given(
    st.integers(1, 30),
    st.integers(1, 80),
    st.integers(1, 60),
    st.sampled_from(["", " コーポ桜", " メゾン緑ヶ丘 101号室"]),
)
def test_every_spelling_reads_the_same(chome: int, block: int, number: int, suffix: str) -> None:
    forms = [
        f"{chome}丁目{block}番{number}号",
        f"{kanji(chome)}丁目{kanji(block)}番{kanji(number)}号",
        f"{chome}-{block}-{number}",
        f"{chome}-{block}-{number}".translate(FULL_WIDTH),
        f"{chome}丁目{block}-{number}",
        f"{chome}丁目{block}番地{number}",
    ]
    tails = {parse_tail(normalize(f + suffix), has_chome=True) for f in forms}
    parsed = {(t.chome, t.block, t.number, t.building, t.room) for t in tails}
    assert len(parsed) == 1
    c, b, n, building, room = parsed.pop()
    assert (c, b, n) == (chome, block, number)
    assert (building + room).replace(" ", "") == normalize(suffix).replace(" ", "")


@SETTINGS
@given(st.text(max_size=30), st.booleans())
def test_parse_tail_never_crashes(text: str, has_chome: bool) -> None:
    t = parse_tail(normalize(text), has_chome=has_chome)
    assert t.block is None or t.block >= 0
