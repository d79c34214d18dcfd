"""Notifications: the badge in the header, the list, opening one (marks it read), and preferences."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careplans import reminders
from careplans.selectors import get_notification_for_user
from careplans.views.plan import HtmxHttpRequest

PAGE = "careplans/notifications.html"


@require_GET
@never_cache
def notification_badge(request: HtmxHttpRequest) -> HttpResponse:
    """Loaded by htmx after each page, so a page's own queries do not include it."""
    return render(request, f"{PAGE}#notification-badge", {"unread": reminders.unread_count(request.user)})


@require_GET
@never_cache
def notification_list(request: HtmxHttpRequest) -> HttpResponse:
    page = Paginator(reminders.notifications_for(request.user), 50).get_page(request.GET.get("page"))
    context = {"page": page, "unread": reminders.unread_count(request.user)}
    return render(request, f"{PAGE}#notification-list" if request.htmx else PAGE, context)


@require_GET
def notification_open(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    notification = get_notification_for_user(request.user, notification_id)
    reminders.mark_read(notification=notification, actor=request.user)
    return redirect(reminders.notification_link(notification, request.user))


@require_GET
@never_cache
def notification_detail(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    """A reminder of several items: each one, with its patient, date and a link."""
    notification = get_notification_for_user(request.user, notification_id)
    reminders.mark_read(notification=notification, actor=request.user)
    items = reminders.reminded_items(notification, request.user)
    return render(
        request, "careplans/notification_detail.html", {"notification": notification, "items": items}
    )


@require_POST
def notifications_read_all(request: HtmxHttpRequest) -> HttpResponse:
    count = reminders.mark_all_read(actor=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect("careplans:notifications")


class PreferencesForm(forms.Form):
    email_digest = forms.BooleanField(
        required=False,
        label="Email me a daily digest",
        help_text="One email each morning listing what is due and what happened. It names no patient: "
        "it links to Careweave.",
    )
    notify_on_changes = forms.BooleanField(
        required=False, label="Tell me when someone else changes an item I am responsible for"
    )


@require_http_methods(["GET", "POST"])
@never_cache
def notification_preferences(request: HtmxHttpRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm(
        request.POST or None,
        initial={"email_digest": user.email_digest, "notify_on_changes": user.notify_on_changes},
    )
    if request.method == "POST" and form.is_valid():
        reminders.set_notification_preferences(user=user, **form.cleaned_data)
        messages.success(request, "Your notification settings are saved.")
        return redirect("careplans:notification-preferences")
    return render(request, "careplans/notification_preferences.html", {"form": form})
