"""Domain actions of the crisis console: one function per action, keyword-only arguments.

Scopes as for bulletins: a CPTS coordinator acts on its own territory, ARS staff on the
territories of their region, an administrator anywhere. Messages to professionals go
through the notifications outbox, written in the same transaction.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from crisis import selectors
from crisis.models import (
    DECISION_MAX,
    MAX_NEEDED,
    PLACE_MAX,
    SKILLS_MAX,
    SUMMARY_MAX,
    Acceptance,
    Acknowledgement,
    Activation,
    ActivationBulletin,
    Availability,
    Decision,
    Level,
    OrsanTrack,
    ReinforcementRequest,
    RequestCall,
    RequestStatus,
)
from gomask import clock
from gomask.cleaning import parse_id
from gomask.errors import Conflict, InvalidInput, NotAllowed, NotFound
from gomask.idempotency import idempotent
from gomask.locks import retry_on_contention
from notifications import services as notifications
from notifications.delivery import publish_on_commit
from notifications.models import Channel, CrisisBulletin, Delivery, DeliveryKind
from notifications.selectors import bulletin_for_recipient, recipient_channels, recipient_rows
from notifications.tokens import read_acknowledge_token
from professionals.models import Profession, Professional
from territories.selectors import communes_within_km


class AlreadyAcknowledged(Conflict):
    code = "already_acknowledged"


class RequestTaken(Conflict):
    code = "request_taken"


class PossibleDuplicate(Conflict):
    """A request identical to one the same person posted and still open: asked to confirm."""

    code = "possible_duplicate"


def _ensure_manager(actor) -> None:
    if not (actor.is_authenticated and actor.is_approved and actor.role in selectors.MANAGER_ROLES):
        raise NotAllowed(_("Seuls l'ARS et les coordinateurs de CPTS pilotent la console de crise."))


def _text(value, *, field: str, maximum: int, label: str, required: bool = True) -> str:
    value = " ".join((value or "").split()) if field != "text" else (value or "").strip()
    if required and not value:
        raise InvalidInput(
            _("%(label)s ne peut pas être vide.") % {"label": label}, code=f"empty_{field}", field=field
        )
    if len(value) > maximum:
        raise InvalidInput(
            _("%(label)s dépasse %(max)d caractères (%(length)d).")
            % {"label": label, "max": maximum, "length": len(value)},
            code=f"{field}_too_long",
            field=field,
        )
    return value


# A declared availability or a requested reinforcement is a stretch of a crisis, not a season:
# longer ones are typing mistakes (a year typed wrong) that would keep a request open for ever.
MAX_WINDOW = timedelta(days=31)
MAX_LEAD = timedelta(days=366)


def _window(starts_at, ends_at) -> tuple[datetime, datetime]:
    if not isinstance(starts_at, datetime) or not isinstance(ends_at, datetime):
        raise InvalidInput(
            _("Indiquez le début et la fin (date et heure)."), code="missing_window", field="starts_at"
        )
    if ends_at <= starts_at:
        raise InvalidInput(_("La fin doit suivre le début."), code="window_reversed", field="ends_at")
    if ends_at <= timezone.now():
        raise InvalidInput(_("Cette période est déjà passée."), code="window_past", field="ends_at")
    if ends_at - starts_at > MAX_WINDOW:
        raise InvalidInput(
            _("Une période dure au plus 31 jours : vérifiez les dates, ou découpez-la."),
            code="window_too_long",
            field="ends_at",
        )
    if starts_at - timezone.now() > MAX_LEAD:
        raise InvalidInput(
            _("Le début est à plus d'un an : vérifiez l'année."), code="window_too_far", field="starts_at"
        )
    return starts_at, ends_at


def _lock_open(activation: Activation) -> Activation:
    """The activation's row, locked; an ended one is refused (409)."""
    activation = Activation.objects.select_for_update(of=("self",)).get(pk=activation.pk)
    if not activation.is_open:
        raise Conflict(_("Cette activation est close."), code="activation_ended")
    return activation


