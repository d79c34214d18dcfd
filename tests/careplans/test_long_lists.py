"""The long-list filters give exactly what `{% url %}` and `|date:"j M Y"` give."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.template import Context, Template
from django.urls import reverse, set_script_prefix
from django.utils import translation

from careplans.templatetags.long_lists import plan_url, short_date

DAYS = [datetime.date(2027, 1, 5), datetime.date(2026, 12, 31), datetime.date(1999, 5, 1)]


def test_a_plan_link_is_the_plan_pages_address():
    for plan_id in (uuid.uuid4(), uuid.uuid4()):
        assert plan_url(plan_id) == reverse("careplans:plan-detail", args=[plan_id])


def test_a_plan_link_follows_the_script_prefix_the_site_is_served_under():
    plan_id = uuid.uuid4()
    set_script_prefix("/careweave/")
    try:
        assert plan_url(plan_id) == f"/careweave/plans/{plan_id}/"
        assert plan_url(plan_id) == reverse("careplans:plan-detail", args=[plan_id])
    finally:
        set_script_prefix("/")
    assert plan_url(plan_id) == f"/plans/{plan_id}/"


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_short_date_reads_as_the_date_filter_does_in_the_active_language(language):
    template = Template('{{ day|date:"j M Y" }}')
    with translation.override(language):
        for day in DAYS:
            assert short_date(day) == template.render(Context({"day": day}))
    with translation.override("es"):
        assert short_date(datetime.date(2027, 1, 5)) == "5 Ene 2027"
    assert short_date(datetime.date(2027, 1, 5)) == "5 Jan 2027"


def test_no_date_is_an_empty_cell():
    assert short_date(None) == ""
    assert short_date("") == ""
