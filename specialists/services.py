"""Domain actions of the second-line specialists: opt in, send, accept, answer, widen, purge.

A request is offered to the specialists of its specialty within the current circle around the
requester's commune (SPECIALISTS_CIRCLES_KM) who also cover that distance (their own radius).
The first to accept owns it: the request row is locked, its state re-checked, and the claim is
a conditional UPDATE that must change exactly one row. Unaccepted after
SPECIALISTS_WIDEN_AFTER_MINUTES, a request widens to the next circle; past the last one it
expires. E-mails go through the notifications outbox and hold no health content, only a link.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gomask.errors import Conflict, InvalidInput, NotAllowed, NotFound
from gomask.locks import retry_on_contention
from notifications.models import DeliveryKind
from notifications.services import queue_email
from professionals.models import Profession, Professional
from specialists import crypto
from specialists.files import read_attachments
from specialists.models import (
    AccessAction,
    AccessLogEntry,
    AdviceRequest,
    Attachment,
    RequestStatus,
    ResponseCommitment,
    SpecialistProfile,
    Urgency,
)
from specialists.specialties import SPECIALTIES
from territories.geo import bounding_box, haversine_km

# Who may ask for advice (first line) and who may give it.
REQUESTER_PROFESSIONS = {Profession.MEDECIN, Profession.INFIRMIER, Profession.SAGE_FEMME}
QUESTION_MIN, QUESTION_MAX = 10, 3000
ANSWER_MIN, ANSWER_MAX = 2, 5000
RADIUS_MIN, RADIUS_MAX = 5, 300


class RequestTaken(Conflict):
    code = "request_taken"


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def circles() -> list[int]:
    return list(settings.SPECIALISTS_CIRCLES_KM)


def professional_of(user) -> Professional:
    professional = getattr(user, "professional", None)
    if professional is None:
        raise NotAllowed(
            _("Votre compte n'est relié à aucune fiche de professionnel de santé."), code="no_professional"
        )
    if professional.is_suspended:
        raise NotAllowed(
            _("Votre fiche n'est plus dans l'annuaire RPPS : action impossible."), code="suspended"
        )
    return professional


def may_be_specialist(professional: Professional | None) -> bool:
    return bool(
        professional is not None
        and professional.profession == Profession.MEDECIN
        and professional.specialty_code in SPECIALTIES
        and not professional.is_suspended
    )


def may_request(professional: Professional | None) -> bool:
    return bool(
        professional is not None
        and professional.profession in REQUESTER_PROFESSIONS
        and not professional.is_suspended
    )


# --- the directory ------------------------------------------------------------------------------


def save_profile(*, user, is_active: bool, radius_km: int, response_hours: int) -> SpecialistProfile:
    """Opt in (or out, with is_active False) to take requests in the specialist's own specialty."""
    professional = professional_of(user)
    if not may_be_specialist(professional):
        raise NotAllowed(
            _(
                "Seuls les médecins spécialistes inscrits à l'annuaire RPPS dans une spécialité "
                "proposée peuvent recevoir des demandes d'avis."
            ),
            code="not_a_specialist",
        )
    if not RADIUS_MIN <= radius_km <= RADIUS_MAX:
        raise InvalidInput(
            _("Le rayon doit être compris entre %(min)d et %(max)d km.")
            % {"min": RADIUS_MIN, "max": RADIUS_MAX},
            code="radius",
            field="radius_km",
        )
    if response_hours not in ResponseCommitment.values:
        raise InvalidInput(
            _("Choisissez un délai de réponse proposé."), code="response_hours", field="response_hours"
        )
    with transaction.atomic():
        profile, _created = SpecialistProfile.objects.update_or_create(
            professional=professional,
            defaults={
                "specialty": professional.specialty_code,
                "radius_km": radius_km,
                "response_hours": response_hours,
                "is_active": is_active,
            },
        )
    return profile


def candidate_profiles(advice: AdviceRequest) -> list[tuple[SpecialistProfile, float]]:
    """The active specialists of the specialty within the request's current circle, nearest first."""
    centre = advice.commune
    min_lat, max_lat, min_lng, max_lng = bounding_box(centre.latitude, centre.longitude, advice.radius_km)
    profiles = (
        SpecialistProfile.objects.filter(
            specialty=advice.specialty,
            is_active=True,
            professional__left_directory_at__isnull=True,
            professional__practice_commune__latitude__range=(min_lat, max_lat),
            professional__practice_commune__longitude__range=(min_lng, max_lng),
        )
        .exclude(professional_id=advice.requester_id)
        .select_related("professional__practice_commune", "professional__user")
    )
    found = []
    for profile in profiles:
        commune = profile.professional.practice_commune
        distance = haversine_km(centre.latitude, centre.longitude, commune.latitude, commune.longitude)
        if distance <= advice.radius_km and distance <= profile.radius_km:
            found.append((profile, distance))
    return sorted(found, key=lambda pair: pair[1])


