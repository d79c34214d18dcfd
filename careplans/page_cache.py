"""The plan page's sections, rendered once and kept until anything they show changes.

Rendering a plan's sections is most of the plan page's time, and it grows with the plan (issue 11,
docs/benchmarks.md). The fragment of careplans/plan_detail.html that holds them
(`plan-sections`) is cached under a key that changes whenever what they show can:

- the plan's `PageStamp`, which the database bumps on every write to the plan, its items,
  measurements, links, reviews, comments, answers, CMS marks, copies given, the patient, their
  enrolment or related people (migration
  careplans 0013: triggers, so no code path can forget it), and the "people" stamp, bumped when
  anyone's name changes;
- the day (overdue and expiry badges), the time zone and the language;
- the code: a digest of the templates and Python source, so a deploy never serves old markup.

The stamps are read before the plan is loaded, so a fragment is never older than its key says.
Only someone on the patient's team with no form open gets cached fragments (an emergency viewer's
page hides Part 2 items and is always rendered afresh). What depends on the viewer stays outside
the fragment, and its forms get each viewer's own CSRF token.
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

PEOPLE = "people"
TIMEOUT = 60 * 60  # an hour: the plans being worked on stay warm, and the rest leave the cache
# Rendered in place of the CSRF token (letters and digits only, so escaping leaves it as it is), and
# replaced by the viewer's own token each time the fragment is used.
CSRF_PLACEHOLDER = "CAREWEAVECSRFTOKENPLACEHOLDER"


def stamps(plan: CarePlan) -> tuple[int, int]:
    """The plan's stamp and the people stamp (0 before their first change), in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key, seq FROM careplans_pagestamp WHERE key IN (%s, %s)", [str(plan.pk), PEOPLE]
        )
        found = dict(cursor.fetchall())
    return found.get(str(plan.pk), 0), found.get(PEOPLE, 0)


def cache_key(plan: CarePlan) -> str:
    plan_seq, people_seq = stamps(plan)
    return ":".join(
        [
            "plan-sections",
            code_digest(),
            str(plan.pk),
            str(plan_seq),
            str(people_seq),
            timezone.localdate().isoformat(),
            timezone.get_current_timezone_name(),
            translation.get_language() or "",
        ]
    )


def cached_sections(
    request: HttpRequest, plan: CarePlan, render: Callable[[dict[str, Any]], str]
) -> SafeString:
    """The plan's sections from the cache, or `render(extra_context)` them and keep them.

    They are rendered with a placeholder for the CSRF token, so the one fragment serves every
    viewer: each gets their own token in its forms.
    """
    key = cache_key(plan)
    html = cache.get(key)
    if html is None:
        html = render({"csrf_token": CSRF_PLACEHOLDER})
        cache.set(key, html, TIMEOUT)
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308 - our template's output


@functools.cache
def code_digest() -> str:
    """A digest of the templates and the apps' Python source, computed once per process."""
    digest = hashlib.blake2b(digest_size=8)
    base = Path(settings.BASE_DIR)
    for folder in ("templates", "careplans", "patients", "teams", "config"):
        for path in sorted((base / folder).rglob("*")):
            if path.suffix in (".html", ".py") and "migrations" not in path.parts:
                digest.update(path.relative_to(base).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()
