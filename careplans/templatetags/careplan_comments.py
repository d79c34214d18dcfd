"""Comments on the plan page: counts per item and the plan's own thread, loaded by the template.

The plan page's views (careplans.views.plan) render the item rows in several places; loading the
counts here, once per plan object, keeps them out of every one of those views and costs one query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from careplans.comments import MENTION
from careplans.models import CarePlan, Comment
from careplans.selectors import comment_counts
from careplans.views.comments import plan_thread

register = template.Library()


@dataclass(frozen=True)
class ItemComments:
    count: int
    url: str


@register.simple_tag
def item_comments(plan: CarePlan, kind: str, item_id: int) -> ItemComments:
    """How many comments an item has, and its thread's URL.

    The first call for a plan object counts every item's comments in one query and reverses the
    plan's comment URL once; a plan may list hundreds of items.
    """
    cached = getattr(plan, "_item_comments", None)
    if cached is None:
        base = reverse("careplans:plan-comments", args=[plan.pk])
        cached = plan._item_comments = (comment_counts(plan), base)
    counts, base = cached
    return ItemComments(count=counts.get(f"{kind}-{item_id}", 0), url=f"{base}{kind}/{item_id}/")


register.simple_tag(plan_thread, name="plan_thread")


@register.filter
def comment_body(comment: Comment) -> SafeString:
    """The comment's text, escaped, with line breaks kept and each resolved @mention highlighted."""
    people = {mention.mentioned.username: mention.mentioned for mention in comment.mentions.all()}
    people.setdefault(comment.author.username, comment.author)  # A mention of oneself is not stored.
    parts: list[str] = []
    position = 0
    for match in MENTION.finditer(comment.body):
        person = people.get(match.group(1))
        if person is None:
            continue
        parts.append(escape(comment.body[position : match.start()]))
        parts.append(format_html('<mark class="mention" title="{}">@{}</mark>', str(person), person.username))
        position = match.end()
    parts.append(escape(comment.body[position:]))
    return mark_safe(re.sub(r"\r\n|\r|\n", "<br>", "".join(parts)))
