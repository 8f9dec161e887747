"""The 2SFCA arithmetic on a tiny example computed by hand (no database)."""

import math

import numpy as np
import pytest

from observatory.accessibility import (
    EARTH_RADIUS_KM,
    band_weights,
    distances_km,
    two_step_floating_catchment,
    unit_vectors,
    weighted_mean,
)


def on_equator(km: float) -> tuple[float, float]:
    """A point on the equator `km` east of (0, 0): distances along it are exact arcs."""
    return (0.0, math.degrees(km / EARTH_RADIUS_KM))


def test_distances_are_great_circle_kilometres():
    a = unit_vectors([0.0], [0.0])
    b = unit_vectors(*zip(on_equator(12.0), strict=True))
    assert distances_km(a, b)[0, 0] == pytest.approx(12.0, abs=1e-6)
    # Paris - Toulouse, about 589 km as the crow flies.
    paris, toulouse = unit_vectors([48.8566], [2.3522]), unit_vectors([43.6045], [1.4440])
    assert distances_km(paris, toulouse)[0, 0] == pytest.approx(588.8, abs=1.0)


def test_band_weights_follow_the_bands_bounds_included():
    weights = band_weights(np.array([0.0, 10.0, 10.01, 15.0, 19.9, 20.0, 20.01, 300.0]))
    assert weights.tolist() == pytest.approx([1, 1, 2 / 3, 2 / 3, 1 / 3, 1 / 3, 0, 0])


def test_two_step_floating_catchment_on_three_communes_computed_by_hand():
    """A (1,000 inhabitants, 2 GPs) at 0 km; B (2,000, no GP) at 12 km; C (500, 1 GP) at 40 km.

    Step 1: around A, 1,000 x 1 + 2,000 x 2/3 = 7,000/3 inhabitants, R_A = 2 / (7,000/3) = 6/7,000;
    around C, only its own 500 (A and B are beyond 20 km), R_C = 1/500.
    Step 2: A sees R_A (6/7,000, 85.714 per 100,000); B sees 2/3 x R_A (4/7,000, 57.143);
    C sees R_C (200 per 100,000)."""
    positions = np.array([on_equator(0.0), on_equator(12.0), on_equator(40.0)])
    result = two_step_floating_catchment(
        demand_positions=positions,
        population=[1000, 2000, 500],
        supply_positions=positions[[0, 2]],
        supply=[2, 1],
        block=2,  # two blocks: the blocked sums must add up like one
    )
    assert result.ratio.tolist() == pytest.approx([6 / 7000, 1 / 500])
    assert result.score.tolist() == pytest.approx([600_000 / 7000, 400_000 / 7000, 200.0])
    assert result.score[0] == pytest.approx(85.714285, abs=1e-5)
    assert result.nearest_km.tolist() == pytest.approx([0.0, 12.0, 0.0], abs=1e-6)


def test_supply_nobody_lives_near_has_no_ratio_and_no_gp_means_no_access():
    positions = np.array([on_equator(0.0), on_equator(100.0)])
    result = two_step_floating_catchment(
        demand_positions=positions[:1], population=[0], supply_positions=positions[1:], supply=[3]
    )
    assert result.ratio.tolist() == [0.0]
    assert result.score.tolist() == [0.0]
    assert result.nearest_km[0] == pytest.approx(100.0, abs=1e-6)
    empty = two_step_floating_catchment(
        demand_positions=positions, population=[10, 10], supply_positions=np.empty((0, 2)), supply=[]
    )
    assert empty.score.tolist() == [0.0, 0.0]
    assert np.isnan(empty.nearest_km).all()


def test_weighted_mean_ignores_missing_values():
    assert weighted_mean(np.array([10.0, np.nan, 40.0]), np.array([3, 5, 1])) == pytest.approx(70 / 4)
    assert weighted_mean(np.array([np.nan]), np.array([1])) is None


def test_the_latitude_bands_give_the_same_result_as_every_pair():
    """The blocks only compare communes with supply points of nearby latitudes: on random points,
    the same figures as the plain computation over every pair."""
    rng = np.random.default_rng(15)
    demand = np.column_stack((rng.uniform(43.0, 44.5, 700), rng.uniform(-0.5, 2.0, 700)))
    supply_positions = demand[rng.choice(700, 60, replace=False)]
    population = rng.integers(0, 5000, 700).astype(float)
    supply = rng.integers(1, 6, 60).astype(float)
    result = two_step_floating_catchment(
        demand_positions=demand,
        population=population,
        supply_positions=supply_positions,
        supply=supply,
        block=64,
    )
    d = distances_km(unit_vectors(demand[:, 0], demand[:, 1]), unit_vectors(*supply_positions.T))
    w = band_weights(d)
    demand_around = w.T @ population
    ratio = np.divide(supply, demand_around, out=np.zeros(60), where=demand_around > 0)
    assert result.score == pytest.approx((w @ ratio) * 100_000, rel=1e-9, abs=1e-9)
    assert result.nearest_km == pytest.approx(d.min(axis=1), abs=1e-6)
