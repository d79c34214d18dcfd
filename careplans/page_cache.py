"""Fragments of the plan page and the home page, rendered once and kept until anything they show changes.

Rendering a plan's sections is most of the plan page's time, and it grows with the plan (issue 11,
docs/benchmarks.md). The fragment of careplans/plan_detail.html that holds them
(`plan-sections`), and the team discussion under it, are cached under keys that change whenever
what they show can:

- the plan's `PageStamp`, which the database bumps on every write to the plan, its items,
  measurements, links, reviews, comments, answers, CMS marks, copies given, the patient, their
  enrolment or related people (migration
  careplans 0013: triggers, so no code path can forget it), and the "directory" stamp, bumped when
  a person's name, a team or the practice changes;
- the day (overdue and expiry badges), the time zone and the language;
- the code: a digest of the templates, the Python source and the static files, so a deploy never
  serves old markup, nor a link to a stylesheet's old hashed name that the new build no longer has.

The stamps are read before the plan is loaded, so a fragment is never older than its key says.
Only someone on the patient's team with no form open gets cached fragments (an emergency viewer's
page hides Part 2 items and is always rendered afresh). The discussion shows "Retract" on one's own
comments, so it is kept per viewer; the header is rendered for each request; and every form gets
the viewer's own CSRF token.

The home page is cached the same way (`home_keys`): the worklist sections that show a team's plans,
and the first page of the patient list, under the stamps of the viewer's teams ("team-<id>", bumped
with every write to one of the team's plans or patients, migration careplans 0015), shared by everyone
with the same teams; the viewer's own sections (their action steps, mentions of them, plans changed
since they looked) also under their own stamp ("user-<id>": a mention written or read, or a visit that
changes "changed since you looked"). A search is never cached: its rows are read for each keystroke.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from careplans.models import CarePlan
from teams.models import User

V = TypeVar("V")

DIRECTORY = "directory"  # names of people, teams and the practice, which any plan may show
SECTIONS, DISCUSSION = "sections", "discussion"
# Fragments that show something only to some viewers (the discussion's "Retract" on one's own
# comments) are kept per viewer.
PER_VIEWER = frozenset({DISCUSSION})
TIMEOUT = 60 * 60  # an hour: the plans being worked on stay warm, and the rest leave the cache
# Rendered in place of the CSRF token (letters and digits only, so escaping leaves it as it is), and
# replaced by the viewer's own token each time the fragment is used.
CSRF_PLACEHOLDER = "CAREWEAVECSRFTOKENPLACEHOLDER"


def stamps(plan: CarePlan) -> tuple[int, int]:
    """The plan's stamp and the directory stamp (0 before their first change), in one query."""
    found = _seqs([str(plan.pk), DIRECTORY])
    return found[str(plan.pk)], found[DIRECTORY]


def _seqs(keys: list[str]) -> dict[str, int]:
    """The stamps under `keys`, 0 for those never bumped, in one query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, seq FROM careplans_pagestamp WHERE key = ANY(%s)", [keys])
        found = dict(cursor.fetchall())
    return {key: found.get(key, 0) for key in keys}


def cache_key(plan: CarePlan, fragment: str = SECTIONS, viewer: User | None = None) -> str:
    """The key `fragment` of `plan`'s page is kept under now (for `viewer`, if it is theirs alone)."""
    return _plan_key(plan, fragment, viewer, *stamps(plan))


def _plan_key(plan: CarePlan, fragment: str, viewer: User | None, plan_seq: int, directory_seq: int) -> str:
    own = viewer if fragment in PER_VIEWER else None
    return _key(fragment, own, str(plan.pk), str(plan_seq), str(directory_seq))


def _key(fragment: str, viewer: User | None, *stamped: str) -> str:
    """`fragment`'s key: what it shows (`stamped`), and what it is shown in: code, day, time zone, language."""
    return ":".join(
        [
            fragment,
            code_digest(),
            *stamped,
            timezone.localdate().isoformat(),
            timezone.get_current_timezone_name(),
            translation.get_language() or "",
            f"user-{viewer.pk}" if viewer is not None else "",
        ]
    )


def home_keys(
    viewer: User, team_ids: Collection[int], shared: Iterable[str], own: Iterable[str]
) -> dict[str, str]:
    """Keys of the home page's fragments, which show the plans and patients of the teams `team_ids`.

    `shared` fragments are the same for everyone on exactly those teams; `own` fragments are `viewer`'s
    alone (their action steps, mentions, plans changed since they looked). All are keyed on the stamp of
    each team (bumped with every write to one of its plans or patients, migration careplans 0015) and the
    directory stamp; `own` ones also on the viewer's stamp (bumped when they open a plan or a mention of
    them is written or read). One query reads them all.
    """
    teams = [f"team-{pk}" for pk in sorted(team_ids)]
    found = _seqs([*teams, DIRECTORY, f"user-{viewer.pk}"])
    # A digest, not the list: a member of 40 teams would otherwise have a key of 500 characters.
    scope = hashlib.blake2b(",".join(f"{team}.{found[team]}" for team in teams).encode(), digest_size=12)
    stamped = (scope.hexdigest(), str(found[DIRECTORY]))
    return {
        **{name: _key(f"home-{name}", None, *stamped) for name in shared},
        **{name: _key(f"home-{name}", viewer, *stamped, str(found[f"user-{viewer.pk}"])) for name in own},
    }


def cached_values(keys: dict[str, str], compute: Callable[[str], V]) -> dict[str, V]:
    """The value kept under each of `keys` (name -> key), or `compute(name)`, kept for next time.

    One cache round trip for the reads, one for the writes of what was missing.
    """
    found = cache.get_many(keys.values())
    values, missing = {}, {}
    for name, key in keys.items():
        if key in found:
            values[name] = found[key]
        else:
            values[name] = missing[key] = compute(name)
    if missing:
        cache.set_many(missing, TIMEOUT)
    return values


def cached_fragments(
    request: HttpRequest, plan: CarePlan, render: dict[str, Callable[[dict[str, Any]], str]]
) -> dict[str, SafeString]:
    """Each named fragment of the plan's page from the cache, or `render[name](extra_context)` and keep it.

    One query for the stamps and one cache round trip for all of them. Fragments are rendered with a
    placeholder for the CSRF token, so one fragment serves every viewer: each gets their own token
    in its forms.
    """
    plan_seq, directory_seq = stamps(plan)
    keys = {name: _plan_key(plan, name, request.user, plan_seq, directory_seq) for name in render}
    found = cached_values(keys, lambda name: render[name]({"csrf_token": CSRF_PLACEHOLDER}))
    token = get_token(request)
    # Our own templates' output, kept as rendered.
    return {name: mark_safe(html.replace(CSRF_PLACEHOLDER, token)) for name, html in found.items()}  # noqa: S308


#: What a fragment is made from: its templates, the code that fills them, and the static files its
#: `{% static %}` links name by content hash (the CMS checklist's and the discussion's stylesheets).
CODE_FOLDERS = ("templates", "careplans", "patients", "teams", "config", "static")
CODE_SUFFIXES = (".html", ".py", ".css", ".js")


@functools.cache
def code_digest() -> str:
    """A digest of `CODE_FOLDERS` (migrations left out), computed once per process."""
    digest = hashlib.blake2b(digest_size=8)
    base = Path(settings.BASE_DIR)
    for folder in CODE_FOLDERS:
        for path in sorted((base / folder).rglob("*")):
            if path.suffix in CODE_SUFFIXES and "migrations" not in path.parts:
                digest.update(path.relative_to(base).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()