def _open_activation_locked(actor, activation_id) -> Activation:
    """The activation in the actor's scope, locked; an ended one is refused (409)."""
    _ensure_manager(actor)
    return _lock_open(selectors.activation_for(actor, activation_id))


# --- Activation and its log -------------------------------------------------------------


@retry_on_contention
def activate(
    *, actor, territory_id=None, level, track: str, summary: str, is_drill: bool = False
) -> Activation:
    """Activates the crisis plan (or a drill) on a CPTS territory in the actor's scope.

    A coordinator activates its own territory (no need to name it); ARS staff a territory of
    their region; one open activation per territory (409 otherwise).
    """
    _ensure_manager(actor)
    territories = selectors.territories_for(actor)
    if territory_id in (None, "") and actor.role == Role.CPTS_COORDINATOR:
        territory = territories.first()
        if territory is None:
            raise NotAllowed(_("Aucun territoire de CPTS ne vous est rattaché."), code="no_cpts_territory")
    else:
        territory = territories.filter(pk=parse_id(territory_id)).first()
        if territory is None:
            raise InvalidInput(
                _("Choisissez un territoire de CPTS de votre périmètre."),
                code="unknown_territory",
                field="territory",
            )
    level = parse_id(level)
    if level not in Level.values:
        raise InvalidInput(_("Niveau inconnu."), code="invalid_level", field="level")
    if track not in OrsanTrack.values:
        raise InvalidInput(_("Volet ORSAN inconnu."), code="invalid_track", field="track")
    summary = _text(summary, field="summary", maximum=SUMMARY_MAX, label=_("La situation"))
    with transaction.atomic():
        if Activation.objects.filter(territory=territory, ended_at__isnull=True).exists():
            raise Conflict(
                _(
                    "Le plan de crise est déjà activé sur ce territoire : "
                    "clôturez l'activation en cours d'abord."
                ),
                code="already_active",
            )
        now = timezone.now()
        activation = Activation.objects.create(
            territory=territory,
            region_id=territory.user.region_id,
            level=level,
            track=track,
            summary=summary,
            is_drill=bool(is_drill),
            started_at=now,
            activated_by=actor,
            activated_role=actor.role,
        )
        Decision.objects.create(
            activation=activation,
            author=actor,
            text=_("Activation (%(level)s, %(track)s)%(drill)s : %(summary)s")
            % {
                "level": Level(level).label,
                "track": OrsanTrack(track).label,
                "drill": " — " + notifications.drill_mark() if is_drill else "",
                "summary": summary,
            },
        )
    return activation


@transaction.atomic
def record_decision(*, actor, activation_id, text: str) -> Decision:
    """Appends a decision to the log (the log is never edited: a correction is a new entry)."""
    activation = _open_activation_locked(actor, activation_id)
    text = _text(text, field="text", maximum=DECISION_MAX, label=_("La décision"))
    return Decision.objects.create(activation=activation, author=actor, text=text)


@transaction.atomic
def end_activation(*, actor, activation_id) -> Activation:
    activation = _open_activation_locked(actor, activation_id)
    activation.ended_at = timezone.now()
    activation.save(update_fields=["ended_at"])
    ReinforcementRequest.objects.filter(activation=activation, status=RequestStatus.OPEN).update(
        status=RequestStatus.CANCELLED
    )
    Decision.objects.create(activation=activation, author=actor, text=_("Fin de l'activation."))
    return activation


