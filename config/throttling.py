"""DRF's rate throttles (settings.REST_FRAMEWORK), their request history kept as an array of floats,
read and written in Redis through one client kept per process.

DRF's ``SimpleRateThrottle`` keeps each caller's request times (newest first) in the cache as a
Python list, read and written back, pickled, on every request: for a clinic system or integration
calling with one token at the user rate (6 000 a minute), a list of up to 6 000 floats, 0.19 ms of
CPU per request at 2 000 of them (measured). An ``array('d')`` is the same sequence to DRF's code
(``pop``, ``insert(0, …)``, ``[-1]``, ``len``) and pickles as its bytes: 8 µs at 2 000. The rate,
the window and the answers (429 and its ``Retry-After``) are DRF's; a list cached before is read as
one and stored back as an array.

The cache they use (DRF's ``cache`` attribute, documented for a throttle that wants another cache):
with Redis, ``KeptRedisClient``; otherwise Django's default cache itself.
"""
from array import array

from django.conf import settings
from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisSerializer
from rest_framework import throttling


class KeptRedisClient:
    """The two calls of Django's cache API a DRF throttle makes (``get``, ``set`` with the throttle's
    window, a second or more), on the default cache's own keys and values in Redis (its key
    function, prefix and version; its serializer), through one redis-py client kept for the process.

    Why: Django's Redis cache builds a new ``redis.Redis`` client for every call (it fills a table
    of ~80 reply parsers each time), about 0.1 ms of CPU a call, two calls on every API request:
    the throttle's get and set cost 0.46-0.53 ms of CPU a request through Django's cache against
    0.15-0.26 ms here (measured in-process against the bench's Redis, 2 000 pairs, three rounds),
    on a ``POST /api/v1/claims/`` that costs about 4 ms (a whole ``UserRateThrottle.allow_request``
    with the bench's history: 393 against 230 µs, the least of 7 rounds of 500). The history read and written is the one
    Django's cache reads and writes (``cache.get("throttle_user_<id>")`` sees it)."""

    def __init__(self, cache, location: str):
        import redis

        self.cache = cache
        self.client = redis.Redis.from_url(location)
        self.serializer = RedisSerializer()

    def get(self, key, default=None):
        value = self.client.get(self.cache.make_and_validate_key(key))
        return default if value is None else self.serializer.loads(value)

    def set(self, key, value, timeout):
        self.client.set(self.cache.make_and_validate_key(key), self.serializer.dumps(value),
                        ex=self.cache.get_backend_timeout(timeout))


def _throttle_cache():
    """The kept client for Django's Redis cache on one server (settings: REDIS_URL); Django's cache
    itself for anything else (the embedded default's local memory, a list of Redis servers)."""
    default = settings.CACHES["default"]
    location = default.get("LOCATION")
    if (default["BACKEND"] == "django.core.cache.backends.redis.RedisCache" and isinstance(location, str)
            and not any(separator in location for separator in ",;")):
        return KeptRedisClient(default_cache, location)
    return default_cache


THROTTLE_CACHE = _throttle_cache()


class ArrayHistory:
    cache = THROTTLE_CACHE

    def throttle_success(self):
        if not isinstance(self.history, array):
            self.history = array("d", self.history)
        return super().throttle_success()


class AnonRateThrottle(ArrayHistory, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ArrayHistory, throttling.UserRateThrottle):
    pass
