"""What-if simulator: 4 weeks x 300,000 professionals in under 10 s (pure NumPy, no database).

    .venv/bin/python bench/bench_simulator.py [--professionals 300000] [--pharmacies 20000]
        [--epcis 1250] [--weeks 4] [--runs 5]

Times `planning.simulator.simulate` (vectorised: bincount, lexsort) on generated inputs of
national size, for the policy in force and a draft (what a simulation page computes), next to a
plain NumPy baseline that loops over the EPCIs with boolean masks, and checks that both give
the same figures. Prints the machine load (os.getloadavg) before and after.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import load  # noqa: E402

from planning.simulator import simulate  # noqa: E402  (pure NumPy: no Django needed)


def inputs(args, rng):
    n, p, e, w = args.professionals, args.pharmacies, args.epcis, args.weeks
    pharmacy_epci = rng.integers(0, e, p)
    prof_pharmacy = rng.integers(0, p, n)
    prof_epci = np.where(rng.random(n) < 0.9, pharmacy_epci[prof_pharmacy], rng.integers(0, e, n))
    prof_profession = rng.integers(0, 10, n)
    quotas = np.tile(np.array([18, 18, 6, 18, 6, 0, 0, 0, 0, 0], dtype=float), (w, 1))
    supply = rng.poisson(15 * n / p * 12, (p, w)).astype(float) * rng.uniform(0.3, 1.4, (p, 1))
    return {
        "supply": supply,
        "quotas": quotas,
        "prof_pharmacy": prof_pharmacy,
        "prof_profession": prof_profession,
        "prof_epci": prof_epci,
        "pharmacy_epci": pharmacy_epci,
        "n_epci": e,
    }


def baseline(*, supply, quotas, prof_pharmacy, prof_profession, prof_epci, pharmacy_epci, n_epci, only=None):
    """The same figures, written plainly: one pass per EPCI with boolean masks."""
    weeks = supply.shape[1]
    asks = quotas[:, prof_profession].T
    demand = np.zeros_like(supply)
    for w in range(weeks):
        np.add.at(demand[:, w], prof_pharmacy, asks[:, w])
    ratio = np.ones_like(supply)
    positive = demand > 0
    ratio[positive] = np.minimum(1.0, supply[positive] / demand[positive])
    out_days = np.zeros_like(supply)
    short = demand > supply
    out_days[short] = 7 - np.minimum(np.floor(7 * supply[short] / demand[short] + 1e-9), 7)
    fully, stockout, gini, counted_n = [], [], [], []
    for epci in range(n_epci if only is None else only):
        members = (prof_epci == epci) & (asks.sum(axis=1) > 0)
        r = ratio[prof_pharmacy[members]]
        a = asks[members]
        share = (a * r).sum(axis=1) / a.sum(axis=1)
        full = np.all((r >= 1) | (a == 0), axis=1)
        counted_n.append(members.sum())
        fully.append(full.mean() if members.any() else np.nan)
        stockout.append(out_days[pharmacy_epci == epci].sum())
        if not members.any():
            gini.append(np.nan)
        elif share.sum() == 0:
            gini.append(0.0)
        else:
            x = np.sort(share)
            k = len(x)
            gini.append(min(1.0, max(0.0, 2 * np.sum(np.arange(1, k + 1) * x) / (k * x.sum()) - (k + 1) / k)))
    return np.array(counted_n), np.array(fully), np.array(stockout), np.array(gini)


def main() -> int:
    parser = argparse.ArgumentParser(description="What-if simulator at national scale")
    parser.add_argument("--professionals", type=int, default=300_000)
    parser.add_argument("--pharmacies", type=int, default=20_000)
    parser.add_argument("--epcis", type=int, default=1_250)
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--baseline-epcis", type=int, default=100, help="EPCIs the baseline computes (its time is scaled up)"
    )
    args = parser.parse_args()
    print("before:", load())
    data = inputs(args, np.random.default_rng(2020))
    draft = dict(data, quotas=data["quotas"] * 0.8)
    samples = []
    for _ in range(args.runs):
        started = time.perf_counter()
        current = simulate(**data)
        simulate(**draft)
        samples.append(time.perf_counter() - started)
    started = time.perf_counter()
    k = min(args.baseline_epcis, args.epcis)
    reference = baseline(**data, only=k)
    baseline_seconds = (time.perf_counter() - started) * args.epcis / k
    same = (
        np.array_equal(reference[0], current.professionals[:k])
        and np.allclose(reference[1], current.fully_served_share[:k], equal_nan=True)
        and np.allclose(reference[2], current.stockout_days[:k])
        and np.allclose(reference[3], current.gini[:k], equal_nan=True)
    )
    best, worst = min(samples), max(samples)
    print(
        f"simulate, in force + draft: {args.weeks} weeks x {args.professionals} professionals,"
        f" {args.pharmacies} pharmacies, {args.epcis} EPCIs"
    )
    print(f"  vectorised: best {best:.2f} s, worst {worst:.2f} s over {args.runs} runs (goal < 10 s)")
    print(
        f"  plain NumPy baseline (loop over EPCIs), one policy: {baseline_seconds:.2f} s"
        f" (timed on {k} EPCIs, scaled to {args.epcis})"
    )
    print(f"  same figures as the baseline on those {k} EPCIs: {same}")
    print("after:", load())
    ok = worst < 10 and same
    print("OK" if ok else "GOALS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
