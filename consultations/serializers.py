"""Input and output shapes of the consultations API (validation of shape only)."""

from rest_framework import serializers


class ConsultationSlotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    priority_until = serializers.DateTimeField(source="mission.priority_until")


class SiteResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="site.pk")
    name = serializers.CharField(source="site.name")
    kind = serializers.CharField(source="site.get_kind_display")
    address = serializers.CharField(source="site.address")
    commune = serializers.CharField(source="site.commune.name")
    departement = serializers.CharField(source="site.commune.departement_id")
    latitude = serializers.FloatField(source="site.latitude")
    longitude = serializers.FloatField(source="site.longitude")
    distance_km = serializers.FloatField(allow_null=True)
    free_slots = serializers.IntegerField(source="free_count")
    next_slots = ConsultationSlotSerializer(many=True)


class SiteSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=100, help_text="Code postal, code INSEE ou nom de la commune du patient."
    )


class BookingInputSerializer(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1, max_value=2**62)
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    birth_date = serializers.DateField()
    phone = serializers.CharField(max_length=20)
    email = serializers.CharField(max_length=254)
    commune = serializers.CharField(
        max_length=100,
        help_text=(
            "Commune de résidence : code postal, nom, « Nom (code postal) » ou code INSEE. Un code "
            "postal partagé par plusieurs communes est refusé (400) avec leurs noms à choisir."
        ),
    )
    has_regular_doctor = serializers.BooleanField(help_text="Faux si le patient n'a pas de médecin traitant.")


class BookingSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Référence signée : lien de confirmation et d'annulation.")
    status = serializers.CharField()
    slot = ConsultationSlotSerializer()
    site = serializers.CharField(source="slot.mission.site.name")
    cancel_url = serializers.CharField()


class BookingCancelInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500)


class ConsultationErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class WaitingRoomSerializer(serializers.Serializer):
    """A 429 of the booking API: `rate_limited`, or `waiting_room` with a place in the queue."""

    code = serializers.CharField()
    message = serializers.CharField()
    ticket = serializers.CharField(
        required=False, help_text="Ticket signé à renvoyer (en-tête X-Waiting-Room-Ticket)."
    )
    position = serializers.IntegerField(required=False, help_text="Position dans la file (1 = la suivante).")
    retry_after = serializers.FloatField(
        required=False,
        help_text="Secondes avant de réessayer (au dixième ; l'en-tête Retry-After les arrondit).",
    )
