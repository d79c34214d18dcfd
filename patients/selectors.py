"""Reads of patients, always scoped to the teams of the user asking."""

from __future__ import annotations

import datetime
import re
import uuid

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower, Upper
from django.http import Http404
from django.utils import timezone

from patients.models import EmergencyAccess, Patient, RelatedPerson
from teams.models import Team, User
from teams.selectors import active_memberships, team_ids_of


def emergency_access_exists(user: User, patient_ref: str = "pk") -> Exists:
    """An EXISTS subquery: `user` holds a current emergency grant for the patient `patient_ref` names."""
    now = timezone.now()
    return Exists(
        EmergencyAccess.objects.filter(
            user_id=user.pk,
            patient_id=OuterRef(patient_ref),
            ended_at__isnull=True,
            granted_at__lte=now,
            expires_at__gt=now,
        )
    )


def patients_on_teams_of(user: User) -> QuerySet[Patient]:
    """Every patient on the panels of the user's teams, and no other: the user's own patients."""
    return Patient.objects.filter(team_id__in=team_ids_of(user))


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """The patients of the user's teams, and those the user holds a current emergency grant for."""
    if not user.is_authenticated:
        return Patient.objects.none()
    return Patient.objects.filter(Q(team_id__in=team_ids_of(user)) | Q(emergency_access_exists(user)))


def current_emergency_access(user: User, patient: Patient) -> EmergencyAccess | None:
    """The user's current emergency grant for this patient (the latest to expire), or None."""
    if not user.is_authenticated:
        return None
    now = timezone.now()
    return (
        EmergencyAccess.objects.filter(
            user_id=user.pk, patient=patient, ended_at__isnull=True, granted_at__lte=now, expires_at__gt=now
        )
        .order_by("-expires_at")
        .first()
    )


def find_patient_by_exact_mrn(user: User, mrn: str) -> Patient | None:
    """For break-the-glass: the patient with exactly this MRN in a practice the user works in.

    Only an exact MRN finds a patient outside the user's teams, so the search cannot be used to
    browse; the caller shows only the name and date of birth to confirm.
    """
    mrn = mrn.strip()
    if not mrn or not user.is_authenticated:
        return None
    practices = Team.objects.filter(pk__in=team_ids_of(user)).values("organization_id")
    return Patient.objects.filter(organization_id__in=practices, mrn=mrn).first()


def emergency_grants_for_lead(user: User, *, days: int = 30) -> QuerySet[EmergencyAccess]:
    """Emergency grants of the last `days` days to patients of the teams `user` leads."""
    led = active_memberships(user).filter(is_team_lead=True).values("team_id")
    since = timezone.now() - datetime.timedelta(days=days)
    return (
        EmergencyAccess.objects.filter(patient__team_id__in=led, granted_at__gte=since)
        .select_related("user", "patient")
        .order_by("-granted_at")
    )


def get_patient_for_user(user: User, patient_id: uuid.UUID | str) -> Patient:
    """The patient, or 404 when it does not exist or is not on one of the user's teams."""
    try:
        return patients_visible_to(user).select_related("team", "organization").get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError):
        raise Http404("No such patient") from None


def get_related_person_for_user(
    user: User, person_id: int | str, *, patient_id: uuid.UUID | str
) -> RelatedPerson:
    """One of the patient's related people, or 404 for outsiders and for another patient's person."""
    try:
        return RelatedPerson.objects.select_related("patient").get(
            pk=person_id, patient_id=patient_id, patient__in=patients_visible_to(user)
        )
    except (RelatedPerson.DoesNotExist, ValueError):
        raise Http404("No such person") from None


def panel_for(user: User, *, query: str = "", limit: int | None = None) -> QuerySet[Patient]:
    """The user's active patients with their plans, for lists; `query` matches name, MRN or date of birth.

    With `limit`, the patients are ranked and cut to `limit` on the patient table alone (through its
    indexes), and only those few are joined to their team and plan: a search matching thousands of
    patients no longer joins thousands of plans to show a hundred.
    """
    query = query.strip()
    matches = _ranked(
        _matching(patients_on_teams_of(user).filter(status=Patient.Status.ACTIVE), query), query
    )
    if limit is not None:
        matches = _ranked(Patient.objects.filter(pk__in=matches.values("pk")[:limit]), query)
    return matches.select_related("team", "care_plan")


def _is_mrn(query: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z]*[-\s]?\d[\w-]*", query))


def _matching(patients: QuerySet[Patient], query: str) -> QuerySet[Patient]:
    if not query:
        return patients
    try:
        born = datetime.date.fromisoformat(query)
    except ValueError:
        born = None
    if born:
        return patients.filter(date_of_birth=born)
    if _is_mrn(query):
        # A prefix of the MRN, any case: upper(mrn) has a text_pattern_ops index (patient_mrn_prefix), so
        # LIKE 'SC00012%' is an index range scan, not a scan of the table.
        return patients.alias(mrn_upper=Upper("mrn")).filter(mrn_upper__startswith=query.upper())
    term = query.lower()
    # Filter on the same lower(...) expressions the trigram index (patient_name_trgm) is built on.
    return patients.alias(
        family=Lower("family_name"), given=Lower("given_name"), preferred=Lower("preferred_name")
    ).filter(
        Q(family__trigram_word_similar=term)
        | Q(given__trigram_word_similar=term)
        | Q(preferred__trigram_word_similar=term)
        | Q(family__contains=term)
        | Q(given__contains=term)
    )


def _ranked(patients: QuerySet[Patient], query: str) -> QuerySet[Patient]:
    """Best name match first for a name search, else by name (patient_active_by_name walks that order)."""
    if query and not _is_mrn(query):
        try:
            datetime.date.fromisoformat(query)
        except ValueError:
            return patients.annotate(
                similarity=TrigramWordSimilarity(query.lower(), Lower("family_name"))
            ).order_by("-similarity", "family_name", "given_name")
    return patients.order_by("family_name", "given_name")
