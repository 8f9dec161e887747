"""Read queries of the notifications app."""

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from gomask.cleaning import parse_id
from gomask.errors import NotFound
from gomask.phones import is_mobile
from notifications.models import ArrivalNotice, CallMark, Channel, CrisisBulletin, Notification
from pharmacies.models import StockLevel
from pharmacies.selectors import pharmacy_for_member
from professionals.models import Professional

RECIPIENT_FIELDS = (
    "id",
    "email",
    "phone",
    "user_id",
    "user__email",
    "user__is_active",
    "pref_email",
    "pref_sms",
    "pref_portal",
    "profession",
    "practice_commune__region_id",
)


def referenced_professionals(pharmacy_id: int) -> QuerySet[Professional]:
    """Professionals whose current home pharmacy is `pharmacy_id`."""
    return Professional.objects.filter(
        referencings__pharmacy_id=pharmacy_id, referencings__ended_at__isnull=True
    )


def recipient_rows(professionals: QuerySet[Professional]) -> list[dict]:
    """Address book rows (with the channel preferences, None when never set) for delivery."""
    return list(
        professionals.annotate(
            pref_email=F("notification_preference__email"),
            pref_sms=F("notification_preference__sms"),
            pref_portal=F("notification_preference__portal"),
        ).values(*RECIPIENT_FIELDS)
    )


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_of(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-updated_at", "-id")


def arrival_notices(pharmacy_id: int) -> QuerySet[ArrivalNotice]:
    return (
        ArrivalNotice.objects.filter(pharmacy_id=pharmacy_id)
        .select_related("product")
        .order_by("-created_at")
    )


def call_list(notice: ArrivalNotice) -> list[dict]:
    """Referenced professionals to phone after `notice`, with who was already reached."""
    marks = {
        mark.professional_id: mark
        for mark in CallMark.objects.filter(notice=notice).select_related("reached_by")
    }
    rows = []
    for professional in referenced_professionals(notice.pharmacy_id).order_by(
        "last_name", "first_name", "pk"
    ):
        rows.append({"professional": professional, "mark": marks.get(professional.pk)})
    return rows


def recipient_channels(recipient: dict) -> list[tuple[str, str, int | None]]:
    """(channel, address, user_id) a professional receives, from a row of `recipient_rows`:
    e-mail and portal unless turned off, SMS only when asked for and the number is a mobile
    (a landline cannot receive one)."""
    wanted = {
        Channel.EMAIL: recipient["pref_email"] if recipient["pref_email"] is not None else True,
        Channel.SMS: bool(recipient["pref_sms"]),
        Channel.PORTAL: recipient["pref_portal"] if recipient["pref_portal"] is not None else True,
    }
    out = []
    email = recipient["email"] or recipient["user__email"] or ""
    if wanted[Channel.EMAIL] and email:
        out.append((Channel.EMAIL, email, recipient["user_id"]))
    if wanted[Channel.SMS] and recipient["phone"] and is_mobile(recipient["phone"]):
        out.append((Channel.SMS, recipient["phone"], recipient["user_id"]))
    if wanted[Channel.PORTAL] and recipient["user_id"] and recipient["user__is_active"]:
        out.append((Channel.PORTAL, "", recipient["user_id"]))
    return out


def recipient_counts(professionals: QuerySet[Professional]) -> dict[str, int]:
    """How many professionals, and how many messages per channel, a send would make."""
    counts = {"professionals": 0, **dict.fromkeys(Channel.values, 0)}
    for recipient in recipient_rows(professionals):
        counts["professionals"] += 1
        for channel, _address, _user in recipient_channels(recipient):
            counts[channel] += 1
    return counts


def bulletin_recipients(bulletin: CrisisBulletin) -> QuerySet[Professional]:
    """Professionals practising in the bulletin's target area, of the targeted professions."""
    return recipients_in_scope(
        region_code=bulletin.region_id,
        departement_codes=list(bulletin.departements.values_list("pk", flat=True)),
        epci_codes=list(bulletin.epcis.values_list("pk", flat=True)),
        commune_codes=list(bulletin.communes.values_list("pk", flat=True)),
        professions=bulletin.professions,
    )


def recipients_in_scope(
    *, region_code: str, departement_codes=(), epci_codes=(), commune_codes=(), professions=()
) -> QuerySet[Professional]:
    """Professionals of the region practising in any of the départements, EPCIs or communes
    (none given: the whole region), of the professions (none given: all)."""
    professionals = Professional.objects.filter(practice_commune__region_id=region_code)
    departements, epcis, communes = list(departement_codes), list(epci_codes), list(commune_codes)
    if departements or epcis or communes:
        professionals = professionals.filter(
            Q(practice_commune__departement_id__in=departements)
            | Q(practice_commune__epci_id__in=epcis)
            | Q(practice_commune_id__in=communes)
        )
    if professions:
        professionals = professionals.filter(profession__in=list(professions))
    return professionals


def _targets(bulletin: CrisisBulletin, professional: Professional) -> bool:
    if bulletin.professions and professional.profession not in bulletin.professions:
        return False
    commune = professional.practice_commune
    departements = {d.pk for d in bulletin.departements.all()}
    epcis = {e.pk for e in bulletin.epcis.all()}
    communes = {c.pk for c in bulletin.communes.all()}
    if not (departements or epcis or communes):
        return True
    return commune.departement_id in departements or commune.epci_id in epcis or commune.pk in communes


def bulletins_for_professional(professional: Professional, limit: int = 500) -> list[CrisisBulletin]:
    """Bulletins addressed to this professional (their region, area and profession), newest first."""
    candidates = (
        CrisisBulletin.objects.filter(region_id=professional.practice_commune.region_id)
        .prefetch_related("departements", "epcis", "communes")
        .order_by("-published_at", "-id")[:limit]
    )
    return [bulletin for bulletin in candidates if _targets(bulletin, professional)]


def addressed_professional(user, bulletin: CrisisBulletin) -> Professional | None:
    """The signed-in, approved professional `bulletin` is addressed to (their region, area and
    profession): who may read it as a recipient and acknowledge it; None for anyone else."""
    from accounts.models import Role

    if not (user.is_authenticated and user.is_approved and user.role == Role.PROFESSIONAL):
        return None
    professional = getattr(user, "professional", None)
    if (
        professional is None
        or professional.practice_commune.region_id != bulletin.region_id
        or not _targets(bulletin, professional)
    ):
        return None
    return professional


def bulletin_for_reader(user, bulletin_id) -> CrisisBulletin:
    """The one gate of "a bulletin for its reader", for pages and API alike: a public bulletin
    anyone; otherwise the professionals it is addressed to (`addressed_professional`) and the
    publishers whose list holds it (`bulletins_published_for`). Any other: 404, as if it did not
    exist."""
    from accounts.models import Role

    bulletin = (
        CrisisBulletin.objects.select_related("region", "author").filter(pk=parse_id(bulletin_id)).first()
    )
    if bulletin is not None and not bulletin.is_public:
        publisher = (
            user.is_authenticated
            and user.is_approved
            and user.role in (Role.ARS_STAFF, Role.CPTS_COORDINATOR, Role.ADMIN)
        )
        if not (
            addressed_professional(user, bulletin) is not None
            or (publisher and bulletins_published_for(user).filter(pk=bulletin.pk).exists())
        ):
            bulletin = None
    if bulletin is None:
        raise NotFound(_("Bulletin introuvable."))
    return bulletin


def bulletin_for_recipient(user, bulletin_id) -> tuple[CrisisBulletin, Professional]:
    """A bulletin with the signed-in professional it is addressed to (to acknowledge it from the
    portal); a public bulletin for someone else, or any other: 404."""
    bulletin = bulletin_for_reader(user, bulletin_id)
    professional = addressed_professional(user, bulletin)
    if professional is None:
        raise NotFound(_("Bulletin introuvable."))
    return bulletin, professional


def bulletins_published_for(user) -> QuerySet[CrisisBulletin]:
    """What a publisher sees: a CPTS coordinator their own bulletins, ARS their region, admin all."""
    from accounts.models import Role

    bulletins = CrisisBulletin.objects.select_related("author", "region").order_by("-published_at", "-id")
    if user.role == Role.ADMIN:
        return bulletins
    if user.role == Role.CPTS_COORDINATOR:
        return bulletins.filter(author=user)
    return bulletins.filter(region_id=user.region_id)


def public_bulletins(limit: int = 5) -> QuerySet[CrisisBulletin]:
    """Bulletins marked public, for the population on the home page."""
    return CrisisBulletin.objects.filter(is_public=True).order_by("-published_at", "-id")[:limit]


def stockouts_in_region(region_code: str) -> list[StockLevel]:
    """Stock levels of open pharmacies of the region with nothing available or declared sold out."""
    return list(
        StockLevel.objects.filter(pharmacy__region_id=region_code, pharmacy__is_active=True)
        .filter(Q(on_hand__lte=F("reserved")) | Q(sold_out_at__isnull=False))
        .select_related("pharmacy__commune", "product")
        .order_by("pharmacy__departement_id", "pharmacy__name", "product__name")
    )


def notice_for_member(user, notice_id) -> ArrivalNotice:
    notices = ArrivalNotice.objects.select_related("pharmacy", "product")
    notice = notices.filter(pk=parse_id(notice_id)).first()
    if notice is None:
        raise NotFound(_("Arrivée introuvable."))
    pharmacy_for_member(user, notice.pharmacy_id)  # refuses someone else's pharmacy
    return notice
