"""Import of the officines from the FINESS extraction (etalab-cs1100507-stock-*.csv).

The published file (data.gouv.fr, "FINESS Extraction du Fichier des établissements") is
`;`-separated text, fields quoted with doubled inner quotes when needed:

- a first line `finess;etalab;<version>;<date>`;
- one `structureet` line per établissement: nofinesset, nofinessej, rs, rslongue, complrs,
  compldistrib, numvoie, typvoie, voie, compvoie, lieuditbp, commune (3 characters, the
  commune's number within its département), departement (01-95, 2A/2B, and 9A-9F overseas:
  9A Guadeloupe ... 9F Mayotte), libdepartement, ligneacheminement, telephone, telecopie,
  categetab (620: officine), libcategetab, categagretab, libcategagretab, siret, codeape,
  codemft, libmft, codesph, libsph, dateouv, dateautor, datemaj and, in recent files, numuai;
- then one `geolocalisation` line per établissement: nofinesset, coordxet, coordyet,
  sourcecoordet (e.g. `1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93`, the last item naming
  the projection: Lambert-93 in mainland France and Corsica, UTM zones overseas), datemaj.

Officines are created or updated by FINESS number (idempotent: a second run changes
nothing). Coordinates are converted to WGS84 with pyproj; without them, or when they fall
far from the commune (a projection mix-up), the commune's position is used. A line that
cannot be imported is reported with its number and skipped; nothing is half-written
(existing officines are updated one per transaction, new ones inserted in batches, a batch
that fails retried one by one). Officines missing from the file are left as
they are: extractions are often cut to a region, and closing an officine is a decision.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gomask.directory_files import (
    WRITE_ERRORS,
    DirectoryFileError,
    ImportReport,
    create_in_batches,
    detect_encoding,
    read_delimited,
    update_changed,
)
from gomask.identifiers import validate_finess
from gomask.phones import legacy_to_e164
from pharmacies.models import Pharmacy, PositionPrecision
from territories.geo import haversine_km
from territories.models import Commune

OFFICINE_CATEGORY = "620"
# The FINESS extraction writes the overseas départements with a letter.
FINESS_DEPARTEMENT_CODES = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9E": "975", "9F": "976"}
# sourcecoordet's last item -> EPSG code of the projection the coordinates are in.
PROJECTIONS = {
    "LAMBERT_93": 2154,  # RGF93 / Lambert-93: mainland France and Corsica
    "UTM_N20": 4559,  # RRAF 1991 / UTM 20N: Guadeloupe, Martinique
    "UTM_N21": 4467,  # RGSPM06 / UTM 21N: Saint-Pierre-et-Miquelon
    "UTM_N22": 2972,  # RGFG95 / UTM 22N: Guyane
    "UTM_S38": 4471,  # RGM04 / UTM 38S: Mayotte
    "UTM_S40": 2975,  # RGR92 / UTM 40S: La Réunion
}
# A converted position farther than this from its commune's centre is a projection error.
MAX_KM_FROM_COMMUNE = 100
STREET_TYPES = {
    "ALL": "allée",
    "AV": "avenue",
    "BD": "boulevard",
    "CHE": "chemin",
    "CRS": "cours",
    "FG": "faubourg",
    "IMP": "impasse",
    "LOT": "lotissement",
    "PL": "place",
    "PROM": "promenade",
    "QUA": "quai",
    "R": "rue",
    "RTE": "route",
    "SQ": "square",
}

# Positions of the fields in a structureet line (0 is the "structureet" tag itself).
_FINESS, _NAME, _LONG_NAME = 1, 3, 4
_NUMBER, _STREET_TYPE, _STREET, _REPETITION, _LOCALITY = 7, 8, 9, 10, 11
_COMMUNE, _DEPARTEMENT, _PHONE, _CATEGORY = 12, 13, 16, 18
_STRUCTURE_FIELDS = 31  # without numuai (files before 2020); recent files have 32


@dataclass(frozen=True, slots=True)
class Officine:
    line_number: int
    finess: str
    name: str
    address: str
    insee_code: str
    phone: str
    category: str = OFFICINE_CATEGORY


@dataclass(frozen=True, slots=True)
class Geolocation:
    line_number: int
    x: float
    y: float
    projection: str


def import_finess(path: Path) -> ImportReport:
    """Create or update the officines of a FINESS extraction; see the module docstring."""
    path = Path(path)
    report = ImportReport(encoding=detect_encoding(path))
    officines, positions = _read(path, report)
    communes = Commune.objects.in_bulk({officine.insee_code for officine in officines})
    existing = Pharmacy.objects.in_bulk([officine.finess for officine in officines], field_name="finess")
    new_pharmacies = []
    for officine in officines:
        commune = communes.get(officine.insee_code)
        if commune is None:
            report.skip(
                officine.line_number,
                _("commune %(code)s inconnue du référentiel des communes.") % {"code": officine.insee_code},
            )
            continue
        pharmacy = existing.get(officine.finess)
        fields = _fields(pharmacy, officine, commune, _position(positions.get(officine.finess), commune))
        if pharmacy is None:
            new_pharmacies.append((officine.line_number, Pharmacy(finess=officine.finess, **fields)))
            continue
        try:
            outcome = update_changed(pharmacy, fields)
        except WRITE_ERRORS as error:
            report.skip(officine.line_number, _refusal(error))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    create_in_batches(new_pharmacies, report, refusal=_refusal)
    return report


def position_of(geolocation: Geolocation | None, commune: Commune) -> tuple[float, float, str]:
    """(latitude, longitude, precision) of an établissement: its converted FINESS position, else
    its commune's."""
    return _position(geolocation, commune)


