"""SCIM 2.0 (RFC 7643/7644) at /scim/v2/: scim2-server speaks the protocol (discovery,
validation, PATCH, attribute projection, errors, ETags); `OrganisationStorage` reads and writes
Socialcraft's people and teams through provisioning/people.py, one organisation per token.

What the service publishes is a subset of RFC 7643's User and Group: what Socialcraft keeps
(userName, name, displayName, emails, active, externalId; a Group's displayName and members).
A Group is a team and its members are the team's learners; managers are set in Socialcraft."""

from functools import cache

from django.db.models import Q, QuerySet
from scim2_models import (
    AuthenticationScheme,
    External,
    InvalidFilterException,
    InvalidValueException,
    NotFoundException,
    PreconditionFailedException,
    Reference,
    Resource,
    ResourceType,
    ScimProvider,
    UniquenessException,
)
from scim2_models.path.expressions import (
    CompareOperator,
    Comparison,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
)
from scim2_server.handler import ScimHandler
from scim2_server.service import ScimService
from scim2_server.storage import ScimStorage, SearchPage
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)

from learners.models import Organisation, Team, User

from . import people
from .models import ProvisionedPerson

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
MAX_RESULTS = 200

# The attributes kept, by schema; sub-attributes by attribute.
_PUBLISHED = {
    USER_SCHEMA: {
        "userName": None,
        "name": {"formatted", "familyName", "givenName"},
        "displayName": None,
        "emails": {"value", "type", "primary"},
        "active": None,
    },
    GROUP_SCHEMA: {"displayName": None, "members": {"value", "$ref", "type"}},
}


@cache
def provider() -> ScimProvider:
    schemas = load_default_schemas()
    published = []
    for schema_id, attributes in _PUBLISHED.items():
        schema = schemas[schema_id]
        schema.attributes = [a for a in schema.attributes if a.name in attributes]
        for attribute in schema.attributes:
            if attributes[attribute.name] is not None:
                attribute.sub_attributes = [
                    s for s in attribute.sub_attributes if s.name in attributes[attribute.name]
                ]
            if attribute.name == "emails":  # every account has an address: it is how we reach them
                attribute.required = True
                for sub in attribute.sub_attributes:
                    sub.required = sub.name == "value"
        published.append(schema)
    resource_types = load_default_resource_types()
    resource_types["User"].schema_extensions = []  # no enterprise extension
    config = load_default_service_provider_config()
    config.bulk.supported = False
    config.bulk.max_operations = 0
    config.bulk.max_payload_size = 0
    config.change_password.supported = False
    config.sort.supported = False
    config.filter.max_results = MAX_RESULTS
    config.documentation_uri = Reference[External](
        "https://github.com/socialcraft/socialcraft/blob/main/docs/provisioning.md"
    )
    config.authentication_schemes = [
        AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken,
            name="Bearer token",
            description="A SCIM token created for the organisation in Socialcraft's admin.",
            spec_uri=Reference[External]("https://datatracker.ietf.org/doc/html/rfc6750"),
            primary=True,
        )
    ]
    return ScimProvider.from_discovery(published, resource_types.values(), config=config)


@cache
def service() -> ScimService:
    return ScimService(provider())


def handler_for(organisation: Organisation, token_name: str) -> ScimHandler:
    return ScimHandler(service(), OrganisationStorage(organisation, token_name))


# -- between SCIM resources and Socialcraft's rows ---------------------------------------------


def _version(number: int) -> str:
    return f'W/"{number}"'


def _user_resource(user: User) -> Resource:
    link: ProvisionedPerson | None = getattr(user, "provisioned", None)
    attributes = link.attributes if link else {}
    emails = [dict(e) for e in attributes.get("emails") or []]
    primary = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    if primary is None:
        emails = [{"value": user.email, "primary": True}]
    elif (primary.get("value") or "").lower() != user.email:
        primary["value"] = user.email  # the account's address, as changed since
    data = {
        "schemas": [USER_SCHEMA],
        "id": str(user.pk),
        "userName": link.user_name if link else user.email,
        "emails": emails,
        "meta": {
            "resourceType": "User",
            "created": user.date_joined,
            "lastModified": link.updated_at if link else user.date_joined,
            "version": _version(link.version if link else 0),
        },
    }
    # What the provider removed reads back as removed (the account keeps a name to show, and
    # stays active); people Socialcraft knew before the provider get their account's values.
    if not link or attributes.get("displayName"):
        data["displayName"] = user.display_name
    if not link or attributes.get("active") is not None or not user.is_active:
        data["active"] = user.is_active
    if attributes.get("name"):
        data["name"] = attributes["name"]
    if link and link.external_id:
        data["externalId"] = link.external_id
    return provider().model_for("User").model_validate(data)


