"""A synthetic practice at scale, for benchmarks: N made-up patients, each with a living care plan.

`build()` loads one organization ("scale"), a team per 2,500 patients with one member per care role,
and N patients whose plans have every section filled: most plans about 60 items, a share of large ones
(250 items), goal measurements, reviews and related people. Dates are spread around the day of
loading so that some reviews and some action steps are overdue, as on a real panel.

Speed comes from PostgreSQL's COPY (psycopg 3 `cursor.copy`), a chunk of patients per transaction.
Where the database role may, the row triggers are switched off while a chunk is copied, and what they
write (history events, reminder rechecks, page stamps) is written afterwards by one statement per table
for the whole chunk (`_TriggerWork`); otherwise they fire on every row, several times slower. Either way
every record has its history event, all under one history context that names the command and the
scale user, who also created every record. Nothing goes through the services: this is the one place
that writes records in bulk, and only made-up ones.

Records can never be deleted (a trigger refuses DELETE on every patient-data table), so scale data
goes into its own database (`DATABASE_URL=.../careweave_bench`); `build()` refuses a database that
already has the scale organization or other patients. Each patient draws from its own
`random.Random(f"{seed}:{index}")`, so the same seed on the same day builds the same data however the
work is split between loader processes (only the row ids differ).
"""

from __future__ import annotations

import datetime
import json
import multiprocessing
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, connection, connections, models, transaction
from django.utils import timezone

from careplans import reminders
from careplans.models import (
    ActionStep,
    CarePlan,
    CareTeamMember,
    CommunityService,
    EducationTopic,
    Goal,
    GoalMeasurement,
    GoalProblem,
    InformationRelease,
    Medication,
    PlanReview,
    Problem,
    RiskTier,
    SharedDecision,
    SymptomPlan,
)
from patients.models import Language, Patient, RelatedPerson
from teams.models import CareRole, Membership, Organization, Team, User

ORGANIZATION_SLUG = "scale"
ORGANIZATION_NAME = "Scale Test Practice (synthetic)"
SEEDER_USERNAME = "scale.seeder"
NURSE_USERNAME = "scale.nurse"  # the nurse care manager of the first team
LEAD_USERNAME = "scale.lead"  # a care manager on every team
PATIENTS_PER_TEAM = 2_500  # a large primary-care panel
CHUNK_REPLAYED = 200  # patients per transaction with the row triggers off (see `_Builder.load`)
CHUNK_WITH_TRIGGERS = 10  # and with them firing on every row
DEFAULT_SEED = 11
TEAM_NAMES = ("Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir", "Ginkgo", "Hazel")
TEAM_ROLES = (
    CareRole.NURSE_CARE_MANAGER,
    CareRole.PHYSICIAN,
    CareRole.NP_PA,
    CareRole.PHARMACIST,
    CareRole.BEHAVIORAL_HEALTH,
    CareRole.HEALTH_COACH,
    CareRole.SOCIAL_WORKER,
    CareRole.CHW_PEER,
    CareRole.MEDICAL_ASSISTANT,
)

#: Items per section of a typical 60-item plan; other sizes are scaled from it.
SECTION_WEIGHTS: dict[str, int] = {
    "problem": 6,
    "goal": 8,
    "step": 15,
    "medication": 12,
    "symptom": 3,
    "service": 4,
    "care_team": 5,
    "release": 2,
    "education": 4,
    "decision": 1,
}


class ScaleDataConflict(Exception):
    """The database already holds scale data, or patients that scale data must not be mixed with."""


@dataclass(frozen=True)
class ScaleOptions:
    patients: int = 100_000
    seed: int = DEFAULT_SEED
    teams: int = 0  # 0: one team per PATIENTS_PER_TEAM patients
    items: int = 60  # items in a typical plan (varies by +-10)
    large_items: int = 250  # items in a large plan
    large_percent: float = 5.0  # share of plans that are large
    chunk: int = 0  # patients per transaction; 0: CHUNK_REPLAYED or CHUNK_WITH_TRIGGERS, see `_Builder.load`
    workers: int = 2  # loader processes side by side
    replay_triggers: bool = True  # switch the row triggers off and write their rows per chunk, if allowed


@dataclass
class ScaleResult:
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows inserted (each has a history row)
    seconds: float = 0.0
    analyze_seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def section_sizes(total: int) -> dict[str, int]:
    """Split `total` items over the sections in the proportions of a typical plan, exactly."""
    weight = sum(SECTION_WEIGHTS.values())
    raw = {name: total * w / weight for name, w in SECTION_WEIGHTS.items()}
    sizes = {name: int(value) for name, value in raw.items()}
    by_remainder = sorted(
        raw, key=lambda name: (raw[name] - sizes[name], SECTION_WEIGHTS[name]), reverse=True
    )
    for name in by_remainder[: total - sum(sizes.values())]:
        sizes[name] += 1
    return sizes


