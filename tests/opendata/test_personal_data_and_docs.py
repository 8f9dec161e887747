"""No personal data in any feed; the feeds are in the OpenAPI schema; the French documentation page."""

import csv
import io
import re

import pytest
from django.urls import reverse

from accounts.models import User
from consultations import services as consultations
from consultations.models import Booking
from professionals.models import Professional
from tests.consultations.conftest import patient

FEEDS = [reverse("opendata:pharmacies"), reverse("opendata:care-sites"), reverse("opendata:consultations")]
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# French phone numbers however written: 06 12 34 56 78, 0612345678, +33 6 12…
PHONE = re.compile(r"(?:\+33|0033|\b0)\s*[1-9](?:[\s.-]*\d{2}){4}\b")
# RPPS (11 digits) and ADELI (9 digits) numbers: any run of 9 or 11 digits, except the
# pharmacies' FINESS numbers, which are public establishment data.
PERSON_NUMBER = re.compile(r"(?<!\d)(?:\d{11}|\d{9})(?!\d)")
FORBIDDEN_KEYS = {
    "phone",
    "telephone",
    "email",
    "mail",
    "rpps",
    "adeli",
    "first_name",
    "last_name",
    "patient",
}


def walk(value, path=""):
    """Every (path, key-or-value string) of a decoded JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", key
            yield from walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")
    elif value is not None:
        yield path, str(value)


def csv_fields(text):
    reader = csv.reader(io.StringIO(text))
    for line, row in enumerate(reader):
        for column, cell in enumerate(row):
            yield f"line {line} column {column}", cell


@pytest.fixture
def everyone(stocked, care_sites, consultation_site, nurse):
    """Every kind of person the portal knows, with phones, e-mails and RPPS numbers."""
    consultations.book_slot(slot_id=consultation_site["slots"][0].pk, **patient())
    stocked["riscle"].email = "contact@pharmacie-adour.fr"
    stocked["riscle"].save(update_fields=["email"])
    return stocked


def people_names() -> set[str]:
    names = set()
    for first, last in User.objects.values_list("first_name", "last_name"):
        names.add(f"{first} {last}".strip())
        names.add(last)
    for first, last in Professional.objects.values_list("first_name", "last_name"):
        names.update({f"{first} {last}", last})
    for first, last in Booking.objects.values_list("first_name", "last_name"):
        names.update({f"{first} {last}", last})
    return {name.lower() for name in names if len(name) > 2}


@pytest.mark.parametrize("url", FEEDS)
@pytest.mark.parametrize("output", ["json", "geojson", "csv"])
def test_no_feed_field_holds_a_name_phone_email_or_identifier_of_a_person(client, everyone, url, output):
    names = people_names()
    identifiers = {value for value in Professional.objects.values_list("rpps", flat=True) if value}
    assert names and identifiers  # the data does hold people
    finess = {pharmacy.finess for pharmacy in everyone.values()}
    response = client.get(url, {"format": output})
    assert response.status_code == 200
    text = response.content.decode()
    fields = list(csv_fields(text) if output == "csv" else walk(response.json()))
    assert len(fields) > 10

    for where, field in fields:
        lowered = field.lower()
        assert lowered not in FORBIDDEN_KEYS, f"{where}: personal field {field!r}"
        assert not EMAIL.search(field), f"{where}: e-mail in {field!r}"
        assert not PHONE.search(field), f"{where}: phone number in {field!r}"
        for number in PERSON_NUMBER.findall(field):
            assert number in finess, f"{where}: identifier {number!r}"
        assert not any(identifier in field for identifier in identifiers), f"{where}: RPPS in {field!r}"
        for name in names:
            assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", lowered), f"{where}: {name!r}"


def test_the_personal_data_walk_catches_a_phone_number_an_email_and_a_name():
    fields = dict(walk({"a": {"tel": "05 62 69 00 00", "who": "jeanne.lacoste@exemple.fr"}}))
    assert PHONE.search(fields[".a.tel"])
    assert EMAIL.search(fields[".a.who"])
    assert PERSON_NUMBER.findall("10000000007 x") == ["10000000007"]


def test_the_openapi_schema_lists_the_three_feeds_without_authentication(client):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()

    for url in FEEDS:
        operation = schema["paths"][url]["get"]
        # No security requirement (and none at the top level): anonymous, unlike /api/me/.
        assert "security" not in operation
        assert "security" not in schema
        parameters = {parameter["name"] for parameter in operation["parameters"]}
        assert {"format", "departement", "bbox"} <= parameters
        assert {"application/json", "application/geo+json", "text/csv"} <= set(
            operation["responses"]["200"]["content"]
        )
        assert {"304", "400", "429"} <= set(operation["responses"])
        assert "Licence Ouverte" in operation["description"]
    pharmacy_parameters = schema["paths"][FEEDS[0]]["get"]["parameters"]
    assert "product" in {parameter["name"] for parameter in pharmacy_parameters}


def test_the_french_documentation_page_is_public_and_names_the_licence_and_the_feeds(client, db):
    response = client.get("/donnees-ouvertes/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Licence Ouverte / Open Licence version 2.0" in page
    assert "https://www.etalab.gouv.fr/licence-ouverte-open-licence/" in page
    for url in FEEDS:
        assert url in page
    for band in ("0", "1-29", "30-99", "100+"):
        assert f"<code>{band}</code>" in page
    assert "Aucune donnée personnelle" in page
