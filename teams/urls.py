from __future__ import annotations

from django.urls import path

from teams import views

urlpatterns = [
    path("account/api-tokens/", views.api_tokens, name="api-tokens"),
    path("account/api-tokens/<int:token_id>/revoke/", views.revoke_api_token, name="revoke-api-token"),
]
