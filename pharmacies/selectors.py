from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gomask.errors import NotAllowed, NotFound
from pharmacies.models import MembershipStatus, Pharmacy, PharmacyMembership


def pharmacies_of(user) -> QuerySet[Pharmacy]:
    """The pharmacies a pharmacist may act for (active memberships only)."""
    return Pharmacy.objects.filter(
        memberships__user=user, memberships__status=MembershipStatus.ACTIVE
    ).select_related("commune")


def pharmacy_for_member(user, pharmacy_id) -> Pharmacy:
    """The pharmacy `pharmacy_id` if `user` may act for it; refuses every other pharmacy."""
    try:
        pharmacy = Pharmacy.objects.select_related("commune").get(pk=pharmacy_id)
    except (Pharmacy.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    if not is_active_member(user, pharmacy):
        raise NotAllowed(_("Vous n'êtes pas pharmacien de cette officine."), code="not_your_pharmacy")
    return pharmacy


def is_active_member(user, pharmacy: Pharmacy) -> bool:
    return PharmacyMembership.objects.filter(
        user=user, pharmacy=pharmacy, status=MembershipStatus.ACTIVE
    ).exists()


def is_owner(user, pharmacy: Pharmacy) -> bool:
    return PharmacyMembership.objects.filter(
        user=user, pharmacy=pharmacy, status=MembershipStatus.ACTIVE, is_owner=True
    ).exists()


def pending_memberships_for_owner(user) -> QuerySet[PharmacyMembership]:
    owned = PharmacyMembership.objects.filter(
        user=user, is_owner=True, status=MembershipStatus.ACTIVE
    ).values("pharmacy_id")
    return PharmacyMembership.objects.filter(
        pharmacy_id__in=owned, status=MembershipStatus.PENDING
    ).select_related("user", "pharmacy")
