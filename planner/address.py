"""Japanese addresses made comparable: normalisation and the parts after the town name.

Pure functions, no I/O.  :func:`normalize` makes the spellings of one address equal (full- and
half-width, dash variants, ``ヶ``/``ケ``, spaces); :func:`split_town` splits a reference town
name such as ``桜台一丁目`` into its 大字・町 (``桜台``) and 丁目 (1); :func:`parse_tail` reads
what follows the town in an address — 丁目, 街区 (or 地番), 号 (or 枝番) — whether written
``2丁目3番4号``, ``二丁目三番四号``, ``2-3-4``, ``3番地の4`` or ``3ノ4``, and splits off the
building name and room (``コーポ桜 101号室``), which are kept, not thrown away.

Town names themselves are never rewritten digit by digit: ``一番町`` (Sendai) and ``三日町`` are
names, and only the numbers *after* the town name are read as numbers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

KANJI_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUM = "〇零一二三四五六七八九十百千"

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe63\uff0d"
_ONE_SPELLING = str.maketrans({**dict.fromkeys(_DASHES, "-"), "ヶ": "ケ", "ヵ": "カ"})
# the long-vowel mark is a dash only between numbers ("2ー3"), never in katakana ("コーポ")
_CHOON_RE = re.compile(f"(?<=[0-9{_KANJI_NUM}])[ーｰ](?=[0-9{_KANJI_NUM}])")
_TOKEN = re.compile(
    f"\\s*(?:([0-9]+)|([{_KANJI_NUM}]+)(?=丁目|番|号|の|ノ|-|地割|$|\\s))"
    r"\s*(丁目-?|番地(?:の|-)?|番(?:の|-)?|号|の|ノ|-)?"
)
_UNIT_NAME = {"丁目-": "丁目", "番地の": "番地", "番地-": "番地", "番の": "番", "番-": "番"}
_ROOM = re.compile(r"[0-9]+\s*(?:号室|号|室)?$")
_TOWN_CHOME = re.compile(f"^(.+?)([0-9]+|[{_KANJI_NUM}]+)丁目$")


def normalize(text: str) -> str:
    """One spelling for the many ways an address is typed.

    NFKC (full-width digits and letters to ASCII, half-width katakana to full), every dash
    variant to ``-`` (the long-vowel mark only between numbers), ``ヶ``/``ヵ`` to ``ケ``/``カ``,
    runs of white space to one space, stripped.

    Parameters
    ----------
    text
        An address as written in a register or a reference file.

    Returns
    -------
    str
        The normalised text; normalising it again changes nothing.
    """
    value = unicodedata.normalize("NFKC", text).translate(_ONE_SPELLING)
    if "ー" in value:
        value = _CHOON_RE.sub("-", value)
    return " ".join(value.split())


def kanji_to_int(text: str) -> int:
    """The value of a number written in digits or 漢数字 (``二十三``, ``二〇三``, ``百五``).

    Raises
    ------
    ValueError
        If ``text`` is empty or holds anything but digits and 漢数字.
    """
    if text.isascii() and text.isdigit():
        return int(text)
    if not text or any(c not in KANJI_DIGITS and c not in KANJI_UNITS for c in text):
        raise ValueError(f"{text!r} is not a number")
    if not any(c in KANJI_UNITS for c in text):  # positional: 二〇三 = 203
        return int("".join(str(KANJI_DIGITS[c]) for c in text))
    total, digit = 0, None
    for c in text:
        if c in KANJI_DIGITS:
            digit = KANJI_DIGITS[c]
        else:
            total += (1 if digit is None else digit) * KANJI_UNITS[c]
            digit = None
    return total + (digit or 0)


def split_town(town: str) -> tuple[str, int | None]:
    """``(大字・町, 丁目)`` of a normalised reference town name: ``桜台一丁目`` → ``("桜台", 1)``,
    ``一番町四丁目`` → ``("一番町", 4)``, ``本町`` → ``("本町", None)``."""
    m = _TOWN_CHOME.match(town)
    if m is None:
        return town, None
    try:
        return m.group(1), kanji_to_int(m.group(2))
    except ValueError:  # pragma: no cover - the pattern only lets numbers through
        return town, None


@dataclass(frozen=True, slots=True)
class Tail:
    """What follows the town name in an address.

    ``chome`` is the 丁目; ``block`` the 街区符号 (住居表示) or 地番; ``number`` the 号 or
    枝番; ``building`` and ``room`` what is left after the numbers (``コーポ桜``,
    ``101号室``); ``numbers`` the numbers read, in order, with the unit written after each
    (``""`` for none), for messages.
    """

    chome: int | None = None
    block: int | None = None
    number: int | None = None
    building: str = ""
    room: str = ""
    numbers: tuple[tuple[int, str], ...] = ()


def read_numbers(tail: str) -> tuple[list[tuple[int, str]], str]:
    """The leading numbers of ``tail`` with the unit after each, and the text that follows.

    ``2丁目3番地の4 コーポ`` → ``([(2, "丁目"), (3, "番地"), (4, "")], " コーポ")``; a
    number not followed by a unit ends the run, and so does ``号``.
    """
    out: list[tuple[int, str]] = []
    pos = 0
    while True:
        m = _TOKEN.match(tail, pos)
        if m is None:
            break
        digits, kanji, unit = m.groups()
        value = int(digits) if digits else kanji_to_int(kanji)
        pos = m.end()
        if unit is None:
            out.append((value, ""))
            break
        unit = _UNIT_NAME.get(unit, unit)
        out.append((value, unit))
        if unit == "号":
            break
    return out, tail[pos:]


def parse_tail(tail: str, *, has_chome: bool) -> Tail:
    """Read the 丁目, 街区 (地番) and 号 (枝番) after the town name.

    Parameters
    ----------
    tail
        The normalised address after the town (and 小字) name, e.g. ``2-3-4 コーポ桜101号室``.
    has_chome
        Whether the town has 丁目 in the reference: then ``2-3-4`` is 2丁目3番4号; else
        ``3-4`` is 3番地4 (番地 and 枝番).

    Returns
    -------
    Tail
        A fourth number (``2-3-4-101``) is taken as the room.
    """
    numbers, rest = read_numbers(tail)
    values = [n for n, _ in numbers]
    units = [u for _, u in numbers]
    chome = block = number = None
    if "丁目" in units:
        i = units.index("丁目")
        chome = values[i]
        after = values[i + 1 :]
    elif has_chome and values and units[0] not in ("番", "番地"):
        chome, after = values[0], values[1:]
    else:
        after = values
    if after:
        block = after[0]
    if len(after) > 1:
        number = after[1]
    extra = after[2:]
    building, room = _split_room(rest)
    if extra and not room:
        room = "-".join(str(x) for x in extra)
    return Tail(chome, block, number, building, room, tuple(numbers))


def _split_room(rest: str) -> tuple[str, str]:
    """``("コーポ桜", "101号室")`` from ``コーポ桜 101号室``; ``("", "")`` from nothing."""
    rest = rest.strip(" -")
    m = _ROOM.search(rest)
    if m is None:
        return rest, ""
    return rest[: m.start()].strip(" -"), rest[m.start() :].strip(" -")
