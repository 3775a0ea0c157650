from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
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
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", views.Docs.as_view(), name="docs"),
    path("api/v1/", include(router.urls)),
]