def _group_resource(team: Team) -> Resource:
    link = getattr(team, "provisioned", None)
    data = {
        "schemas": [GROUP_SCHEMA],
        "id": str(team.pk),
        "displayName": team.name,
        "members": [
            {"value": str(pk), "$ref": f"Users/{pk}", "type": "User"}
            for pk in people.learner_ids(team)
        ],
        "meta": {
            "resourceType": "Group",
            "created": team.created_at,
            "lastModified": link.updated_at if link else team.created_at,
            "version": _version(link.version if link else 0),
        },
    }
    if link and link.external_id:
        data["externalId"] = link.external_id
    return provider().model_for("Group").model_validate(data)


def _dump(resource: Resource) -> dict:
    return resource.model_dump(by_alias=True, exclude_none=True, mode="json")


def _person_facts(resource: Resource) -> people.PersonFacts:
    data = _dump(resource)
    return people.PersonFacts(
        user_name=(data.get("userName") or "").strip(),
        display_name=(data.get("displayName") or "").strip(),
        emails=data.get("emails") or [],
        name=data.get("name") or {},
        external_id=data.get("externalId") or "",
        active=data.get("active"),
    )


def _team_facts(resource: Resource, *, members_given: bool = True) -> people.TeamFacts:
    data = _dump(resource)
    members = data.get("members")
    ids = None
    if members is not None or members_given:
        try:
            ids = [int(m["value"]) for m in members or []]
        except (KeyError, TypeError, ValueError):
            raise InvalidValueException(detail="A member's value must be a User's id.") from None
    return people.TeamFacts(
        name=data.get("displayName") or "", member_ids=ids, external_id=data.get("externalId") or ""
    )


# -- filters: the SCIM filter's tree as a Q, on the attributes a provider searches by ---------

_STRING_LOOKUPS = {
    CompareOperator.eq: "exact",
    CompareOperator.co: "contains",
    CompareOperator.sw: "startswith",
    CompareOperator.ew: "endswith",
    CompareOperator.gt: "gt",
    CompareOperator.ge: "gte",
    CompareOperator.lt: "lt",
    CompareOperator.le: "lte",
}
# attribute path (lower case) → (field, case-exact)
_USER_FIELDS = {
    "id": ("pk", True),
    "username": ("scim_user_name", False),
    "externalid": ("provisioned__external_id", True),
    "displayname": ("display_name", False),
    "emails": ("email", False),
    "emails.value": ("email", False),
    "active": ("is_active", True),
    "meta.created": ("date_joined", True),
    "meta.lastmodified": ("provisioned__updated_at", True),
}
_GROUP_FIELDS = {
    "id": ("pk", True),
    "displayname": ("name", False),
    "externalid": ("provisioned__external_id", True),
    "meta.created": ("created_at", True),
    "meta.lastmodified": ("provisioned__updated_at", True),
    "members": ("memberships__user_id", True),
    "members.value": ("memberships__user_id", True),
}


def _q(node, fields: dict) -> Q:
    if isinstance(node, LogicalExpr):
        terms = [_q(term, fields) for term in node.terms]
        combined = terms[0]
        for term in terms[1:]:
            combined = combined & term if node.op == LogicalOperator.and_ else combined | term
        return combined
    if isinstance(node, Not):
        return ~_q(node.expr, fields)
    path = str(node.attr_path).rsplit(":", 1)[-1].lower()  # a schema URN prefix is allowed
    if path not in fields:
        raise InvalidFilterException(detail=f"Filtering on {node.attr_path} is not supported.")
    field, case_exact = fields[path]
    if isinstance(node, Present):
        return ~Q(**{f"{field}__isnull": True}) & ~Q(**{field: ""})
    if not isinstance(node, Comparison):
        raise InvalidFilterException(detail="This filter is not supported.")
    value = node.value
    if field == "pk" or field.endswith("user_id"):
        try:
            value = int(value)
        except (TypeError, ValueError):
            return Q(pk__in=[])  # no id is a non-number
    if node.op == CompareOperator.ne:
        return ~Q(**{field: value})
    lookup = _STRING_LOOKUPS[node.op]
    if isinstance(value, str) and not case_exact:
        lookup = (
            "i" + lookup if lookup in {"exact", "contains", "startswith", "endswith"} else lookup
        )
    return Q(**{f"{field}__{lookup}": value})


