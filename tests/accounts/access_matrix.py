"""Who may use each route and each API operation: the documented answer for every kind of visitor.

test_access_matrix.py walks the URL configuration and the OpenAPI schema and compares each answer
with this table; a route or an operation missing here fails the test.

The visitors (personas), about a pharmacy in Riscle (Occitanie) and a doctor practising there:
- anonymous: nobody logged in;
- pending: a pending account, tried for every role (pharmacists and professionals start pending);
- pharmacist_other: the pharmacist of another pharmacy (Toulouse);
- professional: the doctor in Riscle (médecin, so the volunteer pages are theirs);
- professional_other: another professional (a nurse in Toulouse);
- ars_other: an ARS agent of another region (PACA);
- cpts_other: a CPTS coordinator of another territory (PACA);
- patient: a patient account;
- admin: a national administrator (TOTP passed).

The answers:
- ALLOW: served, or past the door (a form error, a missing object's 404, a redirect elsewhere);
- LOGIN: sent to the login page (pages) or 401 (API);
- DENY: 403 (for a pending account: "compte en attente de validation");
- SECOND_FACTOR: sent to the TOTP step (never expected here: every persona has passed it).

Object ids point at the Riscle pharmacy and the Riscle doctor where a route names them
(pharmacy_id, membership_id, professional_id); other ids name no object, so these rows check the
role door, and each app's own tests check the object scopes. POSTs carry an empty body: for the
pharmacy write endpoints of the API the body is checked (400) before the pharmacy is, hence ALLOW
for the pharmacist of another pharmacy there.
"""

import enum

PERSONAS = (
    "anonymous",
    "pending",
    "pharmacist_other",
    "professional",
    "professional_other",
    "ars_other",
    "cpts_other",
    "patient",
    "admin",
)


class Outcome(enum.Enum):
    ALLOW = "allow"
    LOGIN = "login"
    DENY = "deny"
    SECOND_FACTOR = "second factor"


A, L, D = Outcome.ALLOW, Outcome.LOGIN, Outcome.DENY
_SIGNED_IN_PERSONAS = PERSONAS[2:]


def _row(anonymous, pending, **others):
    return {"anonymous": anonymous, "pending": pending, **others}


# Everybody, a pending account included: the home page, logging in and out, technical routes.
EVERYONE = _row(A, A, **dict.fromkeys(_SIGNED_IN_PERSONAS, A))
# Open to visitors without an account; a pending account reaches only its status and sign-out.
PUBLIC = _row(A, D, **dict.fromkeys(_SIGNED_IN_PERSONAS, A))
# Any logged-in account, pending included: its status and its own account settings.
SIGNED_IN = _row(L, A, **dict.fromkeys(_SIGNED_IN_PERSONAS, A))
# Any validated account.
APPROVED = _row(L, D, **dict.fromkeys(_SIGNED_IN_PERSONAS, A))


def only(*personas):
    """Logged-in accounts of these personas; the other accounts get 403, visitors the login page."""
    return _row(L, D, **{persona: A if persona in personas else D for persona in _SIGNED_IN_PERSONAS})


# Django admin pages: administrators only. The administrator may still get 403 on the add or delete
# page of a read-only register (ledgers, handovers, roll-ups), which each model admin decides.
ADMIN_SITE = {**only(), "admin": frozenset({A, D})}

