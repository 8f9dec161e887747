"""Import of the health professionals from the RPPS directory extraction.

The published file (annuaire.sante.fr, "PS_LibreAcces_Personne_activite_<date>.txt") is
`|`-separated text without quoting, a header line naming the columns, then one line per
activity: a professional working in two places has two lines. Lines end with a `|`. The
columns read here, found by their header (case ignored, as the published headers vary in
case between versions):

    Type d'identifiant PP (8: RPPS, 0: ADELI) | Identifiant PP | Nom d'exercice |
    Prénom d'exercice | Code profession | Code catégorie professionnelle |
    Code savoir-faire | Libellé savoir-faire | Code mode exercice (L: libéral) |
    Numéro Voie | Indice répétition voie | Libellé type de voie | Libellé Voie |
    Code postal | Code commune | Téléphone | Adresse e-mail — the last ones "(coord. structure)".

Only the professions the portal serves are kept (médecins, pharmaciens, chirurgiens-
dentistes, sages-femmes, infirmiers, masseurs-kinésithérapeutes, pédicures-podologues,
orthophonistes, orthoptistes), not students. For each professional the libéral activity
comes first, then the file's order. The RPPS profession and savoir-faire codes are kept.

Professionals are created or updated by RPPS (or ADELI) number, idempotently. One who was
listed by an earlier import and is missing from this one is suspended (`left_directory_at`),
never deleted; listed again, they are reinstated. A line that cannot be read is reported
with its number and skipped; a record is never half-written (see create_in_batches).
"""

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils import timezone
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
from gomask.identifiers import validate_adeli, validate_rpps
from gomask.phones import legacy_to_e164
from professionals.models import Profession, Professional
from territories.models import Commune, PostalCode

# "Code profession" of the RPPS -> the portal's professions.
RPPS_PROFESSIONS = {
    "10": Profession.MEDECIN,
    "21": Profession.PHARMACIEN,
    "40": Profession.CHIRURGIEN_DENTISTE,
    "50": Profession.SAGE_FEMME,
    "60": Profession.INFIRMIER,
    "70": Profession.MASSEUR_KINESITHERAPEUTE,
    "80": Profession.PEDICURE_PODOLOGUE,
    "91": Profession.ORTHOPHONISTE,
    "92": Profession.ORTHOPTISTE,
}
STUDENT_CATEGORY = "E"
LIBERAL_MODE = "L"
RPPS_TYPE, ADELI_TYPE = "8", "0"

COLUMNS = {
    "identifier_type": "Type d'identifiant PP",
    "identifier": "Identifiant PP",
    "last_name": "Nom d'exercice",
    "first_name": "Prénom d'exercice",
    "profession": "Code profession",
    "category": "Code catégorie professionnelle",
    "specialty_code": "Code savoir-faire",
    "specialty_label": "Libellé savoir-faire",
    "mode": "Code mode exercice",
    "number": "Numéro Voie (coord. structure)",
    "repetition": "Indice répétition voie (coord. structure)",
    "street_type": "Libellé type de voie (coord. structure)",
    "street": "Libellé Voie (coord. structure)",
    "postal_code": "Code postal (coord. structure)",
    "commune": "Code commune (coord. structure)",
    "phone": "Téléphone (coord. structure)",
    "email": "Adresse e-mail (coord. structure)",
}
REQUIRED_COLUMNS = {"identifier", "last_name", "first_name", "profession", "commune", "postal_code"}
# INSEE codes of the municipal arrondissements -> their commune (the reference data has none).
_ARRONDISSEMENTS = [("751", "75056", 1, 20), ("6938", "69123", 1, 9), ("132", "13055", 1, 16)]


@dataclass(frozen=True, slots=True)
class Activity:
    line_number: int
    key: tuple[str, str]  # ("rpps", number) or ("adeli", number)
    profession: str
    profession_code: str
    first_name: str
    last_name: str
    specialty_code: str
    specialty_label: str
    liberal: bool
    address: str
    insee_code: str
    postal_code: str
    phone: str
    email: str


