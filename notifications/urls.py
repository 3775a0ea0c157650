from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("practice/<str:token>/", views.practice_answer, name="practice_answer"),
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/<int:notice_id>/open/", views.open_notice, name="open_notice"),
]
