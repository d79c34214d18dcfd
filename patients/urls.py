from __future__ import annotations

from django.urls import path

from patients import views

urlpatterns = [
    path("", views.patient_list, name="home"),
    path("patients/<uuid:patient_id>/access/", views.patient_access_report, name="patient-access-report"),
    path("emergency-access/", views.emergency_access, name="emergency-access"),
]