def import_rpps(path: Path, *, suspend_absent: bool = True) -> ImportReport:
    """Create, update and suspend professionals from a PS_LibreAcces_Personne_activite file."""
    path = Path(path)
    now = timezone.now()
    report = ImportReport(encoding=detect_encoding(path))
    activities, listed = _read(path, report)
    communes = _resolve_communes(activities, report)
    existing = _existing(listed)
    new_professionals = []
    for key, candidates in activities.items():
        located = [activity for activity in candidates if activity.line_number in communes]
        if not located:
            continue
        activity = min(located, key=lambda a: (not a.liberal, a.line_number))
        commune = communes[activity.line_number]
        professional = existing.get(key)
        if professional is None:
            new_professionals.append((activity.line_number, _new_professional(activity, commune)))
            continue
        try:
            # save() refreshes search_name from the names.
            outcome = update_changed(
                professional, _fields(professional, activity, commune), also_save=("search_name",)
            )
        except WRITE_ERRORS as error:
            report.skip(activity.line_number, _refusal(error))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    create_in_batches(new_professionals, report, refusal=_refusal)
    _mark_listed(listed, now)
    if suspend_absent and listed:
        report.suspended = Professional.objects.filter(
            directory_seen_at__lt=now, left_directory_at__isnull=True
        ).update(left_directory_at=now)
    return report


def _refusal(error: Exception) -> str:
    return _("professionnel non enregistré : %(error)s") % {"error": error}


def _read(path: Path, report: ImportReport) -> tuple[dict[tuple, list[Activity]], set[tuple[str, str]]]:
    activities: dict[tuple, list[Activity]] = defaultdict(list)
    # Everyone the file lists, even on a line that cannot be imported: they are not absent.
    listed: set[tuple[str, str]] = set()
    lines = read_delimited(path, delimiter="|", encoding=report.encoding, quoted=False)
    positions = None
    for line_number, cells in lines:
        if positions is None:
            positions = _header(path, cells)
            width = max(positions.values()) + 1
            continue
        if len(cells) < width:
            report.skip(
                line_number,
                _("ligne incomplète : %(count)d champs au lieu de %(expected)d.")
                % {"count": len(cells), "expected": width},
            )
            continue
        row = {name: cells[index].strip() for name, index in positions.items()}
        activity = _activity(line_number, row, report, listed)
        if activity is not None:
            activities[activity.key].append(activity)
    if positions is None:
        raise DirectoryFileError(_("%(path)s est vide.") % {"path": path})
    return activities, listed


def _header(path: Path, cells: list[str]) -> dict[str, int]:
    by_name = {cell.strip().casefold(): index for index, cell in enumerate(cells)}
    positions = {
        name: by_name[title.casefold()] for name, title in COLUMNS.items() if title.casefold() in by_name
    }
    if missing := REQUIRED_COLUMNS - positions.keys():
        raise DirectoryFileError(
            _(
                "%(path)s n'est pas une extraction PS_LibreAcces_Personne_activite : "
                "colonnes absentes : %(columns)s."
            )
            % {"path": path, "columns": ", ".join(sorted(COLUMNS[name] for name in missing))}
        )
    return positions


def _identifier(row: dict) -> tuple[str, str]:
    number, kind = row["identifier"], row.get("identifier_type", "")
    if kind == RPPS_TYPE or (not kind and len(number) == 11):
        return "rpps", validate_rpps(number)
    if kind == ADELI_TYPE or (not kind and len(number) == 9):
        return "adeli", validate_adeli(number)
    raise ValidationError(_("type d'identifiant « %(kind)s » inconnu.") % {"kind": kind})


def _activity(line_number: int, row: dict, report: ImportReport, listed: set) -> Activity | None:
    profession = RPPS_PROFESSIONS.get(row["profession"])
    if profession is None or row.get("category") == STUDENT_CATEGORY:
        report.ignored += 1
        return None
    try:
        key = _identifier(row)
    except ValidationError as error:
        report.skip(line_number, error.messages[0])
        return None
    listed.add(key)
    if not (row["last_name"] and row["first_name"]):
        report.skip(line_number, _("nom ou prénom d'exercice absent."))
        return None
    street = " ".join(
        part
        for part in (
            row.get("number"),
            row.get("repetition"),
            row.get("street_type", "").lower(),
            row.get("street"),
        )
        if part
    )
    return Activity(
        line_number=line_number,
        key=key,
        profession=profession,
        profession_code=row["profession"],
        first_name=_first_name(row["first_name"])[:100],
        last_name=row["last_name"][:100],
        specialty_code=row.get("specialty_code", "")[:10],
        specialty_label=row.get("specialty_label", "")[:200],
        liberal=row.get("mode") == LIBERAL_MODE,
        address=street[:255],
        insee_code=_commune_code(row["commune"]),
        postal_code=row["postal_code"],
        phone=legacy_to_e164(row.get("phone", "")),
        email=row.get("email", "") if "@" in row.get("email", "") else "",
    )


