from django.urls import path

from . import views

app_name = "credentials"

urlpatterns = [
    path("certificates/<str:code>/credential.json", views.credential, name="credential"),
    path("credentials/status/<int:key_id>.json", views.status_list, name="status_list"),
]
