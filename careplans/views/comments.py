"""Team comments: the plan's discussion and each item's thread, added to and retracted in place.

A thread has one URL, which serves its own page (without JavaScript, and for links) and, to HTMX,
the `comment-thread` partial the plan page loads into the item's collapsed "Comments". Validation
errors answer 422 with what the user typed; a retraction from an outdated page answers 409.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from careplans import comments as services
from careplans.forms import CommentForm, RetractCommentForm, add_service_errors
from careplans.models import CarePlan, Comment, PlanItem
from careplans.selectors import comment_thread, get_comment_for_user, get_plan_for_user
from careplans.views.plan import HtmxHttpRequest, form_data, plan_and_item
from teams.records import StaleVersionError
from teams.rules import is_author, require

PAGE = "careplans/comment_thread.html"
PARTIALS = "careplans/partials/comments.html"


@dataclass
class Thread:
    """The comments on the plan as a whole (`kind` empty) or on one of its items."""

    plan: CarePlan
    kind: str = ""
    item: PlanItem | None = None
    comments: list[Comment] = field(default_factory=list)
    form: forms.Form | None = None
    retract: RetractForm | None = None
    notice: str = ""

    @property
    def dom_id(self) -> str:
        return f"{self.kind}-{self.item.pk}" if self.item else "plan"

    @property
    def url(self) -> str:
        if self.item:
            return reverse("careplans:item-comments", args=[self.plan.pk, self.kind, self.item.pk])
        return reverse("careplans:plan-comments", args=[self.plan.pk])

    @property
    def count(self) -> int:
        return sum(1 for comment in self.comments if not comment.is_retracted)

    @property
    def noun(self) -> str:
        return self.item._meta.verbose_name if self.item else "plan"

    @property
    def label(self) -> str:
        return f"Your comment on this {self.noun}"

    def comment_form(self, data: Any = None) -> CommentForm:
        form = CommentForm(data, auto_id=f"comment-{self.dom_id}-%s")
        form.fields["body"].label = self.label
        return form

    @property
    def anchor(self) -> str:
        """Where the thread sits on the plan page."""
        return f"#{self.dom_id}" if self.item else "#team-discussion"


@dataclass
class RetractForm:
    comment: Comment
    form: forms.Form
    conflict: bool = False


def _thread(request: HtmxHttpRequest, plan_id: uuid.UUID, kind: str, item_id: int | None) -> Thread:
    if kind:
        plan, item = plan_and_item(request, plan_id, kind, item_id)
        return Thread(plan=plan, kind=kind, item=item)
    return Thread(plan=get_plan_for_user(request.user, plan_id))


def _render(request: HtmxHttpRequest, thread: Thread, status: int = 200) -> HttpResponse:
    thread.comments = comment_thread(
        thread.plan, item_kind=thread.kind, item_id=thread.item and thread.item.pk
    )
    thread.form = thread.form or thread.comment_form()
    context: dict[str, Any] = {"plan": thread.plan, "thread": thread}
    template = f"{PARTIALS}#comment-thread" if request.htmx else PAGE
    return render(request, template, context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def thread(
    request: HtmxHttpRequest, plan_id: uuid.UUID, kind: str = "", item_id: int | None = None
) -> HttpResponse:
    """A thread, and adding a comment to it."""
    thread = _thread(request, plan_id, kind, item_id)
    form = thread.comment_form(form_data(request))
    if not form.is_bound:
        return _render(request, thread)
    if form.is_valid():
        try:
            services.add_comment(
                plan=thread.plan,
                actor=request.user,
                body=form.cleaned_data["body"],
                item_kind=thread.kind,
                item_id=thread.item and thread.item.pk,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not request.htmx:
                return redirect(thread.url)
            thread.notice = "Your comment was added."
            return _render(request, thread)
    thread.form = form
    return _render(request, thread, status=422)


@never_cache
@require_http_methods(["GET", "POST"])
def retract(request: HtmxHttpRequest, plan_id: uuid.UUID, comment_id: int) -> HttpResponse:
    """The author takes a comment back, with a reason: its text is hidden and kept in history."""
    comment = get_comment_for_user(request.user, comment_id, plan_id=plan_id)
    require(is_author, request.user, comment, "Only the author can retract a comment.")
    thread = _thread(request, plan_id, comment.item_kind, comment.item_id)
    form = RetractCommentForm(
        form_data(request), initial={"version": comment.version}, auto_id=f"retract-{comment.pk}-%s"
    )
    thread.retract = RetractForm(comment=comment, form=form)
    status = 200
    if form.is_bound and form.is_valid():
        try:
            services.retract_comment(
                comment=comment,
                expected_version=form.cleaned_data["version"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except StaleVersionError as error:
            thread.retract = RetractForm(
                comment=error.current,
                form=RetractCommentForm(
                    initial={**form.cleaned_data, "version": error.current.version},
                    auto_id=form.auto_id,
                ),
                conflict=True,
            )
            status = 409
        except ValidationError as error:
            add_service_errors(form, error)
            status = 422
        else:
            if not request.htmx:
                return redirect(thread.url)
            thread.retract = None
            thread.notice = "Your comment was retracted."
    elif form.is_bound:
        status = 422
    return _render(request, thread, status=status)


def plan_thread(plan: CarePlan) -> Thread:
    """The plan's own thread as the plan page shows it (see careplans.templatetags.careplan_comments)."""
    thread = Thread(plan=plan, comments=comment_thread(plan))
    thread.form = thread.comment_form()
    return thread
