"""The Content-Security-Policy header (django-csp); the browser tests prove pages live with it."""

import pytest
from django.urls import reverse

from gomask.settings import _tile_origin


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["home", "account_login", "liveness", "api-docs"])
def test_every_answer_carries_a_strict_content_security_policy(client, name):
    policy = directives(client.get(reverse(name)))

    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in source for sources in policy.values() for source in sources)


@pytest.mark.django_db
def test_the_api_documentation_needs_no_inline_script_or_style(client):
    html = client.get(reverse("api-docs")).content.decode()
    assert "<script>" not in html
    assert "<style>" not in html


def test_images_may_come_from_the_configured_map_tile_server_only():
    assert _tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == [
        "https://tile.openstreetmap.org"
    ]
    assert _tile_origin("https://{s}.tiles.example.fr/{z}/{x}/{y}.png") == ["https://*.tiles.example.fr"]
    assert _tile_origin("") == []


@pytest.mark.parametrize("template", ["500.html", "400_invalid_input.html"])
def test_the_bare_error_pages_style_themselves_from_a_file_the_policy_allows(client, template):
    from django.template.loader import render_to_string

    html = render_to_string(template, {"message": "Saisie refusée."})
    assert "<style" not in html and " style=" not in html
    assert '<link rel="stylesheet" href="/static/css/bare.css">' in html
    assert client.get("/static/css/bare.css").status_code == 200
