from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("practice/<str:token>/", views.practice_answer, name="practice_answer"),
]
