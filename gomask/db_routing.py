"""Where reads may go: the primary, or a streaming replica for reporting.

Stock, quotas, options, handovers and bookings are read and written on the primary only: their
invariants are checked under row locks there. Dashboards and exports read aggregates that a
few seconds of lag cannot falsify, so, when a replica is configured (DATABASE_REPLICA_URL),
they read from it and say how fresh it is. The choice is explicit at each reporting read
(`reporting_alias()`), never implicit for a model: a service that reads a roll-up's state
before rewriting it must see the primary.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_ALIAS = "replica"

# Lag as the replica sees it. When it has replayed everything it received, it is current even
# if the last transaction is old (an idle primary writes nothing to replay).
_LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END
"""


def reporting_alias() -> str:
    """The database dashboards and exports read from: the replica when one is configured."""
    return REPLICA_ALIAS if settings.DATABASE_REPLICA_URL else DEFAULT_DB_ALIAS


def reporting_connection():
    return connections[reporting_alias()]


@dataclass(frozen=True)
class ReplicaFreshness:
    on_replica: bool
    lag_seconds: float | None  # None: the server is not a standby (a mirror, or the primary)


def replica_freshness() -> ReplicaFreshness:
    """How far behind the primary the reporting database is, for the pages that read it."""
    alias = reporting_alias()
    if alias == DEFAULT_DB_ALIAS:
        return ReplicaFreshness(on_replica=False, lag_seconds=None)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return ReplicaFreshness(on_replica=True, lag_seconds=None)
    with connection.cursor() as cursor:
        cursor.execute(_LAG_SQL)
        in_recovery, lag = cursor.fetchone()
    known = in_recovery and lag is not None
    return ReplicaFreshness(on_replica=True, lag_seconds=float(lag) if known else None)


class PrimaryReplicaRouter:
    """Writes and migrations on the primary only; objects read from either may be related
    (the replica holds the same rows)."""

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA_ALIAS}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
