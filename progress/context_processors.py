from django.core.cache import cache
from django.utils.functional import SimpleLazyObject

from learners.selectors import is_a_manager

NAV_CACHE_SECONDS = 300  # the "Team" link may lag a new manager role by up to five minutes


def navigation(request):
    def manager_link() -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        return cache.get_or_set(
            f"nav-is-manager:{user.pk}", lambda: is_a_manager(user), NAV_CACHE_SECONDS
        )

    return {"nav_is_manager": SimpleLazyObject(manager_link)}
