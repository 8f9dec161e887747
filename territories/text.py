"""Normalisation of French place names, shared by the data builder and the search."""

import re
import unicodedata

# Ligatures that Unicode decomposition leaves alone.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_SEPARATORS = re.compile(r"[\s\-'’‘`´.,/()]+")
# Abbreviations are expanded (not the other way round) so that a prefix typed by a user,
# "sain", still matches "saint jean".
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def normalize_name(value: str) -> str:
    """Return a lower-case, accent-free, space-separated form of a place name.

    "Saint-Étienne-d'Orthe", "St Etienne d Orthe" and "SAINT ÉTIENNE D'ORTHE" all give
    "saint etienne d orthe".
    """
    value = value.translate(_LIGATURES)
    value = unicodedata.normalize("NFKD", value)
    value = "".join(char for char in value if not unicodedata.combining(char)).lower()
    words = [word for word in _SEPARATORS.split(value) if word]
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)
