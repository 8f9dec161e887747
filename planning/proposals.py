"""Rebalancing proposals drawn from the forecast: transfers between nearby pharmacies, then
shipments from the regional stock for what no neighbour can spare.

A pharmacy is at risk when its days of cover are under MIN_COVER_DAYS; it needs what brings it
back to MIN_COVER_DAYS (ceil(MIN_COVER_DAYS x demand) - available). A sender keeps
ceil(MIN_COVER_DAYS x demand) for itself (so never drops under MIN_COVER_DAYS) and gives only
within RADIUS_KM. Receivers are served by earliest stock-out first, from the nearest sender;
ties by id, so the proposals of one forecast are always the same.
"""

import math
from dataclasses import dataclass

import numpy as np

from pharmacies.models import Pharmacy
from planning.forecast import MIN_COVER_DAYS
from planning.models import ProposalKind, StockForecast

RADIUS_KM = 30.0
EARTH_KM = 6371.0


@dataclass
class Draft:
    kind: str
    product_id: int
    recipient_id: int
    sender_id: int | None
    quantity: int
    distance_km: float | None


def kept_for_itself(demand: float) -> int:
    return math.ceil(MIN_COVER_DAYS * demand - 1e-9)


def distances_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Haversine distances from one point to many."""
    lat1, lon1, lat2, lon2 = map(np.radians, (lat, lon, lats, lons))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def draft_proposals(*, region_code: str, product_id: int) -> list[Draft]:
    rows = list(
        StockForecast.objects.filter(
            pharmacy__region_id=region_code, pharmacy__is_active=True, product_id=product_id
        )
        .order_by("pharmacy_id")
        .values_list("pharmacy_id", "on_hand", "reserved", "daily_demand", "stockout_on", "days_of_cover")
    )
    if not rows:
        return []
    coordinates = {
        pk: (lat, lon)
        for pk, lat, lon in Pharmacy.objects.filter(pk__in=[r[0] for r in rows]).values_list(
            "pk", "latitude", "longitude"
        )
    }
    receivers, surplus = [], {}
    for pharmacy_id, on_hand, reserved, demand, stockout_on, cover in rows:
        available = on_hand - reserved
        keep = kept_for_itself(demand)
        if demand > 0 and cover is not None and cover < MIN_COVER_DAYS:
            receivers.append((stockout_on, cover, pharmacy_id, keep - available))
        elif available > keep:
            surplus[pharmacy_id] = available - keep
    receivers.sort()
    sender_ids = np.array(sorted(surplus), dtype=np.int64)
    lats = np.array([coordinates[pk][0] for pk in sender_ids], dtype=float)
    lons = np.array([coordinates[pk][1] for pk in sender_ids], dtype=float)
    drafts = []
    for _stockout, _cover, recipient_id, need in receivers:
        if need <= 0:
            continue
        if len(sender_ids):
            lat, lon = coordinates[recipient_id]
            distances = distances_km(lat, lon, lats, lons)
            order = np.lexsort((sender_ids, distances))
            for index in order:
                if need <= 0 or distances[index] > RADIUS_KM:
                    break
                sender_id = int(sender_ids[index])
                given = min(need, surplus[sender_id])
                if given <= 0:
                    continue
                surplus[sender_id] -= given
                need -= given
                drafts.append(
                    Draft(
                        ProposalKind.TRANSFER,
                        product_id,
                        recipient_id,
                        sender_id,
                        given,
                        round(float(distances[index]), 1),
                    )
                )
        if need > 0:
            drafts.append(Draft(ProposalKind.REGIONAL, product_id, recipient_id, None, need, None))
    return drafts
