"""Planning fixtures: stock levels and handover history written directly (the forecast reads
them as data), a few pharmacies around Riscle and Toulouse, ARS agents and pharmacists."""

from datetime import date, datetime, time, timedelta

import pytest

from distribution.models import Dispensation, QuotaPolicy
from gomask.clock import PARIS
from pharmacies.models import MovementKind, StockLevel, StockMovement
from planning import services
from professionals.models import Profession, Referencing
from tests.factories import PharmacyFactory, ProfessionalFactory, UserFactory

TODAY = date(2026, 11, 30)  # a Monday
RISCLE, TOULOUSE, AUCH, MARSEILLE = "32344", "31555", "32013", "13055"


def set_stock(pharmacy, product, on_hand, reserved=0):
    level, _ = StockLevel.objects.update_or_create(
        pharmacy=pharmacy, product=product, defaults={"on_hand": on_hand, "reserved": reserved}
    )
    return level


def handed_over(pharmacy, product, quantity, *, day: date, hour=10, professional=None, by=None):
    """A handover on `day` at `hour` (Paris), written as data."""
    level, _ = StockLevel.objects.get_or_create(pharmacy=pharmacy, product=product)
    when = datetime.combine(day, time(hour), tzinfo=PARIS)
    movement = StockMovement.objects.create(
        level=level,
        pharmacy=pharmacy,
        product=product,
        kind=MovementKind.DISPENSATION,
        on_hand_delta=-quantity,
        on_hand_after=0,
        reserved_after=0,
    )
    StockMovement.objects.filter(pk=movement.pk).update(created_at=when)
    professional = professional or ProfessionalFactory()
    return Dispensation.objects.create(
        professional=professional,
        pharmacy=pharmacy,
        product=product,
        quantity=quantity,
        policy=QuotaPolicy.objects.filter(product=product).first(),
        period_start=day,
        identity_checked=True,
        dispensed_by=by or UserFactory(),
        movement=movement,
        created_at=when,
    )


def reference(pharmacy, count, profession=Profession.INFIRMIER, insee_code=RISCLE):
    professionals = [ProfessionalFactory(profession=profession, insee_code=insee_code) for _ in range(count)]
    Referencing.objects.bulk_create([Referencing(professional=p, pharmacy=pharmacy) for p in professionals])
    return professionals


def every_day(pharmacy, product, quantity, *, days=14, today=TODAY):
    by, professional = UserFactory(), ProfessionalFactory()
    for k in range(1, days + 1):
        handed_over(
            pharmacy, product, quantity, day=today - timedelta(days=k), professional=professional, by=by
        )


@pytest.fixture
def surgical(products, quota_policies):
    return products["surgical"]


@pytest.fixture
def riscle(occitanie):
    return PharmacyFactory(insee_code=RISCLE, name="Pharmacie de l'Adour")


@pytest.fixture
def toulouse(occitanie):
    return PharmacyFactory(insee_code=TOULOUSE, name="Pharmacie du Capitole")


@pytest.fixture
def auch(occitanie):
    return PharmacyFactory(insee_code=AUCH, name="Pharmacie de la Cathédrale")


@pytest.fixture
def at_risk_scene(occitanie, surgical):
    """Riscle: 20 masks at 10 a day (cover 2); Toulouse: 30 at 5 (cover 6); Auch: 500 at 5."""
    riscle = PharmacyFactory(insee_code=RISCLE, name="Pharmacie de l'Adour")
    toulouse = PharmacyFactory(insee_code=TOULOUSE, name="Pharmacie du Capitole")
    auch = PharmacyFactory(insee_code="32013", name="Pharmacie de la Cathédrale")
    for pharmacy, stock, daily in ((riscle, 20, 10), (toulouse, 30, 5), (auch, 500, 5)):
        set_stock(pharmacy, surgical, stock)
        every_day(pharmacy, surgical, daily)
    services.refresh_forecast(today=TODAY)
    return riscle, toulouse, auch
