import re
import unicodedata

# Ligatures that Unicode decomposition leaves alone ("Lœuilly", "Lætitia").
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})


def normalise_for_search(value: str) -> str:
    """Lower-case, accent-free, single-spaced text: "Écoles-sur-l'Adour" -> "ecoles sur l adour".

    The one normalisation of names in the portal: people (counter search, booking identity)
    and places (territories.text.normalize_name adds the "St" -> "Saint" expansion).
    """
    decomposed = unicodedata.normalize("NFKD", (value or "").translate(_LIGATURES))
    ascii_only = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", " ", ascii_only.lower()).strip()
