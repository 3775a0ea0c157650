from django.urls import path

from . import views

app_name = "courses"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("tracks/<slug:track_slug>/", views.track_detail, name="track"),
    path("tracks/<slug:track_slug>/<slug:lesson_slug>/", views.lesson_detail, name="lesson"),
]
