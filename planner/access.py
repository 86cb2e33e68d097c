"""Who may read which records: the directives' chain of custody as data.

Miyagi 第6-7 and Aomori 第7-1/2 name a chain of responsibility for the 巡回連絡カード:

========================  ===========  ==============================================
role                      code         may read
========================  ===========  ==============================================
受持警察官                officer      the households of their own beat (受持区)
取扱責任者 (交番・駐在所長)  handler      every beat of their post (交番・駐在所)
管理責任者 (署の地域課長)    manager      every beat of the station, and its access log
統括管理責任者 (本部地域課長) chief       every station (a grant per station), access logs
========================  ===========  ==============================================

In PostGIS the database enforces it (:func:`planner.store_pg.grant_access`): one login role per
person, row-level security on every layer that names a household.  For GeoPackage stations an
officer gets a copy of their own beat (``planner export --beat``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from planner._errors import InputError
from planner.model import Station


class Role(StrEnum):
    """A link of the chain of custody."""

    OFFICER = "officer"  # 受持警察官: own beat
    HANDLER = "handler"  # 取扱責任者: the post's beats
    MANAGER = "manager"  # 管理責任者: the station
    CHIEF = "chief"  # 統括管理責任者: every station


ROLE_LABELS_JA: dict[Role, str] = {
    Role.OFFICER: "受持警察官",
    Role.HANDLER: "取扱責任者",
    Role.MANAGER: "管理責任者",
    Role.CHIEF: "統括管理責任者",
}

SEES_ALL = frozenset({Role.MANAGER, Role.CHIEF})
"""Roles that read every beat of the station and its access log."""


@dataclass(frozen=True, slots=True)
class Grant:
    """One person's access to one station: a database login, a role and its scope.

    ``scope`` is the beat id for an officer, the post id for a handler, empty otherwise.
    """

    login: str
    role: Role
    scope: str = ""


def check_grant(station: Station, grant: Grant) -> Grant:
    """The grant, checked against the station (known beat or post, a scope only where needed).

    Raises
    ------
    InputError
        If the login is not a plain name, an officer has no known beat, a handler no known
        post, or a station-wide role is given a scope.
    """
    login = grant.login
    if not (login.isascii() and login.replace("_", "").isalnum() and login[:1].isalpha()):
        raise InputError(f"login {login!r}: letters, digits and _ only, starting with a letter")
    if grant.role is Role.OFFICER:
        beats = {b.beat_id for b in station.beats}
        if grant.scope not in beats:
            raise InputError(f"an officer needs one beat of the station (--beat): {sorted(beats)}")
    elif grant.role is Role.HANDLER:
        posts = {p.post_id for p in station.posts}
        if grant.scope not in posts:
            raise InputError(f"a handler needs one post of the station (--post): {sorted(posts)}")
    elif grant.scope:
        raise InputError(f"a {grant.role.value} sees the whole station: give no --beat or --post")
    return grant


def visible_beats(station: Station, grant: Grant) -> set[str]:
    """The beats a grant may read (the rule the database policies enforce, in Python)."""
    if grant.role in SEES_ALL:
        return {b.beat_id for b in station.beats}
    if grant.role is Role.HANDLER:
        return {b.beat_id for b in station.beats if b.post_id == grant.scope}
    return {grant.scope}
