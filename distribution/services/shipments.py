"""Shipments from the regional stock to pharmacies and care sites."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import ARS, ensure_region_scope, require_role
from distribution.models import (
    CareSite,
    Shipment,
    ShipmentSource,
)
from gomask import clock
from gomask.cleaning import clean_quantity, parse_id
from gomask.errors import Conflict, InvalidInput, NotFound
from pharmacies.models import Pharmacy
from pharmacies.selectors import active_product, pharmacist_pharmacy


def _ars_actor(actor) -> None:
    require_role(actor, ARS, _("Seuls l'ARS et les administrateurs gèrent le stock régional."))


def create_shipment(
    *, actor, product_code, quantity, source, pharmacy_id=None, care_site_id=None, note=""
) -> Shipment:
    """ARS staff ship masks from their regional stock to a pharmacy or a care site of their region."""
    _ars_actor(actor)
    product = active_product(product_code)
    quantity = clean_quantity(quantity)
    if source not in ShipmentSource.values:
        raise InvalidInput(_("Origine du stock inconnue."), code="invalid_source", field="source")
    if bool(pharmacy_id) == bool(care_site_id):
        raise InvalidInput(
            _("Choisissez une seule destination : une officine ou un site (centre COVID, laboratoire)."),
            code="invalid_destination",
        )
    pharmacy = care_site = None
    if pharmacy_id:
        pharmacy = Pharmacy.objects.filter(pk=parse_id(pharmacy_id)).first()
    else:
        care_site = CareSite.objects.filter(pk=parse_id(care_site_id)).first()
    destination = pharmacy or care_site
    if destination is None:
        raise NotFound(_("Destination introuvable."), code="unknown_destination")
    ensure_region_scope(actor, destination.region_id)
    return Shipment.objects.create(
        region_id=destination.region_id,
        product=product,
        quantity=quantity,
        source=source,
        pharmacy=pharmacy,
        care_site=care_site,
        note=str(note or "")[:255],
        created_by=actor,
    )


def _locked_shipment(shipment_id) -> Shipment:
    shipment = Shipment.objects.select_for_update().filter(pk=parse_id(shipment_id)).first()
    if shipment is None:
        raise NotFound(_("Envoi introuvable."), code="unknown_shipment")
    return shipment


def _already_received(shipment) -> Conflict:
    return Conflict(
        _("Cet envoi a déjà été réceptionné le %(date)s.")
        % {"date": clock.format_datetime(shipment.received_at)},
        code="already_received",
    )


@transaction.atomic
def confirm_shipment_receipt(*, actor, shipment_id, now=None) -> Shipment:
    """A pharmacist of the destination confirms receipt: the masks arrive in its stock ledger."""
    from pharmacies.services import declare_arrival

    shipment = _locked_shipment(shipment_id)
    if not shipment.pharmacy_id:
        raise NotFound(_("Envoi introuvable."), code="unknown_shipment")
    pharmacist_pharmacy(
        actor,
        shipment.pharmacy_id,
        _("Seul un pharmacien de l'officine destinataire peut confirmer la réception."),
    )
    if shipment.is_received:
        raise _already_received(shipment)
    shipment.arrival_movement = declare_arrival(
        actor=actor,
        pharmacy_id=shipment.pharmacy_id,
        product_code=shipment.product.code,
        quantity=shipment.quantity,
        unit="mask",
        source="regional",
        note=_("Envoi n° %(id)d du stock régional de l'ARS") % {"id": shipment.pk},
    )
    shipment.received_at = now or timezone.now()
    shipment.received_by = actor
    shipment.save(update_fields=["received_at", "received_by", "arrival_movement"])
    return shipment


@transaction.atomic
def record_care_site_receipt(*, actor, shipment_id, now=None) -> Shipment:
    """ARS staff record that a COVID centre or a laboratory of their region received a shipment."""
    _ars_actor(actor)
    shipment = _locked_shipment(shipment_id)
    if not shipment.care_site_id:
        raise InvalidInput(
            _("Cet envoi va à une officine : c'est le pharmacien qui en confirme la réception."),
            code="pharmacy_confirms",
        )
    ensure_region_scope(actor, shipment.region_id)
    if shipment.is_received:
        raise _already_received(shipment)
    shipment.received_at = now or timezone.now()
    shipment.received_by = actor
    shipment.save(update_fields=["received_at", "received_by"])
    return shipment
