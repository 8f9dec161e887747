import random
import uuid
from decimal import Decimal

import pytest

from accounts.models import AccountStatus, Role
from gomask.errors import Conflict, InvalidInput, NotAllowed, NotFound
from pharmacies import services
from pharmacies.models import ArrivalSource, MovementKind, StockLevel, StockMovement
from pharmacies.services import (
    correct_movement,
    declare_arrival,
    declare_inventory_count,
    declare_loss,
    mark_sold_out,
    transfer_stock,
)
from pharmacies.stock import InsufficientStock, ledger_totals, lock_level, record_movement
from tests.factories import MembershipFactory, PharmacyFactory, UserFactory

pytestmark = pytest.mark.django_db


def _level(pharmacy, product):
    return StockLevel.objects.get(pharmacy=pharmacy, product=product)


def _arrive(pharmacist, pharmacy, quantity=100, product="surgical", **extra):
    return declare_arrival(
        actor=pharmacist,
        pharmacy_id=pharmacy.pk,
        product_code=product,
        quantity=quantity,
        source=ArrivalSource.REGIONAL,
        **extra,
    )


def _hold(pharmacy, product, quantity):
    """A reservation hold as part B's service makes it (through the same primitives)."""
    from django.db import transaction

    with transaction.atomic():
        level = lock_level(pharmacy_id=pharmacy.pk, product_id=product.pk)
        record_movement(level=level, kind=MovementKind.RESERVATION_HOLD, reserved_delta=quantity)


# --- Arrivals ---------------------------------------------------------------------------------


def test_an_arrival_in_masks_adds_to_the_level_and_writes_one_ledger_row(
    riscle_pharmacist, riscle_pharmacy, products
):
    movement = _arrive(riscle_pharmacist, riscle_pharmacy, 120, note="Livraison du matin")
    level = _level(riscle_pharmacy, products["surgical"])
    assert (level.on_hand, level.reserved) == (120, 0)
    assert movement.kind == MovementKind.ARRIVAL
    assert (movement.on_hand_delta, movement.source, movement.reason) == (
        120,
        "regional",
        "Livraison du matin",
    )
    assert movement.actor == riscle_pharmacist


def test_an_arrival_in_boxes_is_converted_with_the_product_box_size(
    riscle_pharmacist, riscle_pharmacy, products
):
    _arrive(riscle_pharmacist, riscle_pharmacy, 3, product="ffp2", unit="box")
    assert _level(riscle_pharmacy, products["ffp2"]).on_hand == 3 * products["ffp2"].box_size


@pytest.mark.parametrize(
    "quantity, message",
    [
        (0, "supérieure à zéro"),
        (-5, "supérieure à zéro"),
        ("-5", "supérieure à zéro"),
        (2.5, "nombre entier"),
        (Decimal("2.5"), "nombre entier"),
        ("2,5", "nombre entier"),
        ("abc", "nombre entier"),
        (float("nan"), "nombre entier"),
        (True, "nombre entier"),
        (None, "nombre entier"),
        (100_001, "100 000"),
        ("9" * 20, "100 000"),
    ],
)
def test_bad_arrival_quantities_are_refused_with_a_clear_message_and_write_nothing(
    riscle_pharmacist, riscle_pharmacy, products, quantity, message
):
    with pytest.raises(InvalidInput, match=message) as error:
        _arrive(riscle_pharmacist, riscle_pharmacy, quantity)
    assert error.value.code == "invalid_quantity"
    assert not StockMovement.objects.exists()
    assert not StockLevel.objects.exists()


def test_an_arrival_of_boxes_that_adds_up_to_more_than_100000_masks_is_refused(
    riscle_pharmacist, riscle_pharmacy, products
):
    with pytest.raises(InvalidInput, match="100 000"):
        _arrive(riscle_pharmacist, riscle_pharmacy, 2001, unit="box")
    assert not StockMovement.objects.exists()


def test_an_arrival_accepts_exactly_100000_masks_and_a_whole_number_typed_as_text(
    riscle_pharmacist, riscle_pharmacy, products
):
    _arrive(riscle_pharmacist, riscle_pharmacy, 100_000)
    _arrive(riscle_pharmacist, riscle_pharmacy, " 12 ", product="ffp2")
    assert _level(riscle_pharmacy, products["surgical"]).on_hand == 100_000
    assert _level(riscle_pharmacy, products["ffp2"]).on_hand == 12


