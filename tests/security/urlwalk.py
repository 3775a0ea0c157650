"""Walk the URL resolver, fill in URL arguments from the world, classify responses."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ledger import messaging
from progress.models import Submission

LOGIN = "login"  # 302 to the sign-in page
ADMIN_LOGIN = "admin login"  # 302 to the admin's sign-in (which itself goes to allauth)
REDIRECT = "redirect"  # 302 anywhere else


@dataclass(frozen=True)
class Route:
    key: str  # the URL name ("progress:me", "admin:index") or, for unnamed patterns, the route
    route: str
    params: tuple[str, ...]

    @property
    def named(self) -> bool:
        return self.key != self.route


def walk(patterns=None, prefix: str = "", namespace: str | None = None, outer_params=()):
    """Every URL pattern, recursively, with its full name (or route when unnamed)."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            # An include's own arguments (allauth's "keys/<int:pk>/") belong to each URL in it.
            yield from walk(
                pattern.url_patterns,
                prefix + str(pattern.pattern),
                inner,
                (*outer_params, *pattern.pattern.regex.groupindex),
            )
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if pattern.name:
                key = f"{namespace}:{pattern.name}" if namespace else pattern.name
            else:
                key = route
            params = (*outer_params, *pattern.pattern.regex.groupindex)
            yield Route(key=key, route=route, params=params)


def all_routes() -> dict[str, Route]:
    routes: dict[str, Route] = {}
    for route in walk():
        routes.setdefault(route.key, route)  # the first match wins, as in the resolver
    return routes


def classify(response) -> int | str:
    if response.status_code in (301, 302, 303, 307, 308):
        path = urlsplit(response["Location"]).path
        if path == reverse("account_login"):
            return LOGIN
        if path == reverse("admin:login"):
            return ADMIN_LOGIN
        return REDIRECT
    return response.status_code


def admin_object(world, app_label: str, model_name: str):
    """The row an admin change/delete/history URL opens: A's own where A has one."""
    from django.apps import apps

    model = apps.get_model(app_label, model_name)
    own = {
        "learners.user": world.a,
        "progress.submission": world.submission,
        "progress.certificate": world.certificate,
        "progress.quizattempt": world.attempt,
        "learners.invitation": world.invitation,
        "learners.trackassignment": world.track_assignment,
        "learners.team": world.extra["team"],
        "practice.practicepost": world.extra["post"],
        "practice.growthprofile": world.extra["growth_profile"],
        "practice.evidence": world.extra["evidence"],
    }.get(f"{app_label}.{model_name}")
    if own is not None:
        return own
    for field_name in ("learner", "user", "recipient"):
        try:
            model._meta.get_field(field_name)
        except Exception:  # noqa: S112 - the model has no such field; try the next name
            continue
        row = model._default_manager.filter(**{field_name: world.a}).first()
        if row is not None:
            return row
    return model._default_manager.order_by("pk").first()


def registered_admin_models() -> set[str]:
    from django.contrib import admin

    return {model._meta.label_lower for model in admin.site._registry}


def url_for(route: Route, world) -> str:
    """The URL of `route` with arguments that point at learner A's records."""
    a = world.a
    key = route.key
    values = {
        "track_slug": world.track.slug,
        "lesson_slug": (
            world.plain_lesson if key == "progress:complete_lesson" else world.lesson
        ).slug,
        "attempt_id": world.attempt.pk,
        "submission_id": world.submission.pk,
        "code": world.certificate.code,
        "invitation_id": world.invitation.pk,
        "assignment_id": world.track_assignment.pk,
        "post_id": world.extra["post"].pk,
        "profile_id": world.extra["growth_profile"].pk,
        "evidence_id": world.extra["evidence"].pk,
        "notice_id": world.extra["notice"].pk,
        "handle": "learner-a",
        "learner_id": a.pk,
        "pk": 999999,  # a security key (allauth.mfa) that isn't the requester's
        "uidb36": "1z",
        "key": "not-a-real-key",
        "url": "no-such-admin-page/",
        "path": "Users",  # scim:endpoint
        "provider_id": "no-such-organisation",  # an organisation's OpenID Connect sign-in
        "organization_slug": "no-such-organisation",  # an organisation's SAML sign-in
    }
    if key == "credentials:status_list":
        from credentials import issuing

        values["key_id"] = issuing.active_key(None).pk  # the site's own key
    if key == "ledger:unsubscribe":
        values["token"] = messaging.unsubscribe_token(email=a.email, kind="manager_nudge")
    elif key == "teams:invitation":
        values["token"] = world.extra["invitation_token"]
    elif key == "notifications:practice_answer":
        values["token"] = world.extra["practice_token"]
    if key.startswith("admin:") or route.route.startswith("admin/"):
        parts = route.route.split("/")
        if len(parts) > 3 and f"{parts[1]}.{parts[2]}" in registered_admin_models():
            obj = admin_object(world, parts[1], parts[2])
            values["object_id"] = obj.pk if obj is not None else 999999
            values["id"] = values["object_id"]
        values["app_label"] = "learners"
        values["content_type_id"] = ContentType.objects.get_for_model(Submission).pk
        values.setdefault("object_id", world.submission.pk)
    missing = [p for p in route.params if p not in values]
    if missing:
        raise KeyError(f"{key}: no value for URL argument(s) {missing}; add one in url_for()")
    kwargs = {p: values[p] for p in route.params}
    if route.named:
        return reverse(key, kwargs=kwargs)
    return _fill(route.route, kwargs)


def _fill(route: str, kwargs: dict) -> str:
    import re

    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m.group(1)]), path)
    return "/" + path.replace("^", "").replace("$", "")
