from django.urls import path

from . import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("placement/", views.placement, name="placement"),
    path("placement/result/", views.placement_result, name="placement_result"),
]
