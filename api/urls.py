from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "api"

router = SimpleRouter()
router.register("people", views.PersonViewSet, basename="person")
router.register("teams", views.TeamViewSet, basename="team")
router.register("assignments", views.AssignmentViewSet, basename="assignment")
router.register("enrolments", views.EnrolmentViewSet, basename="enrolment")
router.register("quiz-results", views.QuizResultViewSet, basename="quiz-result")
router.register("certificates", views.CertificateViewSet, basename="certificate")
router.register("clearance", views.ClearanceViewSet, basename="clearance")

urlpatterns = [
    path("api/v1/", views.Root.as_view(), name="root"),
    path("api/v1/schema/", views.Schema.as_view(), name="schema"),
    path("api/v1/docs/", views.Docs.as_view(), name="docs"),
    path("api/v1/", include(router.urls)),
    re_path(r"^api/(?P<path>[\s\S]*)\Z", views.not_found, name="not_found"),
]
