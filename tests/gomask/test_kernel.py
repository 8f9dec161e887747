"""The shared kernel: clock, input cleaning, locks, and the import directions between apps."""

import re
import subprocess
import sys
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from gomask import clock, locks
from gomask.cleaning import MAX_QUANTITY, clean_quantity, parse_id
from gomask.errors import Busy, InvalidInput

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _french():
    """Messages and date formats in the source language, whatever a previous test activated."""
    with translation.override("fr"):
        yield


# --- clock ------------------------------------------------------------------------------------------


def test_a_week_runs_from_monday_in_paris_whatever_the_utc_date():
    sunday_late_in_utc = datetime(2020, 3, 22, 23, 30, tzinfo=UTC)  # Monday 00:30 in Paris (CET)
    assert clock.week_start(sunday_late_in_utc) == date(2020, 3, 23)
    assert clock.week_start(date(2020, 3, 22)) == date(2020, 3, 16)
    start, end = clock.week_bounds(date(2020, 3, 23))
    assert (start.utcoffset().total_seconds(), end.utcoffset().total_seconds()) == (3600, 7200)  # DST on 29/3


def test_dates_in_messages_are_written_in_paris_time():
    moment = datetime(2020, 7, 1, 12, 5, tzinfo=UTC)
    assert clock.format_datetime(moment) == "01/07/2020 à 14:05"
    assert (clock.format_date(moment), clock.format_time(moment)) == ("01/07/2020", "14:05")


# --- input cleaning ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [(12, 12), ("12", 12), (" 7 ", 7), (3.0, 3), ("0", None), (-4, None), ("1.5", None), (1.5, None)]
    + [("abc", None), (None, None), (True, None), ("9" * 20, None), (2**63, None), ("", None)],
)
def test_record_ids_are_parsed_once_for_urls_forms_and_json(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize(
    "value, allow_zero, message",
    [(0, False, "supérieure à zéro"), (-1, True, "négative"), ("2,5", False, "nombre entier")]
    + [(MAX_QUANTITY + 1, False, "100 000")],
)
def test_one_quantity_rule_refuses_with_a_french_message(value, allow_zero, message):
    with pytest.raises(InvalidInput, match=message) as refused:
        clean_quantity(value, allow_zero=allow_zero, field="counted")
    assert (refused.value.code, refused.value.field) == ("invalid_quantity", "counted")


def test_zero_is_a_quantity_only_where_allowed():
    assert clean_quantity("0", allow_zero=True) == 0
    assert clean_quantity(MAX_QUANTITY) == MAX_QUANTITY


# --- locks ------------------------------------------------------------------------------------------


def test_advisory_keys_share_one_scheme_and_namespaces_do_not_collide():
    assert locks.advisory_key("arrival-window", 12) == locks.advisory_key("arrival-window", "12")
    assert locks.advisory_key("arrival-window", 12) != locks.advisory_key("rollup-week", 12)
    assert -(2**63) <= locks.advisory_key("booking-patient", "email:a@b.fr") < 2**63


@pytest.mark.django_db
def test_an_advisory_lock_held_by_another_session_ends_in_busy_not_a_crash():
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or None, port=db["PORT"] or None
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [locks.advisory_key("arrival-window", 42)])
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '100ms'")
        with pytest.raises(OperationalError) as timed_out, transaction.atomic():
            locks.advisory_lock("arrival-window", 42)
    assert isinstance(locks.busy_from(timed_out.value), Busy)


@pytest.mark.django_db
def test_several_advisory_locks_are_taken_in_one_round_trip_and_all_held_until_the_end():
    keys = sorted(locks.advisory_key("booking-patient", v) for v in ("email:a@b.fr", "phone:+33600000000"))
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        locks.advisory_lock("booking-patient", "phone:+33600000000", "email:a@b.fr", "email:a@b.fr")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks"
                " WHERE locktype = 'advisory' AND pid = pg_backend_pid() ORDER BY 1"
            )
            held = sorted(row[0] for row in cursor.fetchall())
    assert len([q for q in queries.captured_queries if "pg_advisory_xact_lock" in q["sql"]]) == 1
    assert held == keys


def test_an_advisory_lock_needs_a_transaction():
    with pytest.raises(RuntimeError):
        locks.advisory_lock("arrival-window", 1)  # autocommit would release it at once


def _database_error(error_class) -> OperationalError:
    """A Django database error wrapping the driver's, as Django raises them."""
    try:
        try:
            raise error_class("simulated")
        except psycopg.Error as driver_error:
            raise OperationalError(str(driver_error)) from driver_error
    except OperationalError as wrapped:
        return wrapped


def test_a_deadlock_is_retried_around_a_whole_transaction(monkeypatch):
    monkeypatch.setattr(locks, "RETRY_PAUSE_SECONDS", 0)
    calls = []

    @locks.retry_on_contention
    def action():
        calls.append(1)
        if len(calls) < 3:
            raise _database_error(psycopg.errors.DeadlockDetected)
        return "done"

    assert action() == "done" and len(calls) == 3


def test_a_lock_timeout_is_not_retried_and_refused_as_busy(monkeypatch):
    monkeypatch.setattr(locks, "RETRY_PAUSE_SECONDS", 0)
    calls = []

    @locks.retry_on_contention
    def action():
        calls.append(1)
        raise _database_error(psycopg.errors.LockNotAvailable)

    with pytest.raises(Busy):
        action()
    assert len(calls) == 1


def test_a_deadlock_that_keeps_coming_back_ends_in_busy(monkeypatch):
    monkeypatch.setattr(locks, "RETRY_PAUSE_SECONDS", 0)

    @locks.retry_on_contention
    def action():
        raise _database_error(psycopg.errors.DeadlockDetected)

    with pytest.raises(Busy):
        action()


def test_other_database_errors_are_not_hidden():
    @locks.retry_on_contention
    def action():
        raise _database_error(psycopg.errors.UndefinedTable)

    with pytest.raises(OperationalError):
        action()


# --- import directions ------------------------------------------------------------------------------


def _contract_layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return [re.split(r"[:|]", layer)[0].strip() for layer in contract["layers"]]


def _documented_layers() -> list[str]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## Import directions", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`" in line.split("|")[1]]
    return [re.search(r"`([^`]+)`", row.split("|")[1]).group(1) for row in rows]


def test_the_documented_import_directions_are_the_enforced_ones():
    assert _documented_layers() == _contract_layers()


def test_the_apps_import_downwards_only():
    # In a process of its own: import-linter's CLI configures logging with dictConfig, whose
    # default disable_existing_loggers=True would silence every logger already created here
    # (territories.geocoding...) for the tests that run after this one on the same worker.
    result = subprocess.run(
        [Path(sys.executable).with_name("lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
