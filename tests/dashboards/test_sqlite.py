"""The dashboard shows the same figures and dates on SQLite (`make run`) as on PostgreSQL."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from dashboards.selectors import _aware
from tests.dashboards import portable

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def run_on_sqlite(tmp_path, now) -> dict:
    env = {
        **os.environ,
        "GOMASK_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portable.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "GEOCODER_BACKEND": "none",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.dashboards.portable", now.isoformat()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_dashboard_figure_and_date_is_the_same_on_sqlite_and_postgresql(occitanie, tmp_path):
    now = timezone.now()
    portable.build_scenario(now)
    on_postgresql = portable.snapshot(timezone.localdate(now))

    on_sqlite = run_on_sqlite(tmp_path, now)

    # Every filter of the scenario answers, on SQLite too (the département of Riscle was a 500).
    assert set(on_sqlite["pages"].values()) == {200}
    assert on_sqlite["snapshot"] == on_postgresql
    # And the scenario does exercise the timestamps read by raw SQL.
    stamps = [row["updated_at"] for row in on_postgresql['{"departement": "32"}']["pharmacies"]]
    assert "aware" in stamps and "naive" not in stamps
    # And the priority zone's consultations and access figures, read by raw SQL too.
    (zone,) = on_postgresql["{}"]["consultations"]
    figures = ("offered", "booked", "attended", "no_show", "without_doctor", "new_doctor", "active")
    assert [zone[key] for key in figures] == [4, 3, 1, 1, 2, 1, 1]
    assert [row["epci"] for row in on_postgresql["{}"]["access"] if row["priority_zone"]] == [zone["epci"]]


def test_a_timestamp_read_by_raw_sql_without_offset_is_utc():
    naive = datetime(2026, 3, 2, 23, 30)
    assert _aware(naive) == datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    assert timezone.localtime(_aware(naive)).hour == 0  # Paris, UTC+1 in March
    assert _aware(None) is None
