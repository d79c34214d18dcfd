"""The account page where a person creates and revokes their API tokens."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from teams import services
from teams.models import ApiToken
from teams.rules import not_found


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="Which system or script will use it, for example “EHR sync”."
    )


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_token = None
    if form.is_bound and form.is_valid():
        try:
            _, new_token = services.create_api_token(user=request.user, name=form.cleaned_data["name"])
            form = ApiTokenForm()
        except ValidationError as error:
            form.add_error(None, error)
    status = 422 if form.errors else 200
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    context = {"form": form, "tokens": tokens, "new_token": new_token}
    return render(request, "teams/api_tokens.html", context, status=status)


@login_required
@require_POST
def revoke_api_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise not_found(request.user, "No such token", target=token_id)
    services.revoke_api_token(token=token, actor=request.user)
    return redirect("api-tokens")
