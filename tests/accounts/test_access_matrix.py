"""Every route of the URL configuration and every operation of the API schema, tried with every
kind of visitor, must give the answer documented in tests/accounts/access_matrix.py.

A route or an API operation that is missing from the table fails the test: a new page or endpoint
cannot ship without someone writing down who may use it.
"""

import functools
import os
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from accounts.models import AccountStatus, Role
from tests.accounts.access_matrix import API_OPERATIONS, PERSONAS, ROUTES, Outcome, route_rule
from tests.factories import MembershipFactory, UserFactory, enrol_totp, pharmacist_of, professional_user

pytestmark = pytest.mark.django_db

MISSING_ID = 987654
# Routes whose request ends the session: the persona logs in again after them.
LOGOUT_ROUTES = {"account_logout", "admin:logout"}


def all_routes():
    """(name, pattern) of every named URL pattern, namespaces included."""

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                if not entry.name:
                    continue  # unnamed admin redirects and static files: reached through named ones
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                yield name, prefix + str(entry.pattern)

    seen = {}
    for name, pattern in walk(get_resolver().url_patterns, "", ""):
        seen.setdefault(name, pattern)
    return sorted(seen.items())


@functools.cache
def api_operations():
    """(METHOD, path) of every operation of the OpenAPI schema. Generated once per process:
    the schema depends on the code only, and each walk below reads it."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return tuple(
        sorted(
            (method.upper(), path)
            for path, item in schema["paths"].items()
            for method in item
            if method in {"get", "post", "put", "patch", "delete"}
        )
    )


@pytest.fixture
def world(occitanie, riscle_pharmacy):
    """What the routes are about: a pharmacy in Riscle with its pharmacist, a doctor there."""
    from professionals.models import Profession

    owner = pharmacist_of(riscle_pharmacy, email="titulaire.riscle@exemple.fr")
    doctor = professional_user(profession=Profession.MEDECIN, email="medecin.riscle@exemple.fr")
    return {
        "pharmacy_id": riscle_pharmacy.pk,
        "membership_id": owner.pharmacy_memberships.get().pk,
        "professional_id": doctor.professional.pk,
        "product_code": "surgical",
        "code": "32",
        "slug": "stock",
        "doctor": doctor,
    }


def _personas(world, toulouse_pharmacy, administrator, ars_paca):
    from professionals.models import Profession

    return {
        "anonymous": None,
        "pharmacist_other": pharmacist_of(toulouse_pharmacy, email="autre.officine@exemple.fr"),
        "professional": world["doctor"],
        "professional_other": professional_user(
            profession=Profession.INFIRMIER, insee_code="31555", email="infirmier.toulouse@exemple.fr"
        ),
        "ars_other": ars_paca,
        "cpts_other": UserFactory(
            role=Role.CPTS_COORDINATOR, region_id="93", email="cpts@autre-territoire.fr"
        ),
        "patient": UserFactory(role=Role.PATIENT, email="patient@exemple.fr"),
        "admin": administrator,
    }


def _pending_accounts(riscle_pharmacy):
    """A pending account of each role (only pharmacists and professionals start pending, but a
    suspended or reset account of any role must be held back the same way)."""
    accounts = {}
    for role in Role.values:
        region = "76" if role in {Role.ARS_STAFF, Role.CPTS_COORDINATOR} else None
        user = UserFactory(
            role=role, status=AccountStatus.PENDING, region_id=region, email=f"attente.{role}@exemple.fr"
        )
        if role == Role.PHARMACIST:
            MembershipFactory(user=user, pharmacy=riscle_pharmacy, status="pending")
        if role in {Role.ARS_STAFF, Role.ADMIN}:
            enrol_totp(user)
        accounts[f"pending_{role}"] = user
    return accounts


_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>|\(\?P<(?P<regex_name>\w+)>[^)]*\)")


def concrete_path(pattern: str, values: dict) -> str:
    def value(match):
        name = match.group("name") or match.group("regex_name")
        converter = match.group("converter") or "str"
        if name in values:
            return str(values[name])
        return str(MISSING_ID) if converter in {"int", "path"} or name.endswith("_id") else "inconnu"

    path = _PARAM.sub(value, pattern).replace("^", "").replace("$", "")
    return "/" + path.lstrip("/")


def classify(response, *, logged_in: bool) -> Outcome:
    status = response.status_code
    location = response.get("Location", "")
    if status == 401 or (status == 302 and location.startswith(reverse("account_login"))):
        return Outcome.LOGIN
    if status == 302 and location.startswith(reverse("admin:login")):
        # The admin sends whoever it refuses to its login page, which refuses a logged-in account.
        return Outcome.DENY if logged_in else Outcome.LOGIN
    if status == 302 and location.startswith(("/accounts/2fa/",)):
        return Outcome.SECOND_FACTOR
    if status == 403:
        return Outcome.DENY
    return Outcome.ALLOW


def _client_for(user, api=False):
    client = APIClient() if api else Client()
    if user is not None:
        client.force_login(user)
    return client


def _try_route(client, path):
    response = client.get(path)
    if response.status_code == 405:
        response = client.post(path, {})
    return response


def _try_operation(client, method, path):
    return getattr(client, method.lower())(path, {}, format="json")


def _matches(got: Outcome, want) -> bool:
    return got in want if isinstance(want, frozenset) else got == want


def _label(want) -> str:
    return "/".join(sorted(o.name for o in want)) if isinstance(want, frozenset) else want.name


def _walk(user, persona_key, expected_key, world):
    """Every named route and every API operation with this user; the mismatches, as text."""
    mismatches = []
    client = _client_for(user)
    for name, pattern in all_routes():
        rule = route_rule(name)
        if rule is None:
            continue  # reported by test_every_route_is_in_the_access_table
        response = _try_route(client, concrete_path(pattern, world))
        got, want = classify(response, logged_in=user is not None), rule[expected_key]
        if not _matches(got, want):
            path = concrete_path(pattern, world)
            mismatches.append(f"{name:45} {path:60} {_label(want):8} got {got.name} ({response.status_code})")
        if name in LOGOUT_ROUTES and user is not None:
            client = _client_for(user)
    api_client = _client_for(user, api=True)
    for method, path in api_operations():
        key = f"{method} {path}"
        if key not in API_OPERATIONS:
            continue
        concrete = concrete_path(re.sub(r"\{(\w+)\}", r"<\1>", path), world)
        response = _try_operation(api_client, method, concrete)
        got, want = classify(response, logged_in=user is not None), API_OPERATIONS[key][expected_key]
        if not _matches(got, want):
            mismatches.append(
                f"{key:45} {concrete:60} {_label(want):8} got {got.name} ({response.status_code})"
            )
    if os.environ.get("ACCESS_MATRIX_PRINT"):
        print(f"\n== {persona_key}\n" + "\n".join(mismatches))
    return mismatches


def test_every_route_is_in_the_access_table():
    missing = [name for name, _ in all_routes() if route_rule(name) is None]
    assert not missing, "Routes without a line in tests/accounts/access_matrix.py: " + ", ".join(missing)
    stale = sorted(set(ROUTES) - {name for name, _ in all_routes()} - {"admin:*"})
    assert not stale, "Lines of the access table for routes that no longer exist: " + ", ".join(stale)


def test_every_api_operation_is_in_the_access_table():
    operations = {f"{method} {path}" for method, path in api_operations()}
    missing = sorted(operations - set(API_OPERATIONS))
    assert not missing, "API operations without a line in tests/accounts/access_matrix.py: " + ", ".join(
        missing
    )
    stale = sorted(set(API_OPERATIONS) - operations)
    assert not stale, "Lines of the access table for API operations that no longer exist: " + ", ".join(stale)


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "pending"])
def test_every_route_answers_each_kind_of_visitor_as_documented(
    persona, world, toulouse_pharmacy, administrator, ars_paca
):
    user = _personas(world, toulouse_pharmacy, administrator, ars_paca)[persona]
    mismatches = _walk(user, persona, persona, world)
    assert not mismatches, f"{persona}: answers that differ from the access table:\n" + "\n".join(mismatches)


@pytest.mark.parametrize("role", Role.values)
def test_a_pending_account_of_every_role_reaches_only_its_status_and_sign_out(role, world, riscle_pharmacy):
    user = _pending_accounts(riscle_pharmacy)[f"pending_{role}"]
    mismatches = _walk(user, f"pending_{role}", "pending", world)
    assert not mismatches, f"pending {role}: answers that differ from the access table:\n" + "\n".join(
        mismatches
    )
