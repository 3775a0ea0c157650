from django.urls import path

from . import views

urlpatterns = [
    path("launch", views.start_launch),
    path("authorize", views.authorize),
    path("deep-link-return", views.deep_link_return),
    path("jwks", views.jwks),
    path("token", views.token),
    path("ags/<str:context>/lineitems", views.lineitems),
    path("ags/<str:context>/lineitems/<str:item>", views.lineitem),
    path("ags/<str:context>/lineitems/<str:item>/scores", views.scores),
    path("ags/<str:context>/lineitems/<str:item>/results", views.results),
    path("test/state", views.state),
]
