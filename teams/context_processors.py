"""What the team pages' menu shows on every page that includes it."""

from django.utils.functional import SimpleLazyObject

from . import dashboards


def reviews(request):
    """How much waits for the person's review, counted only when a page shows it (the team
    menu and the dashboard; kept for a minute): other pages pay nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"reviews_waiting": SimpleLazyObject(lambda: dashboards.reviews_waiting_for_menu(user))}
