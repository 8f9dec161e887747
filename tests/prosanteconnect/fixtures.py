"""The local Pro Santé Connect as pytest fixtures (a plugin of tests/conftest.py: the
prosanteconnect and browser tests both use them)."""

import pytest
from django.conf import settings as django_settings

from gomask.settings import pro_sante_connect_app
from tests.prosanteconnect.mock_provider import CLIENT_ID, CLIENT_SECRET, running_mock_psc

LOGIN_URL = "/accounts/psc/pro-sante-connect/login/"


@pytest.fixture(scope="session")
def mock_psc_server():
    with running_mock_psc() as server:
        yield server


@pytest.fixture
def mock_psc(mock_psc_server, settings):
    """The local service, configured as the portal's Pro Santé Connect (acr "eidas1")."""
    mock_psc_server.behaviour.clear()
    settings.SOCIALACCOUNT_PROVIDERS = {
        **django_settings.SOCIALACCOUNT_PROVIDERS,
        "prosanteconnect": {
            **django_settings.SOCIALACCOUNT_PROVIDERS["prosanteconnect"],
            "APPS": [
                pro_sante_connect_app(
                    discovery_url=mock_psc_server.discovery_url,
                    client_id=CLIENT_ID,
                    secret=CLIENT_SECRET,
                    scopes=["openid", "scope_all"],
                    acr_values=["eidas1"],
                )
            ],
        },
    }
    settings.SECOND_FACTOR_SOCIAL_PROVIDERS = ["pro-sante-connect"]
    policy = django_settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"]}
    directives["form-action"] = [*directives["form-action"], mock_psc_server.url]
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}
    yield mock_psc_server
    mock_psc_server.behaviour.clear()


def sign_in(client, mock, sub: str, *, process: str | None = None):
    """The whole round trip: the portal's button, the service's consent, the callback. Returns
    the portal's answer to the callback."""
    data = {"process": process} if process else {}
    start = client.post(LOGIN_URL, data)
    assert start.status_code == 302, start.content[:500]
    authorize_url = start["Location"]
    assert authorize_url.startswith(mock.url), authorize_url
    callback = mock.authorize(authorize_url, sub)
    return client.get(callback)
