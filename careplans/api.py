"""API v1 for care plans and every section of them.

Reads go through `careplans.selectors` (a plan of another team is a 404), writes
through `careplans.services`; this module only translates HTTP to those calls and back.
Responses carry the record's version as an ETag; every write names the version it
read in If-Match (428 without it, 412 with a stale one, answered with the current record).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from careplans import selectors, services
from careplans.models import PLAN_ITEM_MODELS, CarePlan, Goal, GoalMeasurement, PlanItem, PlanReview
from config.rest import etag, if_match_version, problem
from teams.records import StaleVersionError
from teams.rules import log_denied

ERROR = OpenApiResponse(description="Problem details: type, title, status, detail, errors by field.")
READ_ERRORS = {401: ERROR, 403: ERROR, 404: ERROR}
WRITE_ERRORS = {**READ_ERRORS, 400: ERROR, 409: ERROR, 412: ERROR, 428: ERROR}
IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=True, description='The ETag you read, e.g. "3".'
)
FILTERS = [
    OpenApiParameter("plan", OpenApiTypes.UUID, description="Only this care plan's items (its id)."),
    OpenApiParameter("patient", OpenApiTypes.UUID, description="Only this patient's items (their id)."),
    OpenApiParameter("status", str, description="Only items in this status."),
]


class ScopedSerializer(serializers.ModelSerializer):
    """Every foreign key accepts only records the caller may see (`selectors.records_visible_to`).

    A plan, goal, release or person of another team is then "does not exist", a 400 on that
    field, exactly as for an id that exists nowhere: the answer tells an outsider nothing.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None) or AnonymousUser()
        for field in fields.values():
            related = getattr(field, "child_relation", field)
            if isinstance(related, serializers.RelatedField) and not related.read_only:
                related.queryset = selectors.records_visible_to(user, related.queryset.model)
        return fields

    def is_valid(self, *, raise_exception: bool = False) -> bool:
        """Validate; a link to a record outside the caller's scope is also logged as a refusal."""
        valid = super().is_valid()
        if not valid:
            user = getattr(self.context.get("request"), "user", None)
            for name, errors in self.errors.items():
                if any(getattr(error, "code", "") == "does_not_exist" for error in errors):
                    log_denied(user, action=f"link {name}", target=self.initial_data.get(name), outcome="400")
        if raise_exception and not valid:
            raise ValidationError(self.errors)
        return valid


class PlanSerializer(ScopedSerializer):
    class Meta:
        model = CarePlan
        fields = ("id", "patient", "status", "status_reason", "version", *services.PLAN_EDITABLE)
        read_only_fields = ("id", "patient", "status", "status_reason", "version")


class EndSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="One of the item's end statuses.")
    reason = serializers.CharField(allow_blank=True, default="")


class MoveSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="One of the item's open statuses.")
    reason = serializers.CharField(allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, default="")


def item_serializer(model: type[PlanItem]) -> type[serializers.ModelSerializer]:
    """A serializer exposing what `services.editable_fields` lets a person change, plus the status."""
    meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": ("id", "plan", "status", "status_reason", "version", *services.editable_fields(model)),
            "read_only_fields": ("id", "status", "status_reason", "version"),
        },
    )
    return type(f"{model.__name__}Serializer", (ScopedSerializer,), {"Meta": meta})


class VersionedViewSet(viewsets.GenericViewSet):
    """Retrieve with an ETag, and the 412 answer to a stale write."""

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.answer(self.get_object())

    def answer(self, record: Any, code: int = status.HTTP_200_OK, **headers: str) -> Response:
        return Response(
            self.get_serializer(record).data, status=code, headers={"ETag": etag(record.version), **headers}
        )

    def stale(self, error: StaleVersionError) -> Response:
        body = problem(status_code=412, detail=str(error))
        body["current"] = self.get_serializer(error.current).data
        return Response(body, status=412, headers={"ETag": etag(error.current.version)})


def _filtered(
    queryset: QuerySet, request: Request, *, status_values: list[str], plan_field: str, patient_field: str
) -> QuerySet:
    """Filters by plan, patient and status, each checked so that a bad value is a 400, not a 500."""
    params = request.query_params
    errors: dict[str, list[str]] = {}
    if plan := params.get("plan"):
        try:
            queryset = queryset.filter(**{plan_field: uuid.UUID(plan)})
        except ValueError:
            errors["plan"] = ["Give a care plan id."]
    if patient := params.get("patient"):
        try:
            queryset = queryset.filter(**{patient_field: uuid.UUID(patient)})
        except ValueError:
            errors["patient"] = ["Give a patient id."]
    if (wanted := params.get("status")) is not None:
        if wanted in status_values:
            queryset = queryset.filter(status=wanted)
        else:
            errors["status"] = [f"Choose one of: {', '.join(status_values)}."]
    if errors:
        raise ValidationError(errors)
    return queryset