def _first_name(value: str) -> str:
    """JEAN-PIERRE -> Jean-Pierre; a name already in mixed case is kept."""
    return value.title() if value.isupper() else value


def _commune_code(code: str) -> str:
    for prefix, commune, first, last in _ARRONDISSEMENTS:
        if code.startswith(prefix) and len(code) == 5 and first <= int(code[len(prefix) :] or 0) <= last:
            return commune
    return code


def _resolve_communes(activities: dict, report: ImportReport) -> dict[int, Commune]:
    """Line number -> commune, by INSEE code, else by a postal code that serves one commune only."""
    every = [activity for candidates in activities.values() for activity in candidates]
    by_code = Commune.objects.in_bulk({a.insee_code for a in every if a.insee_code})
    postal_codes = {a.postal_code for a in every if a.insee_code not in by_code and a.postal_code}
    served: dict[str, set[str]] = defaultdict(set)
    for code, commune_id in PostalCode.objects.filter(code__in=postal_codes).values_list(
        "code", "commune_id"
    ):
        served[code].add(commune_id)
    by_postal_code = Commune.objects.in_bulk({next(iter(ids)) for ids in served.values() if len(ids) == 1})
    resolved = {}
    for activity in every:
        commune = by_code.get(activity.insee_code)
        if commune is None and len(served.get(activity.postal_code, ())) == 1:
            commune = by_postal_code.get(next(iter(served[activity.postal_code])))
        if commune is None:
            report.skip(
                activity.line_number,
                _("commune d'exercice introuvable (code commune « %(code)s », code postal « %(postal)s »).")
                % {"code": activity.insee_code, "postal": activity.postal_code},
            )
            continue
        resolved[activity.line_number] = commune
    return resolved


def _existing(listed: set[tuple[str, str]]) -> dict[tuple[str, str], Professional]:
    found = {}
    for kind in ("rpps", "adeli"):
        numbers = sorted(number for key_kind, number in listed if key_kind == kind)
        for start in range(0, len(numbers), 5000):
            chunk = numbers[start : start + 5000]
            for professional in Professional.objects.filter(**{f"{kind}__in": chunk}):
                found[(kind, getattr(professional, kind))] = professional
    return found


def _directory_fields(activity: Activity, commune: Commune) -> dict:
    return {
        "profession": activity.profession,
        "first_name": activity.first_name,
        "last_name": activity.last_name,
        "practice_address": activity.address,
        "practice_commune_id": commune.pk,
        "directory_profession_code": activity.profession_code,
        "specialty_code": activity.specialty_code,
        "specialty_label": activity.specialty_label,
        "left_directory_at": None,
    }


def _new_professional(activity: Activity, commune: Commune) -> Professional:
    kind, number = activity.key
    professional = Professional(
        **{kind: number},
        **_directory_fields(activity, commune),
        phone=activity.phone,
        email=activity.email,
        latitude=commune.latitude,
        longitude=commune.longitude,
    )
    professional.refresh_search_name()
    return professional


def _fields(professional: Professional, activity: Activity, commune: Commune) -> dict:
    fields = _directory_fields(activity, commune)
    # The professional's own phone and e-mail (given at sign-up) win over the practice's.
    if not professional.phone and activity.phone:
        fields["phone"] = activity.phone
    if not professional.email and activity.email:
        fields["email"] = activity.email
    if professional.practice_commune_id != commune.pk:
        fields.update(latitude=commune.latitude, longitude=commune.longitude)
    return fields


def _mark_listed(listed: set[tuple[str, str]], now) -> None:
    for kind in ("rpps", "adeli"):
        numbers = sorted(number for key_kind, number in listed if key_kind == kind)
        for start in range(0, len(numbers), 5000):
            chunk = numbers[start : start + 5000]
            Professional.objects.filter(**{f"{kind}__in": chunk}).update(directory_seen_at=now)
