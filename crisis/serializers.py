"""Input and output shapes of the crisis API (shape only)."""

from rest_framework import serializers


class AcknowledgeInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500, help_text="Le jeton signé du lien « pris en compte ».")


class AcknowledgementSerializer(serializers.Serializer):
    bulletin = serializers.IntegerField(source="bulletin_id")
    professional = serializers.IntegerField(source="professional_id")
    channel = serializers.CharField()
    acknowledged_at = serializers.DateTimeField()


class AcceptanceSerializer(serializers.Serializer):
    request = serializers.IntegerField(source="request_id")
    professional = serializers.IntegerField(source="professional_id")
    accepted_at = serializers.DateTimeField()


class CrisisErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
