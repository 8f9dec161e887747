"""DATABASE_POOL_MODE=transaction (PgBouncer in transaction pooling mode): no startup option
(PgBouncer refuses them), the lock timeout set per transaction, nothing left in the session.

Each check runs in a child process started with that setting, against the test database
(through PgBouncer when CI runs `make test-pgbouncer`)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)

_SCRIPT = """
import time
import django
django.setup()
import psycopg
from django.db import OperationalError, connection, transaction

def show():
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        return cursor.fetchone()[0]

print("engine", connection.settings_dict["ENGINE"])
print("outside", show())
with transaction.atomic():
    print("inside", show())
print("after", show())

# Another client holds a row lock; a transaction of the portal waiting for it gives up after
# the lock timeout instead of waiting for ever.
other = psycopg.connect(sys.argv[1], prepare_threshold=None)
other.execute("CREATE TABLE IF NOT EXISTS pooling_probe (id int PRIMARY KEY)")
other.execute("INSERT INTO pooling_probe VALUES (1) ON CONFLICT DO NOTHING")
other.commit()
other.execute("SELECT id FROM pooling_probe WHERE id = 1 FOR UPDATE")
started = time.monotonic()
try:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM pooling_probe WHERE id = 1 FOR UPDATE")
    print("locked", "acquired")
except OperationalError as error:
    print("locked", type(error.__cause__).__name__, round(time.monotonic() - started, 1))
other.rollback()
other.execute("DROP TABLE pooling_probe")
other.commit()
"""


def run_in_transaction_pool_mode(lock_timeout_ms: int) -> dict[str, list[str]]:
    params = connection.settings_dict
    url = f"postgres://{params['USER']}@{params['HOST']}:{params['PORT']}/{params['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gomask.settings",
        "DATABASE_URL": url,
        "DATABASE_POOL_MODE": "transaction",
        "DATABASE_LOCK_TIMEOUT_MS": str(lock_timeout_ms),
    }
    dsn = f"host={params['HOST']} port={params['PORT']} user={params['USER']} dbname={params['NAME']}"
    result = subprocess.run(
        [sys.executable, "-c", "import sys\n" + _SCRIPT, dsn],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()}


def test_in_transaction_pool_mode_each_transaction_gets_the_lock_timeout_and_the_session_none():
    seen = run_in_transaction_pool_mode(lock_timeout_ms=700)

    assert seen["engine"] == ["gomask.pooled_postgresql"]
    assert seen["inside"] == ["700ms"]
    # No startup option and no session SET: PgBouncer accepts the connection, and a server
    # connection handed to another client afterwards carries nothing of ours.
    assert seen["outside"] == seen["after"] == ["0"]


def test_in_transaction_pool_mode_a_lock_held_elsewhere_ends_in_the_lock_timeout():
    seen = run_in_transaction_pool_mode(lock_timeout_ms=500)

    kind, waited = seen["locked"]
    assert kind == "LockNotAvailable"
    assert 0.4 <= float(waited) < 5
