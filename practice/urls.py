from django.urls import path

from . import journal_views, views

app_name = "practice"

urlpatterns = [
    # The post studio: draft, preview, request a review, log where it was published
    path("studio/", views.composer, name="studio"),
    path("studio/preview/", views.preview, name="studio_preview"),
    path("studio/posts/<int:post_id>/", views.post_detail, name="studio_post"),
    path(
        "studio/posts/<int:post_id>/request-review/",
        views.request_review,
        name="studio_request_review",
    ),
    path(
        "studio/posts/<int:post_id>/published/",
        views.log_published,
        name="studio_log_published",
    ),
    path("studio/reviews/", views.review_queue, name="studio_reviews"),
    path("studio/reviews/<int:post_id>/", views.review_post, name="studio_review"),
    # The growth journal, the evidence of what was published, the public portfolio
    path("journal/", journal_views.journal_home, name="journal"),
    path("journal/profiles/", journal_views.add_profile, name="journal_profiles"),
    path(
        "journal/profiles/<int:profile_id>/",
        journal_views.change_profile,
        name="journal_profile",
    ),
    path("journal/snapshots/", journal_views.add_snapshot, name="journal_snapshots"),
    path("journal/evidence/", journal_views.evidence, name="journal_evidence"),
    path(
        "journal/evidence/<int:evidence_id>/",
        journal_views.change_evidence,
        name="journal_evidence_item",
    ),
    path("journal/portfolio/", journal_views.portfolio_settings, name="journal_portfolio"),
    path("p/<slug:handle>/", journal_views.portfolio, name="portfolio"),
    path("team/growth/", journal_views.team_growth, name="team_growth"),
]