def publish_activation_bulletin(
    *, actor, activation_id, title: str, body: str, severity: str, professions=()
) -> CrisisBulletin:
    """Publishes a bulletin to the professionals of the activated territory (a drill's is marked
    EXERCICE) and logs it."""
    _ensure_manager(actor)
    activation = selectors.activation_for(actor, activation_id)
    content = notifications.bulletin_content(
        author=actor, title=title, body=body, severity=severity, is_drill=activation.is_drill
    )
    professions = sorted(set(professions or ()))
    if any(code not in Profession.values for code in professions):
        raise InvalidInput(_("Profession inconnue."), code="invalid_profession", field="professions")
    territory = activation.territory
    scope = notifications.BulletinScope(
        region=activation.region,
        departements=[],
        epcis=list(territory.epcis.all()),
        communes=list(territory.communes.all()),
        professions=professions,
    )
    if not scope.epcis and not scope.communes:
        raise NotAllowed(_("Le territoire de cette CPTS est vide."), code="no_cpts_territory")
    with transaction.atomic():
        activation = _open_activation_locked(actor, activation.pk)
        bulletin = notifications.write_bulletin(author=actor, content=content, scope=scope)
        ActivationBulletin.objects.create(activation=activation, bulletin=bulletin)
        Decision.objects.create(
            activation=activation,
            author=actor,
            text=_("Bulletin publié : %(title)s") % {"title": bulletin.title},
        )
    return bulletin


# --- Acknowledgements ------------------------------------------------------------------


def _acknowledge(*, bulletin_id: int, professional_id: int, channel: str) -> tuple[Acknowledgement, bool]:
    """Once per (bulletin, professional): the unique constraint settles two clicks at once."""
    with transaction.atomic():
        return Acknowledgement.objects.get_or_create(
            bulletin_id=bulletin_id, professional_id=professional_id, defaults={"channel": channel}
        )


def acknowledgement_from_token(token: str) -> tuple[CrisisBulletin, Professional, str]:
    """Reads a signed "pris en compte" link; a tampered or unknown one is refused (400)."""
    try:
        bulletin_id, professional_id, channel = read_acknowledge_token(token)
    except signing.BadSignature as exc:
        raise InvalidInput(
            _("Ce lien de prise en compte n'est pas valide ou a été modifié."), code="bad_acknowledge_token"
        ) from exc
    bulletin = CrisisBulletin.objects.filter(pk=bulletin_id).first()
    professional = Professional.objects.filter(pk=professional_id).first()
    if bulletin is None or professional is None or channel not in Channel.values:
        raise InvalidInput(
            _("Ce lien de prise en compte ne correspond à aucun bulletin."), code="unknown_acknowledge_token"
        )
    return bulletin, professional, channel


def acknowledge(*, token: str) -> Acknowledgement:
    """One click from the e-mail, the SMS or the portal notification: the bulletin is taken into
    account once; a second click is refused with the time of the first (409)."""
    bulletin, professional, channel = acknowledgement_from_token(token)
    acknowledgement, created = _acknowledge(
        bulletin_id=bulletin.pk, professional_id=professional.pk, channel=channel
    )
    if not created:
        raise already_acknowledged(acknowledgement)
    return acknowledgement


def acknowledge_in_portal(*, user, bulletin_id) -> Acknowledgement:
    """A professional signed in acknowledges a bulletin addressed to them (others: 404)."""
    bulletin, professional = bulletin_for_recipient(user, bulletin_id)
    acknowledgement, created = _acknowledge(
        bulletin_id=bulletin.pk, professional_id=professional.pk, channel=Channel.PORTAL
    )
    if not created:
        raise already_acknowledged(acknowledgement)
    return acknowledgement


def already_acknowledged(acknowledgement: Acknowledgement) -> AlreadyAcknowledged:
    return AlreadyAcknowledged(
        _("Ce bulletin a déjà été pris en compte le %(date)s à %(time)s.")
        % {
            "date": clock.format_date(acknowledgement.acknowledged_at),
            "time": clock.format_time(acknowledgement.acknowledged_at),
        }
    )


# --- Census of reinforcement ------------------------------------------------------------


def _professional_of(user) -> Professional:
    professional = getattr(user, "professional", None) if user.is_authenticated else None
    if professional is None or user.role != Role.PROFESSIONAL or not user.is_approved:
        raise NotAllowed(_("Réservé aux professionnels de santé."))
    return professional


