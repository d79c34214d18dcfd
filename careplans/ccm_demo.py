"""Demo data for the care-management program: a few Maple Team patients with two or more chronic
problems enrolled in CCM on recorded consent, with minutes logged last month and this month."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import Count
from django.utils import timezone

from careplans import ccm
from careplans.ccm_selectors import QUALIFYING
from patients.models import Patient
from teams.models import CareRole

if TYPE_CHECKING:
    from careplans.demo import _Builder

# Per enrolled patient: (complex care?, minutes by role last month, minutes by role this month).
MINUTES = (
    (False, {"nurse_care_manager": (12, 10)}, {"nurse_care_manager": (15, 7)}),
    (False, {"nurse_care_manager": (20, 25), "physician": (12,)}, {"medical_assistant": (10,)}),
    (True, {"nurse_care_manager": (30, 25, 20, 15)}, {"nurse_care_manager": (25, 20), "pharmacist": (15,)}),
    (False, {"physician": (20, 15)}, {"health_coach": (20,), "nurse_care_manager": (12,)}),
)


def seed_program(builder: _Builder, team_name: str) -> None:
    """Enrol the team's first eligible patients and log their time, each change through a service."""
    team = builder.teams[team_name]
    nurse = builder.member(team_name, CareRole.NURSE_CARE_MANAGER)
    physician = builder.member(team_name, CareRole.PHYSICIAN)
    patients = (
        Patient.objects.filter(team=team)
        .annotate(qualifying=Count("care_plan__problems", filter=QUALIFYING))
        .filter(qualifying__gte=2)
        .order_by("mrn")[: len(MINUTES)]
    )
    this_month = builder.today.replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    for patient, (complex_care, before, now) in zip(patients, MINUTES, strict=False):
        builder.run(
            nurse,
            ccm.enrol_patient,
            patient=patient,
            program="ccm",
            complex_care=complex_care,
            consent_method="verbal",
            consent_obtained_by=nurse,
            consent_obtained_at=timezone.make_aware(datetime.datetime.combine(last_month, datetime.time(10))),
            informed_cost_sharing=True,
            informed_one_practitioner=True,
            informed_right_to_stop=True,
            billing_practitioner=physician,
            started_on=last_month,
        )
        for month, by_role in ((last_month, before), (this_month, now)):
            for role, minutes in by_role.items():
                actor = builder.member(team_name, role)
                for n, amount in enumerate(minutes):
                    day = min(month + datetime.timedelta(days=3 + 6 * n), builder.today)
                    activity = "phone" if n % 2 == 0 else "care_planning"
                    builder.run(
                        actor,
                        ccm.log_care_time,
                        patient=patient,
                        minutes=amount,
                        activity=activity,
                        performed_on=day,
                    )
