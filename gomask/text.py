import re
import unicodedata


def normalise_for_search(value: str) -> str:
    """Lower-case, accent-free, single-spaced text: 'Écoles-sur-l'Adour' -> 'ecoles sur l adour'."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    ascii_only = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", " ", ascii_only.lower()).strip()
