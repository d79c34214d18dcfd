from __future__ import annotations

from django.urls import path

from careplans import views

app_name = "careplans"

urlpatterns = [
    path("plans/<uuid:plan_id>/", views.plan_detail, name="plan-detail"),
]
