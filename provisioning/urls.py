from django.urls import path, re_path

from . import views

app_name = "scim"

urlpatterns = [
    path("scim/v2", views.endpoint, name="root"),
    re_path(r"^scim/v2/(?P<path>.*)$", views.endpoint, name="endpoint"),
]