@pytest.mark.parametrize(
    "field, value, code",
    [
        ("product_code", "gants", "unknown_product"),
        ("product_code", "", "unknown_product"),
        ("unit", "carton", "invalid_unit"),
        ("source", "black_market", "invalid_source"),
        ("source", "", "invalid_source"),
    ],
)
def test_an_arrival_with_an_unknown_product_unit_or_source_is_refused(
    riscle_pharmacist, riscle_pharmacy, products, field, value, code
):
    arguments = {
        "actor": riscle_pharmacist,
        "pharmacy_id": riscle_pharmacy.pk,
        "product_code": "surgical",
        "quantity": 10,
        "source": "national",
        field: value,
    }
    with pytest.raises(InvalidInput) as error:
        declare_arrival(**arguments)
    assert error.value.code == code
    assert not StockMovement.objects.exists()


def test_a_pharmacist_cannot_declare_stock_for_someone_elses_pharmacy(
    riscle_pharmacist, toulouse_pharmacy, products
):
    with pytest.raises(NotAllowed) as error:
        _arrive(riscle_pharmacist, toulouse_pharmacy)
    assert error.value.code == "not_your_pharmacy"
    assert not StockMovement.objects.exists()


def test_an_unknown_or_malformed_pharmacy_id_is_not_found(riscle_pharmacist, products):
    for pharmacy_id in [999_999, "abc", None]:
        with pytest.raises(NotFound):
            declare_arrival(
                actor=riscle_pharmacist,
                pharmacy_id=pharmacy_id,
                product_code="surgical",
                quantity=1,
                source="national",
            )


def test_a_pending_pharmacist_or_a_pending_membership_cannot_declare_stock(riscle_pharmacy, products):
    pending_account = UserFactory(role=Role.PHARMACIST, status=AccountStatus.PENDING)
    MembershipFactory(user=pending_account, pharmacy=riscle_pharmacy)
    pending_membership = UserFactory(role=Role.PHARMACIST)
    MembershipFactory(user=pending_membership, pharmacy=riscle_pharmacy, status="pending")
    with pytest.raises(NotAllowed):
        _arrive(pending_account, riscle_pharmacy)
    with pytest.raises(NotAllowed):
        _arrive(pending_membership, riscle_pharmacy)
    assert not StockMovement.objects.exists()


def test_other_roles_cannot_declare_stock_even_with_a_membership_row(riscle_pharmacy, nurse, products):
    MembershipFactory(user=nurse, pharmacy=riscle_pharmacy)
    with pytest.raises(NotAllowed) as error:
        _arrive(nurse, riscle_pharmacy)
    assert error.value.code == "not_a_pharmacist"


# --- Idempotency key (gomask.idempotency) -------------------------------------------------------


def _arrive_once(pharmacist, pharmacy, quantity=50, *, key):
    return declare_arrival.once(
        idempotency_key=key,
        actor=pharmacist,
        pharmacy_id=pharmacy.pk,
        product_code="surgical",
        quantity=quantity,
        source=ArrivalSource.REGIONAL,
    )


def test_a_double_submitted_arrival_form_is_recorded_once_and_gets_the_first_movement_back(
    riscle_pharmacist, riscle_pharmacy, products
):
    key = str(uuid.uuid4())
    first = _arrive_once(riscle_pharmacist, riscle_pharmacy, key=key)
    again = _arrive_once(riscle_pharmacist, riscle_pharmacy, key=f" {key} ")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.value.pk == first.value.pk
    assert _level(riscle_pharmacy, products["surgical"]).on_hand == 50
    assert StockMovement.objects.count() == 1


def test_the_same_key_with_another_declaration_is_refused_with_409(
    riscle_pharmacist, riscle_pharmacy, products
):
    _arrive_once(riscle_pharmacist, riscle_pharmacy, key="k-1")
    with pytest.raises(Conflict) as error:
        _arrive_once(riscle_pharmacist, riscle_pharmacy, 60, key="k-1")
    assert (error.value.status, error.value.code) == (409, "idempotency_key_reused")
    assert StockMovement.objects.count() == 1


