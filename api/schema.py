"""How the OpenAPI document describes what drf-spectacular can't see for itself: the bearer
token, and the errors every endpoint may answer with."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers

from . import serializers as api_serializers


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation's API token (sc_api_…), made by staff in the admin "
            "or with `manage.py api_token create`.",
        }


class Error(serializers.Serializer):
    detail = serializers.CharField()


ERRORS = {
    401: OpenApiResponse(
        Error, description="No token, or one that is unknown, expired or revoked."
    ),
    404: OpenApiResponse(Error, description="No such row for this token, or a stale cursor."),
    429: OpenApiResponse(
        Error, description="Over the token's rate limit: wait Retry-After seconds."
    ),
}
BAD_FILTER = OpenApiResponse(
    OpenApiTypes.OBJECT, description="A filter's value is wrong: each field named, with why."
)


def documented(serializer, *, what: str, dates: str, detail: bool = True):
    """The list (and detail) of `serializer`, with the filters and the errors they answer."""
    views = {
        "list": extend_schema(
            summary=f"List {what}",
            description=f"`updated_since` counts {dates}.",
            parameters=[api_serializers.Filters],
            responses={200: serializer(many=True), 400: BAD_FILTER, **ERRORS},
        )
    }
    if detail:
        views["retrieve"] = extend_schema(
            summary=f"One of the {what}", responses={200: serializer, **ERRORS}
        )
    return extend_schema_view(**views)
