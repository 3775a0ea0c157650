"""The site's URLs plus the bench-only baseline view (used by config.settings.bench only)."""

from django.urls import path

from config.urls import handler404, handler500
from config.urls import urlpatterns as site_urlpatterns

from . import views

__all__ = ["handler404", "handler500", "urlpatterns"]

urlpatterns = [path("bench/bare/", views.bare_auth, name="bench_bare_auth"), *site_urlpatterns]