def test_a_key_belongs_to_its_actor_and_its_kind_of_write(riscle_pharmacist, riscle_pharmacy, products):
    colleague = UserFactory(role=Role.PHARMACIST)
    MembershipFactory(user=colleague, pharmacy=riscle_pharmacy)
    _arrive_once(riscle_pharmacist, riscle_pharmacy, key="shared")
    _arrive_once(colleague, riscle_pharmacy, key="shared")
    declare_loss.once(
        idempotency_key="shared",
        actor=riscle_pharmacist,
        pharmacy_id=riscle_pharmacy.pk,
        product_code="surgical",
        quantity=5,
        reason="Casse",
    )
    assert _level(riscle_pharmacy, products["surgical"]).on_hand == 95


def test_a_refused_declaration_releases_its_key_for_the_corrected_form(
    riscle_pharmacist, riscle_pharmacy, products
):
    with pytest.raises(InvalidInput):
        _arrive_once(riscle_pharmacist, riscle_pharmacy, 0, key="k-2")
    # The corrected form (another quantity) keeps its key: the refused one wrote nothing.
    assert _arrive_once(riscle_pharmacist, riscle_pharmacy, 10, key="k-2").value.on_hand_delta == 10


def test_a_malformed_key_is_refused(riscle_pharmacist, riscle_pharmacy, products):
    with pytest.raises(InvalidInput) as error:
        _arrive_once(riscle_pharmacist, riscle_pharmacy, 10, key="x" * 101)
    assert error.value.code == "invalid_idempotency_key"
    assert not StockMovement.objects.exists()


def test_a_repeated_transfer_gets_both_movements_back(riscle_pharmacist, riscle_pharmacy, products):
    other = PharmacyFactory()
    _arrive(riscle_pharmacist, riscle_pharmacy, 100)
    send = {
        "actor": riscle_pharmacist,
        "from_pharmacy_id": riscle_pharmacy.pk,
        "to_pharmacy_id": other.pk,
        "product_code": "surgical",
        "quantity": 10,
    }
    first = transfer_stock.once(idempotency_key="t-1", **send)
    again = transfer_stock.once(idempotency_key="t-1", **send)
    assert again.replayed and [m.pk for m in again.value] == [m.pk for m in first.value]
    assert _level(riscle_pharmacy, products["surgical"]).on_hand == 90


# --- Inventory counts -------------------------------------------------------------------------


def test_an_inventory_count_records_the_difference(riscle_pharmacist, riscle_pharmacy, products):
    _arrive(riscle_pharmacist, riscle_pharmacy, 100)
    movement = declare_inventory_count(
        actor=riscle_pharmacist, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", counted=93
    )
    assert (movement.kind, movement.on_hand_delta, movement.on_hand_after) == (
        MovementKind.INVENTORY_COUNT,
        -7,
        93,
    )
    assert _level(riscle_pharmacy, products["surgical"]).on_hand == 93


def test_an_inventory_count_equal_to_the_level_is_still_recorded(
    riscle_pharmacist, riscle_pharmacy, products
):
    _arrive(riscle_pharmacist, riscle_pharmacy, 40)
    movement = declare_inventory_count(
        actor=riscle_pharmacist, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", counted="40"
    )
    assert movement.on_hand_delta == 0
    assert StockMovement.objects.filter(kind=MovementKind.INVENTORY_COUNT).count() == 1


def test_an_inventory_count_of_zero_is_accepted_and_a_negative_one_refused(
    riscle_pharmacist, riscle_pharmacy, products
):
    _arrive(riscle_pharmacist, riscle_pharmacy, 40)
    with pytest.raises(InvalidInput, match="négative"):
        declare_inventory_count(
            actor=riscle_pharmacist, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", counted=-1
        )
    declare_inventory_count(
        actor=riscle_pharmacist, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", counted=0
    )
    assert _level(riscle_pharmacy, products["surgical"]).on_hand == 0


def test_an_inventory_count_below_what_is_reserved_is_refused(riscle_pharmacist, riscle_pharmacy, products):
    _arrive(riscle_pharmacist, riscle_pharmacy, 40)
    _hold(riscle_pharmacy, products["surgical"], 18)
    with pytest.raises(InvalidInput, match="18 masques réservés") as error:
        declare_inventory_count(
            actor=riscle_pharmacist, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", counted=10
        )
    assert error.value.code == "count_below_reserved"
    level = _level(riscle_pharmacy, products["surgical"])
    assert (level.on_hand, level.reserved) == (40, 18)
    assert not StockMovement.objects.filter(kind=MovementKind.INVENTORY_COUNT).exists()