ROUTES = {
    "admin:*": ADMIN_SITE,
    # Signing out of the admin signs out of the portal; harmless for anyone.
    "admin:logout": PUBLIC,
    "accessibility": EVERYONE,
    "account_change_password": SIGNED_IN,
    "account_confirm_email": EVERYONE,
    "account_confirm_login_code": SIGNED_IN,
    "account_email": SIGNED_IN,
    "account_email_verification_sent": EVERYONE,
    "account_inactive": EVERYONE,
    "account_login": EVERYONE,
    "account_logout": EVERYONE,
    "account_reauthenticate": SIGNED_IN,
    "account_reset_password": EVERYONE,
    "account_reset_password_done": EVERYONE,
    "account_reset_password_from_key": EVERYONE,
    "account_reset_password_from_key_done": EVERYONE,
    "account_set_password": SIGNED_IN,
    "account_signup": EVERYONE,
    "accounts:approve_account": only("admin"),
    "accounts:landing": SIGNED_IN,
    # Pro Santé Connect (prosanteconnect): the sign-in round trip is open to all (an unknown
    # provider id is a 404); linking it is an account page; the e-mail step of a new account
    # without a sign-in under way sends to the login page; allauth's "sign-in failed" page
    # answers 401 to anyone.
    "prosanteconnect_login": EVERYONE,
    "prosanteconnect_callback": EVERYONE,
    "socialaccount_connections": SIGNED_IN,
    "socialaccount_login_cancelled": EVERYONE,
    "socialaccount_login_error": _row(L, L, **dict.fromkeys(_SIGNED_IN_PERSONAS, L)),
    "socialaccount_signup": _row(L, L, **dict.fromkeys(_SIGNED_IN_PERSONAS, L)),
    "accounts:pending_accounts": only("admin"),
    "admin:login": only("admin"),
    "api-arrivals": only("pharmacist_other"),
    "api-advice-request": only("professional", "professional_other"),
    "api-advice-requests": only("professional", "professional_other"),
    "api-availability": only("pharmacist_other", "professional", "professional_other"),
    "api-planning-allocation": only("ars_other", "admin"),
    "api-planning-at-risk": only("ars_other", "cpts_other", "admin"),
    "api-planning-pharmacy": only(),
    "api-planning-proposal-accept": only("ars_other", "admin"),
    "api-planning-proposal-dismiss": only("ars_other", "admin"),
    "api-planning-proposals": only("ars_other", "admin"),
    "api-planning-publish": only("ars_other", "admin"),
    "api-planning-simulator": only("ars_other", "admin"),
    "api-planning-transfer-send": only(),
    "api-consultations-book": PUBLIC,
    "api-consultations-cancel": PUBLIC,
    "api-consultations-sites": PUBLIC,
    "api-crisis-accept": only("professional", "professional_other"),
    "api-crisis-post-request": only("ars_other", "cpts_other", "admin"),
    "api-crisis-site-request": APPROVED,
    "api-crisis-acknowledge": PUBLIC,
    "api-correction": only("pharmacist_other"),
    "api-counts": only("pharmacist_other"),
    "api-dashboard-panel": only("ars_other", "admin"),
    "api-dashboard-panels": only("ars_other", "admin"),
    "api-dispensations": only("pharmacist_other"),
    "api-docs": PUBLIC,
    "api-ledger": only(),
    "api-losses": only("pharmacist_other"),
    "api-me": SIGNED_IN,
    "api-my-pharmacies": only("pharmacist_other"),
    "api-my-quota": only("professional", "professional_other"),
    "api-quota-policies": APPROVED,
    "api-referrals-nearest": only(
        "pharmacist_other", "professional", "professional_other", "ars_other", "cpts_other", "admin"
    ),
    "api-referrals-status": APPROVED,
    "api-reservation-cancel": only("professional", "professional_other"),
    "api-reservations": only("professional", "professional_other"),
    "api-schema": PUBLIC,
    "api-sold-out": only("pharmacist_other"),
    "api-stock": only(),
    "api-token": EVERYONE,
    "api-transfers": only("pharmacist_other"),
    "crisis:accept": only("professional", "professional_other"),
    "crisis:acknowledge": PUBLIC,
    "crisis:acknowledge_portal": only("professional", "professional_other"),
    "crisis:activate": only("ars_other", "cpts_other", "admin"),
    "crisis:availability": only("professional", "professional_other"),
    "crisis:bulletin": only("ars_other", "cpts_other", "admin"),
    "crisis:census": only("ars_other", "cpts_other", "admin"),
    "crisis:console": only("ars_other", "cpts_other", "admin"),
    "crisis:console_data": only("ars_other", "cpts_other", "admin"),
    "crisis:decision": only("ars_other", "cpts_other", "admin"),
    "crisis:end": only("ars_other", "cpts_other", "admin"),
    "crisis:home": only("professional", "professional_other", "ars_other", "cpts_other", "admin"),
    "crisis:post_request": only("ars_other", "cpts_other", "admin"),
    "crisis:report": only("ars_other", "cpts_other", "admin"),
    "crisis:request": only("professional", "professional_other"),
    # Any approved account may be named a care site's manager; other sites: 404 (crisis tests).
    "crisis:site_request": APPROVED,
    "consultations:attendance": only("professional", "professional_other"),
    "consultations:availability_add": only("professional"),
    "consultations:availability_delete": only("professional"),
    "consultations:book": PUBLIC,
    "consultations:booking_detail": PUBLIC,
    "consultations:booking_ics": PUBLIC,
    "consultations:cancel": PUBLIC,
    "consultations:departement": PUBLIC,
    "consultations:doctor_day": only("professional"),
    "consultations:manage_home": only("ars_other", "admin"),
    "consultations:mission_cancel": only("ars_other", "admin"),
    "consultations:mission_create": only("ars_other", "admin"),
    "consultations:mission_detail": only("ars_other", "admin"),
    "consultations:mission_lodging": only("professional", "professional_other", "ars_other", "admin"),
    "consultations:mission_publish": only("professional", "professional_other", "ars_other", "admin"),
    "consultations:patient_home": PUBLIC,
    "consultations:site_agenda": only("professional", "professional_other", "ars_other"),
    "consultations:site_detail": PUBLIC,
    "consultations:volunteer_home": only("professional"),
    "consultations:volunteer_profile": only("professional"),
    "consultations:waiting_list": PUBLIC,
    "consultations:waiting_room": PUBLIC,
    "consultations:alert_create": PUBLIC,
    "consultations:alert_unsubscribe": PUBLIC,
    "dashboards:dashboard": only("ars_other", "admin"),
    "planning:allocate": only("ars_other", "admin"),
    "planning:at_risk": only("ars_other", "cpts_other", "admin"),
    "planning:pharmacy_forecast": only(),
    "planning:proposal_accept": only("ars_other", "admin"),
    "planning:proposal_dismiss": only("ars_other", "admin"),
    "planning:proposals": only("ars_other", "admin"),
    "planning:simulator": only("ars_other", "admin"),
    "planning:transfer_send": only(),
    "dashboards:export_dispensations": only("admin"),
    "dashboards:panel_csv": only("ars_other", "admin"),
    # ARS staff (their region), CPTS coordinators (their territory, read-only), administrators.
    "observatory:observatory": only("ars_other", "cpts_other", "admin"),
    "observatory:csv": only("ars_other", "cpts_other", "admin"),
    "observatory:map": only("ars_other", "cpts_other", "admin"),
    "distribution:ars_home": only("ars_other", "admin"),
    "distribution:cancel_reservation": only("professional", "professional_other"),
    "distribution:confirm_shipment": only("pharmacist_other"),
    "distribution:counter": only("pharmacist_other"),
    "distribution:counter_professional": only("pharmacist_other"),
    "distribution:find_masks": only("professional", "professional_other"),
    "distribution:my_history": only("professional", "professional_other"),
    "distribution:my_reservations": only("professional", "professional_other"),
    "distribution:pharmacy_shipments": only("pharmacist_other"),
    "distribution:quota_policies": only("ars_other", "admin"),
    "distribution:quota_policy_create": only("ars_other", "admin"),
    "distribution:reserve": only("professional", "professional_other"),
    "distribution:shipment_create": only("ars_other", "admin"),
    "distribution:shipment_receive": only("ars_other", "admin"),
    "distribution:shipments": only("ars_other", "admin"),
    "healthz": EVERYONE,
    "home": EVERYONE,
    "javascript-catalog": EVERYONE,
    "liveness": EVERYONE,
    "mfa_activate_totp": SIGNED_IN,
    "mfa_authenticate": SIGNED_IN,
    "mfa_deactivate_totp": SIGNED_IN,
    "mfa_download_recovery_codes": SIGNED_IN,
    "mfa_generate_recovery_codes": SIGNED_IN,
    "mfa_index": SIGNED_IN,
    "mfa_reauthenticate": SIGNED_IN,
    "mfa_view_recovery_codes": SIGNED_IN,
    "notifications:arrival": only("professional", "professional_other"),
    "notifications:bulletin_detail": PUBLIC,
    "notifications:bulletin_publish": only("ars_other", "cpts_other", "admin"),
    "notifications:bulletins": only("professional", "professional_other", "ars_other", "cpts_other", "admin"),
    "notifications:call_list": only("pharmacist_other"),
    "notifications:calls": only("pharmacist_other"),
    "notifications:list": APPROVED,
    "notifications:mark_all_read": APPROVED,
    "notifications:mark_reached": only("pharmacist_other"),
    "notifications:open": APPROVED,
    "notifications:preferences": only("professional", "professional_other"),
    "notifications:unsubscribe": PUBLIC,
    # Open data: anonymous by design (Licence Ouverte); a pending account reaches only its status.
    "opendata:care-sites": EVERYONE,
    "opendata:consultations": EVERYONE,
    "opendata:documentation": PUBLIC,
    "opendata:pharmacies": EVERYONE,
    "pharmacies:approve_staff": only("pharmacist_other"),
    "pharmacies:correct_movement": only(),
    "pharmacies:declare_arrival": only(),
    "pharmacies:declare_count": only(),
    "pharmacies:declare_loss": only(),
    "pharmacies:home": only("pharmacist_other"),
    "pharmacies:ledger": only(),
    "pharmacies:mark_sold_out": only(),
    "pharmacies:nearby_stock": only(),
    "pharmacies:professionals": only(),
    "pharmacies:stock": only(),
    "pharmacies:transfer": only(),
    "professionals:home": only("professional", "professional_other"),
    "professionals:reference": only("professional", "professional_other"),
    "readiness": EVERYONE,
    # Care sites and referrals: staff in scope edit sites; a site's status page answers its manager
    # (any validated account, 404/403 on another's site); professionals and pharmacists refer.
    "referrals:my_sites": APPROVED,
    "referrals:orientation": PUBLIC,
    "referrals:orientation_home": PUBLIC,
    "referrals:refer": only("pharmacist_other", "professional", "professional_other"),
    "referrals:refer_site": only("pharmacist_other", "professional", "professional_other"),
    "referrals:site_create": only("ars_other", "cpts_other", "admin"),
    "referrals:site_edit": only("ars_other", "cpts_other", "admin"),
    "referrals:site_status": APPROVED,
    "referrals:sites": only("ars_other", "cpts_other", "admin"),
    "referrals:slip": only("pharmacist_other", "professional", "professional_other"),
    # Second-line specialists: professionals (the request pages answer 404 to anyone but the
    # requester, the accepting specialist and the specialists it is offered to: tests/specialists).
    "specialists:accept": only("professional", "professional_other"),
    "specialists:answer": only("professional", "professional_other"),
    "specialists:attachment": only("professional", "professional_other"),
    "specialists:figures": only("ars_other", "cpts_other", "admin"),
    "specialists:home": only("professional", "professional_other"),
    "specialists:new_request": only("professional", "professional_other"),
    "specialists:profile": only("professional", "professional_other"),
    "specialists:request_detail": only("professional", "professional_other"),
    "set_language": EVERYONE,
}

