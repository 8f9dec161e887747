"""Demo data of the observatory: the demo doctors get a directory savoir-faire (four in five are
general practitioners, the others cardiologists), then the observatory is computed.

The demo directory has no RPPS codes of its own (its professionals are generated); without them
no doctor would count as a general practitioner. The DREES APL is left unimported: it is official
data, which the demo does not invent (the page says it was not imported)."""

from observatory.services import compute_access
from professionals.models import Profession, Professional


def seed() -> None:
    """Idempotent: only doctors without a directory code are given one."""
    doctors = Professional.objects.filter(profession=Profession.MEDECIN, specialty_code="").order_by("pk")
    general, other = [], []
    for i, pk in enumerate(doctors.values_list("pk", flat=True)):
        (other if i % 5 == 4 else general).append(pk)
    Professional.objects.filter(pk__in=general).update(
        directory_profession_code="10", specialty_code="SM54", specialty_label="Médecine Générale"
    )
    Professional.objects.filter(pk__in=other).update(
        directory_profession_code="10",
        specialty_code="SM04",
        specialty_label="Cardiologie et maladies vasculaires",
    )
    compute_access()
