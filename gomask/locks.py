"""Locks shared by every app: advisory-lock keys in one scheme, and contention as `Busy`.

Row locks (`select_for_update`) stay in the services that own the rows; this module covers
what has no row to lock (a pharmacy's arrival window, a patient's identity, a roll-up week)
and what every lock may end in: a wait past `lock_timeout` (DATABASE_LOCK_TIMEOUT_MS), a
deadlock, or a serialisation failure. Those become `Busy` — "réessayez dans un instant",
409 — in the API and on HTML pages alike (gomask.errors.as_domain_error).
"""

import hashlib
import random
import time
from collections.abc import Callable
from functools import wraps

from django.db import DatabaseError, connection

from gomask.errors import Busy

# SQLSTATEs of contention: lock_not_available (lock_timeout), deadlock_detected,
# serialization_failure. Anything else is a real failure and is not hidden.
LOCK_TIMEOUT = "55P03"
DEADLOCK = "40P01"
SERIALIZATION_FAILURE = "40001"
CONTENTION_STATES = {LOCK_TIMEOUT, DEADLOCK, SERIALIZATION_FAILURE}
# Worth running again at once: the other transaction was chosen to lose, or we were.
RETRYABLE_STATES = {DEADLOCK, SERIALIZATION_FAILURE}
RETRY_ATTEMPTS = 3
RETRY_PAUSE_SECONDS = 0.05


def _sqlstate(exc: BaseException) -> str | None:
    for error in (exc, exc.__cause__):
        state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if state:
            return state
    return None


def is_contention(exc: BaseException) -> bool:
    """Whether a database error means "someone else holds what we need", not a bug."""
    if not isinstance(exc, DatabaseError):
        return False
    if _sqlstate(exc) in CONTENTION_STATES:
        return True
    # SQLite (make run): one writer at a time, the others wait `timeout` then give up.
    return connection.vendor == "sqlite" and "database is locked" in str(exc)


def busy_from(exc: BaseException) -> Busy | None:
    """The `Busy` refusal a contention error stands for (None for any other exception)."""
    return Busy() if is_contention(exc) else None


def retry_on_contention(func: Callable) -> Callable:
    """Run `func` again after a deadlock or a serialisation failure; then, or on a lock
    timeout (which already waited), refuse with `Busy`.

    Only around a whole transaction: inside an outer atomic block the failed transaction
    cannot be retried, so the error goes up as `Busy` at once.
    """

    @wraps(func)
    def wrapper(*args, **kwargs):
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                return func(*args, **kwargs)
            except DatabaseError as exc:
                if not is_contention(exc):
                    raise
                last_try = attempt == RETRY_ATTEMPTS or connection.in_atomic_block
                if last_try or _sqlstate(exc) not in RETRYABLE_STATES:
                    raise Busy() from exc
                time.sleep(RETRY_PAUSE_SECONDS * attempt * (1 + random.random()))  # noqa: S311
        raise AssertionError("unreachable")

    return wrapper


def advisory_key(namespace: str, value) -> int:
    """The signed 64-bit key of (namespace, value): one scheme for every advisory lock.

    A hash, so string values (a patient's e-mail) and ids share one key space; two
    namespaces never share a key except by a 2^-64 collision, which would only make two
    unrelated actions queue.
    """
    digest = hashlib.blake2b(f"{namespace}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def advisory_lock(namespace: str, *values) -> None:
    """Transaction-level advisory locks on (namespace, value) for each value, in key order
    (so two callers never wait on each other crosswise). Without a value: the namespace
    itself. PostgreSQL only: SQLite (make run) has a single writer and needs none."""
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("An advisory lock is held until the end of a transaction: open one first.")
    keys = sorted({advisory_key(namespace, value) for value in (values or ("",))})
    with connection.cursor() as cursor:
        # One round trip: a function scan of unnest() yields the array's elements in their order,
        # so the locks are taken in key order as with one statement each.
        cursor.execute("SELECT count(pg_advisory_xact_lock(key)) FROM unnest(%s::bigint[]) AS key", [keys])


def try_advisory_lock(namespace: str) -> bool:
    """Take the transaction-level advisory lock of `namespace` if nobody holds it; False at once
    otherwise. For jobs of which one run at a time is enough (the outbox relay): a second run
    finds the first busy and leaves, instead of queueing behind it or racing it for rows.
    SQLite (make run) has a single writer: always True there."""
    if connection.vendor != "postgresql":
        return True
    if not connection.in_atomic_block:
        raise RuntimeError("An advisory lock is held until the end of a transaction: open one first.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [advisory_key(namespace, "")])
        return cursor.fetchone()[0]