@transaction.atomic
def declare_availability(
    *, user, activation_id, starts_at, ends_at, commune, skills: str = ""
) -> Availability:
    """A professional of the activated territory declares a window when they can reinforce,
    from a commune (their practice commune by default), with their skills."""
    professional = _professional_of(user)
    activation = next(
        (
            a
            for a in selectors.open_activations_for_professional(professional)
            if a.pk == parse_id(activation_id)
        ),
        None,
    )
    if activation is None:
        raise NotFound(_("Aucune activation en cours sur votre territoire."))
    starts_at, ends_at = _window(starts_at, ends_at)
    skills = _text(skills, field="skills", maximum=SKILLS_MAX, label=_("Les compétences"), required=False)
    commune = commune or professional.practice_commune
    if commune.region_id != activation.region_id:
        raise InvalidInput(
            _("Cette commune est hors de la région de la CPTS."), code="out_of_region", field="commune"
        )
    return Availability.objects.create(
        activation=activation,
        professional=professional,
        starts_at=starts_at,
        ends_at=ends_at,
        commune=commune,
        skills=skills,
    )


# --- Requests for reinforcement ---------------------------------------------------------


def _radii() -> list[int]:
    return list(settings.CRISIS_REINFORCEMENT_RADII_KM)


def request_message(request: ReinforcementRequest) -> tuple[str, str]:
    subject = _(
        "Demande de renfort : %(count)d %(profession)s à %(place)s, le %(date)s de %(start)s à %(end)s"
    ) % {
        "count": request.needed,
        "profession": Profession(request.profession).label.lower(),
        "place": request.commune.name,
        "date": clock.format_date(request.starts_at),
        "start": clock.format_time(request.starts_at),
        "end": clock.format_time(request.ends_at),
    }
    body = _(
        "La CPTS %(cpts)s cherche du renfort : %(place)s (%(commune)s), du %(start)s au %(end)s. "
        "Le premier qui accepte depuis le portail est retenu."
    ) % {
        "cpts": request.activation.territory.name,
        "place": request.place,
        "commune": request.commune.name,
        "start": clock.format_datetime(request.starts_at),
        "end": clock.format_datetime(request.ends_at),
    }
    if request.is_drill:
        subject = f"[{notifications.drill_mark()}] {subject}"
        body = _("EXERCICE — ce message fait partie d'un exercice de crise.") + "\n\n" + body
    return subject, body


