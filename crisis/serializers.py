"""Input and output shapes of the crisis API (shape only)."""

from rest_framework import serializers

from crisis.models import MAX_NEEDED, PLACE_MAX
from professionals.models import Profession


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


class SiteRequestInputSerializer(serializers.Serializer):
    """A need for reinforcement at a care site (the place and commune are the site's)."""

    starts_at = serializers.DateTimeField(help_text="Début (ISO 8601, heure de Paris si sans fuseau).")
    ends_at = serializers.DateTimeField(help_text="Fin (ISO 8601).")
    profession = serializers.ChoiceField(choices=Profession.choices)
    needed = serializers.IntegerField(min_value=1, max_value=MAX_NEEDED, help_text="Nombre de personnes.")


class RequestInputSerializer(SiteRequestInputSerializer):
    """A need for reinforcement posted by a coordinator of the activated territory."""

    place = serializers.CharField(max_length=PLACE_MAX, help_text="Ex. : gymnase municipal.")
    commune = serializers.CharField(max_length=100, help_text="Code postal, code INSEE ou nom de la commune.")


class ReinforcementRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    activation = serializers.IntegerField(source="activation_id")
    place = serializers.CharField()
    commune = serializers.CharField(source="commune.name")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    profession = serializers.CharField()
    needed = serializers.IntegerField()
    is_drill = serializers.BooleanField(help_text="EXERCICE : une demande d'entraînement.")
    asked = serializers.SerializerMethodField(help_text="Professionnels disponibles sollicités.")

    def get_asked(self, request) -> int:
        return request.calls.count()


class CrisisErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
