"""The /api/v1/ URL list."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from careplans.api import ITEM_VIEWSETS, CarePlanViewSet

router = DefaultRouter(trailing_slash=True)
router.register("plans", CarePlanViewSet, basename="plan")
for segment, viewset in ITEM_VIEWSETS.items():
    router.register(segment, viewset, basename=segment)

app_name = "api"
urlpatterns = router.urls
