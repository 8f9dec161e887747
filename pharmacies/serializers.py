"""Shapes of the stock API: inputs are checked for shape only, the rules live in services."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from gomask.cleaning import MAX_QUANTITY
from pharmacies.models import ArrivalSource, StockMovement
from pharmacies.services import Unit


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(required=False)


class PharmacySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    finess = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField()
    commune = serializers.CharField(source="commune.name")
    phone = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()


class ArrivalInputSerializer(serializers.Serializer):
    product = serializers.CharField(max_length=30, help_text=_("Code produit : surgical ou ffp2."))
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit = serializers.ChoiceField(choices=Unit.choices, default=Unit.MASK)
    source = serializers.ChoiceField(choices=ArrivalSource.choices)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class InventoryCountInputSerializer(serializers.Serializer):
    product = serializers.CharField(max_length=30)
    counted = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)


class LossInputSerializer(serializers.Serializer):
    product = serializers.CharField(max_length=30)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    reason = serializers.CharField(max_length=255)


class TransferInputSerializer(serializers.Serializer):
    product = serializers.CharField(max_length=30)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    to_pharmacy = serializers.IntegerField(
        min_value=1, help_text=_("Identifiant de l'officine destinataire.")
    )


class CorrectionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class SoldOutInputSerializer(serializers.Serializer):
    product = serializers.CharField(max_length=30)


class MovementSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.code")

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "pharmacy",
            "product",
            "kind",
            "on_hand_delta",
            "reserved_delta",
            "on_hand_after",
            "reserved_after",
            "source",
            "reason",
            "counterpart",
            "corrects",
            "created_at",
        ]


class StockRowSerializer(serializers.Serializer):
    product = serializers.CharField(source="product.code")
    product_name = serializers.CharField(source="product.name")
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    band = serializers.ChoiceField(choices=["high", "medium", "low", "none"])
    sold_out = serializers.BooleanField()
    updated_at = serializers.DateTimeField(allow_null=True)


class SoldOutSerializer(serializers.Serializer):
    product = serializers.CharField(source="product.code")
    sold_out_at = serializers.DateTimeField()


class AvailabilityQuerySerializer(serializers.Serializer):
    product = serializers.CharField(max_length=30, default="surgical")
    radius = serializers.ChoiceField(choices=[5, 10, 20, 50], default=20, help_text=_("Rayon en km."))
    latitude = serializers.FloatField(required=False, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, min_value=-180, max_value=180)
    commune = serializers.CharField(
        required=False, max_length=100, help_text=_("Code postal, code INSEE ou nom de commune.")
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=20)


class AvailabilityRowSerializer(serializers.Serializer):
    pharmacy_id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    commune = serializers.CharField()
    phone = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    distance_km = serializers.FloatField()
    band = serializers.ChoiceField(
        choices=["high", "medium", "low", "none"],
        help_text=_("Tranche indicative : 100+, 30-99, 1-29, aucun."),
    )
    sold_out = serializers.BooleanField()
    updated_at = serializers.DateTimeField()
