from __future__ import annotations

from allauth.account import views as account_views
from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from careplans.views.fhir import patient_careplan

# The admin's own password-only form would skip the second factor: it sends people to ours instead.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    # Sign-in is allauth's (account_login, account_logout, 2fa/…); "login" and "logout" are the names
    # the rest of Careweave uses for the same two pages.
    path("accounts/login/", account_views.login, name="login"),
    path("accounts/logout/", account_views.logout, name="logout"),
    # Where "sign in again in a new tab" lands, after a session ended in the middle of an edit.
    path(
        "accounts/signed-in/",
        TemplateView.as_view(template_name="registration/session_ended.html"),
        name="signed-in-again",
    ),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("fhir/Patient/<str:patient_id>/careplan", patient_careplan, name="fhir-careplan"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("teams.urls")),
    path("", include("patients.urls")),
    path("", include("careplans.urls")),
]
