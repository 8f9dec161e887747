"""Every write endpoint, fed malformed values, answers 4xx and writes nothing.

The endpoints are enumerated, not listed: the POST/PUT/PATCH/DELETE operations of the
OpenAPI schema, and every HTML route of the URL configuration (POSTed to with the fields of
the forms its page shows), so that a new endpoint is covered without touching this file.
Each is tried by every persona (anonymous, pharmacist, nurse, ARS agent, administrator),
with PostgreSQL's counters of the rows this transaction wrote compared before and after
each request.
"""

import functools
import re
import uuid

import pytest
from django.contrib.admindocs.views import extract_views_from_urlpatterns
from django.db import connection
from django.test import Client
from django.urls import get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")
# Routes not fuzzed here: the Django admin (its own forms, staff only, behind the same
# middleware), static files, and the API (fuzzed from its schema below).
SKIPPED_PREFIXES = ("admin/", "static/", "api/")

CONTROL = "ab\x00c\x1bd"
ARABIC_DIGITS = "٣٢٤٠٠"
FULL_WIDTH_DIGITS = "１２"
HUGE = "x" * (1024 * 1024 + 10)


# The rows each table of this transaction inserted, updated and deleted so far, as PostgreSQL
# counts them (pg_stat_xact_user_tables: the current transaction's own counters, read from the
# backend's memory, not from the shared statistics). The requests run inside the test's
# transaction, on its connection, so a request that writes any row of any table moves one of
# them: stricter than comparing row counts (an UPDATE, or an INSERT and a DELETE, leave those
# unchanged), and counting also what a savepoint rolled back. One query per snapshot instead of
# a count(*) of every table. test_the_write_counters_see_what_a_request_writes is its control.
_WRITES = """
    SELECT relname, n_tup_ins + n_tup_upd + n_tup_del
    FROM pg_stat_xact_user_tables
    WHERE n_tup_ins + n_tup_upd + n_tup_del > 0 AND relname <> 'django_session'
"""
# django_session: logging a persona in writes its session, not the endpoint.


def _writes() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(_WRITES)
        return dict(cursor.fetchall())


