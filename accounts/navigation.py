"""The navigation each role sees: one list, so menus never disagree with permissions."""

from django.utils.translation import gettext_lazy as _

from accounts.models import Role


def is_doctor(user) -> bool:
    """Only médecins volunteer for solidarity consultations.

    Read through the reverse one-to-one `user.professional`: accounts sits below professionals
    and imports nothing from it ("medecin" is professionals.models.Profession.MEDECIN).
    """
    professional = getattr(user, "professional", None)
    return professional is not None and professional.profession == "medecin"


# (label, url name) or (label, url name, who among the role sees it).
NAV_BY_ROLE: dict[str, list[tuple]] = {
    Role.PHARMACIST: [
        (_("Mon officine"), "pharmacies:home"),
        (_("Comptoir"), "distribution:counter"),
        (_("Envois de l'ARS"), "distribution:pharmacy_shipments"),
        (_("Appels après arrivage"), "notifications:calls"),
    ],
    Role.PROFESSIONAL: [
        (_("Mon espace"), "professionals:home"),
        (_("Trouver des masques"), "distribution:find_masks"),
        (_("Mes options"), "distribution:my_reservations"),
        (_("Mon quota"), "distribution:my_history"),
        (_("Consultations solidaires"), "consultations:volunteer_home", is_doctor),
        (_("Bulletins"), "notifications:bulletins"),
    ],
    Role.ARS_STAFF: [
        (_("Espace ARS"), "distribution:ars_home"),
        (_("Tableau de bord"), "dashboards:dashboard"),
        (_("Anticipation"), "planning:at_risk"),
        (_("Consultations solidaires"), "consultations:manage_home"),
        (_("Bulletins"), "notifications:bulletins"),
    ],
    Role.CPTS_COORDINATOR: [
        (_("Ruptures prévues"), "planning:at_risk"),
        (_("Bulletins"), "notifications:bulletins"),
    ],
    Role.PATIENT: [
        (_("Consultations solidaires"), "consultations:patient_home"),
    ],
    Role.ADMIN: [
        (_("Comptes à valider"), "accounts:pending_accounts"),
        (_("Espace ARS"), "distribution:ars_home"),
        (_("Tableau de bord"), "dashboards:dashboard"),
        (_("Consultations solidaires"), "consultations:manage_home"),
        (_("Bulletins"), "notifications:bulletins"),
        (_("Administration"), "admin:index"),
    ],
}

PUBLIC_NAV: list[tuple[str, str]] = [
    (_("Consultations solidaires"), "consultations:patient_home"),
]
