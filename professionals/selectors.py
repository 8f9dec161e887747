"""Read queries on professionals, shared by views, the API and other apps."""

from django.core.paginator import Paginator
from django.db.models import QuerySet

from professionals.models import Professional, Referencing

REFERENCED_PAGE_SIZE = 25


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


def referenced_at(pharmacy_id: int) -> QuerySet[Referencing]:
    """Professionals whose home pharmacy is `pharmacy_id`, by name (the pharmacist calls them)."""
    return (
        Referencing.objects.filter(pharmacy_id=pharmacy_id, ended_at__isnull=True)
        .select_related("professional", "professional__practice_commune")
        .order_by("professional__last_name", "professional__first_name", "pk")
    )


def referenced_page(pharmacy_id: int, *, page=1, per_page=REFERENCED_PAGE_SIZE):
    return Paginator(referenced_at(pharmacy_id), per_page).get_page(page)
