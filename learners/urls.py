from django.urls import path

from . import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/delete/", views.delete_account, name="profile_delete"),
    path("placement/", views.placement, name="placement"),
    path("placement/result/", views.placement_result, name="placement_result"),
]