# --------------------------------------------------------------------------- made-up wording


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GIVEN_NAMES = _words(
    "Ada Adel Aiko Alma Amara Ana Anders Andre Anh Aria Arjun Beatriz Ben Bianca Carlos Carmen Chen Chloe "
    "Dana Daniel Dario Darnell Deepa Diego Dmitri Elena Eli Emeka Emma Esther Fatima Felix Fiona Gabriel "
    "Grace Hana Hassan Hector Ines Ivan Jada Jamal James Jia Joao Jorge Jose Julia Kai Kamala Keisha Kenji "
    "Lars Layla Lena Leon Lila Linh Lucia Luis Maeve Malik Maria Mateo Maya Mei Miguel Mina Nadia Naomi Nia "
    "Noah Omar Oscar Pablo Priya Quinn Rafael Rania Rosa Ruth Samir Sara Sofia Tariq Thanh Theo Tomas Uma "
    "Victor Wei Yara Yusuf Zara Zoe"
)
FAMILY_NAMES = _words(
    "Abara Adams Ahmed Alvarez Anderson Baker Banerjee Bell Brooks Campbell Castillo Chang Chen Clark Cohen "
    "Collins Cruz Davis Diaz Dubois Edwards Evans Fernandez Fischer Flores Garcia Gomez Gonzalez Green Gupta "
    "Hall Harris Hernandez Hill Ho Hughes Ibrahim Jackson Jensen Johnson Jones Kaur Khan Kim King Kowalski "
    "Lee Lewis Lopez Martin Martinez Mendoza Miller Mitchell Moore Morales Morris Murphy Nakamura Nguyen "
    "Novak Okafor Oliveira Ortiz Park Patel Perez Peterson Phillips Pham Quinn Ramirez Reyes Rivera Roberts "
    "Robinson Rodriguez Rossi Sanchez Santos Schmidt Scott Silva Singh Smith Suzuki Taylor Thomas Thompson "
    "Torres Tran Turner Vargas Walker White Williams Wilson Wright Yamamoto Young Zhang"
)
CONDITIONS = (
    ("Type 2 diabetes", "E11.9"),
    ("High blood pressure", "I10"),
    ("Heart failure", "I50.9"),
    ("COPD", "J44.9"),
    ("Asthma", "J45.909"),
    ("Chronic kidney disease, stage 3", "N18.30"),
    ("Depression, recurrent", "F33.1"),
    ("Generalized anxiety", "F41.1"),
    ("Obesity", "E66.9"),
    ("High cholesterol", "E78.5"),
    ("Knee osteoarthritis", "M17.9"),
    ("Chronic low back pain", "M54.50"),
    ("Atrial fibrillation", "I48.91"),
    ("Insomnia", "G47.00"),
)
PART2_CONDITIONS = (("Alcohol use disorder, in remission", "F10.21"), ("Opioid use disorder", "F11.20"))
# (description, measure, unit, baseline, comparator, target); an empty measure is a goal without one.
GOALS = (
    ("Get my sugar down so I feel less tired.", "HbA1c", "%", 9.2, "<", 8.0),
    ("Keep my blood pressure in a safe range.", "Systolic blood pressure", "mmHg", 152, "<", 140),
    ("Lose some weight so my knees hurt less.", "Weight", "lb", 231, "<=", 215),
    ("Walk to the park and back without stopping.", "Walking minutes per day", "min", 5, ">=", 20),
    ("Feel less down most days.", "PHQ-9", "score", 16, "<", 10),
    ("Worry less about everything.", "GAD-7", "score", 14, "<", 8),
    ("Keep my kidneys working as long as I can.", "eGFR", "mL/min", 47, ">=", 45),
    ("Lower my cholesterol.", "LDL cholesterol", "mg/dL", 161, "<", 100),
    ("Cook dinner at home more often.", "Home-cooked dinners per week", "meals", 2, ">=", 5),
    ("Breathe easier on the stairs.", "", "", None, "", None),
    ("Sleep through the night.", "", "", None, "", None),
    ("Stay out of the hospital this winter.", "", "", None, "", None),
    ("Dance at my grandson's wedding.", "", "", None, "", None),
)
STEPS = (
    "Walk 20 minutes after dinner.",
    "Check blood sugar before breakfast and write it down.",
    "Bring all pill bottles to the next visit.",
    "Call the pharmacy to set up automatic refills.",
    "Try the breathing exercise when anxious.",
    "Book the eye exam.",
    "Weigh in every morning and call if up 3 lb in a day.",
    "Go to the Tuesday cooking class.",
    "Fill the weekly pill organizer on Sundays.",
    "Ask the daughter to come to the next visit.",
    "Set a bedtime alarm for 10:30.",
    "Swap soda for water at lunch.",
    "Schedule the sleep study.",
    "Fill out the food assistance application.",
)
MEDICATIONS = (
    ("Metformin", "tablet", "500 mg", "by mouth", "twice a day with meals", "Diabetes"),
    ("Lisinopril", "tablet", "10 mg", "by mouth", "once a day", "Blood pressure"),
    ("Atorvastatin", "tablet", "40 mg", "by mouth", "once a day at bedtime", "Cholesterol"),
    ("Furosemide", "tablet", "20 mg", "by mouth", "every morning", "Heart failure"),
    ("Apixaban", "tablet", "5 mg", "by mouth", "twice a day", "Atrial fibrillation"),
    ("Sertraline", "tablet", "50 mg", "by mouth", "once a day", "Depression"),
    ("Albuterol", "inhaler", "2 puffs", "inhaled", "every 4 hours as needed", "Shortness of breath"),
    ("Tiotropium", "inhaler", "2 puffs", "inhaled", "once a day", "COPD"),
    ("Insulin glargine", "pen", "18 units", "under the skin", "at bedtime", "Diabetes"),
    ("Amlodipine", "tablet", "5 mg", "by mouth", "once a day", "Blood pressure"),
    ("Acetaminophen", "tablet", "500 mg", "by mouth", "up to 3 times a day as needed", "Knee pain"),
    ("Buprenorphine-naloxone", "sublingual film", "8 mg-2 mg", "under the tongue", "once a day", "MOUD"),
    ("Melatonin", "tablet", "3 mg", "by mouth", "at bedtime", "Sleep"),
    ("Vitamin D3", "capsule", "1000 units", "by mouth", "once a day", "Low vitamin D"),
)
SYMPTOMS = (
    (
        "Low blood sugar",
        "Sugar between 80 and 180.",
        "Shaky, sweaty, sugar under 70.",
        "Confused or passing out.",
    ),
    (
        "Shortness of breath",
        "Breathing easy at rest.",
        "Short of breath walking to the bathroom.",
        "Can't speak a sentence.",
    ),
    (
        "Swelling and weight gain",
        "Weight steady.",
        "Up 3 lb in a day or 5 lb in a week.",
        "Short of breath lying down.",
    ),
    (
        "Chest pain",
        "No chest pain.",
        "Pain with effort that stops with rest.",
        "Pain at rest or lasting 5 minutes.",
    ),
    (
        "Low mood",
        "Doing usual things.",
        "Two weeks of low mood or poor sleep.",
        "Thoughts of harming yourself.",
    ),
)
SERVICES = (
    (CommunityService.Category.FOOD, "Eastside Food Pantry"),
    (CommunityService.Category.TRANSPORTATION, "Ride Connect"),
    (CommunityService.Category.HOUSING, "Housing Help Desk"),
    (CommunityService.Category.PEER_SUPPORT, "Harbor Peer Recovery"),
    (CommunityService.Category.SELF_HELP_GROUP, "Tuesday Walking Group"),
    (CommunityService.Category.BEHAVIORAL_THERAPY, "Riverside Counseling"),
    (CommunityService.Category.HOME_CARE, "Helping Hands Home Care"),
    (CommunityService.Category.CAREGIVER_SUPPORT, "Caregiver Circle"),
    (CommunityService.Category.UTILITIES, "Energy Assistance Program"),
    (CommunityService.Category.SPECIALIST, "Heart Specialists"),
)
OUTSIDERS = (
    ("Dr. Ivy Lund", "Heart Specialists", CareTeamMember.OutsideRole.SPECIALIST, "Manages heart medicines."),
    (
        "Dr. Omar Reyes",
        "Kidney Care Clinic",
        CareTeamMember.OutsideRole.SPECIALIST,
        "Follows kidney function.",
    ),
    ("Daughter", "", CareTeamMember.OutsideRole.CAREGIVER, "Drives to visits and fills the pill box."),
    ("Harbor Peer Recovery", "Harbor", CareTeamMember.OutsideRole.COMMUNITY_PARTNER, "Weekly peer check-in."),
    ("Main Street Pharmacy", "", CareTeamMember.OutsideRole.PHARMACY, "Blister packs and refills."),
    ("Sam Ortiz, LMHC", "Riverside Counseling", CareTeamMember.OutsideRole.COUNSELOR, "Weekly therapy."),
)
EDUCATION = (
    "Checking blood sugar at home",
    "Using an inhaler with a spacer",
    "Reading food labels for salt",
    "Daily weights for heart failure",
    "What to do for low blood sugar",
    "Taking blood thinners safely",
    "Naloxone: when and how",
    "Sleep habits that help",
    "Foot care with diabetes",
    "Home blood pressure checks",
)
WHAT_MATTERS = (
    "Being able to walk my granddaughter to school.",
    "Keeping my job at the bakery.",
    "Staying in my own home.",
    "Gardening again this summer.",
    "Not ending up in the hospital again.",
    "Being there for my kids.",
    "Traveling to see my sister in the spring.",
    "Feeling like myself again.",
)
# Choices as tuples: Django's `.values` builds a new list on every access.
LANGUAGES = tuple(Language.values)
PLAN_STATUSES = tuple(CarePlan.Status.values)
REVIEW_CONTEXTS = tuple(PlanReview.Context.values)
GOAL_KINDS = tuple(Goal.Kind.values)
GOAL_TERMS = tuple(Goal.Term.values)
ACHIEVEMENTS = tuple(Goal.Achievement.values)
PRIORITIES = tuple(Goal.Priority.values)
MEASUREMENT_SOURCES = tuple(GoalMeasurement.Source.values)
REVIEW_SUMMARIES = (
    "Reviewed goals and medicines; sugar improving.",
    "Blood pressure above target; medicine adjusted.",
    "Patient feels better; continue the plan.",
    "Missed two appointments; transport arranged.",
    "Mood improving with counseling.",
)


