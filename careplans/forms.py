"""Forms for editing plan items in place: they check the shape of what was typed, nothing more.

The services in `careplans.services` validate for real and save; a view passes them a
form's `cleaned_data` and shows any `ValidationError` they raise beside the fields it names
(`add_service_errors`). No form here saves anything.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.text import capfirst

from careplans.models import (
    CarePlan,
    Comment,
    Goal,
    GoalMeasurement,
    InformationRelease,
    PlanItem,
    PlanPrintout,
    Problem,
)
from careplans.services import PERSON_FIELDS, editable_fields
from patients.models import RelatedPerson
from patients.services import RELATED_PERSON_EDITABLE
from teams.models import User
from teams.selectors import team_members

# Shown after a type's own fields, in this order: the goal a step serves, who is responsible, the Part 2 flag.
SHOWN_LAST = ("goal", "responsible_party", "responsible_member", "part2_protected")
EMPTY_CHOICE = "Not set"
# Service errors named after a model field that the form calls something else.
FIELD_ALIASES = {"status_reason": "reason"}
# The fields a conflict compares, besides the editable ones: someone may have ended the item meanwhile.
STATUS_FIELDS = ("status", "status_reason")
_MISSING = object()


def _form_field(field: models.Field, **kwargs: Any) -> forms.Field | None:
    if field.is_relation:
        kwargs["empty_label"] = EMPTY_CHOICE
    elif field.choices and field.blank:
        kwargs["choices"] = field.get_choices(blank_choice=[("", EMPTY_CHOICE)])
    if isinstance(field, models.DateField):
        kwargs["widget"] = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    elif isinstance(field, models.TextField):
        kwargs["widget"] = forms.Textarea(attrs={"rows": 3})
    return field.formfield(**kwargs)


class PlanItemForm(forms.Form):
    """The fields of one item type that a person may edit."""

    model: ClassVar[type[PlanItem]]

    def __init__(
        self, *args: Any, plan: CarePlan, item: PlanItem | None = None, actor: Any = None, **kwargs: Any
    ) -> None:
        """A form to add an item to `plan`, or with `item` to edit it (then it carries the version)."""
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.item = item
        if item is not None:
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
        for name in PERSON_FIELDS:
            if name not in self.fields:
                continue
            # The patient's team only; someone who has left stays on the items that already name them.
            people = team_members(plan.patient.team_id)
            current = getattr(item, f"{name}_id", None)
            if current is not None:
                people = User.objects.filter(Q(pk__in=people.values("pk")) | Q(pk=current)).order_by(
                    "last_name", "first_name"
                )
            self.fields[name].queryset = people
            # A required person starts out as whoever is adding the item.
            if self.fields[name].required and actor is not None and not self.is_bound:
                self.initial.setdefault(name, actor.pk)
        if item is None and not self.is_bound and "responsible_member" in self.fields:
            self._default_responsibility()
        if "goal" in self.fields:
            self.fields["goal"].queryset = Goal.objects.filter(plan=plan)
        if "problem" in self.fields:
            self.fields["problem"].queryset = Problem.objects.filter(plan=plan)
        if "release" in self.fields:
            self.fields["release"].queryset = InformationRelease.objects.filter(plan=plan)

    def _default_responsibility(self) -> None:
        """A new goal, step or service starts out with the team member its team's approach puts in charge."""
        from careplans import team_approach

        section = team_approach.SECTION_OF_MODEL.get(self.model._meta.model_name)
        team = self.plan.patient.team
        member = (
            team_approach.default_member(team, team_approach.section_role(team, section)) if section else None
        )
        if member is not None:
            self.initial.setdefault("responsible_party", "team_member")
            self.initial.setdefault("responsible_member", member.pk)

    def model_fields(self) -> list[str]:
        """The names of the model fields this form edits."""
        return [name for name in self.fields if name != "version"]

    def values(self) -> dict[str, Any]:
        """The new item's field values, for `add_plan_item`."""
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}

    def changes(self) -> dict[str, Any]:
        """The fields whose value differs from the item's, for `update_plan_item`."""
        assert self.item is not None
        return {
            name: value
            for name, value in self.values().items()
            if _comparable(self.model._meta.get_field(name), value)
            != self.model._meta.get_field(name).value_from_object(self.item)
        }

    def rebased(self, *, seen: Any, current: PlanItem) -> PlanItemForm:
        """A fresh form on the `current` version: its values, with this person's own changes on top.

        A field counts as this person's change when what they sent differs from the version
        they opened (`seen`); every other field takes the current value, so re-applying does
        not undo what the other person changed.
        """
        initial: dict[str, Any] = {"version": current.version}
        for name in self.model_fields():
            field = self.model._meta.get_field(name)
            yours = _comparable(field, self.cleaned_data.get(name))
            changed_by_you = seen is None or yours != field.value_from_object(seen)
            initial[name] = yours if changed_by_you else field.value_from_object(current)
        return type(self)(initial=initial, plan=self.plan, item=current, auto_id=self.auto_id)


