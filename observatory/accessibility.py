"""The arithmetic of the observatory, in NumPy and free of Django: distances between points,
the distance to the nearest supply point, and the two-step floating catchment area (2SFCA).

2SFCA (Luo & Wang 2003; with distance bands, the method of the DREES "accessibilité potentielle
localisée", APL):

1. For each supply point j (a commune where general practitioners practise), its ratio
   R_j = S_j / sum_i w(d_ij) * P_i : its practitioners S_j over the population P_i of every
   commune i around it, weighted by the distance decay w.
2. For each commune i, its accessibility A_i = sum_j w(d_ij) * R_j, here expressed per
   100,000 inhabitants.

w is a step function over distance bands (BANDS): 1 near, then 2/3, 1/3, and 0 beyond the
last band, as the DREES bands of 10, 15 and 20 minutes by road; we have straight-line
distances between commune positions, so the bands are in kilometres.

Distances are great-circle distances from unit vectors: |a - b|^2 = 2 - 2 a.b, so a block of
distances is one matrix product, and a distance band is a threshold on the dot product. Communes
are processed in blocks (BLOCK) sorted by latitude, each against the supply points of its latitude
band widened by the farthest band, which bounds memory and time at any scale (35,000 communes x
10,000 supply points nationally).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_KM = 6371.0088
# (upper bound in km, weight): inclusive bounds, ordered. Beyond the last one, weight 0.
BANDS: tuple[tuple[float, float], ...] = ((10.0, 1.0), (15.0, 2.0 / 3.0), (20.0, 1.0 / 3.0))
PER_INHABITANTS = 100_000
BLOCK = 2048


def unit_vectors(latitudes, longitudes) -> np.ndarray:
    lat = np.radians(np.asarray(latitudes, dtype=np.float64))
    lng = np.radians(np.asarray(longitudes, dtype=np.float64))
    cos_lat = np.cos(lat)
    return np.column_stack((cos_lat * np.cos(lng), cos_lat * np.sin(lng), np.sin(lat)))


def distances_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle distances (km) between the unit vectors of a (n x 3) and b (m x 3)."""
    dot = np.clip(a @ b.T, -1.0, 1.0)
    chord = np.sqrt(np.maximum(2.0 - 2.0 * dot, 0.0))
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2.0, 1.0))


def _km_from_dot(dot: np.ndarray) -> np.ndarray:
    dot = np.clip(dot, -1.0, 1.0)
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(np.sqrt(np.maximum(2.0 - 2.0 * dot, 0.0)) / 2.0, 1.0))


def band_weights(distances: np.ndarray, bands=BANDS) -> np.ndarray:
    weights = np.zeros_like(distances)
    # From the farthest band to the nearest, so that the nearest band's weight wins.
    for limit, weight in reversed(bands):
        weights[distances <= limit] = weight
    return weights


@dataclass(frozen=True)
class Accessibility:
    # Per demand point, in input order.
    score: np.ndarray  # A_i per PER_INHABITANTS inhabitants (0 when no supply in reach)
    nearest_km: np.ndarray  # distance to the nearest supply point (nan when there is none)
    # Per supply point: R_j (practitioners per inhabitant of its catchment; 0 if it has none).
    ratio: np.ndarray


def two_step_floating_catchment(
    *,
    demand_positions: np.ndarray,
    population: np.ndarray,
    supply_positions: np.ndarray,
    supply: np.ndarray,
    bands=BANDS,
    block: int = BLOCK,
) -> Accessibility:
    """demand_positions (n x 2, lat/lng degrees) with population (n); supply_positions (m x 2)
    with supply (m, e.g. practitioners, optionally weighted by activity)."""
    demand_positions = np.asarray(demand_positions, dtype=np.float64).reshape(-1, 2)
    supply_positions = np.asarray(supply_positions, dtype=np.float64).reshape(-1, 2)
    population = np.asarray(population, dtype=np.float64)
    supply = np.asarray(supply, dtype=np.float64)
    n, m = len(demand_positions), len(supply_positions)
    if m == 0 or n == 0:
        return Accessibility(score=np.zeros(n), nearest_km=np.full(n, np.nan), ratio=np.zeros(m))
    demand_vectors = unit_vectors(demand_positions[:, 0], demand_positions[:, 1])
    supply_vectors = unit_vectors(supply_positions[:, 0], supply_positions[:, 1])
    # A band of L km is a dot product of unit vectors >= cos(L / R): no square root nor arcsine
    # over the whole block, only comparisons.
    thresholds = [(np.cos(limit / EARTH_RADIUS_KM), weight) for limit, weight in bands]
    reach_km = max(limit for limit, _weight in bands)
    # Two points |dlat| apart are at least R * |dlat| apart: blocks of communes sorted by latitude
    # only meet the supply points of their latitude band, widened by the reach.
    margin = np.degrees(reach_km / EARTH_RADIUS_KM) + 1e-6
    order = np.argsort(demand_positions[:, 0], kind="stable")
    supply_order = np.argsort(supply_positions[:, 0], kind="stable")
    supply_lat = supply_positions[supply_order, 0]

    def blocks():
        for start in range(0, n, block):
            rows = order[start : start + block]
            lat = demand_positions[rows, 0]
            lo = np.searchsorted(supply_lat, lat.min() - margin, side="left")
            hi = np.searchsorted(supply_lat, lat.max() + margin, side="right")
            columns = supply_order[lo:hi]
            dot = demand_vectors[rows] @ supply_vectors[columns].T
            weights = np.zeros_like(dot)
            for cosine, weight in reversed(thresholds):
                weights[dot >= cosine] = weight
            yield rows, columns, dot, weights

    # Step 1: the weighted population around every supply point; the nearest one on the way.
    weighted_demand = np.zeros(m)
    nearest = np.full(n, np.nan)
    for rows, columns, dot, weights in blocks():
        weighted_demand[columns] += weights.T @ population[rows]
        if len(columns):
            nearest[rows] = _km_from_dot(dot.max(axis=1))
    # Beyond the reach, the nearest supply point may lie outside the latitude band: all of them.
    far = np.flatnonzero(np.isnan(nearest) | (nearest > reach_km))
    for start in range(0, len(far), block):
        rows = far[start : start + block]
        nearest[rows] = _km_from_dot((demand_vectors[rows] @ supply_vectors.T).max(axis=1))
    ratio = np.divide(supply, weighted_demand, out=np.zeros(m), where=weighted_demand > 0)

    # Step 2: the ratios within reach of every demand point.
    score = np.zeros(n)
    for rows, columns, _dot, weights in blocks():
        score[rows] = weights @ ratio[columns]
    return Accessibility(score=score * PER_INHABITANTS, nearest_km=nearest, ratio=ratio)


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float | None:
    """Population-weighted mean ignoring nan values; None when nothing is left to weigh."""
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    keep = ~np.isnan(values)
    total = weights[keep].sum()
    if not keep.any():
        return None
    if total <= 0:
        return float(values[keep].mean())
    return float((values[keep] * weights[keep]).sum() / total)