# --------------------------------------------------------------------------- COPY plumbing


class _Table:
    """The rows waiting to be copied into one model's table, with every field's default filled in."""

    def __init__(self, model: type[models.Model]) -> None:
        fields = model._meta.concrete_fields
        self.model = model
        self.name = model._meta.db_table
        self.attnames = [f.attname for f in fields]
        self.columns = [f.column for f in fields]
        # Callable defaults (uuid4, timezone.now) are always given explicitly below.
        self.defaults = {f.attname: None if f.primary_key else f.get_default() for f in fields}
        self.rows: list[tuple[Any, ...]] = []

    def add(self, **values: Any) -> None:
        if not values.keys() <= self.defaults.keys():
            raise TypeError(f"{self.model.__name__} has no field {set(values) - set(self.defaults)}")
        row = self.defaults | values
        self.rows.append(tuple(row[name] for name in self.attnames))

    def last(self, name: str) -> Any:
        return self.rows[-1][self.attnames.index(name)]

    def set_on_last(self, **values: Any) -> None:
        """Fill in columns of the row added last (derived ones, known only after the rows it derives from)."""
        row = list(self.rows[-1])
        for name, value in values.items():
            row[self.attnames.index(name)] = value
        self.rows[-1] = tuple(row)

    def copy(self, cursor: Any) -> list[Any]:
        """Copy the waiting rows into the table; return their primary keys."""
        if not self.rows:
            return []
        columns = ", ".join(f'"{column}"' for column in self.columns)
        with cursor.copy(f'COPY "{self.name}" ({columns}) FROM STDIN') as copy:
            for row in self.rows:
                copy.write_row(row)
        pk = self.attnames.index(self.model._meta.pk.attname)
        keys = [row[pk] for row in self.rows]
        self.rows = []
        return keys


