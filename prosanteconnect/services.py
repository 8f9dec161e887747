"""What a Pro Santé Connect sign-in means for the portal's accounts and professionals.

The national identifier (`SubjectNameID`: `8` + RPPS, `0` + ADELI) is looked up among the
professionals imported from the RPPS directory (professionals.directory_import):
- found, present in the directory and not linked to another account: the account is linked to
  that professional and validated at once (CPS and e-CPS prove the identity);
- not in the directory: the account is kept pending for an administrator, and told why;
- no longer in the directory (suspended) or the account suspended: refused;
- linked to another account: refused, with the way to link (sign in by e-mail, then link
  Pro Santé Connect from the account page).

This module sits at the project layer: it composes accounts and professionals.
"""

import json
from dataclasses import dataclass
from enum import Enum

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import SUSPENDED_MESSAGE
from accounts.models import AccountStatus, Role, User
from gomask.errors import DomainError
from gomask.identifiers import validate_adeli, validate_rpps
from professionals.directory_import import ADELI_TYPE, RPPS_PROFESSIONS, RPPS_TYPE
from professionals.models import Professional


class PscRefused(DomainError):
    """A Pro Santé Connect sign-in the portal does not accept (refused.html, 403)."""

    status = 403
    code = "psc_refused"
    default_message = gettext_lazy("La connexion par Pro Santé Connect a été refusée.")


@dataclass(frozen=True)
class PscIdentity:
    national_id: str
    rpps: str | None
    adeli: str | None
    profession_codes: tuple[str, ...]

    @property
    def number(self) -> str:
        return self.rpps or self.adeli

    @property
    def kind(self) -> str:
        return "RPPS" if self.rpps else "ADELI"

    @property
    def professions(self) -> list[str]:
        """The portal's names of the professions the claims list (those it knows)."""
        return [
            str(RPPS_PROFESSIONS[code].label) for code in self.profession_codes if code in RPPS_PROFESSIONS
        ]


class Outcome(Enum):
    VALIDATED = "validated"
    ALREADY_VALIDATED = "already_validated"
    NOT_IN_DIRECTORY = "not_in_directory"
    LINKED = "linked"  # a login method added to an account that is not a professional's


def user_claims(extra_data: dict) -> dict:
    """The claims of a sign-in: the userinfo (what the service says of the person), else the
    id_token's."""
    return extra_data.get("userinfo") or extra_data.get("id_token") or {}


def check_acr(*, extra_data: dict, accepted: list[str]) -> str:
    """The authentication level (`acr`) the service asserted, refused unless accepted."""
    id_token = extra_data.get("id_token") or {}
    acr = id_token.get("acr") or (extra_data.get("userinfo") or {}).get("acr") or ""
    if not isinstance(acr, str) or acr not in accepted:
        raise PscRefused(
            _(
                "Pro Santé Connect n'a pas confirmé une authentification par carte CPS ou e-CPS "
                "(niveau reçu : « %(received)s » ; attendu : « %(expected)s ») : connexion refusée."
            )
            % {
                "received": acr if isinstance(acr, str) and acr else _("aucun"),
                "expected": ", ".join(accepted),
            },
            code="psc_acr",
        )
    return acr


def _profession_codes(claims: dict) -> tuple[str, ...]:
    ref = claims.get("SubjectRefPro")
    if isinstance(ref, str):
        try:
            ref = json.loads(ref)
        except ValueError:
            ref = None
    exercices = ref.get("exercices") if isinstance(ref, dict) else None
    codes = []
    for exercice in exercices if isinstance(exercices, list) else []:
        code = exercice.get("codeProfession") if isinstance(exercice, dict) else None
        if isinstance(code, str) and code.strip() and code.strip() not in codes:
            codes.append(code.strip())
    return tuple(codes)


def identity_from_claims(claims: dict) -> PscIdentity:
    national_id = claims.get("SubjectNameID")
    national_id = national_id.strip() if isinstance(national_id, str) else ""
    kind, number = national_id[:1], national_id[1:]
    try:
        if kind == RPPS_TYPE and len(number) == 11:
            rpps, adeli = validate_rpps(number), None
        elif kind == ADELI_TYPE and len(number) == 9:
            rpps, adeli = None, validate_adeli(number)
        else:
            raise ValidationError("unknown identifier")
    except ValidationError as exc:
        raise PscRefused(
            _(
                "Pro Santé Connect n'a pas transmis d'identifiant national valide (RPPS ou ADELI) : "
                "connexion refusée."
            ),
            code="psc_identifier",
        ) from exc
    return PscIdentity(
        national_id=national_id, rpps=rpps, adeli=adeli, profession_codes=_profession_codes(claims)
    )


