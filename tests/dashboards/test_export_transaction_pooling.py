"""The streamed export outside any test transaction, as in production. Behind PgBouncer in
transaction pooling mode (CI's `make test-pgbouncer`, which hands successive transactions to
different server connections), a cursor kept open between transactions would be lost."""

import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse

from dashboards.models import ExportLog
from tests.dashboards.test_access_and_export import export_rows, this_month

pytestmark = pytest.mark.django_db(transaction=True)


def open_several_server_connections(count=4):
    """Transactions in parallel, so that the pooler holds several server connections."""
    barrier = threading.Barrier(count)

    def busy():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                barrier.wait(timeout=10)
                cursor.execute("SELECT pg_sleep(0.05)")
        finally:
            connection.close()

    threads = [threading.Thread(target=busy) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


def test_the_export_streams_every_row_when_each_statement_runs_in_its_own_transaction(
    client, exporting_ars, world
):
    open_several_server_connections()
    client.force_login(exporting_ars)

    response = client.post(reverse("dashboards:export_dispensations"), {"month": this_month()})

    rows = export_rows(response)
    log = ExportLog.objects.get()
    assert log.completed_at is not None
    assert log.row_count == len(rows) - 1 > 0