class _TriggerWork:
    """What the row triggers of one table do on INSERT, done once for a whole chunk of copied rows.

    With the triggers switched off for the loading transaction (`session_replication_role = replica`),
    a chunk's rows are copied first, then a statement or two per table write what the triggers would
    have written, read back from the rows just copied: the pghistory insert event of every row (the
    same columns, label and context), a reminder recheck on the tables the reminder sweep watches,
    and the page stamp of every plan. Every row of a chunk belongs to one of the chunk's plans, so the
    plans' own stamps stand for all of them (the triggers would have bumped each several times). The
    foreign-key checks are triggers too, and are off with them: the rows refer only to ids the builder
    reserved or created itself.
    """

    def __init__(self, model: type[models.Model]) -> None:
        table = model._meta.db_table
        pk = model._meta.pk.column
        event = model.pgh_event_model  # type: ignore[attr-defined]
        tracked = [f.column for f in event._meta.concrete_fields if not f.name.startswith("pgh_")]
        columns = ", ".join(f'"{column}"' for column in tracked)
        history = (
            f'INSERT INTO "{event._meta.db_table}" ({columns}, pgh_created_at, pgh_label, pgh_obj_id, '
            f"pgh_context_id) SELECT {columns}, now(), 'insert', \"{pk}\", %(context)s "
            f'FROM "{table}" WHERE "{pk}" = ANY(%(keys)s)'
        )
        self.statements = [history] + [
            "INSERT INTO careplans_reminderrecheck (subject, ref, queued_at) "
            f'SELECT \'{subject.name}\', "{pk}"::text, now() FROM "{table}" WHERE "{pk}" = ANY(%(keys)s)'
            for subject in reminders.SUBJECTS
            if subject.table == table
        ]
        # The page stamps (migrations careplans 0013 and 0015): each new plan's, each new patient's team's.
        stamp = {CarePlan: "id::text", Patient: "DISTINCT 'team-' || team_id"}.get(model)
        if stamp:
            self.statements.append(
                f'INSERT INTO careplans_pagestamp (key, seq) SELECT {stamp}, 1 FROM "{table}" WHERE "{pk}" = '
                "ANY(%(keys)s) ON CONFLICT (key) DO UPDATE SET seq = careplans_pagestamp.seq + 1"
            )

    def run(self, cursor: Any, keys: list[Any], context: str) -> None:
        if not keys:
            return
        for statement in self.statements:
            cursor.execute(statement, {"keys": keys, "context": context})


class _Ids:
    """Ids from a table's sequence, reserved in blocks so rows can refer to each other before they are copied.

    `nextval` hands each value out once, so loaders working side by side never share an id.
    """

    BLOCK = 5_000

    def __init__(self, model: type[models.Model]) -> None:
        self.table = model._meta.db_table
        self.reserved: list[int] = []

    def __call__(self) -> int:
        if not self.reserved:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.table, self.BLOCK],
                )
                self.reserved = sorted((row[0] for row in cursor.fetchall()), reverse=True)
        return self.reserved.pop()


# --------------------------------------------------------------------------- the builder


