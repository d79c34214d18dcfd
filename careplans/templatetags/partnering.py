"""Template helpers for the partnering parts of the plan page: they only reshape what is already loaded."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from careplans.models import InstrumentResponse

register = template.Library()


@register.filter
def latest_per_instrument(responses: Iterable[InstrumentResponse]) -> list[InstrumentResponse]:
    """The most recent response to each instrument, from an already-prefetched list (no query)."""
    latest: dict[str, InstrumentResponse] = {}
    for response in responses:
        shown = latest.get(response.instrument)
        if shown is None or (response.answered_on, response.pk) > (shown.answered_on, shown.pk):
            latest[response.instrument] = response
    return sorted(latest.values(), key=lambda response: response.instrument)
