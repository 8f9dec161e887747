"""Where the feeds keep their documents and rate counters: Redis when REDIS_URL is set (one
round trip per request: the rate counter and the document's entry read in one pipeline), else
Django's cache (local memory under `make run`).

Keys carry the cache's KEY_PREFIX, so a bench or another deployment on the same Redis database
does not share them; the test suite's `cache.clear()` (FLUSHDB) empties them too.
"""

import json
from functools import cache as once

import redis
from django.conf import settings
from django.core.cache import cache


def _prefixed(key: str) -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:opendata:{key}"


@once
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


class RedisStore:
    def __init__(self, url: str):
        self.client = _redis(url)

    def hit(
        self, rate_key: str | None, requests: int, window: int, entry_key: str | None
    ) -> tuple[int | None, dict | None]:
        """(the client's total in the window after adding `requests`, the document's entry),
        in one round trip; either part may be skipped (None)."""
        pipeline = self.client.pipeline(transaction=False)
        if rate_key:
            pipeline.incrby(_prefixed(rate_key), requests)
            pipeline.expire(_prefixed(rate_key), window + 5, nx=True)
        if entry_key:
            pipeline.get(_prefixed(entry_key))
        results = pipeline.execute()
        entry = json.loads(results[-1]) if entry_key and results[-1] else None
        return (results[0] if rate_key else None), entry

    def count(self, rate_key: str, window: int, requests: int = 1) -> int:
        return self.hit(rate_key, requests, window, None)[0]

    def set_entry(self, key: str, entry: dict) -> None:
        self.client.set(_prefixed(key), json.dumps(entry))

    def get_body(self, key: str) -> bytes | None:
        return self.client.get(_prefixed(key))

    def set_body(self, key: str, body: bytes, timeout: int) -> None:
        self.client.set(_prefixed(key), body, ex=timeout)

    def lock(self, key: str, timeout: int) -> bool:
        return bool(self.client.set(_prefixed(key), b"1", nx=True, ex=timeout))

    def unlock(self, key: str) -> None:
        self.client.delete(_prefixed(key))


class CacheStore:
    def hit(
        self, rate_key: str | None, requests: int, window: int, entry_key: str | None
    ) -> tuple[int | None, dict | None]:
        count = self.count(rate_key, window, requests) if rate_key else None
        return count, cache.get(_prefixed(entry_key)) if entry_key else None

    def count(self, rate_key: str, window: int, requests: int = 1) -> int:
        key = _prefixed(rate_key)
        try:
            return cache.incr(key, requests)
        except ValueError:
            # First request of the window (or the key expired between the two calls).
            return requests if cache.add(key, requests, timeout=window + 5) else cache.incr(key, requests)

    def set_entry(self, key: str, entry: dict) -> None:
        cache.set(_prefixed(key), entry, timeout=None)

    def get_body(self, key: str) -> bytes | None:
        return cache.get(_prefixed(key))

    def set_body(self, key: str, body: bytes, timeout: int) -> None:
        cache.set(_prefixed(key), body, timeout=timeout)

    def lock(self, key: str, timeout: int) -> bool:
        return cache.add(_prefixed(key), 1, timeout=timeout)

    def unlock(self, key: str) -> None:
        cache.delete(_prefixed(key))


def store() -> RedisStore | CacheStore:
    return RedisStore(settings.REDIS_URL) if settings.REDIS_URL else CacheStore()
