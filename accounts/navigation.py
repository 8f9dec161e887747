"""The navigation each role sees: one list, so menus never disagree with permissions."""

from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import is_doctor


def manages_care_site(user) -> bool:
    """The manager of a care site declares its status (reverse accessor of distribution.CareSite)."""
    return user.managed_care_sites.filter(is_active=True).exists()


# (label, url name) or (label, url name, who among the role sees it).
NAV_BY_ROLE: dict[str, list[tuple]] = {
    Role.PHARMACIST: [
        (_("Mon officine"), "pharmacies:home"),
        (_("Comptoir"), "distribution:counter"),
        (_("Envois de l'ARS"), "distribution:pharmacy_shipments"),
        (_("Appels après arrivage"), "notifications:calls"),
        (_("Adresser un patient"), "referrals:refer"),
    ],
    Role.PROFESSIONAL: [
        (_("Mon espace"), "professionals:home"),
        (_("Trouver des masques"), "distribution:find_masks"),
        (_("Mes options"), "distribution:my_reservations"),
        (_("Mon quota"), "distribution:my_history"),
        (_("Consultations solidaires"), "consultations:volunteer_home", is_doctor),
        (_("Adresser un patient"), "referrals:refer"),
        (_("Mon site de soins"), "referrals:my_sites", manages_care_site),
        (_("Avis spécialisé"), "specialists:home"),
        (_("Bulletins"), "notifications:bulletins"),
        (_("Crise (SSE)"), "crisis:home"),
    ],
    Role.ARS_STAFF: [
        (_("Espace ARS"), "distribution:ars_home"),
        (_("Tableau de bord"), "dashboards:dashboard"),
        (_("Observatoire"), "observatory:observatory"),
        (_("Anticipation"), "planning:at_risk"),
        (_("Consultations solidaires"), "consultations:manage_home"),
        (_("Sites de soins"), "referrals:sites"),
        (_("Avis spécialisés"), "specialists:figures"),
        (_("Bulletins"), "notifications:bulletins"),
        (_("Crise (SSE)"), "crisis:home"),
    ],
    Role.CPTS_COORDINATOR: [
        (_("Sites de soins"), "referrals:sites"),
        (_("Avis spécialisés"), "specialists:figures"),
        (_("Ruptures prévues"), "planning:at_risk"),
        (_("Bulletins"), "notifications:bulletins"),
        (_("Crise (SSE)"), "crisis:home"),
        (_("Observatoire"), "observatory:observatory"),
    ],
    Role.PATIENT: [
        (_("Consultations solidaires"), "consultations:patient_home"),
        (_("Où me soigner ?"), "referrals:orientation_home"),
    ],
    Role.ADMIN: [
        (_("Comptes à valider"), "accounts:pending_accounts"),
        (_("Espace ARS"), "distribution:ars_home"),
        (_("Tableau de bord"), "dashboards:dashboard"),
        (_("Observatoire"), "observatory:observatory"),
        (_("Consultations solidaires"), "consultations:manage_home"),
        (_("Sites de soins"), "referrals:sites"),
        (_("Avis spécialisés"), "specialists:figures"),
        (_("Bulletins"), "notifications:bulletins"),
        (_("Crise (SSE)"), "crisis:home"),
        (_("Administration"), "admin:index"),
    ],
}

PUBLIC_NAV: list[tuple[str, str]] = [
    (_("Consultations solidaires"), "consultations:patient_home"),
    (_("Où me soigner ?"), "referrals:orientation_home"),
]