def _directory_match(identity: PscIdentity, *, lock: bool) -> Professional | None:
    lookup = {"rpps": identity.rpps} if identity.rpps else {"adeli": identity.adeli}
    queryset = Professional.objects.filter(**lookup)
    if lock:
        queryset = queryset.select_for_update()
    return queryset.first()


def _refuse_suspended(professional: Professional | None) -> None:
    if professional is not None and professional.is_suspended:
        raise PscRefused(
            _(
                "Vous ne figurez plus dans l'annuaire RPPS : votre accès au portail est suspendu. "
                "Contactez l'administrateur du portail si c'est une erreur."
            ),
            code="psc_professional_suspended",
        )


def _refuse_linked_elsewhere(professional: Professional | None, user: User | None) -> None:
    if (
        professional is not None
        and professional.user_id is not None
        and professional.user_id != getattr(user, "pk", None)
    ):
        raise PscRefused(
            _(
                "Ce numéro %(kind)s est déjà rattaché à un compte du portail. Connectez-vous avec votre "
                "adresse e-mail, puis liez Pro Santé Connect depuis la page « Pro Santé Connect » de "
                "votre compte."
            )
            % {"kind": "RPPS" if professional.rpps else "ADELI"},
            code="psc_linked_elsewhere",
        )


def check_sign_in(*, identity: PscIdentity, user: User | None) -> None:
    """Refusals decided before anything is written: suspended professional or account, the
    professional linked to another account. `user`: the account signing in (None: a new one)."""
    professional = _directory_match(identity, lock=False)
    _refuse_suspended(professional)
    if user is not None and user.status == AccountStatus.SUSPENDED:
        raise PscRefused(SUSPENDED_MESSAGE, code="account_suspended")
    if user is None or user.role == Role.PROFESSIONAL:
        _refuse_linked_elsewhere(professional, user)


@transaction.atomic
def attach_identity(*, user_id: int, identity: PscIdentity) -> Outcome:
    """Link the account to the professional the identity names and validate it, if the
    professional is in the directory; otherwise leave the account as it is (pending).

    Rows locked in a fixed order (account, then professional): two sign-ins claiming one
    professional at the same moment queue, and the second sees the first's link.
    """
    user = User.objects.select_for_update().get(pk=user_id)
    if user.status == AccountStatus.SUSPENDED:
        raise PscRefused(SUSPENDED_MESSAGE, code="account_suspended")
    professional = _directory_match(identity, lock=True)
    _refuse_suspended(professional)
    if user.role != Role.PROFESSIONAL:
        # A pharmacist, an ARS agent... adds a login method; their account stays what it is.
        return Outcome.LINKED
    _refuse_linked_elsewhere(professional, user)
    own = Professional.objects.filter(user=user).exclude(pk=getattr(professional, "pk", None)).first()
    if own is not None:
        raise PscRefused(
            _(
                "Votre compte est rattaché à un autre numéro RPPS ou ADELI que celui transmis par "
                "Pro Santé Connect : contactez l'administrateur du portail."
            ),
            code="psc_other_professional",
        )
    if professional is None or professional.directory_seen_at is None:
        return Outcome.NOT_IN_DIRECTORY
    if professional.user_id is None:
        professional.user = user
        professional.save(update_fields=["user"])
    if user.status == AccountStatus.ACTIVE:
        return Outcome.ALREADY_VALIDATED
    user.status = AccountStatus.ACTIVE
    user.approved_by = None
    user.approved_at = timezone.now()
    user.save(update_fields=["status", "approved_by", "approved_at"])
    return Outcome.VALIDATED


def outcome_message(outcome: Outcome, identity: PscIdentity) -> tuple[str, str] | None:
    """(level, text) of the message shown after the sign-in, if any."""
    if outcome == Outcome.VALIDATED:
        return "success", _(
            "Votre identité de professionnel de santé est vérifiée par Pro Santé Connect : "
            "votre compte est validé."
        )
    if outcome == Outcome.NOT_IN_DIRECTORY:
        professions = ", ".join(identity.professions) or _("non précisée")
        return "warning", _(
            "Votre numéro %(kind)s %(number)s (profession : %(professions)s) ne figure pas dans "
            "l'annuaire des professionnels importé par le portail : votre compte reste en attente "
            "de validation par un administrateur."
        ) % {"kind": identity.kind, "number": identity.number, "professions": professions}
    return None
