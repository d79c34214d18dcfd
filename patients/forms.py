"""Forms of the patients app."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from patients.models import EmergencyAccess


class AccessReportForm(forms.Form):
    """The period of an accounting of disclosures; both ends optional and inclusive."""

    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end of the period cannot be before its start.")
        return data

    def period(self) -> tuple[datetime.datetime | None, datetime.datetime | None]:
        """The period as [start, end) datetimes in the practice's time zone (None: open-ended)."""
        data = self.cleaned_data if self.is_bound else {}
        since, until = data.get("since"), data.get("until")
        start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min)) if since else None
        end = (
            timezone.make_aware(
                datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min)
            )
            if until
            else None
        )
        return start, end


class EmergencyAccessForm(forms.Form):
    """Break-the-glass: the exact MRN of a patient outside one's teams, and why access is needed now."""

    mrn = forms.CharField(label="The patient's MRN (exactly)", max_length=40)
    reason = forms.CharField(
        label="Why you need emergency access",
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=EmergencyAccess.REASON_MIN_LENGTH,
        max_length=1000,
        help_text="Logged, and shown to the patient's team lead.",
        error_messages={"required": "Say why you need emergency access."},
    )
