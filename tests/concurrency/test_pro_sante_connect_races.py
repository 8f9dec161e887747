"""Real threads against PostgreSQL: two accounts signing in with the same national identifier at
the same moment; exactly one is linked to the professional and validated.

The professional's row is locked (select_for_update) before its link is read; the negative
control reads it without the lock and waits on a barrier (both threads have read "no account
linked" before either writes) and must then validate both accounts.
"""

import threading
import time

import pytest
from django.utils import timezone

from accounts.models import AccountStatus, Role
from prosanteconnect import services
from tests.concurrency.test_quota_races import run_in_threads
from tests.factories import ProfessionalFactory, UserFactory

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

RPPS = "10000000009"


def _race(occitanie):
    professional = ProfessionalFactory(rpps=RPPS, directory_seen_at=timezone.now())
    accounts = [
        UserFactory(role=Role.PROFESSIONAL, status=AccountStatus.PENDING, email=f"psc{index}@exemple.fr")
        for index in range(2)
    ]
    identity = services.identity_from_claims({"SubjectNameID": "8" + RPPS})
    results = run_in_threads(
        [lambda user=user: services.attach_identity(user_id=user.pk, identity=identity) for user in accounts]
    )
    for user in accounts:
        user.refresh_from_db()
    professional.refresh_from_db()
    validated = [user for user in accounts if user.status == AccountStatus.ACTIVE]
    return results, validated, professional


def test_two_sign_ins_with_one_rpps_link_and_validate_exactly_one_account(occitanie, monkeypatch):
    real_match = services._directory_match

    def slow_match(identity, *, lock):
        found = real_match(identity, lock=lock)
        time.sleep(0.05)
        return found

    monkeypatch.setattr(services, "_directory_match", slow_match)

    results, validated, professional = _race(occitanie)

    assert sorted(ok for ok, _ in results) == [False, True]
    refused = next(value for ok, value in results if not ok)
    assert refused.code == "psc_linked_elsewhere"
    assert len(validated) == 1 and professional.user == validated[0]


def test_negative_control_without_the_row_lock_validates_both(occitanie, monkeypatch):
    real_match = services._directory_match
    both_read = threading.Barrier(2)

    def unlocked_match(identity, *, lock):
        found = real_match(identity, lock=False)
        both_read.wait(timeout=10)
        return found

    monkeypatch.setattr(services, "_directory_match", unlocked_match)

    results, validated, _ = _race(occitanie)

    assert all(ok for ok, _ in results)
    assert len(validated) == 2  # the race the lock prevents
