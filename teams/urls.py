from django.urls import path

from . import views

app_name = "teams"

urlpatterns = [
    path("start/", views.start, name="start"),  # where sign-in leads
    path("invitations/<str:token>/", views.accept_invitation, name="invitation"),
    # Managers
    path("team/", views.dashboard, name="team"),
    path("team/export.csv", views.export_csv, name="team_export"),
    path("team/people/<int:learner_id>/", views.person, name="person"),
    path("team/reviews/", views.review_queue, name="team_reviews"),
    path("team/nudge/", views.nudge, name="team_nudge"),
    path("team/attempts/", views.quiz_attempts, name="team_attempts"),
    path("team/invitations/", views.invite, name="team_invitations"),
    path(
        "team/invitations/<int:invitation_id>/resend/",
        views.resend_invitation,
        name="team_invitation_resend",
    ),
    path(
        "team/invitations/<int:invitation_id>/revoke/",
        views.revoke_invitation,
        name="team_invitation_revoke",
    ),
    path("team/assignments/", views.assignments, name="team_assignments"),
    path(
        "team/assignments/<int:assignment_id>/",
        views.change_assignment,
        name="team_assignment_change",
    ),
]