def _refusal(error: Exception) -> str:
    return _("officine non enregistrée : %(error)s") % {"error": error}


def _read(
    path: Path, report: ImportReport, categories=frozenset({OFFICINE_CATEGORY})
) -> tuple[list[Officine], dict[str, Geolocation]]:
    """The établissements of `categories` (categetab) in the file, and the positions of all."""
    officines: dict[str, Officine] = {}
    positions: dict[str, Geolocation] = {}
    lines = read_delimited(path, delimiter=";", encoding=report.encoding, quoted=True)
    for index, (line_number, cells) in enumerate(lines):
        kind = cells[0].strip().lower()
        if index == 0 and kind not in {"finess", "structureet"}:
            raise DirectoryFileError(
                _("%(path)s n'est pas une extraction FINESS (première ligne « finess;etalab;… » attendue).")
                % {"path": path}
            )
        if kind == "structureet":
            officine = _officine(line_number, cells, report, categories)
            if officine is not None:
                if officine.finess in officines:
                    report.skip(
                        line_number,
                        _("numéro FINESS %(finess)s déjà lu ligne %(line)d.")
                        % {"finess": officine.finess, "line": officines[officine.finess].line_number},
                    )
                    continue
                officines[officine.finess] = officine
        elif kind == "geolocalisation":
            _geolocation(line_number, cells, positions, report)
    return list(officines.values()), positions


def _officine(
    line_number: int, cells: list[str], report: ImportReport, categories=frozenset({OFFICINE_CATEGORY})
) -> Officine | None:
    if len(cells) < _STRUCTURE_FIELDS:
        report.skip(
            line_number,
            _("ligne incomplète : %(count)d champs au lieu de %(expected)d.")
            % {"count": len(cells), "expected": _STRUCTURE_FIELDS},
        )
        return None
    cells = [cell.strip() for cell in cells]
    if cells[_CATEGORY] not in categories:
        report.ignored += 1
        return None
    try:
        finess = validate_finess(cells[_FINESS])
    except ValidationError as error:
        report.skip(line_number, error.messages[0])
        return None
    insee_code = _insee_code(cells[_DEPARTEMENT], cells[_COMMUNE])
    if insee_code is None:
        report.skip(
            line_number,
            _("département « %(departement)s » ou commune « %(commune)s » illisible.")
            % {"departement": cells[_DEPARTEMENT], "commune": cells[_COMMUNE]},
        )
        return None
    name = cells[_LONG_NAME] or cells[_NAME]
    if not name:
        report.skip(line_number, _("officine sans raison sociale."))
        return None
    return Officine(
        line_number=line_number,
        finess=finess,
        name=name[:200],
        address=_address(cells)[:255],
        insee_code=insee_code,
        phone=legacy_to_e164(cells[_PHONE]),
        category=cells[_CATEGORY],
    )


