from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from careplans.views.fhir import patient_careplan

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, extra_context={"site_name": settings.SITE_NAME}
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Where "sign in again in a new tab" lands, after a session ended in the middle of an edit.
    path(
        "accounts/signed-in/",
        TemplateView.as_view(template_name="registration/session_ended.html"),
        name="signed-in-again",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("fhir/Patient/<str:patient_id>/careplan", patient_careplan, name="fhir-careplan"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("teams.urls")),
    path("", include("patients.urls")),
    path("", include("careplans.urls")),
]
