from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from . import views

# The admin signs in through allauth, so its rate limits and verification apply there too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Socialcraft administration"
admin.site.site_title = "Socialcraft admin"
admin.site.index_title = "Content, people and messages"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("healthz/live", views.healthz_live, name="healthz_live"),
    path("healthz/ready", views.healthz_ready, name="healthz_ready"),
    path(".well-known/security.txt", views.security_txt, name="security_txt"),
    path(".well-known/security-policy.txt", views.security_policy, name="security_policy"),
    path("admin/", admin.site.urls),
    path("", include("provisioning.sso_urls")),  # before allauth's: /accounts/company/
    path("accounts/", include("allauth.urls")),
    path("", include("learners.urls")),
    path("", include("courses.urls")),
    path("", include("ledger.urls")),
    path("", include("progress.urls")),
    path("", include("governance.urls")),
    path("", include("governance.audit_urls")),
    path("", include("practice.urls")),
    path("", include("teams.urls")),
    path("", include("notifications.urls")),
    path("", include("provisioning.urls")),
    path("", include("credentials.urls")),
    path("", include("lti.urls")),
    path("", include("api.urls")),
]

handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
