from django.urls import path

from . import audit_views

app_name = "audit"

urlpatterns = [
    path("audit/", audit_views.audit_log, name="log"),
    path("audit/export.csv", audit_views.audit_export, name="export"),
]
