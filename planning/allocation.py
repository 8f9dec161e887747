"""Allocation by need of a regional lot across pharmacies, COVID centres and laboratories.

Need of a pharmacy (masks) for the next ALLOCATION_DAYS ("pour les 2 semaines à venir", the ARS
message of March 2020): its referenced professionals' quotas (the forecast's quota ceiling,
professionals by profession x quota in force) over those days, less what it has available now;
a pharmacy with nobody referenced counts its recent handovers a day instead (as the forecast).
Need of a care site (no stock of its own is recorded): what it received from the regional
stock over the last 4 weeks, as a weekly rate, over the same days. The lot is split in
proportion to need, with largest-remainder rounding so the parts add up exactly.
"""

import math
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from distribution.models import CareSite, Shipment
from pharmacies.models import Pharmacy, StockLevel
from planning.models import StockForecast

ALLOCATION_DAYS = 14
CARE_SITE_HISTORY_DAYS = 28
PHARMACY, CARE_SITE = "pharmacy", "care_site"


@dataclass
class Recipient:
    kind: str
    pk: int
    name: str
    commune: str
    label: str
    available: int | None
    need: int
    proposed: int = 0

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.pk}"


def split_by_need(quantity: int, needs: list[int]) -> list[int]:
    """Largest remainder: floor of each proportional share, then one more mask to the largest
    remainders (ties: the earlier recipient) until the parts add up to `quantity`."""
    total = sum(needs)
    if quantity <= 0 or total <= 0:
        return [0] * len(needs)
    exact = [quantity * need / total for need in needs]
    parts = [quantity * need // total for need in needs]
    remainders = [quantity * need % total for need in needs]  # integers: exact comparisons
    left = quantity - sum(parts)
    for index in sorted(range(len(needs)), key=lambda i: (-remainders[i], i))[:left]:
        parts[index] += 1
    assert sum(parts) == quantity, exact
    return parts


def recipients_by_need(*, region_code: str, product, now=None) -> list[Recipient]:
    """Every open pharmacy and active care site of the region with its need, largest first."""
    now = now or timezone.now()
    ceilings = {
        pharmacy_id: ceiling if referenced else rate
        for pharmacy_id, ceiling, rate, referenced in StockForecast.objects.filter(
            pharmacy__region_id=region_code, product=product
        ).values_list("pharmacy_id", "quota_ceiling", "recent_rate", "referenced")
    }
    available = {
        pharmacy_id: on_hand - reserved
        for pharmacy_id, on_hand, reserved in StockLevel.objects.filter(
            pharmacy__region_id=region_code, product=product
        ).values_list("pharmacy_id", "on_hand", "reserved")
    }
    recipients = []
    pharmacies = Pharmacy.objects.filter(region_id=region_code, is_active=True).select_related("commune")
    for pharmacy in pharmacies.order_by("pk"):
        masks = math.ceil(ceilings.get(pharmacy.pk, 0.0) * ALLOCATION_DAYS - 1e-9)
        stock = available.get(pharmacy.pk, 0)
        recipients.append(
            Recipient(
                PHARMACY,
                pharmacy.pk,
                pharmacy.name,
                pharmacy.commune.name,
                str(_("Officine")),
                stock,
                max(0, masks - stock),
            )
        )
    received = dict(
        Shipment.objects.filter(
            care_site__region_id=region_code,
            product=product,
            shipped_at__gte=now - timedelta(days=CARE_SITE_HISTORY_DAYS),
        )
        .values("care_site_id")
        .annotate(total=Sum("quantity"))
        .values_list("care_site_id", "total")
    )
    for site in (
        CareSite.objects.filter(region_id=region_code, is_active=True)
        .select_related("commune")
        .order_by("pk")
    ):
        need = math.ceil(received.get(site.pk, 0) * ALLOCATION_DAYS / CARE_SITE_HISTORY_DAYS - 1e-9)
        recipients.append(
            Recipient(CARE_SITE, site.pk, site.name, site.commune.name, site.get_kind_display(), None, need)
        )
    return recipients


def propose_split(*, region_code: str, product, quantity: int, now=None) -> list[Recipient]:
    recipients = recipients_by_need(region_code=region_code, product=product, now=now)
    for recipient, part in zip(
        recipients, split_by_need(quantity, [r.need for r in recipients]), strict=True
    ):
        recipient.proposed = part
    return sorted(recipients, key=lambda r: (-r.proposed, -r.need, r.kind, r.pk))
