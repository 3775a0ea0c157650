"""The reporting API: thin read-only views over `api.selectors`, one organisation per token."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.exceptions import NotAuthenticated, NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from learners.models import Team, TrackAssignment, User
from progress.models import Certificate, Enrolment, QuizAttempt

from . import selectors
from . import serializers as api_serializers
from .authentication import HasApiToken
from .pagination import IdCursor
from .schema import documented

ENDPOINTS = {
    "people": "api:person-list",
    "teams": "api:team-list",
    "assignments": "api:assignment-list",
    "enrolments": "api:enrolment-list",
    "quiz_results": "api:quiz-result-list",
    "certificates": "api:certificate-list",
    "clearance": "api:clearance-list",
}


class OrganisationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A list (and details) of one organisation's rows: the selector `rows` scopes it to the
    token's organisation, so another organisation's id is a 404, never its data."""

    pagination_class = IdCursor
    rows = staticmethod(selectors.people)
    model = None  # for the schema, which is built without a token

    def permission_denied(self, request, message=None, code=None):
        if request.successful_authenticator is None:  # no header: say what to send
            raise NotAuthenticated(HasApiToken.message)
        super().permission_denied(request, message, code)

    def filters(self) -> selectors.Filters:
        # A plain dict: an empty value (`?updated_since=`) is then a 400, not ignored.
        form = api_serializers.Filters(data=self.request.query_params.dict())
        if not form.is_valid():
            raise ValidationError(form.errors)
        values = form.validated_data
        return selectors.Filters(
            team=values.get("team"),
            track=values.get("track"),
            updated_since=values.get("updated_since"),
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        filters = self.filters() if self.action == "list" else selectors.Filters()
        return self.rows(self.request.auth.organisation, filters)


class OrganisationDetailViewSet(mixins.RetrieveModelMixin, OrganisationViewSet):
    lookup_value_regex = r"[0-9]{1,18}"  # a 64-bit id: a longer one is a 404, not an overflow


@documented(
    api_serializers.Person,
    what="people",
    dates="joining the site or one of the organisation's teams",
)
class PersonViewSet(OrganisationDetailViewSet):
    """The people of the organisation's teams, with their teams and roles there."""

    model = User

    serializer_class = api_serializers.Person
    rows = staticmethod(selectors.people)


@documented(api_serializers.Team, what="teams", dates="the team's creation")
class TeamViewSet(OrganisationDetailViewSet):
    model = Team

    serializer_class = api_serializers.Team
    rows = staticmethod(selectors.teams)


@documented(
    api_serializers.Assignment, what="assignments", dates="making or cancelling the assignment"
)
class AssignmentViewSet(OrganisationDetailViewSet):
    model = TrackAssignment

    serializer_class = api_serializers.Assignment
    rows = staticmethod(selectors.assignments)


@documented(
    api_serializers.Enrolment,
    what="enrolments, with progress",
    dates="enrolling, the latest activity and completion",
)
class EnrolmentViewSet(OrganisationDetailViewSet):
    model = Enrolment

    serializer_class = api_serializers.Enrolment
    rows = staticmethod(selectors.enrolments)


@documented(
    api_serializers.QuizResult, what="quiz results", dates="submitting the attempt", detail=False
)
class QuizResultViewSet(OrganisationViewSet):
    model = QuizAttempt

    serializer_class = api_serializers.QuizResult
    rows = staticmethod(selectors.quiz_results)


@documented(api_serializers.Certificate, what="certificates", dates="issue and renewal")
class CertificateViewSet(OrganisationDetailViewSet):
    model = Certificate

    serializer_class = api_serializers.Certificate
    rows = staticmethod(selectors.certificates)


@documented(
    api_serializers.Clearance,
    what="each person's clearance, per level of the organisation",
    dates="joining, as for people (clearance itself is worked out at the time of the request)",
    detail=False,
)
class ClearanceViewSet(OrganisationViewSet):
    model = User

    serializer_class = api_serializers.Clearance
    rows = staticmethod(selectors.clearance_people)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        clearances = selectors.clearances(request.auth.organisation, page)
        context = {**self.get_serializer_context(), "clearances": clearances}
        return self.get_paginated_response(
            api_serializers.Clearance(page, many=True, context=context).data
        )


@extend_schema(exclude=True)
@api_view(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@authentication_classes([])
@permission_classes([permissions.AllowAny])
@throttle_classes([])
def not_found(request, path: str = ""):
    """Any other URL under /api/: a 404 in JSON, like the API's own."""
    raise NotFound("No such endpoint: see /api/v1/ for the list.")


class Root(APIView):
    """The API's endpoints, its OpenAPI document and its guide: public, like the document."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = []

    @extend_schema(exclude=True)
    def get(self, request):
        def url(name: str) -> str:
            return request.build_absolute_uri(reverse(name))

        return Response(
            {
                **{key: url(name) for key, name in ENDPOINTS.items()},
                "schema": url("api:schema"),
                "docs": url("api:docs"),
            }
        )


class Schema(SpectacularAPIView):
    """The OpenAPI document, public. Made once per process and version: it changes only with
    the code, and making it walks every view (tens of milliseconds a request otherwise)."""

    documents: dict = {}

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        if version not in self.documents:
            generator = self.generator_class(
                urlconf=self.urlconf, api_version=version, patterns=self.patterns
            )
            self.documents[version] = generator.get_schema(request=None, public=True)
        filename = self._get_filename(request, version)
        return Response(
            data=self.documents[version],
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )


class Docs(SpectacularSwaggerSplitView):
    """Swagger UI from our own static files (drf-spectacular-sidecar), its set-up script a file
    too (`?script`): the site's Content-Security-Policy allows neither a CDN nor inline code."""

    template_name = "api/docs.html"
    url_name = "api:schema"