API_OPERATIONS = {
    "GET /api/avis-specialise/demandes/": only("professional", "professional_other"),
    "GET /api/avis-specialise/demandes/{request_id}/": only("professional", "professional_other"),
    # Planning: an officine's forecast and its transfers for its pharmacists (another officine's:
    # 403); the at-risk list for ARS, administrators and CPTS (their territory, read-only);
    # proposals, allocation and simulator for ARS and administrators (an unknown proposal: 404,
    # an empty body or query: 400, both past the door).
    "GET /api/anticipation/a-risque/": only("ars_other", "cpts_other", "admin"),
    "GET /api/anticipation/officines/{pharmacy_id}/prevision/": only(),
    "GET /api/anticipation/propositions/": only("ars_other", "admin"),
    "GET /api/anticipation/repartition/": only("ars_other", "admin"),
    "GET /api/anticipation/simulateur/": only("ars_other", "admin"),
    "POST /api/anticipation/officines/{pharmacy_id}/transferts/{proposal_id}/envoyer/": only(),
    "POST /api/anticipation/propositions/{proposal_id}/accepter/": only("ars_other", "admin"),
    "POST /api/anticipation/propositions/{proposal_id}/ecarter/": only("ars_other", "admin"),
    "POST /api/anticipation/repartition/": only("ars_other", "admin"),
    "POST /api/anticipation/simulateur/publier/": only("ars_other", "admin"),
    "GET /api/availability/": only("pharmacist_other", "professional", "professional_other"),
    "GET /api/consultations/sites/": PUBLIC,
    "GET /api/dispensations/": only("pharmacist_other"),
    "GET /api/donnees-ouvertes/consultations-solidaires/": EVERYONE,
    "GET /api/donnees-ouvertes/officines/": EVERYONE,
    "GET /api/donnees-ouvertes/sites-de-soins/": EVERYONE,
    "GET /api/me/": SIGNED_IN,
    "GET /api/me/quota/": only("professional", "professional_other"),
    "GET /api/pharmacies/": only("pharmacist_other"),
    "GET /api/pharmacies/{pharmacy_id}/movements/": only(),
    "GET /api/pharmacies/{pharmacy_id}/stock/": only(),
    "GET /api/quota-policies/": APPROVED,
    "GET /api/reservations/": only("professional", "professional_other"),
    "GET /api/sites-de-soins/proches/": only(
        "pharmacist_other", "professional", "professional_other", "ars_other", "cpts_other", "admin"
    ),
    "GET /api/tableau-de-bord/": only("ars_other", "admin"),
    "GET /api/tableau-de-bord/{slug}/": only("ars_other", "admin"),
    "POST /api/consultations/bookings/": PUBLIC,
    "POST /api/consultations/bookings/cancel/": PUBLIC,
    "POST /api/crise/pris-en-compte/": PUBLIC,
    "POST /api/crise/renforts/{request_id}/accepter/": only("professional", "professional_other"),
    "POST /api/crise/activations/{activation_id}/renforts/": only("ars_other", "cpts_other", "admin"),
    # Any approved account may be named a care site's manager; other sites: 404 (crisis tests).
    "POST /api/crise/sites/{site_id}/renforts/": APPROVED,
    "POST /api/dispensations/": only("pharmacist_other"),
    "POST /api/pharmacies/{pharmacy_id}/arrivals/": only("pharmacist_other"),
    "POST /api/pharmacies/{pharmacy_id}/inventory-counts/": only("pharmacist_other"),
    "POST /api/pharmacies/{pharmacy_id}/losses/": only("pharmacist_other"),
    "POST /api/pharmacies/{pharmacy_id}/movements/{movement_id}/corrections/": only("pharmacist_other"),
    "POST /api/pharmacies/{pharmacy_id}/sold-out/": only("pharmacist_other"),
    "POST /api/pharmacies/{pharmacy_id}/transfers/": only("pharmacist_other"),
    "POST /api/quota-policies/": only("ars_other", "admin"),
    "POST /api/reservations/": only("professional", "professional_other"),
    "POST /api/reservations/{reservation_id}/cancel/": only("professional", "professional_other"),
    "POST /api/sites-de-soins/{site_id}/statut/": APPROVED,
    "POST /api/token/": EVERYONE,
}


def route_rule(name: str) -> dict | None:
    """The row of a route: its own, or its namespace's (`admin:*`)."""
    if name in ROUTES:
        return ROUTES[name]
    return ROUTES.get(f"{name.split(':', 1)[0]}:*") if ":" in name else None
