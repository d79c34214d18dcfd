"""The authorization policy: who may call each page and each API operation, GET and POST (and PATCH).

This table is the contract `tests/test_authorization_sweep.py` checks every URL against: a URL
name missing here fails the build, so a new page or API operation is denied until someone
writes down who may call it. The predicates that enforce the "who" are in `teams/rules.py`;
the scoping (a record of another team is a 404) is in each app's `selectors.py`.
`docs/security.md` carries the same tables for people: `python -m config.policy` prints them,
and `tests/test_authorization_policy.py` checks the document still agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Who(StrEnum):
    """Who may make a call. Everything a caller reaches is still scoped to their own teams."""

    NOBODY = "nobody"  # the method is refused (405)
    ANYONE = "anyone"  # signed in or not: the sign-in page, and the survey with its one-use secret
    SIGNED_IN = "signed in"  # any signed-in user; shows only their own teams' patients and their own records
    OWNER = "owner"  # only the user the record belongs to (their notifications and tokens; their comments)
    TEAM = "team"  # an active member of the patient's team (or of the team named in the URL)
    SIGN_OFF = "sign-off role"  # a team member whose role is in the team's `sign_off_roles`
    STAFF = "staff"  # `is_staff` users (the API schema and its browser in production)
    PRIVACY_OFFICER = "privacy officer"  # users with User.is_privacy_officer set (in the admin)


@dataclass(frozen=True)
class Access:
    get: Who
    post: Who = Who.NOBODY
    patch: Who = Who.NOBODY
    about: str = ""

    def who(self, method: str) -> Who:
        return {"GET": self.get, "HEAD": self.get, "POST": self.post, "PATCH": self.patch}.get(
            method, Who.NOBODY
        )


ANYONE, SIGNED_IN, OWNER, TEAM, SIGN_OFF, STAFF, PRIVACY_OFFICER = (
    Who.ANYONE,
    Who.SIGNED_IN,
    Who.OWNER,
    Who.TEAM,
    Who.SIGN_OFF,
    Who.STAFF,
    Who.PRIVACY_OFFICER,
)

# The sections of a plan as the API names them (careplans.api.ITEM_VIEWSETS).
API_SECTIONS = (
    "problems",
    "goals",
    "action-steps",
    "medications",
    "symptom-plans",
    "community-services",
    "care-team",
    "information-releases",
    "education",
    "decisions",
)

PAGES: dict[str, Access] = {
    # Signing in and out (django-allauth). "login" and "logout" are the same views as account_login
    # and account_logout. The steps of signing in, and resetting a forgotten password, need no session.
    "login": Access(ANYONE, ANYONE, about="Sign in"),
    "logout": Access(
        ANYONE, ANYONE, about="Sign out: GET asks to confirm (signed out: to sign-in); POST signs out"
    ),
    "account_login": Access(ANYONE, ANYONE, about="Sign in (allauth's name for `login`)"),
    "account_logout": Access(ANYONE, ANYONE, about="Sign out (allauth's name for `logout`)"),
    "account_signup": Access(ANYONE, ANYONE, about="Closed: says sign-up is closed (staff make accounts)"),
    "account_inactive": Access(ANYONE, about="Says the account is inactive"),
    "account_confirm_login_code": Access(ANYONE, ANYONE, about="Sign-in by code (off: back to sign-in)"),
    "mfa_authenticate": Access(
        ANYONE, ANYONE, about="Second step of signing in: the TOTP or a recovery code"
    ),
    "account_reset_password": Access(ANYONE, ANYONE, about="Ask for a password-reset email"),
    "account_reset_password_done": Access(ANYONE, about="Says the reset email was sent"),
    "account_reset_password_from_key": Access(
        ANYONE, ANYONE, about="Set a new password with the emailed key"
    ),
    "account_reset_password_from_key_done": Access(ANYONE, about="Says the password was changed"),
    "account_confirm_email": Access(ANYONE, ANYONE, about="Confirm an email address with its key"),
    "account_email_verification_sent": Access(ANYONE, about="Says a confirmation email was sent"),
    # The caller's own account: password, email addresses, second factor (the password again first).
    "account_reauthenticate": Access(SIGNED_IN, SIGNED_IN, about="Enter the password again"),
    "account_request_reauthentication_code": Access(
        SIGNED_IN, SIGNED_IN, about="Re-authenticate by code (off)"
    ),
    "account_confirm_reauthentication_code": Access(
        SIGNED_IN, SIGNED_IN, about="Re-authenticate by code (off)"
    ),
    "account_email": Access(SIGNED_IN, SIGNED_IN, about="The caller's email addresses"),
    "account_change_password": Access(SIGNED_IN, SIGNED_IN, about="Change the caller's password"),
    "account_set_password": Access(SIGNED_IN, SIGNED_IN, about="Set a password (sends to change it)"),
    "mfa_index": Access(SIGNED_IN, about="The caller's second factors"),
    "mfa_reauthenticate": Access(SIGNED_IN, SIGNED_IN, about="Re-authenticate with the second factor"),
    "mfa_activate_totp": Access(SIGNED_IN, SIGNED_IN, about="Set up the caller's authenticator app"),
    "mfa_deactivate_totp": Access(SIGNED_IN, SIGNED_IN, about="Remove the caller's authenticator app"),
    "mfa_view_recovery_codes": Access(SIGNED_IN, about="The caller's recovery codes"),
    "mfa_generate_recovery_codes": Access(SIGNED_IN, SIGNED_IN, about="New recovery codes for the caller"),
    "mfa_download_recovery_codes": Access(SIGNED_IN, about="Download the caller's recovery codes"),
    "signed-in-again": Access(SIGNED_IN, about="Where signing in again in a new tab lands"),
    "home": Access(SIGNED_IN, about="Worklist and patient search: the caller's teams only"),
    "emergency-access": Access(
        SIGNED_IN, SIGNED_IN, about="Break-the-glass: an exact MRN in the caller's practice and a reason"
    ),
    "patient-access-report": Access(
        PRIVACY_OFFICER, about="Accounting of disclosures (403 to the team, 404 to anyone else)"
    ),
    # The caller's own things.
    "api-tokens": Access(SIGNED_IN, SIGNED_IN, about="The caller's API tokens; create one"),
    "revoke-api-token": Access(Who.NOBODY, OWNER, about="Revoke one of the caller's tokens"),
    "careplans:notifications": Access(SIGNED_IN, about="The caller's notifications"),
    "careplans:notification-badge": Access(SIGNED_IN, about="The caller's unread count"),
    "careplans:notifications-read-all": Access(Who.NOBODY, SIGNED_IN, about="Mark the caller's as read"),
    "careplans:notification-open": Access(OWNER, about="Open one of the caller's notifications"),
    "careplans:notification-detail": Access(OWNER, about="The items of one of the caller's notifications"),
    "careplans:notification-preferences": Access(SIGNED_IN, SIGNED_IN, about="The caller's preferences"),
    # One patient's plan: the patient's team only; anyone else gets a 404.
    "careplans:plan-detail": Access(TEAM, about="The care plan page"),
    "careplans:plan-history": Access(TEAM, about="The plan's timeline"),
    "careplans:plan-review": Access(TEAM, SIGN_OFF, about="Review mode; POST signs the plan off"),
    "careplans:plan-next-review": Access(Who.NOBODY, TEAM, about="Set the next review date by hand"),
    "careplans:plan-versions": Access(TEAM, about="Signed versions of the plan"),
    "careplans:plan-version": Access(TEAM, about="One signed version"),
    "careplans:review-correction": Access(Who.NOBODY, TEAM, about="Append a correction to a review"),
    "careplans:measures": Access(TEAM, TEAM, about="Screening instruments (PHQ-9, GAD-7, AHC)"),
    "careplans:plan-print": Access(TEAM, TEAM, about="Print the plan (a PDF made in the background)"),
    "careplans:printout-status": Access(TEAM, about="Whether a print is ready"),
    "careplans:printout-download": Access(TEAM, about="The printed PDF"),
    "careplans:plan-status": Access(TEAM, TEAM, about="The plan's status"),
    "careplans:plan-part": Access(TEAM, about="One part of the plan page"),
    "careplans:plan-part-edit": Access(TEAM, TEAM, about="Edit one part of the plan"),
    "careplans:person-new": Access(TEAM, TEAM, about="Add a related person"),
    "careplans:person-edit": Access(TEAM, TEAM, about="Edit a related person"),
    "careplans:person-end": Access(TEAM, TEAM, about="End a related person"),
    "careplans:measurement-new": Access(TEAM, TEAM, about="Record a goal's value"),
    "careplans:measurement-in-error": Access(TEAM, TEAM, about="Mark a value entered in error"),
    "careplans:goal-new": Access(TEAM, TEAM, about="Add a goal"),
    "careplans:goal-edit": Access(TEAM, TEAM, about="Edit a goal"),
    "careplans:item-new": Access(TEAM, TEAM, about="Add an item to a section"),
    "careplans:item-detail": Access(TEAM, about="One item"),
    "careplans:item-edit": Access(TEAM, TEAM, about="Edit an item"),
    "careplans:item-end": Access(TEAM, TEAM, about="End an item, with a reason"),
    "careplans:item-reopen": Access(TEAM, TEAM, about="Reopen an item, with a reason"),
    "careplans:item-history": Access(TEAM, about="An item's timeline"),
    "careplans:plan-comments": Access(TEAM, TEAM, about="The plan's comment thread"),
    "careplans:comment-retract": Access(OWNER, OWNER, about="Retract a comment (its author only)"),
    "careplans:item-comments": Access(TEAM, TEAM, about="An item's comment thread"),
    "careplans:plan-program": Access(TEAM, TEAM, about="CCM/PCM enrolment"),
    "careplans:enrolment-end": Access(Who.NOBODY, TEAM, about="End an enrolment"),
    "careplans:plan-time": Access(TEAM, TEAM, about="Care management minutes"),
    "careplans:plan-timer": Access(Who.NOBODY, TEAM, about="Start or stop the timer"),
    "careplans:time-entry-error": Access(Who.NOBODY, TEAM, about="Mark minutes entered in error"),
    "careplans:time-entry-correct": Access(Who.NOBODY, TEAM, about="Correct minutes"),
    "careplans:element-na": Access(Who.NOBODY, TEAM, about="Mark a checklist element not applicable"),
    "careplans:copy-given": Access(Who.NOBODY, TEAM, about="Record that the patient got a copy"),
    # A team's own pages: members of that team only.
    "careplans:team-reviews": Access(TEAM, about="The team's reviews due"),
    "careplans:team-experience": Access(TEAM, TEAM, about="Survey results; improvement goals; invitations"),
    "careplans:ccm-panel": Access(SIGNED_IN, about="CCM eligibility panel of the caller's teams"),
    "careplans:ccm-report": Access(TEAM, about="A team's monthly CCM CSV"),
    # The anonymous patient-experience survey: its one-use secret is the key.
    "careplans:survey": Access(ANYONE, ANYONE, about="The anonymous survey"),
    # The API: documented in the schema; every operation scoped like the pages.
    "api-schema": Access(STAFF, about="The OpenAPI schema (signed-in users while DEBUG)"),
    "api-docs": Access(STAFF, about="Swagger UI (signed-in users while DEBUG)"),
    "api:api-root": Access(SIGNED_IN, about="The API's list of endpoints"),
    "api:plan-list": Access(TEAM, about="The caller's teams' care plans"),
    "api:plan-detail": Access(TEAM, patch=TEAM, about="One care plan; PATCH with If-Match"),
    "api:plan-reviews": Access(TEAM, SIGN_OFF, about="A plan's reviews; POST signs the plan off"),
    "api:goal-measurement-list": Access(TEAM, TEAM, about="Goals' measured values; POST records one"),
    "api:goal-measurement-detail": Access(TEAM, about="One measured value"),
    "api:goal-measurement-entered-in-error": Access(
        Who.NOBODY, TEAM, about="Mark a value entered in error, with a reason"
    ),
    # FHIR R4 (token or session, like the API).
    "fhir-careplan": Access(TEAM, TEAM, about="The patient's plan as a FHIR Bundle; POST imports one"),
}

API_OPERATIONS: dict[str, Access] = {}
for _section in API_SECTIONS:
    API_OPERATIONS |= {
        f"api:{_section}-list": Access(TEAM, TEAM, about=f"List {_section}; POST adds one"),
        f"api:{_section}-detail": Access(TEAM, patch=TEAM, about="One item; PATCH with If-Match"),
        f"api:{_section}-end": Access(Who.NOBODY, TEAM, about="End an item, with a reason"),
        f"api:{_section}-reopen": Access(Who.NOBODY, TEAM, about="Reopen an item, with a reason"),
        f"api:{_section}-move": Access(Who.NOBODY, TEAM, about="Move an open item to another open status"),
    }

POLICY: dict[str, Access] = {**PAGES, **API_OPERATIONS}

# URL namespaces the sweep leaves to their own tests: the admin (staff only, tests/test_admin.py).
NOT_SWEPT_NAMESPACES = ("admin",)


@dataclass(frozen=True)
class Rule:
    """One row of the human table: what a caller in a relation to the patient may do."""

    action: str
    team_member: str
    sign_off_role: str
    other_team: str
    anonymous: str
    enforced_by: str


# Role × relation to the patient × action. "Team member" is any CareRole on the patient's team.
RULES: tuple[Rule, ...] = (
    Rule("See the patient, the plan and its history", "yes", "yes", "404", "sign in", "selectors"),
    Rule("Change the plan or any item (never delete)", "yes", "yes", "404", "sign in", "can_edit_plan"),
    Rule("Sign off a plan review", "no (403)", "yes", "404", "sign in", "can_sign_off"),
    Rule("See 42 CFR Part 2 items on screen", "yes", "yes", "404", "sign in", "can_see_part2"),
    Rule(
        "Print or export Part 2 items for someone else",
        "confirmed, with a reason, under a release that covers Part 2",
        "confirmed, with a reason, under a release that covers Part 2",
        "404",
        "sign in",
        "can_see_part2, may_disclose_part2",
    ),
    Rule("Comment; retract own comment", "yes; own only", "yes; own only", "404", "sign in", "views"),
    Rule(
        "Change who is on the team", "team lead only", "team lead only", "403", "sign in", "can_manage_team"
    ),
    Rule(
        "See who has read or received the patient's record",
        "privacy officer only (403)",
        "privacy officer only (403)",
        "404",
        "sign in",
        "get_patient_for_privacy_officer",
    ),
    Rule(
        "Break the glass into another team's patient",
        "",
        "",
        "exact MRN in own practice, with a reason; logged",
        "sign in",
        "grant_emergency_access",
    ),
    Rule("Own notifications and API tokens", "own only", "own only", "own only", "sign in", "selectors"),
    Rule(
        "The anonymous survey", "with the secret", "with the secret", "with the secret", "with the secret", ""
    ),
)

# Field-level rules: what never leaves through a given door, whoever asks.
FIELD_RULES: tuple[tuple[str, str], ...] = (
    (
        "Comments (the team's internal discussion)",
        "Never in the patient PDF or the API; shown only on the plan pages to the team.",
    ),
    (
        "Items marked 42 CFR Part 2",
        "Left out of every printout and FHIR export unless asked for; a copy for anyone but the patient "
        "also needs an in-force release that covers Part 2 (a general release is not enough) and carries "
        "the 42 CFR 2.32 notice. Hidden on screen from anyone outside the treating team, even under "
        "emergency access.",
    ),
    (
        "Ended items and entries marked in error",
        "Left out of the printout; kept in the history.",
    ),
    (
        "API fields",
        "Only the fields a person may edit, plus id, status, status reason and version; "
        "foreign keys (plan, goal, release, responsible member) accept only records of the caller's teams.",
    ),
    ("Usernames and ids in logs", "The security log names ids only, never patient data."),
)


def markdown() -> str:
    """The tables as they stand in docs/security.md (between its policy markers)."""
    lines = [
        "### Who may do what",
        "",
        "| Action | Team member | Sign-off role | Other team | Anonymous | Enforced by |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.action} | {r.team_member} | {r.sign_off_role} | {r.other_team} | {r.anonymous} | "
        f"`{r.enforced_by}` |"
        if r.enforced_by
        else f"| {r.action} | {r.team_member} | {r.sign_off_role} | {r.other_team} | {r.anonymous} | |"
        for r in RULES
    ]
    lines += ["", "### Field-level rules", "", "| Data | Rule |", "|---|---|"]
    lines += [f"| {data} | {rule} |" for data, rule in FIELD_RULES]
    lines += [
        "",
        "### Every page and API operation",
        "",
        "| URL name | GET | POST | PATCH | What |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `{name}` | {a.get} | {a.post} | {a.patch} | {a.about} |" for name, a in sorted(POLICY.items())
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