def _changed(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    """The tables written between two snapshots: (rows written before, after)."""
    return {
        table: (before.get(table, 0), written)
        for table, written in after.items()
        if written != before.get(table, 0)
    }


@pytest.fixture
def personas(riscle_pharmacist, nurse, ars_occitanie, administrator, riscle_pharmacy, products):
    return {
        "anonyme": None,
        "pharmacien": riscle_pharmacist,
        "infirmière": nurse,
        "ARS": ars_occitanie,
        "administrateur": administrator,
    }


def test_the_write_counters_see_what_a_request_writes(riscle_pharmacist, riscle_pharmacy, products):
    """Negative control of _writes(): requests that do write, through the same test client
    and inside the test's transaction, are caught, whether they insert or only update rows
    (an update the former count of rows could not see); so is a write a savepoint rolled back."""
    from django.db import transaction

    from pharmacies.models import StockLevel

    client = Client()
    client.force_login(riscle_pharmacist)
    arrival = {
        "arrival-product": "surgical",
        "arrival-quantity": "2",
        "arrival-unit": "box",
        "arrival-source": "regional",
        "arrival-note": "",
        "arrival-idempotency_key": str(uuid.uuid4()),
    }
    before = _writes()
    response = client.post(f"/officine/{riscle_pharmacy.pk}/stock/arrivee/", arrival)
    assert response.status_code == 302
    inserted = _changed(before, _writes())
    assert "pharmacies_stockmovement" in inserted, inserted

    rows = StockLevel.objects.count()
    before = _writes()
    response = client.post(f"/officine/{riscle_pharmacy.pk}/stock/surgical/epuise/")
    assert response.status_code == 302
    assert StockLevel.objects.count() == rows  # an update only: the number of rows is unchanged
    assert "pharmacies_stocklevel" in _changed(before, _writes())

    before = _writes()
    with pytest.raises(RuntimeError), transaction.atomic():
        StockLevel.objects.filter(pharmacy=riscle_pharmacy).update(sold_out_at=None)
        raise RuntimeError
    assert "pharmacies_stocklevel" in _changed(before, _writes())

    # And what is not a write is not counted: a page read, the persona's session aside.
    before = _writes()
    assert client.get(f"/officine/{riscle_pharmacy.pk}/stock/").status_code == 200
    assert _changed(before, _writes()) == {}


# --- API: operations of the OpenAPI schema ------------------------------------------------


@functools.cache
def _api_operations() -> tuple[tuple[str, str, dict], ...]:
    """The write operations of the OpenAPI schema, generated once per process (it depends on
    the code only); the bodies' schemas are read, never changed."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method not in WRITE_METHODS:
                continue
            body = (
                operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            )
            if body and "$ref" in body:
                body = components[body["$ref"].rsplit("/", 1)[1]]
            operations.append((method, path, body or {}))
    return tuple(operations)


def _property_type(spec: dict) -> str:
    if "type" in spec:
        return spec["type"]
    return "enum" if "allOf" in spec or "oneOf" in spec or "enum" in spec else "string"


def _wrong_type(spec: dict):
    return {
        "integer": "beaucoup",
        "number": "beaucoup",
        "boolean": {"oui": True},
        "array": "pas une liste",
        "object": ["pas", "un", "objet"],
        "enum": 12,
    }.get(_property_type(spec), {"texte": ["attendu"]})


def _look_alike_digits(spec: dict):
    # Numbers and texts written with Arabic-Indic digits: int("٣") is 3 in Python.
    return (
        ARABIC_DIGITS if _property_type(spec) in {"integer", "number", "string", "enum"} else [ARABIC_DIGITS]
    )


def _api_payloads(body_schema: dict) -> list[tuple[str, str, str]]:
    """(label, raw body, content type): malformed bodies for one operation."""
    import json

    properties = body_schema.get("properties", {})
    payloads = [
        ("corps énorme", json.dumps(dict.fromkeys(properties, HUGE) or {"x": HUGE}), "application/json"),
        ("JSON imbriqué", "[" * 100_000, "application/json"),
        ("JSON invalide", '{"a": ', "application/json"),
        ("tableau au lieu d'un objet", "[1, 2, 3]", "application/json"),
    ]
    if properties:
        payloads += [
            (
                "types erronés",
                json.dumps({n: _wrong_type(s) for n, s in properties.items()}),
                "application/json",
            ),
            ("caractères de contrôle", json.dumps(dict.fromkeys(properties, CONTROL)), "application/json"),
            (
                "chiffres non latins",
                json.dumps({n: _look_alike_digits(s) for n, s in properties.items()}, ensure_ascii=False),
                "application/json",
            ),
            ("NaN", "{" + ", ".join(f'"{n}": NaN' for n in properties) + "}", "application/json"),
        ]
    return payloads


def _api_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _fill_path(path: str, pharmacy_id: int) -> str:
    return re.sub(
        r"\{(\w+)\}",
        lambda match: str(pharmacy_id) if match.group(1) == "pharmacy_id" else "1",
        path,
    )


def test_the_schema_lists_the_write_operations_this_test_fuzzes():
    paths = {(method, path) for method, path, _body in _api_operations()}
    assert ("post", "/api/consultations/bookings/") in paths
    assert ("post", "/api/pharmacies/{pharmacy_id}/arrivals/") in paths
    assert len(paths) >= 10


def test_every_api_write_operation_refuses_malformed_bodies_and_writes_nothing(personas, riscle_pharmacy):
    failures = []
    for method, path, body_schema in _api_operations():
        url = _fill_path(path, riscle_pharmacy.pk)
        for persona, user in personas.items():
            client = _api_client(user)
            attempts = [
                (label, url, raw, content_type) for label, raw, content_type in _api_payloads(body_schema)
            ]
            attempts.append(("NUL dans la requête", f"{url}?q=a%00b", "{}", "application/json"))
            if not body_schema:
                # A body the view does not read cannot be malformed for it: only what the
                # middleware checks before any view runs.
                attempts = [a for a in attempts if a[0] in {"corps énorme", "NUL dans la requête"}]
            for label, target, raw, content_type in attempts:
                before = _writes()
                response = client.generic(method.upper(), target, raw, content_type=content_type)
                changed = _changed(before, _writes())
                if not 400 <= response.status_code < 500 or changed:
                    failures.append((method, path, persona, label, response.status_code, changed))
    assert failures == [], "\n".join(map(repr, failures))


# --- HTML pages: every route, with the fields of the forms it shows -------------------------

_FIELD = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'(\w[\w-]*)="([^"]*)"')
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _html_routes() -> list[str]:
    routes = set()
    for _view, pattern, _namespace, _name in extract_views_from_urlpatterns(get_resolver().url_patterns):
        route = str(pattern).lstrip("^").rstrip("$")
        if route.startswith(SKIPPED_PREFIXES) or "(?P" in route or "\\" in route:
            continue
        routes.add(route)
    return sorted(routes)


def _fill_route(route: str, pharmacy_id: int) -> str:
    def value(match):
        converter, name = match.group(1) or "str", match.group(2)
        if converter == "int":
            return str(pharmacy_id) if name == "pharmacy_id" else "1"
        if converter == "uuid":
            return str(uuid.uuid4())
        return "x"

    return "/" + _CONVERTER.sub(value, route)


def _form_fields(html: str) -> dict[str, str]:
    """name -> kind ("number", "date", "select", "textarea", "text"…) of the page's form fields."""
    fields = {}
    for tag, attributes in _FIELD.findall(html):
        attrs = dict(_ATTRIBUTE.findall(attributes))
        name = attrs.get("name")
        if not name or name in {"csrfmiddlewaretoken", "language", "next"}:
            continue
        fields[name] = tag.lower() if tag.lower() != "input" else attrs.get("type", "text")
    return fields


_WRONG_FORM_VALUE = {
    "number": "beaucoup",
    "date": "31/02/deux-mille",
    "time": "25:99",
    "datetime-local": "demain",
    "email": "pas-une-adresse",
    "select": "n'existe pas",
}


def _form_payloads(fields: dict[str, str], *, huge: bool) -> list[tuple[str, dict, bool]]:
    """(label, data, must_be_400): malformed submissions of a page's forms."""
    names = list(fields) or ["q", "quantity", "product"]
    # Passwords are never stored nor queried as typed: any digit is allowed there.
    digit_names = [name for name in names if "password" not in name] or ["q"]
    payloads = [
        ("caractères de contrôle", dict.fromkeys(names, CONTROL), True),
        ("chiffres non latins", dict.fromkeys(digit_names, ARABIC_DIGITS), True),
        ("chiffres pleine chasse", dict.fromkeys(digit_names, FULL_WIDTH_DIGITS), True),
    ]
    if huge:
        payloads.append(("corps énorme", {names[0]: HUGE}, True))
    typed = {name: _WRONG_FORM_VALUE[kind] for name, kind in fields.items() if kind in _WRONG_FORM_VALUE}
    if typed:
        # Wrong types may be answered with the form and its errors (200) or a 4xx: never a
        # 500, never a write.
        payloads.append(("types erronés", typed, False))
    return payloads


def test_the_url_configuration_yields_the_html_write_routes_this_test_fuzzes():
    routes = _html_routes()
    assert "notifications/bulletins/publier/" in routes
    assert any(route.startswith("officine/") for route in routes)
    assert any(route.startswith("consultations/") for route in routes)


def test_every_html_route_refuses_malformed_form_fields_and_writes_nothing(personas, riscle_pharmacy):
    failures = []
    for route in _html_routes():
        url = _fill_route(route, riscle_pharmacy.pk)
        for persona, user in personas.items():
            client = Client()
            if user is not None:
                client.force_login(user)
            page = client.get(url)
            # A download (a CSV export answers GET with a stream) has no form to fill.
            is_page = page.status_code == 200 and not page.streaming
            fields = _form_fields(page.content.decode(errors="replace")) if is_page else {}
            # The size bound does not depend on who asks: one huge body per route is enough.
            for label, data, must_be_400 in _form_payloads(fields, huge=user is None):
                before = _writes()
                response = client.post(url, data)
                changed = _changed(before, _writes())
                refused = response.status_code == 400 if must_be_400 else response.status_code < 500
                if not refused or changed:
                    failures.append((route, persona, label, response.status_code, changed))
    assert failures == [], "\n".join(map(repr, failures))