def _filtered(queryset: QuerySet, search_request, fields: dict) -> QuerySet:
    scim_filter = search_request.filter
    if scim_filter is None:
        return queryset
    return queryset.filter(_q(scim_filter.ast, fields)).distinct()


# -- the storage ------------------------------------------------------------------------------


class OrganisationStorage(ScimStorage):
    """One organisation's people (Users) and teams (Groups), as scim2-server's storage."""

    def __init__(self, organisation: Organisation, token_name: str):
        self.organisation = organisation
        self.via = token_name

    # Reads

    def _person(self, resource_id: str) -> User:
        try:
            return people.people_of(self.organisation).get(pk=int(resource_id))
        except (ValueError, User.DoesNotExist):
            raise NotFoundException(detail=f"No User with id {resource_id!r}.") from None

    def _team(self, resource_id: str) -> Team:
        try:
            return people.teams_of(self.organisation).get(pk=int(resource_id))
        except (ValueError, Team.DoesNotExist):
            raise NotFoundException(detail=f"No Group with id {resource_id!r}.") from None

    def _read(self, resource_type: ResourceType, resource_id: str) -> Resource:
        if resource_type.name == "User":
            return _user_resource(self._person(resource_id))
        team = self._team(resource_id)
        return _group_resource(team)

    def get(self, resource_type, resource_id, *, response_parameters=None) -> Resource:
        return self._read(resource_type, resource_id)

    def search(self, resource_types, search_request, *, position=None) -> SearchPage:
        if len(resource_types) != 1:
            # Searching Users and Groups at once (a search at the root) isn't offered.
            from scim2_models import NotImplementedException

            raise NotImplementedException(detail="Search /Users or /Groups, one at a time.")
        is_user = resource_types[0].name == "User"
        if is_user:
            rows = _filtered(people.people_of(self.organisation), search_request, _USER_FIELDS)
        else:
            rows = _filtered(people.teams_of(self.organisation), search_request, _GROUP_FIELDS)
        rows = rows.order_by("pk")
        total = rows.count()
        start = max((search_request.start_index or 1) - 1, 0)
        count = MAX_RESULTS if search_request.count is None else search_request.count
        page = list(rows[start : start + count]) if count > 0 else []
        if is_user:
            resources = [_user_resource(user) for user in page]
        else:
            resources = [_group_resource(team) for team in page]
        return SearchPage(total=total, resources=resources)

    # Writes

    def _check_version(self, current: Resource, expected_version: str | None) -> None:
        if expected_version is not None and current.meta.version != expected_version:
            raise PreconditionFailedException(detail="The resource changed since you read it.")

    def _write(self, action):
        try:
            return action()
        except people.ConflictError as error:
            raise UniquenessException(detail=str(error)) from None
        except people.ProvisioningError as error:
            raise InvalidValueException(detail=str(error)) from None

    def create(self, resource_type, resource) -> Resource:
        if resource_type.name == "User":
            facts = _person_facts(resource)
            user = self._write(lambda: people.create_person(self.organisation, facts, via=self.via))
            return self._read(resource_type, str(user.pk))
        facts = _team_facts(resource)
        team = self._write(lambda: people.create_team(self.organisation, facts, via=self.via))
        return self._read(resource_type, str(team.pk))

    def update(self, resource_type, resource, *, expected_version=None) -> Resource:
        self._check_version(self._read(resource_type, resource.id), expected_version)
        if resource_type.name == "User":
            user, facts = self._person(resource.id), _person_facts(resource)
            self._write(lambda: people.update_person(self.organisation, user, facts, via=self.via))
        else:
            team, facts = self._team(resource.id), _team_facts(resource)
            self._write(lambda: people.update_team(self.organisation, team, facts, via=self.via))
        return self._read(resource_type, resource.id)

    def delete(self, resource_type, resource_id, *, expected_version=None) -> None:
        self._check_version(self._read(resource_type, resource_id), expected_version)
        if resource_type.name == "User":
            people.remove_person(self.organisation, self._person(resource_id), via=self.via)
        else:
            people.delete_team(self.organisation, self._team(resource_id), via=self.via)
