"""Domain actions of the distribution app, one module per sub-domain: `policies` (quota policies and
the quota steps options and handovers share), `options`, `handovers`, `shipments`. Callers import
from `distribution.services` (re-exported here).

Lock order (one global order, so concurrent actions queue instead of deadlocking):

1. the quota row of (professional, product, week) — `distribution.quotas.lock_quota`, taken only
   by actions that add to a quota (reserve, dispense);
2. reservation rows (SELECT ... FOR UPDATE);
3. stock levels, through `pharmacies.stock.lock_levels` (sorted by (pharmacy, product)).

The quota invariant — received + held in active options in the week, across every pharmacy,
never exceeds the policy quantity — is re-checked from the real records (dispensations and
active reservations) while the quota row is locked. Releases (cancel, expiry) only lower the
usage, so they lock the reservation row then the stock level without the quota row.
"""

from distribution.services.handovers import dispense
from distribution.services.options import cancel_reservation, expire_reservations, owned_reservation, reserve
from distribution.services.policies import (
    NoQuotaPolicy,
    QuotaExceeded,
    acting_professional,
    add_quota_policy,
    eligible_professional,
)
from distribution.services.shipments import (
    confirm_shipment_receipt,
    create_shipment,
    record_care_site_receipt,
)

__all__ = [
    "QuotaExceeded",
    "NoQuotaPolicy",
    "acting_professional",
    "eligible_professional",
    "add_quota_policy",
    "reserve",
    "owned_reservation",
    "cancel_reservation",
    "expire_reservations",
    "dispense",
    "create_shipment",
    "confirm_shipment_receipt",
    "record_care_site_receipt",
]