def within_circle(advice: AdviceRequest, professional: Professional | None) -> bool:
    """Whether the request's current circle reaches this specialist (whatever its state)."""
    if professional is None:
        return False
    return any(profile.professional_id == professional.pk for profile, _d in candidate_profiles(advice))


def is_candidate(advice: AdviceRequest, professional: Professional | None) -> bool:
    """Offered to this specialist now: on offer and within its circle."""
    return advice.status == RequestStatus.SENT and within_circle(advice, professional)


# --- e-mails (a link, never the content) ---------------------------------------------------------


def _address(professional: Professional) -> str:
    user = professional.user
    return (user.email if user is not None else "") or professional.email


def _queue(
    advice: AdviceRequest, professional: Professional, *, event: str, kind: str, subject: str, intro: str
):
    address = _address(professional)
    if not address:
        return None
    link = settings.SITE_URL + reverse("specialists:request_detail", args=[advice.pk])
    body = "\n\n".join(
        [
            _("Bonjour,"),
            intro,
            _("Pour la lire, connectez-vous au portail : %(link)s") % {"link": link},
            _("Par confidentialité, ce message ne contient aucune information médicale."),
            _("L'équipe GO MASK"),
        ]
    )
    return queue_email(
        delivery_key=f"advice:{advice.pk}:{event}:{professional.pk}",
        kind=kind,
        address=address,
        subject=subject,
        body=body,
    )


def _tell_requester(advice: AdviceRequest, *, event: str, subject: str, intro: str) -> None:
    _queue(
        advice, advice.requester, event=event, kind=DeliveryKind.ADVICE_ANSWER, subject=subject, intro=intro
    )


def _offer_to_candidates(advice: AdviceRequest) -> int:
    """E-mail the specialists of the current circle (each once per request: the delivery key)."""
    queued = 0
    for profile, _distance in candidate_profiles(advice):
        queued += (
            _queue(
                advice,
                profile.professional,
                event="offer",
                kind=DeliveryKind.ADVICE_REQUEST,
                subject=_("Une demande d'avis spécialisé vous attend"),
                intro=_("Un professionnel de santé de votre secteur demande un avis dans votre spécialité."),
            )
            is not None
        )
    return queued


# --- the requests ----------------------------------------------------------------------------------


def _clean_text(value, *, minimum: int, maximum: int, field: str, label: str) -> str:
    text = (value or "").strip()
    if len(text) < minimum:
        raise InvalidInput(
            _("%(label)s : écrivez au moins %(n)d caractères.") % {"label": label, "n": minimum},
            code=f"{field}_short",
            field=field,
        )
    if len(text) > maximum:
        raise InvalidInput(
            _("%(label)s : %(n)d caractères au plus.") % {"label": label, "n": maximum},
            code=f"{field}_long",
            field=field,
        )
    return text


def send_request(*, user, specialty: str, urgency: str, question: str, files=(), now=None) -> AdviceRequest:
    professional = professional_of(user)
    if not may_request(professional):
        raise NotAllowed(
            _("Les demandes d'avis sont réservées aux médecins, infirmiers et sages-femmes."),
            code="not_a_requester",
        )
    if specialty not in SPECIALTIES:
        raise InvalidInput(_("Choisissez une spécialité proposée."), code="specialty", field="specialty")
    if urgency not in Urgency.values:
        raise InvalidInput(_("Choisissez un niveau d'urgence proposé."), code="urgency", field="urgency")
    question = _clean_text(
        question, minimum=QUESTION_MIN, maximum=QUESTION_MAX, field="question", label=_("Question")
    )
    attachments = read_attachments(list(files))
    now = _now(now)
    with transaction.atomic():
        advice = AdviceRequest.objects.create(
            requester=professional,
            specialty=specialty,
            urgency=urgency,
            commune=professional.practice_commune,
            circle=0,
            radius_km=circles()[0],
            circle_started_at=now,
            question_token=crypto.encrypt_text(question),
            created_at=now,
        )
        Attachment.objects.bulk_create(
            Attachment(
                request=advice,
                name_token=crypto.encrypt_text(name),
                content_type=content_type,
                size=len(data),
                data_token=crypto.encrypt_bytes(data),
            )
            for name, content_type, data in attachments
        )
        _offer_to_candidates(advice)
    return advice