def _ask_available(request: ReinforcementRequest, *, radius_km: int) -> int:
    """Asks, through the outbox, the professionals of the census available for the request's
    window within `radius_km` who were not asked yet. Runs in the caller's transaction."""
    commune = request.commune
    nearby = [c.pk for c, _distance in communes_within_km(commune.latitude, commune.longitude, radius_km)]
    candidates = (
        Availability.objects.filter(
            activation=request.activation,
            professional__profession=request.profession,
            commune_id__in=nearby,
            starts_at__lt=request.ends_at,
            ends_at__gt=request.starts_at,
        )
        .exclude(professional__in=RequestCall.objects.filter(request=request).values("professional"))
        .values_list("professional_id", flat=True)
        .distinct()
    )
    professional_ids = sorted(set(candidates))
    now = timezone.now()
    RequestCall.objects.bulk_create(
        [RequestCall(request=request, professional_id=pid, radius_km=radius_km) for pid in professional_ids],
        ignore_conflicts=True,
    )
    subject, body = request_message(request)
    url = reverse("crisis:request", args=[request.pk])
    rows = [
        Delivery(
            delivery_key=f"reinforcement:{request.pk}:{recipient['id']}:{channel}",
            kind=DeliveryKind.REINFORCEMENT_REQUEST,
            channel=channel,
            professional_id=recipient["id"],
            user_id=user_id,
            address=address,
            subject=subject[:255],
            body=body,
            url=url,
            next_attempt_at=now,
            enqueued_at=now,
        )
        for recipient in recipient_rows(Professional.objects.filter(pk__in=professional_ids))
        for channel, address, user_id in recipient_channels(recipient)
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    publish_on_commit(
        list(
            Delivery.objects.filter(delivery_key__in=[row.delivery_key for row in rows]).values_list(
                "pk", flat=True
            )
        )
    )
    request.radius_km = radius_km
    request.last_asked_at = now
    request.save(update_fields=["radius_km", "last_asked_at"])
    return len(professional_ids)


def _requester_scope(actor, activation_id, site_id):
    """Who posts and for which activation and place: a coordinator (ARS, admin) an activation in
    their scope; a care site's manager their own site (the place is the site) under the open
    activation covering it. Returns (activation, site or None)."""
    if site_id is not None:
        site = selectors.managed_site(actor, site_id)
        activation = selectors.site_activation(site, activation_id)
        if activation is None:
            raise Conflict(
                _("Aucune activation du plan de crise en cours sur le territoire de ce site."),
                code="no_open_activation",
            )
        return activation, site
    _ensure_manager(actor)
    return selectors.activation_for(actor, activation_id), None


def _reinforcement_request(pk: int) -> ReinforcementRequest:
    return ReinforcementRequest.objects.get(pk=pk)


# A double-clicked "Publier la demande", or the form sent again after Back, must not ask the
# professionals twice: the page's form carries a key, and a repeat shows the first request. A
# browser that fetches the form again on Back (no back-forward cache) sends a fresh key: the
# pages then ask (`refuse_duplicate`) before posting a copy of a request still open.
@idempotent("crisis-request", load=_reinforcement_request)
def post_request(
    *,
    actor,
    activation_id=None,
    site_id=None,
    place: str = "",
    commune=None,
    starts_at,
    ends_at,
    profession: str,
    needed,
    refuse_duplicate: bool = False,
) -> ReinforcementRequest:
    """A coordinator, or the manager of a care site for their own site (`site_id`: the place
    and commune are the site's), posts a need; the available professionals within the first
    radius are asked at once, wider radii follow after CRISIS_ESCALATION_MINUTES
    (escalate_requests). `refuse_duplicate`: a request identical to one this person posted and
    still open is refused (PossibleDuplicate) rather than posted again."""
    activation, site = _requester_scope(actor, activation_id, site_id)
    if site is not None:
        place, commune = site.name[:PLACE_MAX], site.commune
    place = _text(place, field="place", maximum=PLACE_MAX, label=_("Le lieu"))
    if commune is None:
        raise InvalidInput(_("Indiquez la commune du lieu."), code="missing_commune", field="commune")
    starts_at, ends_at = _window(starts_at, ends_at)
    if profession not in Profession.values:
        raise InvalidInput(_("Profession inconnue."), code="invalid_profession", field="profession")
    needed = parse_id(needed)
    if needed is None or needed > MAX_NEEDED:
        raise InvalidInput(
            _("Le nombre de personnes va de 1 à %(max)d.") % {"max": MAX_NEEDED},
            code="invalid_needed",
            field="needed",
        )
    with transaction.atomic():
        activation = _lock_open(activation)
        if commune.region_id != activation.region_id:
            raise InvalidInput(
                _("Cette commune est hors de la région de la CPTS."), code="out_of_region", field="commune"
            )
        # Checked under the activation's lock: two identical submissions at once queue here too.
        need = {
            "place": place,
            "commune": commune,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "profession": profession,
            "needed": needed,
        }
        if refuse_duplicate:
            _refuse_open_duplicate(actor=actor, activation=activation, **need)
        request = ReinforcementRequest.objects.create(
            activation=activation,
            **need,
            is_drill=activation.is_drill,
            radius_km=_radii()[0],
            requested_by=actor,
        )
        asked = _ask_available(request, radius_km=_radii()[0])
        Decision.objects.create(
            activation=activation,
            author=actor,
            text=_(
                "Demande de renfort : %(needed)d %(profession)s à %(place)s "
                "(%(asked)d professionnel(s) sollicité(s))."
            )
            % {
                "needed": needed,
                "profession": Profession(profession).label.lower(),
                "place": place,
                "asked": asked,
            },
        )
    return request


def _refuse_open_duplicate(*, actor, activation, **need) -> None:
    previous = (
        ReinforcementRequest.objects.filter(
            activation=activation, requested_by=actor, status=RequestStatus.OPEN, **need
        )
        .order_by("-created_at")
        .first()
    )
    if previous is not None:
        raise PossibleDuplicate(
            _(
                "Vous avez déjà publié cette demande de renfort à %(time)s ; elle est toujours ouverte "
                "et les professionnels disponibles ont été sollicités. S'il vous faut bien du renfort "
                "en plus, cochez la confirmation et envoyez à nouveau."
            )
            % {"time": timezone.localtime(previous.created_at).strftime("%H:%M")},
            field="confirm_duplicate",
        )


def _lock_request(request_id: int) -> ReinforcementRequest | None:
    """The request's row lock: acceptances of one request queue here."""
    return ReinforcementRequest.objects.select_for_update(of=("self",)).filter(pk=request_id).first()


def _accepted_count(request: ReinforcementRequest) -> int:
    return Acceptance.objects.filter(request=request).count()


@retry_on_contention
def accept_request(*, user, request_id) -> Acceptance:
    """A professional who was asked accepts: the first `needed` acceptances win (under the
    request's row lock); later ones are refused (409). Accepting twice returns the first."""
    professional = _professional_of(user)
    request_id = parse_id(request_id)
    with transaction.atomic():
        request = _lock_request(request_id) if request_id else None
        if (
            request is None
            or not RequestCall.objects.filter(request=request, professional=professional).exists()
        ):
            raise NotFound(_("Demande de renfort introuvable."))
        mine = Acceptance.objects.filter(request=request, professional=professional).first()
        if mine is not None:
            return mine
        if request.status == RequestStatus.CANCELLED:
            raise RequestTaken(_("Cette demande de renfort a été annulée."))
        if request.ends_at <= timezone.now():
            raise RequestTaken(_("Cette demande de renfort est passée."))
        count = _accepted_count(request)
        if request.status == RequestStatus.FILLED or count >= request.needed:
            raise RequestTaken(_("Merci : un autre professionnel a déjà accepté cette demande de renfort."))
        acceptance = Acceptance.objects.create(request=request, professional=professional)
        if count + 1 >= request.needed:
            request.status = RequestStatus.FILLED
            request.filled_at = timezone.now()
            request.save(update_fields=["status", "filled_at"])
    return acceptance


def escalate_requests(*, now=None) -> int:
    """Periodic: an open request asked more than CRISIS_ESCALATION_MINUTES ago at a radius below
    the widest is asked again at the next radius (new professionals only). Returns how many
    requests were widened."""
    from datetime import timedelta

    now = now or timezone.now()
    due_before = now - timedelta(minutes=settings.CRISIS_ESCALATION_MINUTES)
    radii = _radii()
    widened = 0
    candidates = ReinforcementRequest.objects.filter(
        status=RequestStatus.OPEN, last_asked_at__lte=due_before, radius_km__lt=radii[-1], ends_at__gt=now
    ).values_list("pk", flat=True)
    for request_id in list(candidates):
        with transaction.atomic():
            request = (
                ReinforcementRequest.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("commune", "activation__territory")
                .filter(pk=request_id, status=RequestStatus.OPEN, last_asked_at__lte=due_before)
                .first()
            )
            if request is None:
                continue
            wider = next((radius for radius in radii if radius > request.radius_km), None)
            if wider is None:
                continue
            _ask_available(request, radius_km=wider)
            widened += 1
    return widened
