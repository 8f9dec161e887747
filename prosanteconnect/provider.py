"""Pro Santé Connect, the national OpenID Connect service for health professionals (CPS, e-CPS).

allauth's OpenID Connect provider, narrowed to what the service requires (see views.py for the
token and userinfo checks): the scopes `openid scope_all`, `acr_values` always sent as configured
(a visitor cannot replace it through the login URL's `auth_params`), and the national identifier
`SubjectNameID` (`8` + RPPS, `0` + ADELI) as the account's uid.
"""

from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider, _pick_data

from prosanteconnect.views import ProSanteConnectAdapter

PROVIDER_CLASS_ID = "prosanteconnect"
# The provider_id of the configured app: in its URLs and in the session's authentication records.
PROVIDER_ID = "pro-sante-connect"


class ProSanteConnectProvider(OpenIDConnectProvider):
    id = PROVIDER_CLASS_ID
    name = "Pro Santé Connect"
    oauth2_adapter_class = ProSanteConnectAdapter
    # A bare id_token handed by a client (headless "token" login) is not accepted: the userinfo
    # (national identifier, professions) comes from the service itself.
    supports_token_authentication = False

    def get_default_scope(self):
        return ["openid", "scope_all"]

    @property
    def acr_values(self) -> list[str]:
        return list(self.app.settings.get("acr_values") or [])

    def get_auth_params(self):
        params = super().get_auth_params()
        if self.acr_values:
            params["acr_values"] = " ".join(self.acr_values)
        return params

    def get_auth_params_from_request(self, request, action):
        params = super().get_auth_params_from_request(request, action)
        params.pop("acr_values", None)
        params.update(self.get_auth_params())
        return params

    def get_scope_from_request(self, request):
        return self.get_scope()

    def extract_uid(self, data):
        national_id = _pick_data(data).get("SubjectNameID")
        if not isinstance(national_id, str) or not national_id.strip():
            # Caught by allauth's callback view: an authentication error (see the adapter).
            raise OAuth2Error("Pro Santé Connect sent no SubjectNameID")
        return national_id.strip()


provider_classes = [ProSanteConnectProvider]