def _locked(request_id) -> AdviceRequest:
    advice = (
        AdviceRequest.objects.select_for_update(of=("self",))
        .select_related("commune", "requester__user")
        .filter(pk=request_id)
        .first()
    )
    if advice is None:
        raise NotFound()
    return advice


def _claim(advice: AdviceRequest, professional: Professional, now: datetime) -> int:
    """The conditional write: only a request still on offer changes owner."""
    return AdviceRequest.objects.filter(pk=advice.pk, status=RequestStatus.SENT).update(
        status=RequestStatus.ACCEPTED, accepted_by=professional, accepted_at=now
    )


@retry_on_contention
def accept_request(*, user, request_id, now=None) -> AdviceRequest:
    professional = professional_of(user)
    now = _now(now)
    with transaction.atomic():
        advice = _locked(request_id)
        if advice.accepted_by_id == professional.pk:
            return advice
        # Only a specialist it was offered to learns that someone else took it.
        if not within_circle(advice, professional):
            raise NotFound()
        if advice.status == RequestStatus.EXPIRED:
            raise Conflict(_("Cette demande n'est plus proposée : elle a expiré."), code="request_expired")
        if advice.status != RequestStatus.SENT:
            raise RequestTaken(_("Cette demande a déjà été prise en charge par un autre spécialiste."))
        if _claim(advice, professional, now) != 1:
            raise RequestTaken(_("Cette demande a déjà été prise en charge par un autre spécialiste."))
        advice.refresh_from_db()
        _tell_requester(
            advice,
            event="accepted",
            subject=_("Votre demande d'avis a été acceptée"),
            intro=_("Un spécialiste a accepté votre demande d'avis."),
        )
    return advice


@retry_on_contention
def answer_request(*, user, request_id, answer: str, now=None) -> AdviceRequest:
    professional = professional_of(user)
    answer = _clean_text(answer, minimum=ANSWER_MIN, maximum=ANSWER_MAX, field="answer", label=_("Réponse"))
    now = _now(now)
    with transaction.atomic():
        advice = _locked(request_id)
        if advice.accepted_by_id != professional.pk:
            raise NotFound()
        if advice.status != RequestStatus.ACCEPTED:
            raise Conflict(_("Cette demande n'attend plus de réponse."), code="not_awaiting_answer")
        advice.answer_token = crypto.encrypt_text(answer)
        advice.status = RequestStatus.ANSWERED
        advice.answered_at = now
        advice.save(update_fields=["answer_token", "status", "answered_at"])
        _tell_requester(
            advice,
            event="answered",
            subject=_("Réponse à votre demande d'avis"),
            intro=_("Le spécialiste a répondu à votre demande d'avis."),
        )
    return advice


# --- reading (logged) -------------------------------------------------------------------------------


def _participant(advice: AdviceRequest, professional: Professional | None) -> bool:
    return professional is not None and professional.pk in {advice.requester_id, advice.accepted_by_id}


def is_participant(advice: AdviceRequest, user) -> bool:
    """The requester or the specialist who accepted."""
    return _participant(advice, getattr(user, "professional", None))


def ensure_owner(*, user, request_id) -> None:
    """NotFound unless this user is the specialist who accepted the request (no content read)."""
    professional = getattr(user, "professional", None)
    if (
        professional is None
        or not AdviceRequest.objects.filter(pk=request_id, accepted_by=professional).exists()
    ):
        raise NotFound()


def request_for(*, user, request_id) -> tuple[AdviceRequest, dict | None]:
    """The request and, for the requester or the accepting specialist only, its decrypted
    content (each such read logged); a specialist it is offered to sees the metadata only.
    Anyone else: NotFound, as if it did not exist."""
    professional = getattr(user, "professional", None)
    advice = (
        AdviceRequest.objects.select_related("commune__departement", "requester", "accepted_by")
        .filter(pk=request_id)
        .first()
    )
    if advice is None or professional is None:
        raise NotFound()
    if _participant(advice, professional):
        content = None
        if advice.content_purged_at is None:
            AccessLogEntry.objects.create(request=advice, user=user, action=AccessAction.READ_REQUEST)
            content = {
                "question": crypto.decrypt_text(advice.question_token),
                "answer": crypto.decrypt_text(advice.answer_token),
                "attachments": [
                    {
                        "id": a.pk,
                        "name": crypto.decrypt_text(a.name_token),
                        "size": a.size,
                        "content_type": a.content_type,
                    }
                    for a in advice.attachments.only("pk", "name_token", "size", "content_type")
                ],
            }
        return advice, content
    if is_candidate(advice, professional):
        return advice, None
    raise NotFound()