@functools.cache
def item_form_class(model: type[PlanItem]) -> type[PlanItemForm]:
    """The form for one item type, built from the fields the services let a person edit."""
    names = sorted(
        editable_fields(model), key=lambda name: SHOWN_LAST.index(name) + 1 if name in SHOWN_LAST else 0
    )
    fields = forms.fields_for_model(model, fields=names, formfield_callback=_form_field)
    return type(f"{model.__name__}Form", (PlanItemForm,), {**fields, "model": model})


# The plan's own fields, in the parts of the plan page that edit them (see careplans.views.plan_details).
PLAN_PARTS = {
    "summary": ("what_matters_most", "responsible_member", "risk_tier", "review_interval_days"),
    "strengths-and-preferences": ("strengths", "care_preferences"),
    "additional-information": ("additional_information",),
    "priorities": ("priority_values", "one_thing", "willing_and_able", "helpful_care", "burdensome_care"),
}


PLAN_LABELS = {
    "what_matters_most": "What matters most to the patient",
    "responsible_member": "Who keeps this plan up to date",
    "review_interval_days": "Review every (days)",
}


@functools.cache
def plan_form_class(part: str) -> type[PlanItemForm]:
    """The form for one part of the plan's own fields: an edit form like an item's, on the plan itself."""
    fields = forms.fields_for_model(
        CarePlan, fields=PLAN_PARTS[part], formfield_callback=_form_field, labels=PLAN_LABELS
    )
    return type(
        f"CarePlan{part.title().replace('-', '')}Form", (PlanItemForm,), {**fields, "model": CarePlan}
    )


# A caregiver or other related person, edited on the plan page like a section item.
RelatedPersonForm: type[PlanItemForm] = type(
    "RelatedPersonForm",
    (PlanItemForm,),
    {**forms.fields_for_model(RelatedPerson, fields=RELATED_PERSON_EDITABLE), "model": RelatedPerson},
)


class PlanStatusForm(forms.Form):
    """Activate, hold, complete or revoke the plan; anything but activating says why."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    status = forms.ChoiceField(label="New status", choices=CarePlan.Status.choices)
    reason = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed for anything but active: the team sees it in the plan header.",
    )

    def __init__(self, *args: Any, plan: CarePlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan

    def rebased(self, *, seen: Any, current: CarePlan) -> PlanStatusForm:
        initial = {**self.cleaned_data, "version": current.version}
        return type(self)(initial=initial, plan=current, auto_id=self.auto_id)


def initial_for(item: Any, *, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The edit form's starting values: the item as it is now (its editable `fields`), and its version."""
    fields = editable_fields(type(item)) if fields is None else fields
    return {**forms.model_to_dict(item, fields=fields), "version": item.version}


