"""Shapes of the JSON feeds, for the OpenAPI schema only (the feeds are rendered in feeds.py)."""

from rest_framework import serializers

from opendata.selectors import PUBLISHED_BANDS


class LicenceSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.URLField()


class MetadataSerializer(serializers.Serializer):
    title = serializers.CharField()
    producer = serializers.CharField()
    licence = LicenceSerializer(help_text="Licence Ouverte / Open Licence version 2.0 (Etalab).")
    documentation = serializers.URLField()
    last_modified = serializers.DateTimeField(help_text="Dernier changement des données publiées (UTC).")
    refresh_seconds = serializers.IntegerField(help_text="Délai maximal avant qu'un changement apparaisse.")
    count = serializers.IntegerField()


class _PlaceSerializer(serializers.Serializer):
    address = serializers.CharField()
    commune = serializers.CharField()
    insee_code = serializers.CharField(help_text="Code INSEE de la commune.")
    departement = serializers.CharField(help_text="Code du département (32, 2A, 971…).")
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()


class StockEntrySerializer(serializers.Serializer):
    product_name = serializers.CharField()
    # CharField, not ChoiceField: an enum named "band" already exists in the schema (pharmacies).
    band = serializers.CharField(
        help_text="Tranche de masques disponibles (stock moins options en cours) : "
        + ", ".join(PUBLISHED_BANDS)
        + "."
    )
    sold_out = serializers.BooleanField(help_text="Déclaré épuisé par l'officine.")
    updated_at = serializers.DateTimeField(allow_null=True)


class PharmacyRowSerializer(_PlaceSerializer):
    finess = serializers.CharField(help_text="Numéro FINESS de l'officine (donnée publique d'établissement).")
    name = serializers.CharField()
    position_precision = serializers.CharField(help_text="address (adresse) ou commune (position approchée).")
    updated_at = serializers.DateTimeField(allow_null=True)
    stock = serializers.DictField(child=StockEntrySerializer(), help_text="Par code de produit.")


class PharmacyFeedSerializer(serializers.Serializer):
    metadata = MetadataSerializer()
    data = PharmacyRowSerializer(many=True)


class CareSiteRowSerializer(_PlaceSerializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(
        help_text="covid_centre, sse_centre, health_house, health_centre, lab ou hospital_entry."
    )
    kind_label = serializers.CharField()
    name = serializers.CharField()
    position_precision = serializers.CharField(
        help_text="site (position du site) ou commune (position approchée)."
    )
    status_state = serializers.CharField(help_text="open, saturated, closed ; vide si jamais déclaré.")
    status_accepts_referrals = serializers.BooleanField(help_text="Accepte les patients adressés.")
    status_capacity_left = serializers.IntegerField(
        allow_null=True, help_text="Places restantes aujourd'hui."
    )
    status_covid_track = serializers.BooleanField()
    status_non_covid_track = serializers.BooleanField()
    status_updated_at = serializers.DateTimeField(allow_null=True, help_text="Dernière déclaration du site.")
    status_stale = serializers.BooleanField(help_text="Statut de plus de 24 h (ou jamais déclaré).")


class CareSiteFeedSerializer(serializers.Serializer):
    metadata = MetadataSerializer()
    data = CareSiteRowSerializer(many=True)


class ConsultationRowSerializer(_PlaceSerializer):
    site_id = serializers.IntegerField()
    site_name = serializers.CharField()
    site_kind = serializers.CharField()
    site_kind_label = serializers.CharField()
    date = serializers.DateField(help_text="Jour (heure de Paris).")
    free_slots = serializers.IntegerField(help_text="Créneaux encore libres ce jour-là.")


class ConsultationFeedSerializer(serializers.Serializer):
    metadata = MetadataSerializer()
    data = ConsultationRowSerializer(many=True)
