"""Forms of the care-management pages. They validate and shape input; the services in careplans.ccm write."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from careplans.ccm_models import CareTimeEntry, PlanCopyGiven, PlanElement, Program, ProgramEnrolment
from teams.models import User
from teams.selectors import team_members


class EnrolForm(forms.Form):
    program = forms.ChoiceField(choices=Program.choices)
    complex_care = forms.BooleanField(
        required=False,
        label="Complex CCM: the billing practitioner attests moderate or high complexity decision making",
    )
    consent_method = forms.ChoiceField(
        choices=ProgramEnrolment.ConsentMethod.choices,
        widget=forms.RadioSelect,
        label="How consent was given",
    )
    consent_obtained_by = forms.ModelChoiceField(queryset=User.objects.none(), label="Consent obtained by")
    consent_obtained_at = forms.DateTimeField(
        label="Consent obtained at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    informed_cost_sharing = forms.BooleanField(
        required=False, label="Told that cost sharing (deductible and coinsurance) applies"
    )
    informed_one_practitioner = forms.BooleanField(
        required=False, label="Told that only one practitioner can furnish and be paid for it each month"
    )
    informed_right_to_stop = forms.BooleanField(
        required=False, label="Told they may stop at any time, effective at the end of the month"
    )
    billing_practitioner = forms.ModelChoiceField(queryset=User.objects.none())

    def __init__(self, *args, team_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        members = team_members(team_id)
        self.fields["consent_obtained_by"].queryset = members
        self.fields["billing_practitioner"].queryset = members


class EndEnrolmentForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=300, label="Why the enrolment ends")


class TimeEntryForm(forms.Form):
    minutes = forms.IntegerField(min_value=1, max_value=600)
    performed_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    activity = forms.ChoiceField(choices=CareTimeEntry.Activity.choices)
    face_to_face = forms.BooleanField(required=False, label="Face to face (not counted toward the codes)")
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("performed_on", timezone.localdate())
        super().__init__(*args, **kwargs)


class TimeInErrorForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=300, label="Why this entry is in error")


class TimeCorrectionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    minutes = forms.IntegerField(min_value=1, max_value=600)
    reason = forms.CharField(max_length=300, label="Why it is corrected")


class NotApplicableForm(forms.Form):
    element = forms.ChoiceField(choices=PlanElement.choices, label="Care-plan element")
    reason = forms.CharField(max_length=300, label="Why it does not apply")


class CopyGivenForm(forms.Form):
    recipient = forms.ChoiceField(choices=PlanCopyGiven.Recipient.choices, label="Given to")
    how = forms.ChoiceField(choices=PlanCopyGiven.How.choices, label="How")


class MonthField(forms.DateField):
    """A calendar month typed as YYYY-MM, cleaned to its first day."""

    input_formats = ["%Y-%m"]
    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class PanelFilterForm(forms.Form):
    team = forms.ChoiceField(required=False, label="Team")
    enrolled = forms.ChoiceField(
        required=False,
        choices=[("", "Everyone"), ("yes", "Enrolled"), ("no", "Not enrolled")],
        label="Enrolment",
    )
    show = forms.ChoiceField(
        required=False,
        choices=[("eligible", "Eligible: two or more chronic problems"), ("all", "All patients with a plan")],
        label="Show",
    )

    def __init__(self, *args, teams, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "All my teams"), *((str(t.pk), t.name) for t in teams)]


class ReportForm(forms.Form):
    team = forms.IntegerField()
    month = MonthField()
