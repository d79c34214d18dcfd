"""Billing-code suggestions from a month's minutes. Pure logic: it reads nothing and never bills.

The rules are `BillingCodeRule` rows (data with effective dates); a suggestion is advice
for the billing office, who decide what is billed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from careplans.ccm_models import BillingCodeRule, Program

PRACTITIONER = BillingCodeRule.PerformedBy.PRACTITIONER
CLINICAL_STAFF = BillingCodeRule.PerformedBy.CLINICAL_STAFF
APCM_CONFLICT = "APCM is enrolled this month: it bundles CCM and PCM, so no CCM or PCM code is suggested."
MORE_THAN_ONE_PROGRAM = "More than one program this month: only one may be billed by the same practitioner."
BOTH_KINDS = "Practitioner and clinical-staff codes together: check both may be billed for this month."
MORE_THAN_ONE_PRACTITIONER = "More than one billing practitioner this month: only one may bill CCM."


@dataclass(frozen=True)
class MonthMinutes:
    """Counted minutes of one patient-month: not face-to-face, not entered in error, clinical only."""

    clinical_staff: int = 0
    practitioner: int = 0


@dataclass(frozen=True)
class SuggestedCode:
    code: str
    label: str
    units: int = 1

    def __str__(self) -> str:
        return self.code if self.units == 1 else f"{self.code} x{self.units}"


@dataclass
class Suggestion:
    codes: list[SuggestedCode] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return " + ".join(str(code) for code in self.codes)


def rules_in_effect(rules: Iterable[BillingCodeRule], on: datetime.date) -> list[BillingCodeRule]:
    return [r for r in rules if r.effective_from <= on and (r.effective_to is None or on <= r.effective_to)]


def _codes_for(
    rules: Sequence[BillingCodeRule], *, performed_by: str, minutes: int, complex_care: bool
) -> list[SuggestedCode]:
    """The base code met by `minutes` (complex first when attested), and its add-on units."""
    bases = sorted(
        (
            r
            for r in rules
            if not r.addon_of and r.performed_by == performed_by and (complex_care or not r.complex_required)
        ),
        key=lambda r: (not r.complex_required, -(r.min_minutes or 0)),
    )
    for base in bases:
        if base.min_minutes is not None and minutes >= base.min_minutes:
            codes = [SuggestedCode(base.code, base.label)]
            for addon in (r for r in rules if r.addon_of == base.code and r.per_unit_minutes):
                units = (minutes - base.min_minutes) // addon.per_unit_minutes
                if addon.max_units is not None:
                    units = min(units, addon.max_units)
                if units > 0:
                    codes.append(SuggestedCode(addon.code, addon.label, units))
            return codes
    return []


def suggest_codes(
    *,
    minutes: MonthMinutes,
    rules: Iterable[BillingCodeRule],
    month: datetime.date,
    programs: Iterable[str],
    complex_care: bool = False,
    billing_practitioners: int = 1,
) -> Suggestion:
    """Suggest codes for one patient-month from its counted minutes and the rules in effect on `month`.

    `programs` are the programs the patient was enrolled in during the month. The billing
    practitioner's own minutes go to the practitioner code when they reach it; otherwise they
    count as clinical-staff time (CMS allows this for 99490), never both.
    """
    programs = set(programs)
    suggestion = Suggestion()
    if Program.APCM in programs:
        suggestion.flags.append(APCM_CONFLICT)
        return suggestion
    if len(programs) > 1:
        suggestion.flags.append(MORE_THAN_ONE_PROGRAM)
    if billing_practitioners > 1:
        suggestion.flags.append(MORE_THAN_ONE_PRACTITIONER)
    if len(programs) != 1:
        return suggestion
    (program,) = programs
    in_effect = [r for r in rules_in_effect(rules, month) if r.program == program]
    practitioner_codes = _codes_for(
        in_effect, performed_by=PRACTITIONER, minutes=minutes.practitioner, complex_care=complex_care
    )
    staff_minutes = minutes.clinical_staff + (0 if practitioner_codes else minutes.practitioner)
    staff_codes = _codes_for(
        in_effect, performed_by=CLINICAL_STAFF, minutes=staff_minutes, complex_care=complex_care
    )
    suggestion.codes = practitioner_codes + staff_codes
    if practitioner_codes and staff_codes:
        suggestion.flags.append(BOTH_KINDS)
    return suggestion
