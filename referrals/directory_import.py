"""Care sites from the FINESS extraction (the file the officines come from, see
pharmacies.directory_import): maisons de santé, centres de santé, laboratories and hospitals,
by their category (categetab).

Created or updated by FINESS number (idempotent); what staff set by hand (manager, e-mail,
hours, conditions of access, active or not) is never overwritten. Positions as for the
officines: the converted FINESS position, else the commune's.
"""

from pathlib import Path

from django.utils.translation import gettext as _

from distribution.models import CareSite, CareSiteKind
from gomask.directory_files import (
    WRITE_ERRORS,
    ImportReport,
    create_in_batches,
    detect_encoding,
    update_changed,
)
from pharmacies.directory_import import position_of, read_establishments
from territories.models import Commune

# FINESS categories (categetab) -> kind of care site.
CATEGORY_KINDS = {
    "603": CareSiteKind.HEALTH_HOUSE,  # Maison de santé (L.6223-3)
    "124": CareSiteKind.HEALTH_CENTRE,  # Centre de santé
    "611": CareSiteKind.LAB,  # Laboratoire de biologie médicale
    "101": CareSiteKind.HOSPITAL_ENTRY,  # Centre hospitalier régional (C.H.R.)
    "106": CareSiteKind.HOSPITAL_ENTRY,  # Centre hospitalier, ex-hôpital local
    "355": CareSiteKind.HOSPITAL_ENTRY,  # Centre hospitalier (C.H.)
}


def _refusal(error: Exception) -> str:
    return _("site de soins non enregistré : %(error)s") % {"error": error}


def import_care_sites(path: Path) -> ImportReport:
    """Create or update the care sites of a FINESS extraction; see the module docstring."""
    path = Path(path)
    report = ImportReport(encoding=detect_encoding(path))
    establishments, positions = read_establishments(path, report, categories=frozenset(CATEGORY_KINDS))
    communes = Commune.objects.in_bulk({row.insee_code for row in establishments})
    existing = {
        site.finess: site
        for site in CareSite.objects.filter(finess__in=[row.finess for row in establishments])
    }
    new_sites = []
    for row in establishments:
        commune = communes.get(row.insee_code)
        if commune is None:
            report.skip(
                row.line_number,
                _("commune %(code)s inconnue du référentiel des communes.") % {"code": row.insee_code},
            )
            continue
        latitude, longitude, _precision = position_of(positions.get(row.finess), commune)
        fields = {
            "kind": CATEGORY_KINDS[row.category],
            "name": row.name,
            "address": row.address,
            "commune_id": commune.pk,
            "region_id": commune.region_id,
            "latitude": latitude,
            "longitude": longitude,
        }
        if row.phone:
            fields["phone"] = row.phone
        site = existing.get(row.finess)
        if site is None:
            new_sites.append((row.line_number, CareSite(finess=row.finess, **fields)))
            continue
        try:
            outcome = update_changed(site, fields)
        except WRITE_ERRORS as error:
            report.skip(row.line_number, _refusal(error))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    if new_sites:
        create_in_batches(new_sites, report, refusal=_refusal)
    return report
