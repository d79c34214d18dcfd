from __future__ import annotations

from django.urls import path

from patients import views

urlpatterns = [
    path("", views.patient_list, name="home"),
    path("emergency-access/", views.emergency_access, name="emergency-access"),
]