def _insee_code(departement: str, commune: str) -> str | None:
    """The commune's INSEE code: département + commune number, overseas 97 + commune number
    (9B and 209 -> 97209 Fort-de-France)."""
    departement = departement.upper()
    if not (len(commune) == 3 and commune.isdigit()):
        return None
    if departement in FINESS_DEPARTEMENT_CODES:
        return "97" + commune
    if departement in {"2A", "2B"} or (len(departement) == 2 and departement.isdigit()):
        return departement + commune
    return None


def _address(cells: list[str]) -> str:
    street_type = STREET_TYPES.get(cells[_STREET_TYPE].upper(), cells[_STREET_TYPE].lower())
    number = " ".join(part for part in (cells[_NUMBER], cells[_REPETITION]) if part)
    street = " ".join(part for part in (number, street_type, cells[_STREET]) if part)
    return ", ".join(part for part in (street, cells[_LOCALITY]) if part)


def _geolocation(line_number: int, cells: list[str], positions: dict, report: ImportReport) -> None:
    try:
        finess, x, y, source = (cell.strip() for cell in cells[1:5])
        projection = source.rsplit(",", 1)[-1].strip().upper()
        positions[finess] = Geolocation(line_number, float(x), float(y), projection)
    except ValueError:
        report.skip(
            line_number, _("ligne de géolocalisation illisible : la position de la commune sera utilisée.")
        )


@lru_cache(maxsize=len(PROJECTIONS))
def _transformer(epsg: int):
    from pyproj import Transformer

    return Transformer.from_crs(epsg, 4326, always_xy=True)


def to_wgs84(x: float, y: float, projection: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a FINESS position, None for an unknown projection."""
    epsg = PROJECTIONS.get(projection)
    if epsg is None:
        return None
    longitude, latitude = _transformer(epsg).transform(x, y)
    return latitude, longitude


def _position(geolocation: Geolocation | None, commune: Commune) -> tuple[float, float, str]:
    if geolocation is not None:
        converted = to_wgs84(geolocation.x, geolocation.y, geolocation.projection)
        if converted is not None and (
            haversine_km(*converted, commune.latitude, commune.longitude) <= MAX_KM_FROM_COMMUNE
        ):
            return round(converted[0], 6), round(converted[1], 6), PositionPrecision.ADDRESS
    return commune.latitude, commune.longitude, PositionPrecision.COMMUNE


def _fields(pharmacy: Pharmacy | None, officine: Officine, commune: Commune, position) -> dict:
    latitude, longitude, precision = position
    fields = {
        "name": officine.name,
        "address": officine.address,
        "commune_id": commune.pk,
        "departement_id": commune.departement_id,
        "region_id": commune.region_id,
    }
    if officine.phone:
        fields["phone"] = officine.phone
    # A position from the directory wins; without one, a position already known in the same
    # commune (geocoded at registration) is kept rather than replaced by the commune's centre.
    if precision == PositionPrecision.ADDRESS or pharmacy is None or pharmacy.commune_id != commune.pk:
        fields.update(latitude=latitude, longitude=longitude, position_precision=precision)
    return fields


# Also read by the care-site import (referrals.directory_import), for other categories.
read_establishments = _read
