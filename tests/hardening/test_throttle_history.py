"""The API's per-user throttle (config/throttling.py): DRF's, its request history cached as an
array of floats instead of a list (pickled on every request), with DRF's rate and answers."""
from array import array

import pytest
from django.core.cache import cache
from rest_framework.throttling import UserRateThrottle as DRFUserRateThrottle

from config.throttling import UserRateThrottle
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


def test_the_history_is_an_array_and_the_rate_is_drfs(api_client):
    # given a user rate of 3 a minute (set where DRF's class reads it), and a clean cache
    cache.clear()
    original = DRFUserRateThrottle.THROTTLE_RATES
    DRFUserRateThrottle.THROTTLE_RATES = {**original, "user": "3/minute"}
    user = make_staff(all_regions=True)
    try:
        api_client.force_authenticate(user)
        # when the user calls 4 times in the minute
        answers = [api_client.get("/api/v1/providers/") for _ in range(4)]
        key = UserRateThrottle().cache_format % {"scope": "user", "ident": user.pk}
        history = cache.get(key)
    finally:
        DRFUserRateThrottle.THROTTLE_RATES = original
        cache.clear()
    # then the fourth is refused with DRF's 429 and its Retry-After, and the 3 accepted calls'
    # times are cached as an array, newest first
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[3]["Retry-After"]) > 0
    assert isinstance(history, array) and len(history) == 3 and list(history) == sorted(history, reverse=True)


def test_a_list_cached_before_is_read_and_stored_back_as_an_array(api_client):
    # given a history DRF's own throttle cached (a list) for the user: 2 calls a second ago
    import time

    cache.clear()
    user = make_staff(all_regions=True)
    key = UserRateThrottle().cache_format % {"scope": "user", "ident": user.pk}
    now = time.time()
    cache.set(key, [now - 1, now - 1.5], 60)
    # when the user calls again
    api_client.force_authenticate(user)
    assert api_client.get("/api/v1/providers/").status_code == 200
    # then the 3 times are kept, as an array
    history = cache.get(key)
    cache.clear()
    assert isinstance(history, array) and len(history) == 3 and history[1:].tolist() == [now - 1, now - 1.5]


@pytest.mark.redis
def test_with_redis_the_throttles_read_and_write_the_default_caches_own_entries(settings):
    # given Django's Redis cache (REDIS_URL) and the throttles' kept client on the same server
    from config.throttling import THROTTLE_CACHE, KeptRedisClient

    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache") and isinstance(THROTTLE_CACHE, KeptRedisClient)
    cache.clear()
    # when a history is written by Django's cache, and another by the kept client
    cache.set("throttle_user_a", array("d", [2.0, 1.0]), 60)
    THROTTLE_CACHE.set("throttle_user_b", array("d", [4.0, 3.0]), 60)
    # then each reads the other's, under the same key, with the throttle's window as its expiry
    assert THROTTLE_CACHE.get("throttle_user_a").tolist() == [2.0, 1.0]
    assert cache.get("throttle_user_b").tolist() == [4.0, 3.0]
    assert THROTTLE_CACHE.get("throttle_user_missing", []) == []
    assert 0 < THROTTLE_CACHE.client.ttl(cache.make_and_validate_key("throttle_user_b")) <= 60
    cache.clear()
