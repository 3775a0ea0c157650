from django.urls import path

from . import views

app_name = "lti"

# Under /lti/ of their own: allauth's identity provider already serves /.well-known/jwks.json.
urlpatterns = [
    path("lti/login/", views.login, name="login"),
    path("lti/launch/", views.launch, name="launch"),
    path("lti/deep-link/", views.deep_link_choose, name="deep_link_choose"),
    path("lti/jwks/", views.jwks, name="jwks"),
]
