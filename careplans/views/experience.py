"""The patient-experience loop: the no-login survey page, and the team's results and improvement goals.

`/survey/<token>/` needs no sign-in and takes one answer per invitation. The team page shows results
per month and a quarterly trend only where at least `experience.MINIMUM_CELL` patients answered.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from careplans import experience, services, trend_charts
from careplans.models import ImprovementGoal, SurveyResponse, SurveyToken
from careplans.services import SurveyTokenUsed
from teams.models import Team
from teams.rules import not_found
from teams.selectors import teams_of


class SurveyForm(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, text in experience.QUESTIONS:
            self.fields[name] = forms.ChoiceField(
                label=text, choices=[("", "Choose an answer"), *experience.SCALE], required=False
            )


class ImprovementGoalForm(forms.Form):
    goal = forms.CharField(label="This month the team will improve", widget=forms.Textarea(attrs={"rows": 2}))


class PrintForm(forms.Form):
    count = forms.IntegerField(label="How many invitations to print", min_value=1, max_value=200, initial=20)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The anonymous survey; 404 for an unknown invitation, 410 for one already used."""
    invitation = SurveyToken.objects.filter(token_hash=services._token_hash(token)).first()
    if invitation is None:
        raise Http404("No such survey invitation")
    if invitation.is_used:
        return render(request, "careplans/survey.html", {"used": True}, status=410)
    form = SurveyForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.submit_survey_response(token=token, answers=form.cleaned_data)
        except SurveyTokenUsed:
            return render(request, "careplans/survey.html", {"used": True}, status=410)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return render(request, "careplans/survey.html", {"thanks": True})
    status = 422 if form.errors else 200
    return render(request, "careplans/survey.html", {"form": form, "team": invitation.team}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def team_experience(request: HttpRequest, team_id: int) -> HttpResponse:
    """Results per month and quarter (minimum cell size applies), improvement goals, printing invitations."""
    team = _team_for(request, team_id)
    today = timezone.localdate()
    goal_form = ImprovementGoalForm(request.POST if request.POST.get("action") == "goal" else None)
    print_form = PrintForm(request.POST if request.POST.get("action") == "print" else None)
    if goal_form.is_valid():
        services.record_improvement_goal(
            team=team, actor=request.user, month=today, goal=goal_form.cleaned_data["goal"]
        )
        return redirect(reverse("careplans:team-experience", args=[team.pk]))
    if print_form.is_valid():
        tokens = services.issue_survey_tokens(
            team=team, actor=request.user, count=print_form.cleaned_data["count"], month=today
        )
        links = [request.build_absolute_uri(reverse("careplans:survey", args=[token])) for token in tokens]
        context = {"team": team, "links": links, "questions": experience.QUESTIONS, "scale": experience.SCALE}
        return render(request, "careplans/survey_print.html", context)
    status = 422 if goal_form.errors or print_form.errors else 200
    return render(
        request, "careplans/team_experience.html", _context(team, goal_form, print_form), status=status
    )


def _team_for(request: HttpRequest, team_id: int) -> Team:
    try:
        return teams_of(request.user).get(pk=team_id)
    except Team.DoesNotExist:
        raise not_found(request.user, "No such team", target=team_id) from None


def _context(team: Team, goal_form: forms.Form, print_form: forms.Form) -> dict:
    responses = SurveyResponse.objects.filter(team=team)
    quarters = experience.quarterly_results(responses)
    shown = [cell for cell in quarters if cell.shown]
    chart = trend_charts.line_chart(
        title="Patients answering “Always”, averaged over the questions, per quarter (percent)",
        points=[
            trend_charts.Point(cell.label, round(sum(cell.scores.values()) / len(cell.scores), 1))
            for cell in shown
        ],
        maximum=100,
        bands=[50],
    )
    return {
        "team": team,
        "months": experience.monthly_results(responses),
        "quarters": quarters,
        "chart": chart,
        "questions": experience.QUESTIONS,
        "minimum": experience.MINIMUM_CELL,
        "goals": ImprovementGoal.objects.filter(team=team).select_related("created_by")[:24],
        "goal_form": goal_form,
        "print_form": print_form,
    }
