"""Reads of patients, always scoped to the teams of the user asking."""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower, Upper
from django.utils import timezone

from careplans.models import CarePlan
from patients.access_log import note_patient
from patients.models import AccessEvent, EmergencyAccess, Patient, RelatedPerson, display_name
from teams.models import Team, User
from teams.rules import is_privacy_officer, not_found, require
from teams.selectors import active_memberships, team_ids_of


def _current_grants(user: User) -> QuerySet[EmergencyAccess]:
    """The user's emergency grants in force now: started, not ended, not expired."""
    now = timezone.now()
    return EmergencyAccess.objects.filter(
        user_id=user.pk, ended_at__isnull=True, granted_at__lte=now, expires_at__gt=now
    )


def emergency_access_exists(user: User, patient_ref: str = "pk") -> Exists:
    """An EXISTS subquery: `user` holds a current emergency grant for the patient `patient_ref` names."""
    return Exists(_current_grants(user).filter(patient_id=OuterRef(patient_ref)))


def _practices_of(user: User) -> QuerySet[Team]:
    """The organizations (practices) of the user's teams, as a subquery of ids."""
    return Team.objects.filter(pk__in=team_ids_of(user)).values("organization_id")


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
    return _current_grants(user).filter(patient=patient).order_by("-expires_at").first()


def find_patient_by_exact_mrn(user: User, mrn: str) -> Patient | None:
    """For break-the-glass: the patient with exactly this MRN in a practice the user works in.

    Only an exact MRN finds a patient outside the user's teams, so the search cannot be used to
    browse; the caller shows only the name and date of birth to confirm.
    """
    mrn = mrn.strip()
    if not mrn or "\x00" in mrn or not user.is_authenticated:  # no MRN holds NUL; PostgreSQL refuses it
        return None
    return Patient.objects.filter(organization_id__in=_practices_of(user), mrn=mrn).first()


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
        patient = patients_visible_to(user).select_related("team", "organization").get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError):
        raise not_found(user, "No such patient", target=patient_id) from None
    note_patient(patient.pk)
    return patient


def get_related_person_for_user(
    user: User, person_id: int | str, *, patient_id: uuid.UUID | str
) -> RelatedPerson:
    """One of the patient's related people, or 404 for outsiders and for another patient's person."""
    try:
        person = RelatedPerson.objects.select_related("patient").get(
            pk=person_id, patient_id=patient_id, patient__in=patients_visible_to(user)
        )
    except (RelatedPerson.DoesNotExist, ValueError):
        raise not_found(user, "No such person", target=person_id) from None
    note_patient(person.patient_id)
    return person


@dataclass(frozen=True, slots=True)
class PanelRow:
    """A row of the patient list (`patients/patient_list.html#patient-rows`): what it shows, as plain values.

    Read with `values_list`, a list of 50 builds no model instances (three per row with the team and
    the plan: about 2 ms of a 50-row search, docs/benchmarks.md run 11).
    """

    name: str
    mrn: str
    date_of_birth: datetime.date
    team: str
    plan_id: uuid.UUID | None
    plan_status: str
    next_review_due: datetime.date | None
    review_overdue: bool


#: The columns a PanelRow is read from, in its fields' order (the name from its three parts).
ROW_COLUMNS = (
    "family_name",
    "given_name",
    "preferred_name",
    "mrn",
    "date_of_birth",
    "team__name",
    "care_plan__id",
    "care_plan__status",
    "care_plan__next_review_due",
)


def panel_rows(
    user: User, *, query: str = "", limit: int, today: datetime.date | None = None
) -> list[PanelRow]:
    """The patient list's rows: `panel_for` read as values, the review date judged against `today`."""
    today = today or timezone.localdate()
    statuses = dict(CarePlan.Status.choices)
    return [
        PanelRow(
            name=display_name(family, given, preferred),
            mrn=mrn,
            date_of_birth=born,
            team=team,
            plan_id=plan_id,
            plan_status=statuses.get(status, ""),
            next_review_due=due,
            review_overdue=due is not None and due < today,
        )
        for family, given, preferred, mrn, born, team, plan_id, status, due in panel_for(
            user, query=query, limit=limit
        ).values_list(*ROW_COLUMNS)
    ]


