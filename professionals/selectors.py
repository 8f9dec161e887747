"""Read queries on professionals, shared by views, the API and other apps."""

from professionals.models import Professional, Referencing


def professional_of(user) -> Professional | None:
    """The professional record of a professional account (None for other accounts)."""
    return Professional.objects.select_related("practice_commune").filter(user=user).first()


def current_referencing(professional: Professional) -> Referencing | None:
    """The professional's home pharmacy ("référencement") in force, if any."""
    return (
        Referencing.objects.select_related("pharmacy", "pharmacy__commune")
        .filter(professional=professional, ended_at__isnull=True)
        .first()
    )
