"""FHIR R4 over HTTP: `GET /fhir/Patient/{id}/careplan` exports the plan, `POST` imports a Bundle into it.

Authentication and scoping are the API's (token or session; a patient of another team is a 404).
Every answer is `application/fhir+json`; every error is an OperationOutcome, never a 500.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careplans import fhir, selectors
from careplans.fhir_import import BundleConflict, BundleRejected, import_bundle, operation_outcome
from careplans.models import CarePlan
from config.rest import exception_handler
from patients.access_log import record_access
from patients.models import AccessEvent, Patient
from patients.selectors import get_patient_for_user

# HTTP status -> OperationOutcome issue type (http://hl7.org/fhir/issue-type).
ISSUE_TYPES = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    415: "not-supported",
    422: "invalid",
}


class FhirJSONRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir"


class FhirJSONParser(JSONParser):
    media_type = "application/fhir+json"


def outcome_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The API's error handling, with the body as a FHIR OperationOutcome."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    body = response.data
    issues = [("", str(body.get("detail", "")))]
    issues += [(name, message) for name, messages in body.get("errors", {}).items() for message in messages]
    response.data = operation_outcome(issues, code=ISSUE_TYPES.get(response.status_code, "exception"))
    return response


OUTCOME = OpenApiResponse(OpenApiTypes.OBJECT, description="An OperationOutcome.")
PATIENT_ID = OpenApiParameter("patient_id", str, OpenApiParameter.PATH, description="The patient's id.")
RELEASE = OpenApiParameter(
    "release",
    int,
    description="An in-force information release of this plan that covers 42 CFR Part 2: include Part 2 items.",
)


class PatientCarePlanView(APIView):
    renderer_classes = [FhirJSONRenderer, JSONRenderer]
    parser_classes = [FhirJSONParser, JSONParser]

    def get_exception_handler(self) -> Any:
        return outcome_handler

    def plan_of(self, request: Request, patient_id: str) -> CarePlan:
        try:
            uuid.UUID(patient_id)
        except ValueError:
            raise Http404("No such patient") from None
        patient: Patient = get_patient_for_user(request.user, patient_id)
        plan = (
            selectors.plans_visible_to(request.user).select_related("patient").filter(patient=patient).first()
        )
        if plan is None:
            raise Http404("This patient has no care plan.")
        return plan

    @extend_schema(
        operation_id="fhir_patient_careplan_export",
        parameters=[PATIENT_ID, RELEASE],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="A FHIR Bundle (collection)."),
            401: OUTCOME,
            403: OUTCOME,
            404: OUTCOME,
            422: OUTCOME,
        },
    )
    def get(self, request: Request, patient_id: str) -> Response:
        """The patient's care plan as a FHIR R4 Bundle; Part 2 items only with `?release=` a covering release."""
        plan = selectors.get_plan_with_sections(request.user, self.plan_of(request, patient_id).pk)
        release = None
        if (given := request.query_params.get("release")) is not None:
            release = next((r for r in plan.information_releases.all() if str(r.pk) == given.strip()), None)
            if release is None:
                return self.invalid(
                    "release", "Name an in-force information release of this plan that covers 42 CFR Part 2."
                )
            if not (decision := fhir.release_allows_part2(release, plan)):
                return self.invalid(
                    "release",
                    f"{decision.reason} Part 2 items go out only under a release that covers 42 CFR Part 2.",
                )
        if release is None:
            record_access(request, plan.patient, subtype=AccessEvent.Subtype.EXPORT, what="FHIR Bundle")
        else:  # Part 2 information goes out to the release's recipient: a disclosure.
            record_access(
                request,
                plan.patient,
                subtype=AccessEvent.Subtype.DISCLOSURE,
                what="FHIR Bundle",
                recipient=release.recipient_name,
            )
        return Response(fhir.plan_bundle(plan, release=release))

    @extend_schema(
        operation_id="fhir_patient_careplan_import",
        parameters=[PATIENT_ID],
        request={"application/fhir+json": OpenApiTypes.OBJECT, "application/json": OpenApiTypes.OBJECT},
        responses={
            200: OUTCOME,
            201: OUTCOME,
            400: OUTCOME,
            401: OUTCOME,
            403: OUTCOME,
            404: OUTCOME,
            409: OUTCOME,
            415: OUTCOME,
            422: OUTCOME,
        },
    )
    def post(self, request: Request, patient_id: str) -> Response:
        """Create or update the patient's plan from a Bundle; answers an OperationOutcome report."""
        plan = self.plan_of(request, patient_id)
        try:
            report = import_bundle(bundle=request.data, plan=plan, actor=request.user)
        except BundleRejected as error:
            return Response(operation_outcome(error.issues), status=422)
        except BundleConflict as error:
            detail = f"{error} Export the plan again and reapply your change."
            return Response(operation_outcome([(error.path, detail)], code="conflict"), status=409)
        code = status.HTTP_201_CREATED if report.created else status.HTTP_200_OK
        return Response(report.outcome(), status=code)

    def invalid(self, where: str, message: str) -> Response:
        return Response(operation_outcome([(where, message)]), status=422)


patient_careplan = PatientCarePlanView.as_view()
