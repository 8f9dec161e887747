"""Stop `make test` at once, with a useful message, when PostgreSQL or Redis is down."""

import os
import sys
from urllib.parse import urlparse

HOW_TO_START = """
Start them, then run `make test` again:
  - with Docker:  docker compose up -d db redis
  - on Debian:    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
                  redis-server --daemonize yes --port 6379 --save "" --appendonly no
Or point DATABASE_URL / REDIS_URL (TEST_DATABASE_URL / TEST_REDIS_URL for make) elsewhere.
"""


def check_postgres(url: str) -> str | None:
    import psycopg

    parts = urlparse(url)
    try:
        psycopg.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.Error as exc:
        where = f"{parts.hostname}:{parts.port or 5432}"
        return f"PostgreSQL is not reachable at {where} ({exc.__class__.__name__})."
    return None


def check_redis(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis is not reachable at {url} ({exc.__class__.__name__})."
    return None


def main() -> int:
    problems = [
        problem
        for problem in (
            check_postgres(os.environ["DATABASE_URL"]),
            check_redis(os.environ["REDIS_URL"]),
        )
        if problem
    ]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(HOW_TO_START, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