def attachment_for(*, user, request_id, attachment_id) -> tuple[str, str, bytes]:
    """(name, content type, data) of an attachment, for the two participants only; logged."""
    professional = getattr(user, "professional", None)
    attachment = (
        Attachment.objects.select_related("request").filter(pk=attachment_id, request_id=request_id).first()
    )
    if attachment is None or not _participant(attachment.request, professional):
        raise NotFound()
    AccessLogEntry.objects.create(
        request=attachment.request,
        user=user,
        action=AccessAction.READ_ATTACHMENT,
        attachment_id=attachment.pk,
    )
    return (
        crypto.decrypt_text(attachment.name_token),
        attachment.content_type,
        crypto.decrypt_bytes(attachment.data_token),
    )


# --- scheduled: widening and purge ------------------------------------------------------------------


def widen_due_requests(*, now=None) -> int:
    """Requests still on offer past the delay: next circle, or expired after the last one."""
    now = _now(now)
    due_before = now - timedelta(minutes=settings.SPECIALISTS_WIDEN_AFTER_MINUTES)
    ids = list(
        AdviceRequest.objects.filter(status=RequestStatus.SENT, circle_started_at__lte=due_before)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    changed = 0
    for request_id in ids:
        changed += _widen_one(request_id, now=now, due_before=due_before)
    return changed


@retry_on_contention
def _widen_one(request_id: int, *, now, due_before) -> bool:
    with transaction.atomic():
        advice = _locked(request_id)
        if advice.status != RequestStatus.SENT or advice.circle_started_at > due_before:
            return False  # accepted or widened meanwhile
        rings = circles()
        if advice.circle + 1 < len(rings):
            advice.circle += 1
            advice.radius_km = rings[advice.circle]
            advice.circle_started_at = now
            advice.save(update_fields=["circle", "radius_km", "circle_started_at"])
            _offer_to_candidates(advice)
        else:
            advice.status = RequestStatus.EXPIRED
            advice.expired_at = now
            advice.save(update_fields=["status", "expired_at"])
            _tell_requester(
                advice,
                event="expired",
                subject=_("Votre demande d'avis n'a pas trouvé de spécialiste"),
                intro=_("Aucun spécialiste n'a pu accepter votre demande d'avis dans le délai prévu."),
            )
    return True


def purge_content(*, now=None) -> int:
    """Delete the content (question, answer, attachments) of requests older than the retention;
    the metadata stays for the figures, the access log for the record."""
    now = _now(now)
    cutoff = now - timedelta(days=settings.SPECIALISTS_RETENTION_DAYS)
    with transaction.atomic():
        due = AdviceRequest.objects.select_for_update(skip_locked=True).filter(
            created_at__lt=cutoff, content_purged_at__isnull=True
        )
        ids = list(due.values_list("pk", flat=True))
        Attachment.objects.filter(request_id__in=ids).delete()
        AdviceRequest.objects.filter(pk__in=ids, status__in=[RequestStatus.SENT]).update(
            status=RequestStatus.EXPIRED, expired_at=now
        )
        AdviceRequest.objects.filter(pk__in=ids).update(
            question_token="", answer_token="", content_purged_at=now
        )
    return len(ids)


def rotate_encryption() -> int:
    """Re-encrypt every stored content with the current key (after adding a new key)."""
    count = 0
    with transaction.atomic():
        for advice in AdviceRequest.objects.select_for_update().filter(content_purged_at__isnull=True):
            advice.question_token = crypto.encrypt_text(crypto.decrypt_text(advice.question_token))
            advice.answer_token = crypto.encrypt_text(crypto.decrypt_text(advice.answer_token))
            advice.save(update_fields=["question_token", "answer_token"])
            count += 1
        for attachment in Attachment.objects.select_for_update():
            attachment.name_token = crypto.encrypt_text(crypto.decrypt_text(attachment.name_token))
            attachment.data_token = crypto.rotate(attachment.data_token)
            attachment.save(update_fields=["name_token", "data_token"])
    return count
