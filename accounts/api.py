from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import access
from accounts.forms import TotpAuthenticateForm
from gomask.errors import DomainError, InvalidInput, NotAllowed


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.CharField()
    status = serializers.CharField()
    region = serializers.CharField(source="region_id", allow_null=True)


class MeView(APIView):
    """Any authenticated account: who am I, with which role and scope."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class CredentialsSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    totp_code = serializers.CharField(max_length=20, required=False, allow_blank=True)


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"


class TokenView(APIView):
    """Get or rotate one's API token (any previous token stops working).

    Either already authenticated (a session that went through the portal's login, or a token),
    or by sending e-mail, password and, for an account with two-factor authentication, the
    current TOTP code. The credentials go through the same checks as the login page: the same
    failed-login limit (per client address and per e-mail), a verified e-mail address, and the
    TOTP code for the roles that need one.
    """

    permission_classes = [AllowAny]

    @extend_schema(
        request=CredentialsSerializer,
        responses={
            201: TokenSerializer,
            400: OpenApiResponse(description="Identifiants ou code incorrects"),
            403: OpenApiResponse(description="Double authentification requise, ou e-mail non vérifié"),
            429: OpenApiResponse(description="Trop de tentatives"),
        },
    )
    def post(self, request):
        # A body is credentials, checked as such even from a logged-in session: an authenticated
        # caller sends none, and a malformed one is a 400, never ignored.
        if request.user.is_authenticated and not request.data:
            user = request.user
        else:
            user = self._authenticate(request)
        Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user)
        return Response({"token": token.key}, status=201)

    def _authenticate(self, request):
        credentials = CredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        data = credentials.validated_data
        http_request = request._request
        try:
            user = get_adapter(http_request).authenticate(
                http_request, email=data["email"].lower(), password=data["password"]
            )
        except ValidationError as error:  # allauth's failed-login limit
            raise TooManyAttempts(_("Trop de tentatives de connexion. Réessayez plus tard.")) from error
        if user is None or not user.is_active:
            raise InvalidInput(
                _("L'adresse e-mail ou le mot de passe est incorrect."), code="invalid_credentials"
            )
        if (
            settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"
            and not EmailAddress.objects.filter(user=user, verified=True).exists()
        ):
            raise NotAllowed(
                _("Confirmez d'abord votre adresse e-mail (lien reçu à l'inscription)."),
                code="email_unverified",
            )
        self._check_second_factor(user, data.get("totp_code", ""))
        return user

    @staticmethod
    def _check_second_factor(user, code: str) -> None:
        enrolled = access.has_enrolled_totp(user)
        if not enrolled:
            if access.needs_second_factor(user):
                raise NotAllowed(
                    _("Activez la double authentification (TOTP) sur le portail avant de demander un jeton."),
                    code="mfa_required",
                )
            return
        if not code:
            raise NotAllowed(
                _("Ce compte est protégé par la double authentification : joignez le code TOTP (totp_code)."),
                code="mfa_required",
            )
        form = TotpAuthenticateForm(data={"code": code}, user=user)
        if not form.is_valid():
            error = form.errors.as_data()["code"][0]
            if error.code == "too_many_login_attempts":
                raise TooManyAttempts(_("Trop de tentatives de connexion. Réessayez plus tard."))
            reused = error.code == "code_already_used"
            raise InvalidInput(error.messages[0], code="code_already_used" if reused else "incorrect_code")
