"""The plan page's sections, rendered once and kept until anything they show changes.

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
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from careplans.models import CarePlan
from teams.models import User

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
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key, seq FROM careplans_pagestamp WHERE key IN (%s, %s)", [str(plan.pk), DIRECTORY]
        )
        found = dict(cursor.fetchall())
    return found.get(str(plan.pk), 0), found.get(DIRECTORY, 0)


def cache_key(plan: CarePlan, fragment: str = SECTIONS, viewer: User | None = None) -> str:
    """The key `fragment` of `plan`'s page is kept under now (for `viewer`, if it is theirs alone)."""
    return _key(plan, fragment, viewer, *stamps(plan))


def _key(plan: CarePlan, fragment: str, viewer: User | None, plan_seq: int, directory_seq: int) -> str:
    return ":".join(
        [
            fragment,
            code_digest(),
            str(plan.pk),
            str(plan_seq),
            str(directory_seq),
            timezone.localdate().isoformat(),
            timezone.get_current_timezone_name(),
            translation.get_language() or "",
            f"user-{viewer.pk}" if fragment in PER_VIEWER and viewer is not None else "",
        ]
    )


def cached_fragments(
    request: HttpRequest, plan: CarePlan, render: dict[str, Callable[[dict[str, Any]], str]]
) -> dict[str, SafeString]:
    """Each named fragment of the plan's page from the cache, or `render[name](extra_context)` and keep it.

    One query for the stamps and one cache round trip for all of them. Fragments are rendered with a
    placeholder for the CSRF token, so one fragment serves every viewer: each gets their own token
    in its forms.
    """
    plan_seq, directory_seq = stamps(plan)
    keys = {name: _key(plan, name, request.user, plan_seq, directory_seq) for name in render}
    found = cache.get_many(keys.values())
    token = get_token(request)
    fragments = {}
    for name, key in keys.items():
        html = found.get(key)
        if html is None:
            html = render[name]({"csrf_token": CSRF_PLACEHOLDER})
            cache.set(key, html, TIMEOUT)
        fragments[name] = mark_safe(html.replace(CSRF_PLACEHOLDER, token))  # noqa: S308 - our template's output
    return fragments


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
