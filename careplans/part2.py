"""42 CFR Part 2: the rules for substance-use disorder records, in one place.

Every disclosure of Part 2 information outside the treating team (a printout for someone
other than the patient, a FHIR export) asks `may_disclose_part2` first and carries
`PART2_NOTICE`. A general release of information is not enough (42 CFR 2.31): the release
must say it covers Part 2 records. Revoking a release (`revoke_release`) takes effect at
once, so the very next disclosure that names it is refused.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from careplans.activity import note_plan_activity
from careplans.models import InformationRelease
from teams import selectors as teams
from teams.models import User
from teams.records import apply_changes, history_context, lock_at_version

#: The notice 42 CFR 2.32(a)(1) requires on every disclosure made with the patient's written consent.
#: English here (FHIR exports carry it as is); printouts translate it (`{% translate %}`, locale/).
PART2_NOTICE = gettext_noop(
    "This record which has been disclosed to you is protected by federal confidentiality rules "
    "(42 CFR part 2). The federal rules prohibit you from making any further disclosure of this record "
    "unless further disclosure is expressly permitted by the written consent of the individual whose "
    "information is being disclosed in this record or, is otherwise permitted by 42 CFR part 2. A general "
    "authorization for the release of medical or other information is NOT sufficient for this purpose "
    "(see 42 CFR 2.31). The federal rules restrict any use of the information to investigate or prosecute "
    "with regard to a crime any patient with a substance use disorder, except as provided at "
    "42 CFR 2.12(c)(5) and 2.65."
)


@dataclass(frozen=True)
class Decision:
    """Whether a release allows disclosing Part 2 information, and if not, why (in words for the user)."""

    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def may_disclose_part2(release: InformationRelease | None, on: datetime.date | None = None) -> Decision:
    """May Part 2 information be disclosed under `release` on `on` (today by default)?

    Reads the release as it is in the database now, so a revocation committed a moment ago
    is already seen. The answer is falsy with a `reason` the page or API can show as is.
    """
    on = on or timezone.localdate()
    if release is None:
        return Decision(False, "Substance-use disorder information needs a signed release that covers it.")
    if release.pk is not None:
        release = InformationRelease.objects.get(pk=release.pk)
    if not release.covers_part2:
        return Decision(
            False,
            f"The release to {release.recipient_name} is a general release; substance-use disorder "
            "information (42 CFR Part 2) needs a release that names it.",
        )
    if release.revoked_on is not None or release.status == InformationRelease.Status.REVOKED:
        return Decision(False, f"The release to {release.recipient_name} was revoked.")
    if not release.is_in_force(on):
        return Decision(False, f"The release to {release.recipient_name} is not in force (expired).")
    if release.signed_on and release.signed_on > on:
        return Decision(False, f"The release to {release.recipient_name} was not yet signed on {on}.")
    if not release.recipient_name.strip() or not release.purpose.strip():
        return Decision(False, "The release must name the recipient and the purpose.")
    return Decision(True)


def require_part2_release(release: InformationRelease | None, on: datetime.date | None = None) -> None:
    """Raise ValidationError (on the `release` field) unless `release` allows a Part 2 disclosure."""
    decision = may_disclose_part2(release, on)
    if not decision:
        raise ValidationError({"release": decision.reason})


@transaction.atomic
def revoke_release(
    *,
    release: InformationRelease,
    actor: User,
    reason: str,
    on: datetime.date | None = None,
    expected_version: int | None = None,
) -> InformationRelease:
    """Record the patient's revocation of a release; it stops every later disclosure at once.

    Sets `revoked_on` and the revoked status in one update, under the row lock, so a disclosure
    checked after this commits is refused. Revoking twice is refused (ValidationError).
    """
    if not teams.is_member(actor, release.plan.patient.team_id):
        raise PermissionDenied("You are not on this patient's team.")
    if not reason or not reason.strip():
        raise ValidationError({"status_reason": "Give a reason."})
    on = on or timezone.localdate()
    version = release.version if expected_version is None else expected_version
    locked = lock_at_version(release, expected_version=version)
    if locked.revoked_on is not None or locked.status == InformationRelease.Status.REVOKED:
        raise ValidationError({"status": "This release has already been revoked."})
    if locked.signed_on and on < locked.signed_on:
        raise ValidationError({"revoked_on": "The release cannot be revoked before it was signed."})
    with history_context(actor=actor, reason=reason.strip()):
        apply_changes(
            locked,
            actor=actor,
            changes={
                "revoked_on": on,
                "status": InformationRelease.Status.REVOKED,
                "status_reason": reason.strip(),
                "status_changed_at": timezone.now(),
            },
            editable=("revoked_on", "status", "status_reason", "status_changed_at"),
        )
        note_plan_activity(plan=locked.plan_id, actor=actor, summary="recorded a revoked release")
    return locked
