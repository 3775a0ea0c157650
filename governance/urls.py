from django.urls import path

from . import views

app_name = "governance"

urlpatterns = [
    # The policy, the clearance roster, content freshness
    path("policy/", views.policy, name="policy"),
    path("policy/edit/", views.policy_edit, name="policy_edit"),
    path(
        "policy/promote/<int:submission_id>/",
        views.promote_submission,
        name="policy_promote",
    ),
    path("team/roster/", views.roster, name="roster"),
    path("team/roster.csv", views.roster_csv, name="roster_csv"),
    path("team/freshness/", views.freshness, name="freshness"),
]
