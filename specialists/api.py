"""REST API of the specialists: a professional's own requests (state, no content) and one
request with its content for the requester and the accepting specialist only (each read
logged, as on the pages; anyone else: 404)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import PROFESSIONAL, HasRole
from specialists import selectors, services
from specialists.models import AdviceRequest


class AdviceRequestSerializer(serializers.ModelSerializer):
    specialty_label = serializers.CharField(source="get_specialty_display", read_only=True)
    accepted_by_name = serializers.SerializerMethodField()

    class Meta:
        model = AdviceRequest
        fields = [
            "id",
            "specialty",
            "specialty_label",
            "urgency",
            "status",
            "radius_km",
            "created_at",
            "accepted_at",
            "answered_at",
            "expired_at",
            "accepted_by_name",
        ]
        read_only_fields = fields

    def get_accepted_by_name(self, advice) -> str:
        return advice.accepted_by.full_name if advice.accepted_by_id else ""


class AttachmentInfoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()


class AdviceRequestContentSerializer(AdviceRequestSerializer):
    question = serializers.CharField(read_only=True, allow_blank=True)
    answer = serializers.CharField(read_only=True, allow_blank=True)
    attachments = AttachmentInfoSerializer(many=True, read_only=True)
    content_purged = serializers.BooleanField(read_only=True)

    class Meta(AdviceRequestSerializer.Meta):
        fields = [*AdviceRequestSerializer.Meta.fields, "question", "answer", "attachments", "content_purged"]
        read_only_fields = fields


class MyAdviceRequests(generics.ListAPIView):
    """The requests for advice I sent, newest first, with their state (no content)."""

    permission_classes = [HasRole.of(*PROFESSIONAL)]
    serializer_class = AdviceRequestSerializer

    def get_queryset(self):
        professional = getattr(self.request.user, "professional", None)
        if professional is None:
            return AdviceRequest.objects.none()
        return selectors.sent_by_queryset(professional)


class AdviceRequestDetail(APIView):
    """One request with its content, for its requester or the specialist who accepted it."""

    permission_classes = [HasRole.of(*PROFESSIONAL)]

    @extend_schema(responses={200: AdviceRequestContentSerializer})
    def get(self, request, request_id: int):
        advice, content = services.request_for(user=request.user, request_id=request_id)
        if not services.is_participant(advice, request.user):
            # Offered to this specialist: the state only, as on the page.
            return Response(AdviceRequestSerializer(advice).data)
        data = AdviceRequestSerializer(advice).data
        data.update(
            content or {"question": "", "answer": "", "attachments": []},
            content_purged=advice.content_purged_at is not None,
        )
        return Response(data)
