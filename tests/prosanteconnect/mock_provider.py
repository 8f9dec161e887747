"""A local Pro Santé Connect for the tests: oidc-provider-mock in a thread, on a free port.

It signs id_tokens with its own key and serves its discovery document and JWKS like the real
service. What the real service does and the mock does not is added here:
- the userinfo answered as a signed JWT (`application/jwt`), when `behaviour["userinfo"]` is "jwt";
- tampering, to check the portal refuses it: `behaviour["tamper"]` is "id_token" (a claim of the
  id_token changed after signing) or "userinfo" (the same on the userinfo JWT).
"""

import base64
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import oidc_provider_mock
import oidc_provider_mock._app as mock_app
import requests
import werkzeug.serving
from authlib.jose import jwt as authlib_jwt

CLIENT_ID = "gomask-test"
CLIENT_SECRET = "secret-de-test"


def national_claims(national_id: str, *, acr="eidas1", profession="10", email=None, **extra) -> dict:
    """Claims shaped like Pro Santé Connect's (userinfo of scope_all; acr in the id_token)."""
    claims = {
        "SubjectNameID": national_id,
        "preferred_username": national_id,
        "given_name": "Marie",
        "family_name": "Curie",
        "SubjectRefPro": {
            "codeCivilite": "MME",
            "exercices": [
                {
                    "codeProfession": profession,
                    "codeCategorieProfessionnelle": "C",
                    "codeCiviliteDexercice": "DR",
                    "nomDexercice": "CURIE",
                    "prenomDexercice": "MARIE",
                    "codeTypeSavoirFaire": "S",
                    "codeSavoirFaire": "SM54",
                    "activities": [],
                }
            ],
        },
        "otherIds": [{"identifiant": national_id[1:], "origine": "RPPS", "qualite": 1}],
        "SubjectOrganization": "CABINET MEDICAL",
        **extra,
    }
    if acr is not None:
        claims["acr"] = acr
    if email is not None:
        claims["email"] = email
    return claims


def _tamper(token: str) -> str:
    """The same token with one claim of the payload changed and the signature kept."""
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["SubjectNameID"] = "810000000001"
    data["acr"] = "eidas1"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@dataclass
class MockPsc:
    url: str
    behaviour: dict = field(default_factory=dict)

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def add_user(self, sub: str, claims: dict) -> None:
        response = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=5)
        assert response.status_code == 204, response.text

    def authorize(self, authorize_url: str, sub: str) -> str:
        """What the person does at the service (CPS card, e-CPS): the redirect back to the portal."""
        response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text
        return response.headers["Location"]


def _install_hooks(app, behaviour: dict) -> None:
    import flask

    @app.after_request
    def pro_sante_connect_shapes(response):
        path = flask.request.path
        if path == "/userinfo" and response.status_code == 200 and behaviour.get("userinfo") == "jwt":
            storage = flask.g.oidc_provider_mock_storage
            claims = response.get_json()
            claims.update({"iss": flask.request.host_url.rstrip("/"), "aud": CLIENT_ID})
            key = storage.jwk.as_dict(is_private=True)
            token = authlib_jwt.encode({"alg": "RS256", "kid": key["kid"]}, claims, key).decode()
            if behaviour.get("tamper") == "userinfo":
                token = _tamper(token)
            response.set_data(token)
            response.headers["Content-Type"] = "application/jwt"
        if path == "/oauth2/token" and response.status_code == 200 and behaviour.get("tamper") == "id_token":
            body = response.get_json()
            body["id_token"] = _tamper(body["id_token"])
            response.set_data(json.dumps(body))
        return response


@contextmanager
def running_mock_psc():
    # The mock hands out `email` and the names only with the `email` and `profile` scopes; the
    # service's `scope_all` carries them (the "no e-mail" case is a user without the claim).
    mock_app._STANDARD_CLAIMS.difference_update({"email", "given_name", "family_name"})
    behaviour: dict = {}
    app = oidc_provider_mock.app()
    _install_hooks(app, behaviour)
    server = werkzeug.serving.make_server("localhost", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield MockPsc(url=f"http://localhost:{server.server_port}", behaviour=behaviour)
    finally:
        server.shutdown()
        thread.join(2)
        server.server_close()
