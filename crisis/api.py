"""API of the crisis console: acknowledge a bulletin (signed token), post a request for
reinforcement (coordinators, or a care site's manager for their site), accept a request."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import HasRole
from crisis import selectors, services
from crisis.serializers import (
    AcceptanceSerializer,
    AcknowledgeInputSerializer,
    AcknowledgementSerializer,
    CrisisErrorSerializer,
    ReinforcementRequestSerializer,
    RequestInputSerializer,
    SiteRequestInputSerializer,
)
from gomask.api import IDEMPOTENCY_KEY_HEADER, created_or_replayed, idempotency_key
from gomask.errors import InvalidInput
from territories.forms import CommuneField

ERRORS = {
    400: OpenApiResponse(CrisisErrorSerializer, description="Données invalides"),
    404: OpenApiResponse(CrisisErrorSerializer, description="Introuvable"),
    409: OpenApiResponse(CrisisErrorSerializer, description="Déjà pris en compte, demande déjà pourvue"),
}
REQUEST_ERRORS = {
    400: OpenApiResponse(CrisisErrorSerializer, description="Données invalides"),
    404: OpenApiResponse(CrisisErrorSerializer, description="Activation ou site introuvable pour vous"),
    409: OpenApiResponse(
        CrisisErrorSerializer,
        description="Aucune activation en cours, ou clé d'idempotence déjà utilisée pour une autre demande",
    ),
}
REQUEST_RESPONSES = {
    201: ReinforcementRequestSerializer,
    200: ReinforcementRequestSerializer,
    **REQUEST_ERRORS,
}


class AcknowledgeView(APIView):
    """Anyone holding the signed link: take a bulletin into account, once (409 the second time,
    with the time of the first)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=AcknowledgeInputSerializer, responses={201: AcknowledgementSerializer, **ERRORS})
    def post(self, request):
        data = AcknowledgeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        acknowledgement = services.acknowledge(token=data.validated_data["token"])
        return Response(AcknowledgementSerializer(acknowledgement).data, status=201)


class AcceptRequestView(APIView):
    """Professionals asked for a request for reinforcement: accept it (the first ones win)."""

    permission_classes = [HasRole.of(Role.PROFESSIONAL)]

    @extend_schema(request=None, responses={200: AcceptanceSerializer, **ERRORS})
    def post(self, request, request_id: int):
        acceptance = services.accept_request(user=request.user, request_id=request_id)
        return Response(AcceptanceSerializer(acceptance).data)


class PostRequestView(APIView):
    """Coordinators of the activated territory (CPTS, ARS of its region, administrators): post a
    need for reinforcement; the available professionals nearby are asked at once. A repeat with
    the same Idempotency-Key answers the first request (200) and asks nobody again."""

    permission_classes = [HasRole.of(*selectors.MANAGER_ROLES)]

    @extend_schema(
        request=RequestInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={
            201: ReinforcementRequestSerializer,
            200: ReinforcementRequestSerializer,
            **REQUEST_ERRORS,
        },
    )
    def post(self, request, activation_id: int):
        data = RequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            values["commune"] = CommuneField().clean(values["commune"])
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), code="invalid_commune", field="commune") from exc
        activation = selectors.activation_for(request.user, activation_id)
        done = services.post_request.once(
            idempotency_key=idempotency_key(request),
            actor=request.user,
            activation_id=activation.pk,
            **values,
        )
        return created_or_replayed(done, ReinforcementRequestSerializer(done.value).data)


class PostSiteRequestView(APIView):
    """The manager of a care site: post a need for reinforcement at their own site, under the
    open activation covering it (another site: 404; no activation: 409)."""

    # Any approved account may be named a care site's manager; the site decides (404 otherwise).
    permission_classes = [HasRole.of(*Role.values)]

    @extend_schema(
        request=SiteRequestInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={
            201: ReinforcementRequestSerializer,
            200: ReinforcementRequestSerializer,
            **REQUEST_ERRORS,
        },
    )
    def post(self, request, site_id: int):
        data = SiteRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        site = selectors.managed_site(request.user, site_id)
        done = services.post_request.once(
            idempotency_key=idempotency_key(request),
            actor=request.user,
            site_id=site.pk,
            **data.validated_data,
        )
        return created_or_replayed(done, ReinforcementRequestSerializer(done.value).data)