class EndForm(forms.Form):
    """End, resolve or retire an item: one of its end statuses, and why."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    status = forms.ChoiceField(label="New status")
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why it ends. The team sees it with the ended item.",
    )

    def __init__(self, *args: Any, item: PlanItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        self.fields["status"].choices = [
            (value, label) for value, label in type(item).Status.choices if value in item.END_STATUSES
        ]

    def rebased(self, *, seen: Any, current: PlanItem) -> EndForm:
        initial = {**self.cleaned_data, "version": current.version}
        return type(self)(initial=initial, item=current, auto_id=self.auto_id)


class ReopenForm(forms.Form):
    """Bring an ended item back into the living plan, saying why."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why it is back. The team sees it in the item's history.",
    )

    def __init__(self, *args: Any, item: PlanItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item

    def rebased(self, *, seen: Any, current: PlanItem) -> ReopenForm:
        initial = {**self.cleaned_data, "version": current.version}
        return type(self)(initial=initial, item=current, auto_id=self.auto_id)


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError beside the fields it names, and anything else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        name = FIELD_ALIASES.get(name, name)
        form.add_error(name if name in form.fields else None, errors)


@dataclass(frozen=True)
class ChangedField:
    label: str
    seen: str
    current: str
    yours: str | None


@dataclass(frozen=True)
class Conflict:
    """Someone saved the item after this person opened it: who, when, and which fields differ."""

    changed_by: Any
    changed_at: datetime.datetime
    fields: list[ChangedField]
    shows_yours: bool


def conflict_between(*, seen: Any, current: PlanItem, form: forms.Form) -> Conflict:
    """Compare the version this person opened (`seen`, a history event; None if unknown) with `current`.

    For an edit form, also what this person typed: every field that either of them changed is listed.
    """
    model = type(current)
    shows_yours = isinstance(form, PlanItemForm)
    compared = form.model_fields() if shows_yours else editable_fields(model)
    rows = []
    for name in (*compared, *STATUS_FIELDS):
        field = model._meta.get_field(name)
        now = field.value_from_object(current)
        before = field.value_from_object(seen) if seen is not None else now
        yours = _comparable(field, form.cleaned_data[name]) if name in form.fields else _MISSING
        if now != before or (shows_yours and yours is not _MISSING and yours != before):
            rows.append(
                ChangedField(
                    label=capfirst(field.verbose_name),
                    seen=_display(field, before),
                    current=_display(field, now),
                    yours=_display(field, yours) if yours is not _MISSING else None,
                )
            )
    return Conflict(
        changed_by=current.updated_by, changed_at=current.updated_at, fields=rows, shows_yours=shows_yours
    )


def _comparable(field: models.Field, value: Any) -> Any:
    """A form value as `Field.value_from_object` gives it: the primary key for a related object."""
    if field.is_relation and value is not None:
        return value.pk
    return value


def _display(field: models.Field, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field.is_relation:
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.date):
        return date_format(value, "j M Y")
    return str(value)


class HistoryFilterForm(forms.Form):
    """Narrow a plan's timeline to one kind of record, or to the changes one team member made."""

    kind = forms.ChoiceField(label="Show changes to", required=False)
    person = forms.TypedChoiceField(label="Made by", required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, kinds: dict[str, str], people: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Everything"), *kinds.items()]
        self.fields["person"].choices = [("", "Anyone"), *((person.pk, str(person)) for person in people)]

    def filters(self) -> tuple[str, int | None]:
        """The kind and the person asked for; nothing (everything) when the form is unbound or invalid."""
        if not self.is_bound or not self.is_valid():
            return "", None
        return self.cleaned_data["kind"], self.cleaned_data["person"]


class MeasurementForm(forms.Form):
    """A new value of a goal's measure. The date rules (not in the future, not before the baseline) are the model's."""

    # A text box rather than type="number", which would silently drop what the browser cannot parse ("7,9").
    value = forms.DecimalField(
        max_digits=10, decimal_places=2, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    measured_on = forms.DateField(label="Date measured", widget=forms.DateInput(attrs={"type": "date"}))
    source = forms.ChoiceField(choices=GoalMeasurement.Source.choices)
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, goal: Goal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.goal = goal
        self.fields["value"].label = f"{goal.measure} ({goal.unit})" if goal.unit else goal.measure
        self.fields["value"].error_messages["invalid"] = f"Enter the {goal.measure} as a number."


class InErrorForm(forms.Form):
    """Mark a measurement entered in error: it stays on record, out of the chart, with the reason."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        max_length=300,
        help_text="For example: wrong patient, or a typing mistake. The value stays on record.",
    )


class GoalForm(item_form_class(Goal)):  # type: ignore[misc]
    """A goal's fields, and which of the plan's own problems it addresses (`set_goal_problems`)."""

    problems = forms.ModelMultipleChoiceField(
        queryset=Problem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Problems this goal addresses",
        error_messages={"invalid_choice": "Choose problems from this patient's plan."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["problems"].queryset = Problem.objects.filter(plan=self.plan)
        if self.item is not None and "problems" not in self.initial:
            self.initial["problems"] = [problem.pk for problem in self.item.problems.all()]

    def model_fields(self) -> list[str]:
        return [name for name in super().model_fields() if name != "problems"]

    def values(self) -> dict[str, Any]:
        return {name: value for name, value in super().values().items() if name != "problems"}

    def rebased(self, *, seen: Any, current: PlanItem) -> PlanItemForm:
        form = super().rebased(seen=seen, current=current)
        form.initial["problems"] = [problem.pk for problem in self.cleaned_data.get("problems", [])]
        return form


class InstrumentForm(forms.Form):
    """The item answers of one instrument (careplans.measures), the date, and optionally the goal it feeds."""

    instrument: ClassVar[str]
    answer_names: ClassVar[tuple[str, ...]]

    answered_on = forms.DateField(
        label="Date answered", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    goal = forms.ModelChoiceField(
        queryset=Goal.objects.none(),
        required=False,
        empty_label=EMPTY_CHOICE,
        label="Record the total as a measurement of this goal",
    )

    def __init__(self, *args: Any, plan: CarePlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.initial.setdefault("answered_on", datetime.date.today())
        if self.instrument == "ahc":
            del self.fields["goal"]
        else:
            self.fields["goal"].queryset = Goal.objects.filter(plan=plan).exclude(measure="")

    def values(self) -> dict[str, Any]:
        """Keyword arguments for `services.record_instrument_response`."""
        data = self.cleaned_data
        return {
            "answers": {name: data[name] for name in self.answer_names if data.get(name) not in (None, "")},
            "answered_on": data["answered_on"],
            "goal": data.get("goal"),
        }


def _choice(label: str, choices: list[tuple[str, str]], *, required: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=[("", "Choose an answer"), *choices], required=required)


@functools.cache
def instrument_form_class(instrument: str) -> type[InstrumentForm]:
    """The form for one instrument: a labelled choice for every item, in the published order."""
    from careplans import measures

    fields: dict[str, forms.Field] = {}
    if instrument in ("phq9", "gad7"):
        items = measures.PHQ9_ITEMS if instrument == "phq9" else measures.GAD7_ITEMS
        for number, (name, text) in enumerate(items, start=1):
            fields[name] = _choice(f"{number}. {text}", measures.FREQUENCY)
        if instrument == "phq9":
            fields["phq10"] = _choice(
                "10. If you checked off any problems, how difficult have these problems made it for you "
                "to do your work, take care of things at home, or get along with other people? "
                "(recorded, not scored)",
                measures.DIFFICULTY,
                required=False,
            )
    else:
        fields["housing"] = _choice("1. What is your living situation today?", measures.HOUSING)
        fields["housing_problems"] = forms.MultipleChoiceField(
            label="2. Think about the place you live. Do you have problems with any of the following? "
            "(leave all unticked for none)",
            choices=measures.HOUSING_PROBLEMS,
            widget=forms.CheckboxSelectMultiple,
            required=False,
        )
        fields["food_worry"] = _choice(
            "3. Within the past 12 months, you worried that your food would run out before you got "
            "money to buy more.",
            measures.OFTEN,
        )
        fields["food_ran_out"] = _choice(
            "4. Within the past 12 months, the food you bought just didn't last and you didn't have "
            "money to get more.",
            measures.OFTEN,
        )
        fields["transportation"] = _choice(
            "5. In the past 12 months, has lack of reliable transportation kept you from medical "
            "appointments, meetings, work or from getting things needed for daily living?",
            measures.YES_NO,
        )
        fields["utilities"] = _choice(
            "6. In the past 12 months has the electric, gas, oil, or water company threatened to shut "
            "off services in your home?",
            measures.UTILITIES,
        )
        for number, (name, text) in enumerate(measures.SAFETY_ITEMS, start=7):
            fields[name] = _choice(
                f"{number}. How often does anyone, including family and friends: {text.lower()}?",
                measures.SAFETY_FREQUENCY,
            )
    return type(
        f"{instrument.title()}Form",
        (InstrumentForm,),
        {**fields, "instrument": instrument, "answer_names": tuple(fields)},
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=Comment.BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The whole team sees it. Write @username to mention someone on the team.",
    )


class RetractCommentForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label="Why retract it",
        max_length=300,
        help_text="The text is hidden from everyone; the team sees that you retracted it, and why.",
    )


class PrintoutForm(forms.Form):
    """Options for printing the plan. Part 2 information needs a tick that confirms it, and a reason."""

    document = forms.ChoiceField(choices=PlanPrintout.Document.choices, widget=forms.RadioSelect)
    language = forms.ChoiceField(choices=PlanPrintout._meta.get_field("language").choices)
    large_print = forms.BooleanField(required=False, label="Large print (18 pt)")
    recipient = forms.ChoiceField(choices=PlanPrintout.Recipient.choices, label="Who gets this copy")
    recipient_name = forms.CharField(
        max_length=200, required=False, label="Name of the person or office (if not the patient)"
    )
    delivery = forms.ChoiceField(choices=PlanPrintout.Delivery.choices, label="How it is delivered")
    include_part2 = forms.BooleanField(
        required=False,
        label="Include substance-use disorder information (42 CFR Part 2)",
        help_text="Left out unless you tick this.",
    )
    confirm_part2 = forms.BooleanField(
        required=False,
        label="I confirm the patient's consent allows this, or the copy is for the patient",
    )
    part2_reason = forms.CharField(max_length=300, required=False, label="Why Part 2 information is included")
    release = forms.ModelChoiceField(
        queryset=InformationRelease.objects.none(),
        required=False,
        label="The patient's release that allows it (if not the patient)",
        help_text="Part 2 information for someone else needs a release that covers it (42 CFR 2.31).",
    )

    def __init__(self, *args: Any, plan: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plan is not None:
            # Any release of the plan is accepted here, so one revoked meanwhile gets the service's
            # clear refusal; only releases still active are offered.
            field = self.fields["release"]
            field.queryset = plan.information_releases.all()
            active = [r for r in field.queryset if r.status == InformationRelease.Status.ACTIVE]
            field.widget.choices = [("", "---------"), *((r.pk, str(r)) for r in active)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("include_part2") and not cleaned.get("confirm_part2"):
            self.add_error("confirm_part2", "Confirm before including Part 2 information.")
        return cleaned

    def values(self) -> dict[str, Any]:
        """The options as the service takes them."""
        return {k: v for k, v in self.cleaned_data.items() if k != "confirm_part2"}
