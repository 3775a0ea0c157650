from django.urls import path

from . import governance_views, views

app_name = "progress"

urlpatterns = [
    path("me/", views.me, name="me"),
    path("me/data.json", views.my_data, name="my_data"),
    path("me/tracks/<slug:track_slug>/start/", views.start_track, name="start_track"),
    path("tracks/<slug:track_slug>/", views.track_detail, name="track"),
    path("tracks/<slug:track_slug>/<slug:lesson_slug>/", views.lesson_detail, name="lesson"),
    path(
        "tracks/<slug:track_slug>/<slug:lesson_slug>/complete/",
        views.complete_lesson,
        name="complete_lesson",
    ),
    path("tracks/<slug:track_slug>/<slug:lesson_slug>/quiz/", views.quiz, name="quiz"),
    path(
        "tracks/<slug:track_slug>/<slug:lesson_slug>/quiz/attempts/<int:attempt_id>/",
        views.quiz_result,
        name="quiz_result",
    ),
    path(
        "tracks/<slug:track_slug>/<slug:lesson_slug>/assignment/",
        views.assignment,
        name="assignment",
    ),
    path("submissions/<int:submission_id>/", views.submission_detail, name="submission"),
    path("certificates/<str:code>/", views.certificate, name="certificate"),
    path("me/certificates/<str:code>/renew/", views.renew_certificate, name="renew_certificate"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # Social governance: the policy, the clearance roster, content freshness
    path("policy/", governance_views.policy, name="policy"),
    path("policy/edit/", governance_views.policy_edit, name="policy_edit"),
    path(
        "policy/promote/<int:submission_id>/",
        governance_views.promote_submission,
        name="policy_promote",
    ),
    path("team/roster/", governance_views.roster, name="roster"),
    path("team/roster.csv", governance_views.roster_csv, name="roster_csv"),
    path("team/freshness/", governance_views.freshness, name="freshness"),
]
