from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccountStatus, Role
from gomask.errors import InvalidInput, NotAllowed
from gomask.identifiers import validate_finess
from pharmacies.models import MembershipStatus, Pharmacy, PharmacyMembership, PositionPrecision
from pharmacies.selectors import is_owner
from territories.geocoding import geocode_address


def _clean_finess(finess: str) -> str:
    from django.core.exceptions import ValidationError

    try:
        return validate_finess(finess)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], code="invalid_finess", field="finess") from exc


def create_pharmacy(
    *,
    finess: str,
    name: str,
    address: str,
    commune,
    phone: str = "",
    email: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
) -> Pharmacy:
    """Register an officine; its position comes from the address (or the commune)."""
    finess = _clean_finess(finess)
    if Pharmacy.objects.filter(finess=finess).exists():
        raise InvalidInput(
            _("Une officine est déjà enregistrée avec le numéro FINESS %(finess)s.") % {"finess": finess},
            code="duplicate_finess",
            field="finess",
        )
    if latitude is None or longitude is None:
        position = geocode_address(street=address, commune=commune)
        latitude, longitude = position.latitude, position.longitude
        precision = (
            PositionPrecision.ADDRESS if position.precision == "address" else PositionPrecision.COMMUNE
        )
    else:
        precision = PositionPrecision.ADDRESS
    return Pharmacy.objects.create(
        finess=finess,
        name=name.strip(),
        address=address.strip(),
        commune=commune,
        departement_id=commune.departement_id,
        region_id=commune.region_id,
        latitude=latitude,
        longitude=longitude,
        position_precision=precision,
        phone=phone,
        email=email,
    )


def registered_pharmacy(finess: str) -> Pharmacy:
    """The officine with this FINESS number, or a clear refusal."""
    finess = _clean_finess(finess)
    try:
        return Pharmacy.objects.get(finess=finess)
    except Pharmacy.DoesNotExist as exc:
        raise InvalidInput(
            _("Aucune officine n'est enregistrée avec le numéro FINESS %(finess)s.") % {"finess": finess},
            code="unknown_finess",
            field="finess",
        ) from exc


def request_membership(*, user, finess: str, is_owner: bool = False) -> PharmacyMembership:
    """A pharmacist asks to act for the officine `finess`; an owner or admin approves."""
    pharmacy = registered_pharmacy(finess)
    membership, _created = PharmacyMembership.objects.get_or_create(
        user=user, pharmacy=pharmacy, defaults={"is_owner": is_owner}
    )
    return membership


@transaction.atomic
def approve_membership(*, approver, membership_id: int) -> PharmacyMembership:
    """An administrator, or the officine's titulaire, lets a pharmacist act for it.

    Approving the membership also validates a pending pharmacist account.
    """
    membership = (
        PharmacyMembership.objects.select_for_update()
        .select_related("pharmacy", "user")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        raise InvalidInput(_("Demande introuvable."), code="not_found")
    if not (approver.role == Role.ADMIN and approver.is_approved) and not is_owner(
        approver, membership.pharmacy
    ):
        raise NotAllowed(_("Seul le titulaire de l'officine ou un administrateur peut valider ce compte."))
    now = timezone.now()
    membership.status = MembershipStatus.ACTIVE
    membership.approved_by = approver
    membership.approved_at = now
    membership.save(update_fields=["status", "approved_by", "approved_at"])
    user = membership.user
    if user.status == AccountStatus.PENDING:
        user.status = AccountStatus.ACTIVE
        user.approved_by = approver
        user.approved_at = now
        user.save(update_fields=["status", "approved_by", "approved_at"])
    return membership
