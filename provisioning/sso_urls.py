from django.urls import path

from . import sso_views

# Beside allauth's account pages, without a namespace, as theirs are.
urlpatterns = [
    path("accounts/company/", sso_views.company_sign_in, name="company_sign_in"),
]