def test_a_count_of_a_product_never_received_creates_its_level(riscle_pharmacist, riscle_pharmacy, products):
    declare_inventory_count(
        actor=riscle_pharmacist, pharmacy_id=riscle_pharmacy.pk, product_code="ffp2", counted=7
    )
    assert _level(riscle_pharmacy, products["ffp2"]).on_hand == 7


# --- Losses -----------------------------------------------------------------------------------


def test_a_loss_needs_a_reason_and_cannot_take_reserved_masks(riscle_pharmacist, riscle_pharmacy, products):
    _arrive(riscle_pharmacist, riscle_pharmacy, 30)
    _hold(riscle_pharmacy, products["surgical"], 20)
    arguments = {"actor": riscle_pharmacist, "pharmacy_id": riscle_pharmacy.pk, "product_code": "surgical"}
    with pytest.raises(InvalidInput, match="motif"):
        declare_loss(**arguments, quantity=5, reason="   ")
    with pytest.raises(InsufficientStock):
        declare_loss(**arguments, quantity=11, reason="Inondation")
    movement = declare_loss(**arguments, quantity=10, reason="Boîtes mouillées")
    assert (movement.kind, movement.on_hand_delta, movement.reason) == (
        MovementKind.ADJUSTMENT,
        -10,
        "Boîtes mouillées",
    )
    level = _level(riscle_pharmacy, products["surgical"])
    assert (level.on_hand, level.reserved) == (20, 20)


@pytest.mark.parametrize("quantity", [0, -3, 1.5, 100_001])
def test_bad_loss_quantities_are_refused(riscle_pharmacist, riscle_pharmacy, products, quantity):
    _arrive(riscle_pharmacist, riscle_pharmacy, 30)
    with pytest.raises(InvalidInput):
        declare_loss(
            actor=riscle_pharmacist,
            pharmacy_id=riscle_pharmacy.pk,
            product_code="surgical",
            quantity=quantity,
            reason="Casse",
        )
    assert StockMovement.objects.count() == 1


# --- Transfers --------------------------------------------------------------------------------


def test_a_transfer_moves_masks_to_another_pharmacy_with_a_row_in_each_ledger(
    riscle_pharmacist, riscle_pharmacy, toulouse_pharmacy, products
):
    _arrive(riscle_pharmacist, riscle_pharmacy, 100)
    outgoing, incoming = transfer_stock(
        actor=riscle_pharmacist,
        from_pharmacy_id=riscle_pharmacy.pk,
        to_pharmacy_id=toulouse_pharmacy.pk,
        product_code="surgical",
        quantity=30,
    )
    assert (outgoing.kind, outgoing.on_hand_delta, outgoing.counterpart) == (
        MovementKind.TRANSFER_OUT,
        -30,
        toulouse_pharmacy,
    )
    assert (incoming.kind, incoming.on_hand_delta, incoming.counterpart) == (
        MovementKind.TRANSFER_IN,
        30,
        riscle_pharmacy,
    )
    assert _level(riscle_pharmacy, products["surgical"]).on_hand == 70
    assert _level(toulouse_pharmacy, products["surgical"]).on_hand == 30


def test_a_transfer_is_refused_to_the_same_an_unknown_or_a_closed_pharmacy_and_beyond_the_stock(
    riscle_pharmacist, riscle_pharmacy, toulouse_pharmacy, products
):
    _arrive(riscle_pharmacist, riscle_pharmacy, 10)
    closed = PharmacyFactory(is_active=False)
    arguments = {
        "actor": riscle_pharmacist,
        "from_pharmacy_id": riscle_pharmacy.pk,
        "product_code": "surgical",
    }
    for destination, code in [
        (riscle_pharmacy.pk, "same_pharmacy"),
        (999_999, "unknown_pharmacy"),
        (closed.pk, "unknown_pharmacy"),
        ("x", "invalid_id"),
    ]:
        with pytest.raises(InvalidInput) as error:
            transfer_stock(**arguments, to_pharmacy_id=destination, quantity=5)
        assert error.value.code == code
    with pytest.raises(InsufficientStock):
        transfer_stock(**arguments, to_pharmacy_id=toulouse_pharmacy.pk, quantity=11)
    assert StockMovement.objects.count() == 1
    assert not StockLevel.objects.filter(pharmacy=toulouse_pharmacy, on_hand__gt=0).exists()


