"""The only code that changes a stock level: lock it, check it, write the level and its ledger row.

Every stock service (arrivals, counts, holds, handovers, transfers) goes through
`lock_levels` + `record_movement` inside its own transaction, so the constraints
`0 <= reserved <= on_hand` and "level = sum of the ledger" hold whatever the entry point.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gomask.errors import Conflict
from pharmacies.models import MovementKind, StockLevel, StockMovement
from pharmacies.wording import masks

LevelKey = tuple[int, int]  # (pharmacy_id, product_id)


class InsufficientStock(Conflict):
    code = "insufficient_stock"


def lock_levels(keys: Iterable[LevelKey]) -> dict[LevelKey, StockLevel]:
    """Row-lock the levels of `keys` (creating missing ones), always in the same order.

    Sorting the keys means two transactions touching the same two levels (a transfer
    and its reverse) queue instead of deadlocking. One round trip when every level exists
    (the usual case): a single SELECT ... FOR UPDATE that locks the rows in key order. Missing
    levels are first inserted (INSERT ... ON CONFLICT DO NOTHING, in key order, so two requests
    creating the same level do not fail), then every level is locked as above.
    """
    assert transaction.get_connection().in_atomic_block, "lock_levels needs a transaction"
    ordered = sorted(set(keys))
    locked = _select_for_update(ordered)
    missing = [key for key in ordered if key not in locked]
    if missing:
        StockLevel.objects.bulk_create(
            [StockLevel(pharmacy_id=pharmacy, product_id=product) for pharmacy, product in missing],
            ignore_conflicts=True,
        )
        locked = _select_for_update(ordered)
    return locked


def _select_for_update(ordered: list[LevelKey]) -> dict[LevelKey, StockLevel]:
    """One statement locking the existing levels of `ordered` in (pharmacy, product) order.

    PostgreSQL locks the rows as they leave the ORDER BY, so the order is the same as one
    statement per key. of=("self",): lock the level rows only. Without it PostgreSQL also locks
    the joined pharmacy and product rows, which serialises every stock change of a product
    nationwide and blocks the foreign-key checks of concurrent ledger inserts.
    """
    if not ordered:
        return {}
    keys = Q()
    for pharmacy_id, product_id in ordered:
        keys |= Q(pharmacy_id=pharmacy_id, product_id=product_id)
    levels = (
        StockLevel.objects.select_for_update(of=("self",))
        .select_related("pharmacy", "product")
        .filter(keys)
        .order_by("pharmacy_id", "product_id")
    )
    return {(level.pharmacy_id, level.product_id): level for level in levels}


def lock_level(*, pharmacy_id: int, product_id: int) -> StockLevel:
    return lock_levels([(pharmacy_id, product_id)])[(pharmacy_id, product_id)]


def record_movement(
    *,
    level: StockLevel,
    kind: str,
    on_hand_delta: int = 0,
    reserved_delta: int = 0,
    actor=None,
    source: str = "",
    reason: str = "",
    counterpart=None,
    corrects=None,
) -> StockMovement:
    """Apply one change to a level locked by `lock_levels` and write its ledger row."""
    new_on_hand = level.on_hand + on_hand_delta
    new_reserved = level.reserved + reserved_delta
    if new_on_hand < 0 or new_reserved > new_on_hand:
        raise InsufficientStock(
            ngettext(
                "Stock insuffisant : %(available)s disponible dans cette officine.",
                "Stock insuffisant : %(available)s disponibles dans cette officine.",
                max(level.available, 0),
            )
            % {"available": masks(max(level.available, 0), level.product)}
        )
    if new_reserved < 0:
        raise Conflict(_("Cette option a déjà été levée."), code="nothing_to_release")
    level.on_hand = new_on_hand
    level.reserved = new_reserved
    update_fields = ["on_hand", "reserved", "updated_at"]
    if kind in {MovementKind.ARRIVAL, MovementKind.INVENTORY_COUNT, MovementKind.TRANSFER_IN} and new_on_hand:
        level.sold_out_at = None
        update_fields.append("sold_out_at")
    level.save(update_fields=update_fields)
    return StockMovement.objects.create(
        level=level,
        pharmacy_id=level.pharmacy_id,
        product_id=level.product_id,
        kind=kind,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        on_hand_after=new_on_hand,
        reserved_after=new_reserved,
        source=source,
        reason=reason,
        counterpart=counterpart,
        corrects=corrects,
        actor=actor,
    )


def ledger_totals(level: StockLevel) -> tuple[int, int]:
    """(on_hand, reserved) recomputed from the ledger alone."""
    totals = level.movements.aggregate(on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta"))
    return totals["on_hand"] or 0, totals["reserved"] or 0
