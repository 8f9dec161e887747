"""The what-if simulator: exact figures on arrays built by the test, and from the database."""

from datetime import datetime, time, timedelta

import numpy as np
import pytest

from gomask.clock import PARIS
from pharmacies.models import MovementKind, StockLevel, StockMovement
from planning.selectors import PROFESSIONS, simulation_inputs, simulation_weeks
from planning.simulator import group_gini, simulate
from tests.factories import PharmacyFactory
from tests.planning.conftest import RISCLE, TODAY, TOULOUSE, reference


def test_gini_of_equal_shares_is_zero_and_of_one_taking_all_is_one_minus_one_over_n():
    groups = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    values = np.array([0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0, 1.0])
    gini = group_gini(groups, values, 3)
    assert gini[0] == pytest.approx(0.0)
    assert gini[1] == pytest.approx(0.75)
    assert np.isnan(gini[2])
    # 1, 2, 3: sum |xi - xj| = 8 over 2 n^2 mean = 2 x 9 x 2 = 36
    assert group_gini(np.zeros(3, dtype=int), np.array([3.0, 1.0, 2.0]), 1)[0] == pytest.approx(8 / 36)


def test_simulate_shares_fully_served_stockout_days_and_gini_per_epci():
    # Pharmacy 0 (EPCI 0): 30 masks a week; two nurses (quota 18 each: 36 asked) -> 30/36 each.
    # Pharmacy 1 (EPCI 1): 100 masks; one doctor (18) and one physio (6): all fully served.
    supply = np.array([[30.0, 30.0], [100.0, 100.0]])
    quotas = np.array([[18, 6], [18, 6]], dtype=float)  # professions: 0 nurse/doctor, 1 physio
    result = simulate(
        supply=supply,
        quotas=quotas,
        prof_pharmacy=np.array([0, 0, 1, 1]),
        prof_profession=np.array([0, 0, 0, 1]),
        prof_epci=np.array([0, 0, 1, 1]),
        pharmacy_epci=np.array([0, 1]),
        n_epci=2,
    )
    assert list(result.professionals) == [2, 2]
    assert list(result.fully_served_share) == [0.0, 1.0]
    # 7 x 30 / 36 = 5.83 -> lasted 5 whole days: 2 days out, each of 2 weeks
    assert list(result.stockout_days) == [4, 0]
    assert list(result.gini) == [0.0, 0.0]

    draft = simulate(
        supply=supply,
        quotas=np.array([[15, 6], [15, 6]], dtype=float),
        prof_pharmacy=np.array([0, 0, 1, 1]),
        prof_profession=np.array([0, 0, 0, 1]),
        prof_epci=np.array([0, 0, 1, 1]),
        pharmacy_epci=np.array([0, 1]),
        n_epci=2,
    )
    assert list(draft.fully_served_share) == [1.0, 1.0]
    assert list(draft.stockout_days) == [0, 0]


def test_professionals_asking_nothing_are_left_out():
    result = simulate(
        supply=np.array([[0.0]]),
        quotas=np.array([[0.0, 10.0]]),
        prof_pharmacy=np.array([0, 0]),
        prof_profession=np.array([0, 1]),
        prof_epci=np.array([0, 0]),
        pharmacy_epci=np.array([0]),
        n_epci=1,
    )
    assert list(result.professionals) == [1]
    assert list(result.fully_served_share) == [0.0]
    assert list(result.stockout_days) == [7]


@pytest.mark.django_db
def test_inputs_read_the_monday_stock_plus_the_weeks_arrivals(occitanie, surgical):
    riscle = PharmacyFactory(insee_code=RISCLE)
    toulouse = PharmacyFactory(insee_code=TOULOUSE)
    reference(riscle, 2)
    weeks = simulation_weeks(TODAY, 2)
    assert weeks == [TODAY - timedelta(weeks=2), TODAY - timedelta(weeks=1)]
    level = StockLevel.objects.create(pharmacy=riscle, product=surgical, on_hand=0)

    def movement(kind, delta, after, day, hour=12):
        m = StockMovement.objects.create(
            level=level,
            pharmacy=riscle,
            product=surgical,
            kind=kind,
            on_hand_delta=delta,
            on_hand_after=after,
            reserved_after=0,
            source="national" if kind == MovementKind.ARRIVAL else "",
        )
        StockMovement.objects.filter(pk=m.pk).update(
            created_at=datetime.combine(day, time(hour), tzinfo=PARIS)
        )

    movement(MovementKind.ARRIVAL, 40, 40, weeks[0] - timedelta(days=2))  # before: the Monday stock
    movement(MovementKind.DISPENSATION, -10, 30, weeks[0] + timedelta(days=1))
    movement(MovementKind.ARRIVAL, 25, 55, weeks[0] + timedelta(days=3))  # week 1 arrival
    movement(MovementKind.TRANSFER_IN, 5, 60, weeks[1] + timedelta(days=6), hour=23)  # week 2

    inputs = simulation_inputs(region_code="76", product=surgical, weeks=weeks)

    index = {pk: i for i, pk in enumerate(sorted([riscle.pk, toulouse.pk]))}
    assert list(inputs.supply[index[riscle.pk]]) == [40 + 25, 55 + 5]
    assert list(inputs.supply[index[toulouse.pk]]) == [0, 0]
    assert len(inputs.prof_pharmacy) == 2
    nurse = PROFESSIONS.index("infirmier")
    assert list(inputs.quotas_in_force[:, nurse]) == [18, 18]
