"""Normalisation of French place names, shared by the data builder and the search."""

from gomask.text import normalise_for_search

# Abbreviations are expanded (not the other way round) so that a prefix typed by a user,
# "sain", still matches "saint jean".
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def normalize_name(value: str) -> str:
    """Return a lower-case, accent-free, space-separated form of a place name.

    "Saint-Étienne-d'Orthe", "St Etienne d Orthe" and "SAINT ÉTIENNE D'ORTHE" all give
    "saint etienne d orthe".
    """
    return " ".join(_ABBREVIATIONS.get(word, word) for word in normalise_for_search(value).split())
