from django.core.cache import cache
from django.utils.functional import SimpleLazyObject

from learners.selectors import is_a_manager, is_a_named_reviewer

NAV_CACHE_SECONDS = 300  # the "Team" and "Reviews" links may lag a new role by five minutes


def navigation(request):
    def manager_link() -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        return cache.get_or_set(
            f"nav-is-manager:{user.pk}", lambda: is_a_manager(user), NAV_CACHE_SECONDS
        )

    def reviews_link() -> bool:
        """A reviewer an organisation named who manages no team: the header links their inbox."""
        user = request.user
        if not user.is_authenticated or manager_link():
            return False
        return cache.get_or_set(
            f"nav-is-reviewer:{user.pk}", lambda: is_a_named_reviewer(user), NAV_CACHE_SECONDS
        )

    return {
        "nav_is_manager": SimpleLazyObject(manager_link),
        "nav_is_reviewer": SimpleLazyObject(reviews_link),
    }