@extend_schema_view(
    list=extend_schema(parameters=FILTERS[1:], responses={200: PlanSerializer, **READ_ERRORS, 400: ERROR}),
    retrieve=extend_schema(responses={200: PlanSerializer, **READ_ERRORS}),
    partial_update=extend_schema(parameters=[IF_MATCH], responses={200: PlanSerializer, **WRITE_ERRORS}),
)
class CarePlanViewSet(mixins.ListModelMixin, VersionedViewSet):
    """Care plans of the patients on your teams."""

    serializer_class = PlanSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[CarePlan]:
        plans = selectors.plans_visible_to(self.request.user).order_by("created_at", "pk")
        return _filtered(
            plans,
            self.request,
            status_values=CarePlan.Status.values,
            plan_field="id",
            patient_field="patient_id",
        )

    def get_object(self) -> CarePlan:
        return selectors.get_plan_for_user(self.request.user, self.kwargs["pk"])

    def partial_update(self, request: Request, pk: str) -> Response:
        plan = self.get_object()
        version = if_match_version(request)
        serializer = self.get_serializer(plan, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            plan = services.update_care_plan(
                plan=plan, expected_version=version, actor=request.user, changes=serializer.validated_data
            )
        except StaleVersionError as error:
            return self.stale(error)
        return self.answer(plan)


class PlanItemViewSet(mixins.ListModelMixin, VersionedViewSet):
    """Items of one section of the care plans on your teams. Items are ended with a reason, never deleted."""

    model: type[PlanItem]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[PlanItem]:
        items = self.model.objects.filter(plan__in=selectors.plans_visible_to(self.request.user))
        items = items.order_by("plan_id", "pk")
        values = [str(v) for v, _ in self.model._meta.get_field("status").choices]
        return _filtered(
            items, self.request, status_values=values, plan_field="plan_id", patient_field="plan__patient_id"
        )

    def get_object(self) -> PlanItem:
        return selectors.get_item_for_user(self.request.user, self.model, self.kwargs["pk"])

    def _values(self, serializer: serializers.Serializer, plan_id: Any) -> dict[str, Any]:
        values = dict(serializer.validated_data)
        values.pop("plan", None)
        for name, value in values.items():
            # A link to another item (a step's goal, a service's release) must stay inside the plan.
            if isinstance(value, PlanItem) and value.plan_id != plan_id:
                raise ValidationError({name: ["Choose an item of the same care plan."]})
        return values

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = selectors.get_plan_for_user(request.user, serializer.validated_data["plan"].pk)
        item = services.add_plan_item(
            plan=plan, model=self.model, actor=request.user, values=self._values(serializer, plan.pk)
        )
        location = reverse(f"api:{self.basename}-detail", args=[item.pk])
        return self.answer(item, status.HTTP_201_CREATED, Location=request.build_absolute_uri(location))

    def partial_update(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        version = if_match_version(request)
        serializer = self.get_serializer(item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "plan" in serializer.validated_data and serializer.validated_data["plan"].pk != item.plan_id:
            raise ValidationError({"plan": ["An item cannot move to another care plan."]})
        try:
            item = services.update_plan_item(
                item=item,
                expected_version=version,
                actor=request.user,
                changes=self._values(serializer, item.plan_id),
            )
        except StaleVersionError as error:
            return self.stale(error)
        return self.answer(item)

    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        return self._set_status(request, EndSerializer, services.end_plan_item)

    @action(detail=True, methods=["post"], url_path="status")
    def move(self, request: Request, pk: str) -> Response:
        """Move an open item to another open status (a referral becomes active, a goal on hold)."""
        return self._set_status(request, MoveSerializer, services.move_plan_item)

    def _set_status(
        self, request: Request, serializer: type[serializers.Serializer], service: Callable[..., PlanItem]
    ) -> Response:
        """End or move the item with `service`, at the version named in If-Match, with a status and reason."""
        item = self.get_object()
        version = if_match_version(request)
        given = serializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            item = service(
                item=item,
                expected_version=version,
                actor=request.user,
                status=given.validated_data["status"],
                reason=given.validated_data["reason"],
            )
        except StaleVersionError as error:
            return self.stale(error)
        return self.answer(item)

    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        version = if_match_version(request)
        given = ReasonSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            item = services.reopen_plan_item(
                item=item, expected_version=version, actor=request.user, reason=given.validated_data["reason"]
            )
        except StaleVersionError as error:
            return self.stale(error)
        return self.answer(item)


def _item_viewset(kind: str, model: type[PlanItem]) -> type[PlanItemViewSet]:
    serializer = item_serializer(model)
    schema = extend_schema_view(
        list=extend_schema(parameters=FILTERS, responses={200: serializer, **READ_ERRORS, 400: ERROR}),
        retrieve=extend_schema(responses={200: serializer, **READ_ERRORS}),
        create=extend_schema(responses={201: serializer, **WRITE_ERRORS}),
        partial_update=extend_schema(parameters=[IF_MATCH], responses={200: serializer, **WRITE_ERRORS}),
        end=extend_schema(
            request=EndSerializer, parameters=[IF_MATCH], responses={200: serializer, **WRITE_ERRORS}
        ),
        move=extend_schema(
            request=MoveSerializer, parameters=[IF_MATCH], responses={200: serializer, **WRITE_ERRORS}
        ),
        reopen=extend_schema(
            request=ReasonSerializer, parameters=[IF_MATCH], responses={200: serializer, **WRITE_ERRORS}
        ),
    )
    name = f"{model.__name__}ViewSet"
    return schema(type(name, (PlanItemViewSet,), {"model": model, "serializer_class": serializer}))


# URL segment (the section's name) -> viewset, for every section of the plan.
ITEM_VIEWSETS: dict[str, type[PlanItemViewSet]] = {
    model._meta.get_field("plan").remote_field.related_name.replace("_", "-"): _item_viewset(kind, model)
    for kind, model in PLAN_ITEM_MODELS.items()
}


class MeasurementSerializer(ScopedSerializer):
    class Meta:
        model = GoalMeasurement
        fields = (
            "id",
            "goal",
            "value",
            "measured_on",
            "source",
            "note",
            "status",
            "status_reason",
            "version",
        )
        read_only_fields = ("id", "status", "status_reason", "version")


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("goal", int, description="Only this goal's measurements (its id).")],
        responses={200: MeasurementSerializer, **READ_ERRORS, 400: ERROR},
    ),
    retrieve=extend_schema(responses={200: MeasurementSerializer, **READ_ERRORS}),
    create=extend_schema(responses={201: MeasurementSerializer, **WRITE_ERRORS}),
    entered_in_error=extend_schema(
        request=ReasonSerializer,
        parameters=[IF_MATCH],
        responses={200: MeasurementSerializer, **WRITE_ERRORS},
    ),
)
class GoalMeasurementViewSet(mixins.ListModelMixin, VersionedViewSet):
    """Values of goals' measures. A wrong value is marked entered-in-error with a reason, never changed."""

    serializer_class = MeasurementSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[GoalMeasurement]:
        measurements = GoalMeasurement.objects.filter(
            goal__plan__in=selectors.plans_visible_to(self.request.user)
        )
        if (goal := self.request.query_params.get("goal")) is not None:
            if not goal.isdigit():
                raise ValidationError({"goal": ["Give a goal id."]})
            measurements = measurements.filter(goal_id=int(goal))
        return measurements.order_by("goal_id", "measured_on", "pk")

    def get_object(self) -> GoalMeasurement:
        return selectors.get_goal_measurement_for_user(self.request.user, self.kwargs["pk"])

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        goal = selectors.get_item_for_user(request.user, Goal, values.pop("goal").pk)
        measurement = services.record_goal_measurement(goal=goal, actor=request.user, **values)
        location = reverse("api:goal-measurement-detail", args=[measurement.pk])
        return self.answer(
            measurement, status.HTTP_201_CREATED, Location=request.build_absolute_uri(location)
        )

    @action(detail=True, methods=["post"], url_path="entered-in-error")
    def entered_in_error(self, request: Request, pk: str) -> Response:
        measurement = self.get_object()
        version = if_match_version(request)
        given = ReasonSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            measurement = services.mark_measurement_in_error(
                measurement=measurement,
                expected_version=version,
                actor=request.user,
                reason=given.validated_data["reason"],
            )
        except StaleVersionError as error:
            return self.stale(error)
        return self.answer(measurement)


class ReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanReview
        fields = (
            "id",
            "plan",
            "reviewed_at",
            "reviewer",
            "reviewer_role",
            "context",
            "patient_present",
            "summary",
            "decisions",
            "next_review_due",
        )
        read_only_fields = ("id", "plan", "reviewed_at", "reviewer", "reviewer_role", "next_review_due")


@extend_schema_view(
    list=extend_schema(responses={200: ReviewSerializer(many=True), **READ_ERRORS}),
    create=extend_schema(
        request=ReviewSerializer, parameters=[IF_MATCH], responses={201: ReviewSerializer, **WRITE_ERRORS}
    ),
)
class PlanReviewViewSet(viewsets.GenericViewSet):
    """A plan's reviews, newest first; signing one off freezes a plan version. Reviews are never edited."""

    serializer_class = ReviewSerializer
    pagination_class = None

    def plan(self) -> CarePlan:
        return selectors.get_plan_for_user(self.request.user, self.kwargs["plan_pk"])

    def list(self, request: Request, plan_pk: str) -> Response:
        reviews = self.plan().reviews.order_by("-reviewed_at", "-id")
        return Response(self.get_serializer(reviews, many=True).data)

    def create(self, request: Request, plan_pk: str) -> Response:
        """Sign off the plan as it was at the version named in If-Match (the plan's ETag)."""
        plan = self.plan()
        version = if_match_version(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            review = services.record_plan_review(
                plan=plan, actor=request.user, expected_version=version, **serializer.validated_data
            )
        except StaleVersionError as error:
            body = problem(status_code=412, detail=str(error))
            body["current"] = PlanSerializer(error.current).data
            return Response(body, status=412, headers={"ETag": etag(error.current.version)})
        return Response(self.get_serializer(review).data, status=status.HTTP_201_CREATED)
