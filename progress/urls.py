from django.urls import path

from . import views

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
    path("certificates/<str:code>.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("me/certificates/<str:code>/renew/", views.renew_certificate, name="renew_certificate"),
]
