"""The /api/v1/ URL list."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from careplans.api import ITEM_VIEWSETS, CarePlanViewSet, GoalMeasurementViewSet, PlanReviewViewSet

router = DefaultRouter(trailing_slash=True)
router.register("plans", CarePlanViewSet, basename="plan")
for segment, viewset in ITEM_VIEWSETS.items():
    router.register(segment, viewset, basename=segment)
router.register("goal-measurements", GoalMeasurementViewSet, basename="goal-measurement")

app_name = "api"
urlpatterns = [
    *router.urls,
    path(
        "plans/<str:plan_pk>/reviews/",
        PlanReviewViewSet.as_view({"get": "list", "post": "create"}),
        name="plan-reviews",
    ),
]
