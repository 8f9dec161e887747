"""The specialties a first-line professional may ask for advice in.

Keys are the RPPS "savoir-faire" codes (nomenclature TRE-R38, "Spécialité ordinale") that the
directory import stores in `Professional.specialty_code`; values are their French labels.
General medicine (SM26, SM53, SM54) is first-line care, so it is not offered; a code missing
here cannot be chosen (add it with its label).
"""

from django.utils.translation import gettext_lazy as _

SPECIALTIES = {
    "SM04": _("Cardiologie et maladies vasculaires"),
    "SM15": _("Dermatologie et vénéréologie"),
    "SM16": _("Endocrinologie et métabolisme"),
    "SM18": _("Gériatrie"),
    "SM19": _("Gynécologie médicale"),
    "SM20": _("Gynécologie-obstétrique"),
    "SM21": _("Hématologie"),
    "SM24": _("Gastro-entérologie et hépatologie"),
    "SM27": _("Médecine interne"),
    "SM30": _("Néphrologie"),
    "SM32": _("Neurologie"),
    "SM38": _("Ophtalmologie"),
    "SM40": _("Pédiatrie"),
    "SM41": _("Pneumologie"),
    "SM42": _("Psychiatrie"),
    "SM48": _("Rhumatologie"),
}

CHOICES = sorted(SPECIALTIES.items(), key=lambda item: str(item[1]))


def label(code: str) -> str:
    return str(SPECIALTIES.get(code, code))
