from __future__ import annotations

from django.urls import path

from careplans.views import (
    ccm,
    comments,
    experience,
    goal_progress,
    goals,
    history,
    measures,
    notifications,
    plan_details,
    printouts,
    related_people,
    review,
    team_reviews,
)
from careplans.views import plan as views

app_name = "careplans"

# <kind> is a key of careplans.models.PLAN_ITEM_MODELS: one set of views serves every section.
ITEM = "plans/<uuid:plan_id>/items/<slug:kind>/<int:item_id>/"

urlpatterns = [
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/badge/", notifications.notification_badge, name="notification-badge"),
    path("notifications/read-all/", notifications.notifications_read_all, name="notifications-read-all"),
    path("notifications/<int:notification_id>/", notifications.notification_open, name="notification-open"),
    path(
        "notifications/<int:notification_id>/items/",
        notifications.notification_detail,
        name="notification-detail",
    ),
    path("account/notifications/", notifications.notification_preferences, name="notification-preferences"),
    path("plans/<uuid:plan_id>/", views.plan_detail, name="plan-detail"),
    path("plans/<uuid:plan_id>/history/", history.plan_history, name="plan-history"),
    path("plans/<uuid:plan_id>/review/", review.plan_review, name="plan-review"),
    path("plans/<uuid:plan_id>/review/next-date/", review.plan_next_review, name="plan-next-review"),
    path("plans/<uuid:plan_id>/versions/", review.plan_versions, name="plan-versions"),
    path("plans/<uuid:plan_id>/versions/<int:number>/", review.plan_version, name="plan-version"),
    path(
        "plans/<uuid:plan_id>/versions/<int:number>/corrections/",
        review.review_correction,
        name="review-correction",
    ),
    path("teams/<int:team_id>/reviews/", team_reviews.team_reviews, name="team-reviews"),
    path("survey/<str:token>/", experience.survey, name="survey"),
    path("teams/<int:team_id>/experience/", experience.team_experience, name="team-experience"),
    path("plans/<uuid:plan_id>/measures/", measures.plan_measures, name="measures"),
    path("plans/<uuid:plan_id>/print/", printouts.plan_print, name="plan-print"),
    path("plans/<uuid:plan_id>/print/<int:printout_id>/", printouts.printout_status, name="printout-status"),
    path(
        "plans/<uuid:plan_id>/print/<int:printout_id>/download/",
        printouts.printout_download,
        name="printout-download",
    ),
    path("plans/<uuid:plan_id>/status/", plan_details.plan_status, name="plan-status"),
    path("plans/<uuid:plan_id>/parts/<slug:part>/", plan_details.plan_part, name="plan-part"),
    path("plans/<uuid:plan_id>/parts/<slug:part>/edit/", plan_details.plan_part_edit, name="plan-part-edit"),
    # Related people before the generic item URLs, which would take "related-person" for a kind of item.
    path("plans/<uuid:plan_id>/items/related-person/new/", related_people.person_new, name="person-new"),
    path(
        "plans/<uuid:plan_id>/items/related-person/<int:item_id>/edit/",
        related_people.person_edit,
        name="person-edit",
    ),
    path(
        "plans/<uuid:plan_id>/items/related-person/<int:item_id>/end/",
        related_people.person_end,
        name="person-end",
    ),
    path(
        "plans/<uuid:plan_id>/goals/<int:goal_id>/measurements/new/",
        goal_progress.measurement_new,
        name="measurement-new",
    ),
    path(
        "plans/<uuid:plan_id>/goals/<int:goal_id>/measurements/<int:measurement_id>/in-error/",
        goal_progress.measurement_in_error,
        name="measurement-in-error",
    ),
    # A goal's form also links the plan's problems; before the generic item URLs, like related people.
    path("plans/<uuid:plan_id>/items/goal/new/", goals.goal_new, name="goal-new"),
    path("plans/<uuid:plan_id>/items/goal/<int:item_id>/edit/", goals.goal_edit, name="goal-edit"),
    path("plans/<uuid:plan_id>/items/<slug:kind>/new/", views.item_new, name="item-new"),
    path(ITEM, views.item_detail, name="item-detail"),
    path(f"{ITEM}edit/", views.item_edit, name="item-edit"),
    path(f"{ITEM}end/", views.item_end, name="item-end"),
    path(f"{ITEM}reopen/", views.item_reopen, name="item-reopen"),
    path(f"{ITEM}history/", history.item_history, name="item-history"),
    path("plans/<uuid:plan_id>/comments/", comments.thread, name="plan-comments"),
    path("plans/<uuid:plan_id>/comments/<int:comment_id>/retract/", comments.retract, name="comment-retract"),
    path("plans/<uuid:plan_id>/comments/<slug:kind>/<int:item_id>/", comments.thread, name="item-comments"),
]

# The chronic care management program (careplans.views.ccm).
urlpatterns += [
    path("ccm/", ccm.ccm_panel, name="ccm-panel"),
    path("ccm/report/", ccm.ccm_report, name="ccm-report"),
    path("plans/<uuid:plan_id>/program/", ccm.plan_program, name="plan-program"),
    path("plans/<uuid:plan_id>/program/<int:enrolment_id>/end/", ccm.enrolment_end, name="enrolment-end"),
    path("plans/<uuid:plan_id>/time/", ccm.plan_time, name="plan-time"),
    path("plans/<uuid:plan_id>/time/timer/", ccm.plan_timer, name="plan-timer"),
    path("plans/<uuid:plan_id>/time/<int:entry_id>/error/", ccm.time_entry_error, name="time-entry-error"),
    path(
        "plans/<uuid:plan_id>/time/<int:entry_id>/correct/", ccm.time_entry_correct, name="time-entry-correct"
    ),
    path("plans/<uuid:plan_id>/completeness/not-applicable/", ccm.element_not_applicable, name="element-na"),
    path("plans/<uuid:plan_id>/completeness/copy-given/", ccm.copy_given, name="copy-given"),
]