def panel_for(user: User, *, query: str = "", limit: int | None = None) -> QuerySet[Patient]:
    """The user's active patients, for lists; `query` matches name, MRN or date of birth.

    With `limit`, the patients are ranked and cut to `limit` on the patient table alone (through its
    indexes), and only those few are joined to their team and plan (`panel_rows`): a search matching
    thousands of patients no longer joins thousands of plans to show a hundred.
    """
    query = query.strip()
    matches = _ranked(
        _matching(patients_on_teams_of(user).filter(status=Patient.Status.ACTIVE), query), query
    )
    if limit is not None:
        matches = _ranked(Patient.objects.filter(pk__in=matches.values("pk")[:limit]), query)
    return matches


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


def get_patient_for_privacy_officer(user: User, patient_id: uuid.UUID | str) -> Patient:
    """A patient of a practice the user works in, for its privacy officer.

    403 for someone on the patient's team who is not a privacy officer; 404 for everyone else, so the
    answer reveals nothing about patients of other teams.
    """
    try:
        patient = Patient.objects.select_related("team", "organization").get(
            pk=patient_id, organization_id__in=_practices_of(user)
        )
    except (Patient.DoesNotExist, ValueError):
        raise not_found(user, "No such patient", target=patient_id) from None
    if not is_privacy_officer(user):
        if not patients_visible_to(user).filter(pk=patient.pk).exists():
            raise not_found(user, "No such patient", target=patient.pk)
        require(is_privacy_officer, user, patient, "Only a privacy officer may see who has read this record.")
    note_patient(patient.pk)
    return patient


@dataclass(frozen=True)
class Disclosure:
    """A copy of the record given to someone outside the patient's care team."""

    when: datetime.datetime
    recipient: str
    what: str
    how: str
    by: User | None


@dataclass(frozen=True)
class AccessReport:
    reads: list[AccessEvent]
    more_reads: bool
    disclosures: list[Disclosure]


def access_report(
    patient: Patient,
    *,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    limit: int | None = None,
) -> AccessReport:
    """Who read, printed, exported or searched the patient's record, and who outside the team received it.

    Disclosures are prints for someone other than the patient (PlanPrintout) and access events of type
    disclosure; reads are every other access event of the patient, newest first, cut to `limit`.
    """
    from careplans.models import PlanPrintout  # careplans depends on patients, not the other way round

    events = AccessEvent.objects.filter(patient=patient).select_related("agent", "api_token")
    prints = PlanPrintout.objects.filter(plan__patient=patient, recipient=PlanPrintout.Recipient.OTHER)
    if since:
        events, prints = events.filter(recorded__gte=since), prints.filter(created_at__gte=since)
    if until:
        events, prints = events.filter(recorded__lt=until), prints.filter(created_at__lt=until)
    reads = list(events.exclude(subtype=AccessEvent.Subtype.DISCLOSURE)[: limit + 1 if limit else None])
    disclosures = [
        Disclosure(
            when=printout.created_at,
            recipient=printout.recipient_name,
            what=f"{printout.get_document_display()}, version {printout.plan_version}",
            how=printout.get_delivery_display(),
            by=printout.requested_by,
        )
        for printout in prints.select_related("requested_by")
    ] + [
        Disclosure(
            when=event.recorded, recipient=event.recipient, what=event.what, how="Electronic", by=event.agent
        )
        for event in events.filter(subtype=AccessEvent.Subtype.DISCLOSURE)
    ]
    disclosures.sort(key=lambda row: row.when, reverse=True)
    more = limit is not None and len(reads) > limit
    return AccessReport(reads=reads[:limit] if limit else reads, more_reads=more, disclosures=disclosures)
