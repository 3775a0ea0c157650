import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate limits and cached sessions live in the cache: each test starts from nothing."""
    cache.clear()
    yield
    cache.clear()
