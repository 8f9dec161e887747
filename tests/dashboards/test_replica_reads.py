"""Dashboards and exports read from a replica when one is configured; stock, quotas and
bookings never do. A second connection alias stands for the replica (same database, another
connection), so every query can be attributed to the connection that ran it."""

import os
import subprocess
import sys

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards.models import DispensationWeek
from dashboards.services import refresh_rollups
from gomask.db_routing import REPLICA_ALIAS, PrimaryReplicaRouter, replica_freshness, reporting_alias
from tests.dashboards.conftest import dispense
from tests.dashboards.test_access_and_export import export_rows, this_month

pytestmark = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA_ALIAS])


@pytest.fixture
def replica_connection(settings):
    """Reporting reads switched to the "replica" alias, which the test settings declare as a
    second connection to the test database."""
    settings.DATABASE_REPLICA_URL = "postgres://replica.invalid/gomask"  # only its presence counts
    return connections[REPLICA_ALIAS]


def ran_on(queries, table: str) -> bool:
    return any(table in query["sql"] for query in queries)


def test_without_a_replica_everything_reads_the_primary():
    assert reporting_alias() == DEFAULT_DB_ALIAS
    assert replica_freshness().on_replica is False


def test_the_dashboard_reads_its_rollups_from_the_replica_and_says_so(
    client, ars_occitanie, world, replica_connection
):
    refresh_rollups()
    client.force_login(ars_occitanie)

    with (
        CaptureQueriesContext(replica_connection) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        response = client.get(reverse("dashboards:dashboard"))

    assert response.status_code == 200
    assert ran_on(on_replica.captured_queries, DispensationWeek._meta.db_table)
    assert not ran_on(on_primary.captured_queries, DispensationWeek._meta.db_table)
    # The test "replica" is a second connection to the primary, not a standby: no lag to show.
    assert "Chiffres lus sur la réplique de la base de données." in response.content.decode()


def test_the_export_streams_from_the_replica_and_logs_on_the_primary(
    client, exporting_ars, world, replica_connection
):
    client.force_login(exporting_ars)

    with (
        CaptureQueriesContext(replica_connection) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        rows = export_rows(client.post(reverse("dashboards:export_dispensations"), {"month": this_month()}))

    assert len(rows) > 1
    assert ran_on(on_replica.captured_queries, "distribution_dispensation")
    assert not ran_on(on_primary.captured_queries, "distribution_dispensation")
    assert ran_on(on_primary.captured_queries, "dashboards_exportlog")


def test_a_handover_still_reads_and_writes_the_primary_only(client, world, replica_connection):
    """The counter's quota check must see the latest rows: nothing there goes to the replica."""
    with CaptureQueriesContext(replica_connection) as on_replica:
        dispense(world.toulouse_pharmacist, world.toulouse, world.doctor, 1, when=None)

    assert on_replica.captured_queries == []


def test_the_router_keeps_writes_and_migrations_on_the_primary():
    router = PrimaryReplicaRouter()
    assert router.db_for_write(DispensationWeek) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "dashboards") is True
    assert router.allow_migrate(REPLICA_ALIAS, "dashboards") is False


def test_the_replica_url_adds_a_mirrored_alias_to_the_settings():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "r = settings.DATABASES['replica']; print(r['HOST'], r['PORT'], r['TEST']['MIRROR'])"
    )
    env = {**os.environ, "DATABASE_REPLICA_URL": "postgres://reader@replica.example:5433/gomask"}
    env["DJANGO_SETTINGS_MODULE"] = "gomask.settings"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["replica.example", "5433", "default"]
