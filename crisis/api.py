"""API of the crisis console: acknowledge a bulletin (signed token), accept a request."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import HasRole
from crisis import services
from crisis.serializers import (
    AcceptanceSerializer,
    AcknowledgeInputSerializer,
    AcknowledgementSerializer,
    CrisisErrorSerializer,
)

ERRORS = {
    400: OpenApiResponse(CrisisErrorSerializer, description="Données invalides"),
    404: OpenApiResponse(CrisisErrorSerializer, description="Introuvable"),
    409: OpenApiResponse(CrisisErrorSerializer, description="Déjà pris en compte, demande déjà pourvue"),
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
