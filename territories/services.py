"""Writes to the territories tables: only the loading of the shipped reference data."""

import gzip
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import transaction

from territories.models import Commune, DataLoad, Departement, Epci, PostalCode, Region
from territories.text import normalize_name

DEFAULT_DATA_FILE = Path(settings.BASE_DIR) / "data" / "territories.json.gz"
SUPPORTED_FORMAT = 1


class TerritoryDataError(Exception):
    """The reference data file is missing, malformed or does not hold what was asked."""


@dataclass(frozen=True)
class LoadResult:
    regions: int
    departements: int
    epcis: int
    communes: int
    postal_codes: int
    # True when --if-changed found this very file already loaded and did nothing.
    skipped: bool = False


@lru_cache(maxsize=2)
def read_territories_file(path: Path = DEFAULT_DATA_FILE) -> dict:
    """Parse the data file once per process (test fixtures may load it several times)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as error:
        raise TerritoryDataError(f"Cannot read {path}: {error}") from error
    if document.get("format") != SUPPORTED_FORMAT:
        raise TerritoryDataError(f"{path} has format {document.get('format')!r}, expected 1")
    return document


@transaction.atomic
def load_territories(
    *, regions: Iterable[str] | None = None, path: Path | None = None, if_changed: bool = False
) -> LoadResult:
    """Insert or update regions, départements, EPCIs, communes and postal codes.

    All regions and départements are always loaded (a hundred rows); `regions` restricts
    the communes, and the EPCIs having a member among them. Idempotent: rows are upserted
    by their official code. A commune that disappears from the data (merged into another)
    is kept, since other tables may point to it; its postal codes are kept too.

    With if_changed, nothing is written when the same file was already loaded for the
    same regions (or for all of France).
    """
    path = Path(path) if path else DEFAULT_DATA_FILE
    document = read_territories_file(path)
    known_regions = {r["code"] for r in document["regions"]}
    wanted = known_regions if regions is None else set(regions)
    if unknown := wanted - known_regions:
        raise TerritoryDataError(f"Unknown region codes: {', '.join(sorted(unknown))}")
    regions_key = "" if wanted == known_regions else ",".join(sorted(wanted))
    file_sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    if if_changed and (
        DataLoad.objects.filter(file_sha256=file_sha256, regions__in={"", regions_key}).exists()
    ):
        return LoadResult(0, 0, 0, 0, 0, skipped=True)

    Region.objects.bulk_create(
        [Region(code=r["code"], name=r["name"]) for r in document["regions"]],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name"],
    )
    Departement.objects.bulk_create(
        [
            Departement(code=d["code"], name=d["name"], region_id=d["region"])
            for d in document["departements"]
        ],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "region"],
    )

    communes = [c for c in document["communes"] if c["region"] in wanted]
    commune_codes = {c["code"] for c in communes}
    epcis = [e for e in document["epcis"] if not commune_codes.isdisjoint(e["members"])]
    Epci.objects.bulk_create(
        [
            Epci(
                code=e["code"],
                name=e["name"],
                kind=e["kind"],
                population=e["population"],
                region_id=e["region"],
            )
            for e in epcis
        ],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "kind", "population", "region"],
    )
    Commune.objects.bulk_create(
        [
            Commune(
                insee_code=c["code"],
                name=c["name"],
                departement_id=c["departement"],
                region_id=c["region"],
                epci_id=c["epci"],
                population=c["population"],
                latitude=c["latitude"],
                longitude=c["longitude"],
                position_is_approximate=c["approximate"],
                search_name=normalize_name(c["name"]),
            )
            for c in communes
        ],
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["insee_code"],
        update_fields=[
            "name",
            "departement",
            "region",
            "epci",
            "population",
            "latitude",
            "longitude",
            "position_is_approximate",
            "search_name",
        ],
    )

    wanted_pairs = {(code, c["code"]) for c in communes for code in c["postal_codes"]}
    existing = PostalCode.objects.filter(commune__region__in=wanted).values_list("id", "code", "commune_id")
    existing_pairs = set()
    stale_ids = []
    for row_id, code, commune_id in existing.iterator(chunk_size=5000):
        if (code, commune_id) in wanted_pairs:
            existing_pairs.add((code, commune_id))
        elif commune_id in commune_codes:
            stale_ids.append(row_id)
    PostalCode.objects.bulk_create(
        [
            PostalCode(code=code, commune_id=commune_id)
            for code, commune_id in sorted(wanted_pairs - existing_pairs)
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    # Deleting by id in slices keeps each statement under SQLite's parameter limit.
    for start in range(0, len(stale_ids), 500):
        PostalCode.objects.filter(id__in=stale_ids[start : start + 500]).delete()

    DataLoad.objects.create(file_sha256=file_sha256, regions=regions_key)
    return LoadResult(
        regions=len(document["regions"]),
        departements=len(document["departements"]),
        epcis=len(epcis),
        communes=len(communes),
        postal_codes=len(wanted_pairs),
    )