def test_a_pharmacist_cannot_transfer_from_someone_elses_pharmacy(
    riscle_pharmacist, riscle_pharmacy, toulouse_pharmacist, toulouse_pharmacy, products
):
    _arrive(toulouse_pharmacist, toulouse_pharmacy, 50)
    with pytest.raises(NotAllowed):
        transfer_stock(
            actor=riscle_pharmacist,
            from_pharmacy_id=toulouse_pharmacy.pk,
            to_pharmacy_id=riscle_pharmacy.pk,
            product_code="surgical",
            quantity=50,
        )
    assert _level(toulouse_pharmacy, products["surgical"]).on_hand == 50


# --- Corrections ------------------------------------------------------------------------------


def test_a_mistaken_arrival_is_corrected_once_by_a_compensating_movement(
    riscle_pharmacist, riscle_pharmacy, products
):
    _arrive(riscle_pharmacist, riscle_pharmacy, 50)
    mistake = _arrive(riscle_pharmacist, riscle_pharmacy, 500)
    correction = correct_movement(actor=riscle_pharmacist, movement_id=mistake.pk, reason="Saisie en double")
    assert (correction.kind, correction.on_hand_delta, correction.corrects) == (
        MovementKind.CORRECTION,
        -500,
        mistake,
    )
    assert _level(riscle_pharmacy, products["surgical"]).on_hand == 50
    assert StockMovement.objects.filter(pk=mistake.pk).exists()  # nothing deleted
    with pytest.raises(Conflict) as error:
        correct_movement(actor=riscle_pharmacist, movement_id=mistake.pk, reason="Encore")
    assert error.value.code == "already_corrected"
    assert _level(riscle_pharmacy, products["surgical"]).on_hand == 50


def test_a_correction_is_refused_for_another_pharmacy_an_unknown_movement_and_other_kinds(
    riscle_pharmacist, riscle_pharmacy, toulouse_pharmacist, toulouse_pharmacy, products
):
    theirs = _arrive(toulouse_pharmacist, toulouse_pharmacy, 50)
    with pytest.raises(NotAllowed):
        correct_movement(actor=riscle_pharmacist, movement_id=theirs.pk, reason="Erreur")
    with pytest.raises(NotFound):
        correct_movement(actor=riscle_pharmacist, movement_id=987_654, reason="Erreur")
    with pytest.raises(InvalidInput):
        correct_movement(actor=riscle_pharmacist, movement_id="abc", reason="Erreur")
    _arrive(riscle_pharmacist, riscle_pharmacy, 50)
    outgoing, _incoming = transfer_stock(
        actor=riscle_pharmacist,
        from_pharmacy_id=riscle_pharmacy.pk,
        to_pharmacy_id=toulouse_pharmacy.pk,
        product_code="surgical",
        quantity=5,
    )
    with pytest.raises(InvalidInput) as error:
        correct_movement(actor=riscle_pharmacist, movement_id=outgoing.pk, reason="Erreur")
    assert error.value.code == "not_correctable"
    mine = StockMovement.objects.filter(pharmacy=riscle_pharmacy, kind=MovementKind.ARRIVAL).get()
    with pytest.raises(InvalidInput, match="motif"):
        correct_movement(actor=riscle_pharmacist, movement_id=mine.pk, reason="")
    assert not StockMovement.objects.filter(kind=MovementKind.CORRECTION).exists()


def test_correcting_an_arrival_already_handed_out_is_refused_for_lack_of_stock(
    riscle_pharmacist, riscle_pharmacy, products
):
    arrival = _arrive(riscle_pharmacist, riscle_pharmacy, 20)
    declare_loss(
        actor=riscle_pharmacist,
        pharmacy_id=riscle_pharmacy.pk,
        product_code="surgical",
        quantity=15,
        reason="Casse",
    )
    with pytest.raises(InsufficientStock):
        correct_movement(actor=riscle_pharmacist, movement_id=arrival.pk, reason="Erreur")


# --- Sold out ---------------------------------------------------------------------------------


