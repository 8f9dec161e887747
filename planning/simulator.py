"""What-if: a draft quota policy applied to the last weeks, next to the policy in force.

The model (the same for both policies, so the two columns compare like with like): each week,
each pharmacy has a supply (its stock on the Monday plus what arrived during the week); each
professional referenced there asks for their weekly quota; when the asks exceed the supply,
every ask is served in the same proportion (supply / asks) and the pharmacy runs out after
7 x supply / asks days (stock-out days: 7 minus the whole days it lasted).

Per EPCI (of the professional's practice, of the pharmacy for stock-out days):
- share of professionals fully served: served their whole quota every week;
- stock-out days: summed over the EPCI's pharmacies and the weeks;
- Gini coefficient of the share served (masks served / masks asked over the weeks) between
  the EPCI's professionals: 0 when all are served alike.
Professionals with no quota in any week (asked nothing) are left out of the shares.

`simulate` is pure NumPy, vectorised (no Python loop over professionals or pharmacies).
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class EpciResult:
    professionals: np.ndarray  # counted (asked something)
    fully_served_share: np.ndarray  # 0..1, NaN where no professional
    stockout_days: np.ndarray  # pharmacy-days
    gini: np.ndarray  # 0..1, NaN where no professional


def pharmacy_asks(prof_pharmacy, asks, n_pharmacies):
    """Masks asked per pharmacy and week: asks is (professionals, weeks)."""
    weeks = asks.shape[1]
    index = (prof_pharmacy[:, None] * weeks + np.arange(weeks)[None, :]).ravel()
    return np.bincount(index, weights=asks.ravel(), minlength=n_pharmacies * weeks).reshape(
        n_pharmacies, weeks
    )


def group_gini(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Gini coefficient of `values` within each group: (2 sum(i x_i)) / (n sum x) - (n + 1) / n,
    with x sorted ascending within the group and i its rank from 1; 0 where sum x is 0."""
    order = np.lexsort((values, groups))
    g, x = groups[order], values[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    ranks = np.arange(len(g)) - starts[g] + 1
    weighted = np.bincount(g, weights=ranks * x, minlength=n_groups)
    totals = np.bincount(g, weights=x, minlength=n_groups)
    n = counts.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        gini = 2 * weighted / (n * totals) - (n + 1) / n
    gini = np.where(totals > 0, gini, 0.0)
    return np.where(counts > 0, np.clip(gini, 0.0, 1.0), np.nan)


def simulate(
    *,
    supply: np.ndarray,  # (pharmacies, weeks) masks
    quotas: np.ndarray,  # (weeks, professions) masks per week
    prof_pharmacy: np.ndarray,  # (professionals,) pharmacy index
    prof_profession: np.ndarray,  # (professionals,) profession index
    prof_epci: np.ndarray,  # (professionals,) EPCI index
    pharmacy_epci: np.ndarray,  # (pharmacies,) EPCI index
    n_epci: int,
) -> EpciResult:
    n_pharmacies, _weeks = supply.shape
    asks = quotas[:, prof_profession].T.astype(float)  # (professionals, weeks)
    demand = pharmacy_asks(prof_pharmacy, asks, n_pharmacies)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(demand > 0, np.minimum(1.0, supply / demand), 1.0)
        lasted = np.floor(7 * supply / demand + 1e-9)
    out_days = np.where(demand > supply, 7 - np.minimum(lasted, 7), 0)
    served = asks * ratio[prof_pharmacy]
    asked_total = asks.sum(axis=1)
    counted = asked_total > 0
    fully = np.all((ratio[prof_pharmacy] >= 1) | (asks == 0), axis=1) & counted
    share = np.divide(served.sum(axis=1), asked_total, out=np.zeros_like(asked_total), where=counted)
    professionals = np.bincount(prof_epci[counted], minlength=n_epci)
    fully_count = np.bincount(prof_epci[fully], minlength=n_epci)
    with np.errstate(divide="ignore", invalid="ignore"):
        fully_share = np.where(professionals > 0, fully_count / professionals, np.nan)
    stockout_days = np.bincount(pharmacy_epci, weights=out_days.sum(axis=1), minlength=n_epci)
    gini = group_gini(prof_epci[counted], share[counted], n_epci)
    return EpciResult(professionals, fully_share, stockout_days, gini)