def build(options: ScaleOptions, *, progress: Callable[[str], None] = lambda line: None) -> ScaleResult:
    """Load the scale practice. Raises ScaleDataConflict when the database is not fit for it.

    Call outside a transaction when `options.workers` > 1: each worker process commits its own chunks.
    """
    if Organization.objects.filter(slug=ORGANIZATION_SLUG).exists():
        raise ScaleDataConflict(
            f"The scale organization {ORGANIZATION_SLUG!r} already exists. Records cannot be deleted, so "
            "to build a different data set, create a new database and point DATABASE_URL at it."
        )
    if Patient.objects.exists():
        raise ScaleDataConflict(
            "This database already has patients. Scale data can never be deleted, so it goes into a "
            "database of its own, for example DATABASE_URL=postgresql://.../careweave_bench."
        )
    started = time.monotonic()
    builder = _Builder(options)
    with transaction.atomic():
        builder.people()
    progress(
        "The row triggers are off while a chunk is copied; their history events, reminder rechecks and "
        "page stamps are written once per chunk."
        if builder.replay_triggers
        else "The row triggers fire on every row."
    )
    chunk = options.chunk or (CHUNK_REPLAYED if builder.replay_triggers else CHUNK_WITH_TRIGGERS)
    chunks = [(first, min(chunk, options.patients - first)) for first in range(0, options.patients, chunk)]
    result = ScaleResult()
    report_every = max(options.patients // 20, 1)
    done = reported = 0
    for rows in _load_chunks(builder, chunks, workers=options.workers):
        for table, count in rows.items():
            result.rows[table] = result.rows.get(table, 0) + count
        done += rows[Patient._meta.db_table]
        if done - reported >= report_every or done == options.patients:
            reported = done
            progress(f"{done:>9,} patients  {time.monotonic() - started:7.1f} s")
    result.seconds = time.monotonic() - started
    analyzed = time.monotonic()
    with connection.cursor() as cursor:
        # Fresh statistics (and, outside a transaction, visibility maps), so the first benchmark sees
        # what a settled database would.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        for table in builder.tables.values():
            cursor.execute(f'{command} "{table.name}"')
        # The few rows of teams and people too: without statistics PostgreSQL guesses that the care
        # manager has one membership, not 40, and plans every-team queries for one team (autovacuum would
        # catch up eventually, and is off on some development servers).
        for model in (User, Team, Membership, Organization):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    result.analyze_seconds = time.monotonic() - analyzed
    return result


_worker_builder: _Builder | None = None


def _load_chunks(
    builder: _Builder, chunks: list[tuple[int, int]], *, workers: int
) -> Iterator[dict[str, int]]:
    """Load each (first, count) chunk of patients in its own transaction; yield the rows of each."""
    global _worker_builder
    if workers <= 1 or len(chunks) <= 1:
        for first, count in chunks:
            yield builder.load(first, count)
        return
    # Each forked worker opens its own database connection; the parent's must not be shared with them.
    connections.close_all()
    _worker_builder = builder
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap_unordered(_load_in_worker, chunks)
    _worker_builder = None


def _load_in_worker(chunk: tuple[int, int]) -> dict[str, int]:
    assert _worker_builder is not None
    return _worker_builder.load(*chunk)


class _Builder:
    def __init__(self, options: ScaleOptions) -> None:
        if not options.teams:
            options = replace(options, teams=max(1, round(options.patients / PATIENTS_PER_TEAM)))
        self.options = options
        self.rng = random.Random(options.seed)  # reseeded for each patient: see `patient`
        self.context_id = str(uuid.uuid4())
        self.tz = timezone.get_current_timezone()
        self.today = timezone.localdate()
        self.now = timezone.now()
        models_in_order = (
            Patient,
            RelatedPerson,
            CarePlan,
            Problem,
            Goal,
            GoalProblem,
            GoalMeasurement,
            ActionStep,
            Medication,
            SymptomPlan,
            InformationRelease,
            CommunityService,
            CareTeamMember,
            EducationTopic,
            SharedDecision,
            PlanReview,
        )
        self.tables = {model: _Table(model) for model in models_in_order}
        self.ids = {model: _Ids(model) for model in models_in_order if model not in (Patient, CarePlan)}
        self.trigger_work = {model: _TriggerWork(model) for model in models_in_order}
        self.replay_triggers = options.replay_triggers and may_switch_off_triggers()

    # ----------------------------------------------------------- practice, teams and people (a few rows)

    def people(self) -> None:
        self.seeder = User.objects.create(
            username=SEEDER_USERNAME, first_name="Scale", last_name="Seeder", is_active=False
        )
        self.seeder.set_unusable_password()
        self.seeder.save(update_fields=["password"])
        self.seeder_id = self.seeder.pk
        stamp = {"created_by": self.seeder, "updated_by": self.seeder}
        self.organization = Organization.objects.create(
            name=ORGANIZATION_NAME, slug=ORGANIZATION_SLUG, phone="555-0100", **stamp
        )
        # Two benchmark logins: a nurse care manager on the first team (a realistic panel) and a practice
        # care manager on every team, who sees every scale patient.
        lead = _user(LEAD_USERNAME, "Lee", "Scale", "RN")
        started_on = self.today - datetime.timedelta(days=800)
        self.teams: list[tuple[int, dict[str, int]]] = []  # (team id, user id by role)
        for number in range(self.options.teams):
            name = TEAM_NAMES[number % len(TEAM_NAMES)]
            name += f" {number // len(TEAM_NAMES) + 1}" if number >= len(TEAM_NAMES) else ""
            team = Team.objects.create(
                organization=self.organization,
                name=f"{name} Team",
                approach=self.rng.choice(Team.Approach.values),
                **stamp,
            )
            members = {}
            for role in TEAM_ROLES:
                if number == 0 and role == CareRole.NURSE_CARE_MANAGER:
                    user = _user(NURSE_USERNAME, "Sky", "Scale", "RN")
                else:
                    slug = name.lower().replace(" ", "")
                    user = _user(f"scale.{slug}.{role}", name, role.label.split()[0], "")
                members[role] = user.pk
                Membership.objects.create(user=user, team=team, role=role, started_on=started_on, **stamp)
            Membership.objects.create(
                user=lead, team=team, role=CareRole.NURSE_CARE_MANAGER, started_on=started_on, **stamp
            )
            self.teams.append((team.pk, members))
        self.context_metadata = json.dumps(
            {"user": self.seeder.pk, "command": "seed_scale", "seed": self.options.seed}
        )

    def load(self, first: int, count: int) -> dict[str, int]:
        """Copy patients `first` to `first + count - 1` with their plans in one transaction.

        Where the database role may, the row triggers are switched off for the transaction and
        `_TriggerWork` writes what they would have, a statement per table for the whole chunk. Otherwise
        the triggers fire on every row. Each run of a pghistory trigger enters two PL/pgSQL exception
        blocks (pgtrigger's ignore check and pghistory's context lookup), that is two subtransactions,
        and their cost grows with the number already in the transaction: measured here, 36 us a row
        for 500 rows in a transaction and 88 us for 4,000, against 4 us with no trigger. So with the
        triggers on, chunks stay small (`ScaleOptions.chunk`).
        """
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")  # a crash loses at most the last chunks
            if self.replay_triggers:
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute(
                    "INSERT INTO pghistory_context (id, metadata, created_at, updated_at) "
                    "VALUES (%s, %s, now(), now()) ON CONFLICT (id) DO NOTHING",
                    [self.context_id, self.context_metadata],
                )
            else:
                # Every history event of the run shares one context naming the command and the scale user.
                cursor.execute(
                    "SELECT set_config('pghistory.context_id', %s, true), "
                    "set_config('pghistory.context_metadata', %s, true)",
                    [self.context_id, self.context_metadata],
                )
            for index in range(first, first + count):
                self.patient(index)
            rows = {table.name: len(table.rows) for table in self.tables.values()}
            for model, table in self.tables.items():
                keys = table.copy(cursor)
                if self.replay_triggers:
                    self.trigger_work[model].run(cursor, keys, self.context_id)
            if self.replay_triggers:
                cursor.execute("SET LOCAL session_replication_role = origin")  # see `may_switch_off_triggers`
        return rows

    # ----------------------------------------------------------- one patient and their plan

    def stamp(self, created: datetime.datetime) -> dict[str, Any]:
        return {
            "version": 1,
            "created_at": created,
            "created_by_id": self.seeder_id,
            "updated_at": created,
            "updated_by_id": self.seeder_id,
        }

    def days_ago(self, low: int, high: int) -> datetime.date:
        return self.today - datetime.timedelta(days=self.rng.randint(low, high))

    def moment(self, day: datetime.date) -> datetime.datetime:
        minutes = self.rng.randint(0, 600)
        return datetime.datetime.combine(day, datetime.time(8 + minutes // 60, minutes % 60), tzinfo=self.tz)

    def patient(self, index: int) -> None:
        # A generator per patient: the data does not depend on how the patients are split among workers.
        self.rng = rng = random.Random(f"{self.options.seed}:{index}")
        options = self.options
        team_id, members = self.teams[index % len(self.teams)]
        patient_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        registered = self.days_ago(200, 2000)
        active = rng.random() >= 0.03
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        self.tables[Patient].add(
            id=patient_id,
            organization_id=self.organization.pk,
            team_id=team_id,
            mrn=f"SC{index + 1:07d}",
            given_name=given,
            family_name=family,
            preferred_name=rng.choice(GIVEN_NAMES) if rng.random() < 0.08 else "",
            date_of_birth=self.days_ago(30 * 365, 92 * 365),
            sex_at_birth=rng.choice(("female", "male", "female", "male", "unknown")),
            preferred_language=rng.choices(LANGUAGES, weights=(70, 15, 3, 3, 2, 2, 2, 2, 1))[0],
            interpreter_needed=rng.random() < 0.1,
            phone=f"555-{rng.randint(0, 9999):04d}",
            large_print=rng.random() < 0.07,
            status=Patient.Status.ACTIVE if active else Patient.Status.INACTIVE,
            status_reason="" if active else "Moved out of the area.",
            **self.stamp(self.moment(registered)),
        )
        for number in range(rng.choice((0, 1, 1, 2))):
            self.tables[RelatedPerson].add(
                id=self.ids[RelatedPerson](),
                patient_id=patient_id,
                name=f"{rng.choice(GIVEN_NAMES)} {family}",
                relationship=rng.choice(("daughter", "son", "spouse", "sister", "friend")),
                phone=f"555-{rng.randint(0, 9999):04d}",
                is_caregiver=number == 0,
                is_emergency_contact=number == 0,
                may_receive_information=rng.random() < 0.7,
                **self.stamp(self.moment(registered)),
            )
        large = rng.random() * 100 < options.large_percent
        size = options.large_items if large else max(0, options.items + rng.randint(-10, 10))
        self.plan(patient_id, team_id, members, registered, size, ended_share=0.45 if large else 0.15)

    def plan(
        self,
        patient_id: uuid.UUID,
        team_id: int,
        members: dict[str, int],
        started: datetime.date,
        size: int,
        ended_share: float,
    ) -> None:
        rng = self.rng
        plan_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        status = rng.choices(PLAN_STATUSES, weights=(4, 90, 3, 2, 1))[0]
        high_risk = rng.random() < 0.2
        interval = 30 if high_risk else 90
        reviewed = (
            self.reviews(plan_id, members, started, interval) if status != CarePlan.Status.DRAFT else None
        )
        self.tables[CarePlan].add(
            id=plan_id,
            patient_id=patient_id,
            status=status,
            status_reason="" if status in ("draft", "active") else "Set by the care team.",
            what_matters_most=rng.choice(WHAT_MATTERS),
            strengths="Motivated; a supportive family.",
            care_preferences="Prefers phone calls in the morning.",
            risk_tier=RiskTier.HIGH if high_risk else RiskTier.STANDARD,
            next_review_due=reviewed.next_review_due if reviewed else None,
            last_reviewed_at=reviewed.reviewed_at if reviewed else None,
            responsible_member_id=members[CareRole.NURSE_CARE_MANAGER],
            worklist_team_id=team_id,  # as the trigger of migration 0016 would: the triggers may be off
            **self.stamp(self.moment(started)),
        )
        context = _PlanContext(
            plan_id=plan_id, team_id=team_id, members=members, started=started, ended_share=ended_share
        )
        sizes = section_sizes(size)
        # Problems and releases first: goals and services refer to them.
        for name in (
            "problem",
            "release",
            "goal",
            "step",
            "medication",
            "symptom",
            "service",
            "care_team",
            "education",
            "decision",
        ):
            add = getattr(self, f"add_{name}")
            for number in range(sizes[name]):
                add(context, number)

    def reviews(
        self, plan_id: uuid.UUID, members: dict[str, int], started: datetime.date, interval: int
    ) -> Any:
        """A few past reviews; the last one set the next due date, which is past for about one plan in five."""
        rng = self.rng
        last = self.today - datetime.timedelta(days=rng.randint(0, int(interval * 1.25)))
        review = None
        for back in reversed(range(rng.randint(1, 4))):
            day = max(started, last - datetime.timedelta(days=back * interval))
            reviewer_role = rng.choice((CareRole.PHYSICIAN, CareRole.NURSE_CARE_MANAGER, CareRole.NP_PA))
            review = _Review(
                reviewed_at=self.moment(day), next_review_due=day + datetime.timedelta(days=interval)
            )
            self.tables[PlanReview].add(
                id=self.ids[PlanReview](),
                plan_id=plan_id,
                reviewed_at=review.reviewed_at,
                reviewer_id=members[reviewer_role],
                reviewer_role=reviewer_role,
                context=rng.choice(REVIEW_CONTEXTS),
                patient_present=rng.random() < 0.8,
                summary=rng.choice(REVIEW_SUMMARIES),
                next_review_due=review.next_review_due,
            )
        return review

    def item(self, context: _PlanContext, status: str, ended: tuple[str, ...]) -> dict[str, Any]:
        """The fields every plan item shares; a share of items is ended, with a reason."""
        created = self.moment(context.started + datetime.timedelta(days=self.rng.randint(0, 150)))
        values = {"plan_id": context.plan_id, **self.stamp(created)}
        if ended and self.rng.random() < context.ended_share:
            values |= {
                "status": self.rng.choice(ended),
                "status_reason": "No longer needed.",
                "status_changed_at": created,
            }
        else:
            values["status"] = status
        return values

    def responsible(self, context: _PlanContext) -> dict[str, Any]:
        party = self.rng.choices(("patient", "team_member", "caregiver"), weights=(5, 4, 1))[0]
        member = self.rng.choice(context.member_ids) if party == "team_member" else None
        return {"responsible_party": party, "responsible_member_id": member}

    def add_problem(self, context: _PlanContext, number: int) -> None:
        part2 = self.rng.random() < 0.04
        condition, code = self.rng.choice(PART2_CONDITIONS if part2 else CONDITIONS)
        problem_id = self.ids[Problem]()
        context.problems.append(problem_id)
        self.tables[Problem].add(
            id=problem_id,
            part2_protected=part2,
            condition=condition,
            code=code,
            onset_date=self.days_ago(400, 5000),
            expected_outcome="Stable, with fewer bad days.",
            prognosis="Good with steady treatment.",
            **self.item(context, Problem.Status.ACTIVE, ("resolved", "inactive")),
        )

    def add_goal(self, context: _PlanContext, number: int) -> None:
        rng = self.rng
        description, measure, unit, baseline, comparator, target = rng.choice(GOALS)
        goal_id = self.ids[Goal]()
        context.goals.append(goal_id)
        baseline_date = self.days_ago(120, 400)
        self.tables[Goal].add(
            id=goal_id,
            worklist_team_id=context.team_id,
            description=description,
            kind=rng.choice(GOAL_KINDS),
            term=rng.choice(GOAL_TERMS),
            measure=measure,
            unit=unit,
            baseline_value=Decimal(str(baseline)) if measure else None,
            baseline_date=baseline_date if measure else None,
            target_comparator=comparator,
            target_value=Decimal(str(target)) if measure else None,
            target_date=self.today + datetime.timedelta(days=rng.randint(-30, 240)),
            achievement_status=rng.choice(ACHIEVEMENTS),
            priority=rng.choice(PRIORITIES),
            next_review_on=self.today + datetime.timedelta(days=rng.randint(-20, 90)),
            **self.responsible(context),
            **self.item(context, Goal.Status.ACTIVE, ("completed", "cancelled")),
        )
        if context.problems:
            self.tables[GoalProblem].add(
                id=self.ids[GoalProblem](), goal_id=goal_id, problem_id=rng.choice(context.problems)
            )
        if measure:
            value = float(baseline)
            measured_on = []
            for month in range(rng.randint(2, 6), 0, -1):
                value += (float(target) - value) * rng.uniform(-0.1, 0.4)
                measured_on.append(self.today - datetime.timedelta(days=month * 30 + rng.randint(0, 20)))
                self.tables[GoalMeasurement].add(
                    id=self.ids[GoalMeasurement](),
                    goal_id=goal_id,
                    value=Decimal(f"{value:.1f}"),
                    measured_on=measured_on[-1],
                    source=rng.choice(MEASUREMENT_SOURCES),
                    status=GoalMeasurement.Status.FINAL,
                    **self.stamp(self.now),
                )
            # What careplans.services keeps when a measurement is recorded.
            self.tables[Goal].set_on_last(last_measured_on=max(measured_on))

    def add_step(self, context: _PlanContext, number: int) -> None:
        rng = self.rng
        self.tables[ActionStep].add(
            id=self.ids[ActionStep](),
            goal_id=rng.choice(context.goals) if context.goals and rng.random() < 0.8 else None,
            description=rng.choice(STEPS),
            # Open steps due before today are overdue: about a quarter of them.
            due_date=self.today + datetime.timedelta(days=rng.randint(-45, 120)),
            **self.responsible(context),
            **self.item(context, rng.choice(("planned", "in_progress")), ("done", "cancelled")),
        )

    def add_medication(self, context: _PlanContext, number: int) -> None:
        name, formulation, dose, route, frequency, indication = self.rng.choice(MEDICATIONS)
        self.tables[Medication].add(
            id=self.ids[Medication](),
            part2_protected=indication == "MOUD",
            name=name,
            formulation=formulation,
            dose=dose,
            route=route,
            frequency=frequency,
            indication=indication,
            prescriber=f"Dr. {self.rng.choice(FAMILY_NAMES)}",
            start_date=self.days_ago(30, 2000),
            patient_instructions="Take with a full glass of water.",
            **self.item(context, Medication.Status.ACTIVE, ("stopped", "completed")),
        )

    def add_symptom(self, context: _PlanContext, number: int) -> None:
        symptom, green, yellow, red = SYMPTOMS[number % len(SYMPTOMS)]
        self.tables[SymptomPlan].add(
            id=self.ids[SymptomPlan](),
            symptom=symptom,
            green_signs=green,
            green_actions="Keep taking your medicines and keep moving.",
            yellow_signs=yellow,
            yellow_actions="Call the clinic nurse line today.",
            red_signs=red,
            red_actions="Call 911.",
            whom_to_call="Clinic nurse line",
            call_phone="555-0100",
            **self.item(context, SymptomPlan.Status.ACTIVE, ("retired",)),
        )

    def add_release(self, context: _PlanContext, number: int) -> None:
        signed = self.days_ago(10, 500)
        release_id = self.ids[InformationRelease]()
        context.releases.append(release_id)
        part2 = self.rng.random() < 0.1
        self.tables[InformationRelease].add(
            id=release_id,
            part2_protected=part2,
            covers_part2=part2,
            recipient_name=self.rng.choice(SERVICES)[1],
            purpose="Coordinate care with the primary care team.",
            information_scope="Diagnoses, medications and the care plan.",
            signed_by="The patient",
            signed_on=signed,
            expires_on=signed + datetime.timedelta(days=365),
            risks_and_benefits_discussed=True,
            **self.item(context, InformationRelease.Status.ACTIVE, ("expired", "revoked")),
        )

    def add_service(self, context: _PlanContext, number: int) -> None:
        rng = self.rng
        category, organization = rng.choice(SERVICES)
        release = rng.choice(context.releases) if context.releases and rng.random() < 0.5 else None
        self.tables[CommunityService].add(
            id=self.ids[CommunityService](),
            worklist_team_id=context.team_id,
            category=category,
            organization_name=organization,
            phone=f"555-{rng.randint(0, 9999):04d}",
            service_details="Weekly, as arranged with the patient.",
            permission_to_exchange=release is not None,
            release_id=release,
            referred_on=self.days_ago(5, 300),
            next_review_on=self.today + datetime.timedelta(days=rng.randint(-10, 60)),
            **self.responsible(context),
            **self.item(
                context, rng.choice(("recommended", "referred", "active")), ("completed", "declined")
            ),
        )
        services = self.tables[CommunityService]
        services.set_on_last(waiting_since=services.last("referred_on"))  # as CommunityService keeps it

    def add_care_team(self, context: _PlanContext, number: int) -> None:
        members = list(context.members.items())
        if number < len(members):  # each team member at most once: one active role per user per plan
            role, user_id = members[number]
            values = {
                "user_id": user_id,
                "role": role,
                "responsibilities": "Works on this plan with the team.",
            }
            status = {"status": CareTeamMember.Status.ACTIVE, "status_reason": ""}
        else:
            name, organization, role, duties = self.rng.choice(OUTSIDERS)
            values = {"name": name, "organization": organization, "role": role, "responsibilities": duties}
            status = {}
        self.tables[CareTeamMember].add(
            id=self.ids[CareTeamMember](),
            is_primary_contact=number == 0,
            **values,
            **(self.item(context, CareTeamMember.Status.ACTIVE, ("ended",)) | status),
        )

    def add_education(self, context: _PlanContext, number: int) -> None:
        self.tables[EducationTopic].add(
            id=self.ids[EducationTopic](),
            topic=self.rng.choice(EDUCATION),
            material="Handout",
            delivered_by_id=self.rng.choice(context.member_ids),
            delivered_on=self.days_ago(1, 400),
            teach_back_confirmed=self.rng.random() < 0.7,
            **self.item(context, EducationTopic.Status.ACTIVE, ("retired",)),
        )

    def add_decision(self, context: _PlanContext, number: int) -> None:
        self.tables[SharedDecision].add(
            id=self.ids[SharedDecision](),
            question="Start a new medicine, or keep the current plan for three more months?",
            options="Start the medicine: faster effect; side effects in some\nKeep the plan: no new pills; slower",
            only_one_option_reason="",
            decision_aid="",
            patient_values="Wants fewer pills if the numbers allow it.",
            decision="Keep the current plan for three months.",
            decided_on=self.days_ago(1, 200),
            participants="The patient and the care manager",
            revisit_on=None,
            goal_id=None,
            problem_id=None,
            **self.item(context, SharedDecision.Status.ACTIVE, ("superseded",)),
        )


@dataclass
class _PlanContext:
    plan_id: uuid.UUID
    team_id: int
    members: dict[str, int]
    started: datetime.date
    ended_share: float
    problems: list[int] = field(default_factory=list)
    goals: list[int] = field(default_factory=list)
    releases: list[int] = field(default_factory=list)

    @property
    def member_ids(self) -> tuple[int, ...]:
        return tuple(self.members.values())


@dataclass(frozen=True)
class _Review:
    reviewed_at: datetime.datetime
    next_review_due: datetime.date


def may_switch_off_triggers() -> bool:
    """Whether this database role may set `session_replication_role` (superusers, or a role granted it)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            # Back on at once: inside an outer transaction, a LOCAL setting outlives this savepoint.
            cursor.execute("SET LOCAL session_replication_role = origin")
    except DatabaseError:
        return False
    return True


def _user(username: str, first_name: str, last_name: str, credentials: str) -> User:
    """A synthetic login with no usable password: the benchmark signs it in directly."""
    user = User(username=username, first_name=first_name, last_name=last_name, credentials=credentials)
    user.set_unusable_password()
    user.save()
    return user