def test_marking_sold_out_sets_the_flag_once_and_the_next_arrival_clears_it(
    riscle_pharmacist, riscle_pharmacy, products
):
    _arrive(riscle_pharmacist, riscle_pharmacy, 10)
    level = mark_sold_out(actor=riscle_pharmacist, pharmacy_id=riscle_pharmacy.pk, product_code="surgical")
    first = level.sold_out_at
    assert first is not None
    again = mark_sold_out(actor=riscle_pharmacist, pharmacy_id=riscle_pharmacy.pk, product_code="surgical")
    assert again.sold_out_at == first
    assert StockMovement.objects.count() == 1  # a flag, not a stock change
    _arrive(riscle_pharmacist, riscle_pharmacy, 10)
    assert _level(riscle_pharmacy, products["surgical"]).sold_out_at is None


def test_marking_sold_out_is_refused_for_someone_elses_pharmacy(
    riscle_pharmacist, toulouse_pharmacy, products
):
    with pytest.raises(NotAllowed):
        mark_sold_out(actor=riscle_pharmacist, pharmacy_id=toulouse_pharmacy.pk, product_code="surgical")
    assert not StockLevel.objects.exists()


# --- The ledger always explains the level -----------------------------------------------------


def test_the_level_equals_the_ledger_after_a_random_sequence_of_operations(
    riscle_pharmacist, riscle_pharmacy, toulouse_pharmacist, toulouse_pharmacy, products
):
    rng = random.Random(76)
    surgical = products["surgical"]
    actors = {riscle_pharmacy.pk: riscle_pharmacist, toulouse_pharmacy.pk: toulouse_pharmacist}
    pharmacies = [riscle_pharmacy, toulouse_pharmacy]
    refused = 0
    for _step in range(300):
        pharmacy = rng.choice(pharmacies)
        other = toulouse_pharmacy if pharmacy == riscle_pharmacy else riscle_pharmacy
        actor = actors[pharmacy.pk]
        common = {"actor": actor, "pharmacy_id": pharmacy.pk, "product_code": "surgical"}
        operation = rng.choice(["arrival", "count", "loss", "transfer", "hold", "correct", "bad"])
        try:
            if operation == "arrival":
                declare_arrival(
                    **common, quantity=rng.randint(1, 200), source=rng.choice(ArrivalSource.values)
                )
            elif operation == "count":
                declare_inventory_count(**common, counted=rng.randint(0, 300))
            elif operation == "loss":
                declare_loss(**common, quantity=rng.randint(1, 60), reason="Casse")
            elif operation == "transfer":
                transfer_stock(
                    actor=actor,
                    from_pharmacy_id=pharmacy.pk,
                    to_pharmacy_id=other.pk,
                    product_code="surgical",
                    quantity=rng.randint(1, 80),
                )
            elif operation == "hold":
                _hold(pharmacy, surgical, rng.randint(1, 30))
            elif operation == "correct":
                candidates = list(
                    StockMovement.objects.filter(pharmacy=pharmacy, kind__in=services.CORRECTABLE_KINDS)
                    .values_list("pk", flat=True)
                    .order_by("-pk")[:5]
                )
                if candidates:
                    correct_movement(
                        actor=actor, movement_id=rng.choice(candidates), reason="Erreur de saisie"
                    )
            else:
                declare_arrival(**common, quantity=rng.choice([0, -1, 2.5, 100_001]), source="national")
        except (InvalidInput, Conflict):
            refused += 1
    assert refused > 0  # the sequence did exercise refusals
    for level in StockLevel.objects.all():
        assert ledger_totals(level) == (level.on_hand, level.reserved)
        assert 0 <= level.reserved <= level.on_hand
        last = level.movements.order_by("-created_at", "-id").first()
        assert (last.on_hand_after, last.reserved_after) == (level.on_hand, level.reserved)


def test_idempotency_keys_older_than_a_week_are_purged_and_recent_ones_kept(
    riscle_pharmacist, riscle_pharmacy, products
):
    from datetime import timedelta

    from django.utils import timezone

    from gomask import idempotency
    from gomask.models import IdempotencyKey

    _arrive_once(riscle_pharmacist, riscle_pharmacy, key="old")
    _arrive_once(riscle_pharmacist, riscle_pharmacy, 20, key="recent")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(days=8))

    assert idempotency.purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["recent"]
