"""The sign-in views of Pro Santé Connect and what they verify in the service's answers.

allauth's OpenID Connect adapter, with two differences:
- the id_token's signature is always verified against the service's JWKS (allauth skips it when
  the token came straight from the token endpoint; here a tampered token is refused whatever its
  path), as are its issuer, audience and expiry;
- the userinfo may come as JSON or as a signed JWT (`application/jwt`, what Pro Santé Connect
  answers): the JWT is accepted only with a valid signature from the same JWKS.
"""

import json

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from allauth.utils import build_absolute_uri
from django.http import Http404
from django.urls import reverse

# Asymmetric signatures only: never "none", never an HMAC keyed with a public key.
SIGNATURE_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"})


def _signing_key(credential: str, keys_url: str):
    """(algorithm, public key) for a JWT, from the service's JWKS: the key its header names
    (`kid`), or the set's only key when the header names none."""
    from allauth.core.internal.deferred import jwt

    header = jwt.get_unverified_header(credential)
    alg = header.get("alg")
    if alg not in SIGNATURE_ALGORITHMS:
        raise OAuth2Error(f"Unaccepted signing algorithm {alg!r}")
    with get_adapter().get_requests_session() as session:
        response = session.get(keys_url)
        response.raise_for_status()
        keys = [key for key in response.json().get("keys", []) if key.get("use", "sig") == "sig"]
    kid = header.get("kid")
    if kid is not None:
        keys = [key for key in keys if key.get("kid") == kid]
    if len(keys) != 1:
        raise OAuth2Error(f"No single signing key for kid {kid!r}")
    return alg, jwt.algorithms.get_default_algorithms()[alg].from_jwk(json.dumps(keys[0]))


def _verify_jwt(*, credential: str, keys_url: str, issuer: str, audience: str, required: bool) -> dict:
    """The claims of a JWT signed by a key of `keys_url`, unexpired; OAuth2Error otherwise.

    `required`: issuer and audience must be present and right (an id_token); else they are
    checked only when present (a signed userinfo need not carry them).
    """
    from allauth.core.internal.deferred import jwt

    try:
        alg, key = _signing_key(credential, keys_url)
        present = jwt.decode(credential, options={"verify_signature": False})
        check_iss = required or "iss" in present
        check_aud = required or "aud" in present
        return jwt.decode(
            credential,
            key=key,
            algorithms=[alg],
            issuer=issuer if check_iss else None,
            audience=audience if check_aud else None,
            options={
                "verify_signature": True,
                "verify_iss": check_iss,
                "verify_aud": check_aud,
                "verify_exp": True,
                "require": ["iss", "aud", "exp"] if required else [],
            },
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise OAuth2Error("Invalid signed token") from exc


class ProSanteConnectAdapter(OpenIDConnectOAuth2Adapter):
    def _fetch_user_info(self, access_token: str) -> dict:
        headers = {"Authorization": f"Bearer {access_token}"}
        with get_adapter().get_requests_session() as session:
            response = session.get(self.profile_url, headers=headers)
            response.raise_for_status()
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type == "application/jwt":
            return _verify_jwt(
                credential=response.text.strip(),
                keys_url=self.openid_config["jwks_uri"],
                issuer=self.openid_config["issuer"],
                audience=self.get_provider().app.client_id,
                required=False,
            )
        data = response.json()
        if not isinstance(data, dict):
            raise OAuth2Error("Userinfo is not an object")
        return data

    def _decode_id_token(self, app, id_token: str) -> dict:
        return _verify_jwt(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            required=True,
        )

    def get_callback_url(self, request, app):
        callback_url = reverse("prosanteconnect_callback", kwargs={"provider_id": self.provider_id})
        return build_absolute_uri(request, callback_url, self.redirect_uri_protocol)


@login_not_required
def login(request, provider_id):
    try:
        return OAuth2LoginView.adapter_view(ProSanteConnectAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc


@login_not_required
def callback(request, provider_id):
    try:
        return OAuth2CallbackView.adapter_view(ProSanteConnectAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
