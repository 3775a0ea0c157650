from django.urls import path

from . import team_views, views

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
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("practice/<str:token>/", views.practice_answer, name="practice_answer"),
    path("invitations/<str:token>/", team_views.accept_invitation, name="invitation"),
    # Managers
    path("team/", team_views.dashboard, name="team"),
    path("team/export.csv", team_views.export_csv, name="team_export"),
    path("team/reviews/", team_views.review_queue, name="team_reviews"),
    path("team/nudge/", team_views.nudge, name="team_nudge"),
    path("team/invitations/", team_views.invite, name="team_invitations"),
    path(
        "team/invitations/<int:invitation_id>/resend/",
        team_views.resend_invitation,
        name="team_invitation_resend",
    ),
    path(
        "team/invitations/<int:invitation_id>/revoke/",
        team_views.revoke_invitation,
        name="team_invitation_revoke",
    ),
    path("team/assignments/", team_views.assignments, name="team_assignments"),
    path(
        "team/assignments/<int:assignment_id>/",
        team_views.change_assignment,
        name="team_assignment_change",
    ),
]
