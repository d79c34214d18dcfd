"""Forms of the patients app."""

from __future__ import annotations

from django import forms

from patients.models import EmergencyAccess


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
