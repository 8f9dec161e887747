"""The CPTS crisis console (situations sanitaires exceptionnelles, SSE).

An `Activation` of the crisis plan on one CPTS territory; its append-only log of
decisions; the bulletins published under it (notifications.CrisisBulletin) and their
acknowledgements ("pris en compte", once per bulletin and professional); the census of
reinforcement (availability windows and skills); requests for reinforcement, the
professionals asked for each, and who accepted (first come, under the request's row lock).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from professionals.models import Profession


class Level(models.IntegerChoices):
    WATCH = 1, _("Niveau 1 — veille renforcée")
    ALERT = 2, _("Niveau 2 — alerte")
    CRISIS = 3, _("Niveau 3 — crise")


class OrsanTrack(models.TextChoices):
    """The volets of the national ORSAN plan (guide ORSAN, ministère de la santé, 2019 edition):
    AMAVI, CLIM, EPI-VAC, REB (the 2014 guide's BIO, widened to the epidemic and biological
    risk), NRC and MEDICO-PSY. Stored codes are the volet names in lower case."""

    AMAVI = "amavi", _("ORSAN AMAVI — accueil massif de victimes non contaminées")
    CLIM = "clim", _("ORSAN CLIM — prise en charge de nombreux patients lors d'un phénomène climatique")
    EPI_VAC = "epi_vac", _("ORSAN EPI-VAC — épidémie ou pandémie, vaccination exceptionnelle")
    REB = "reb", _("ORSAN REB — risque épidémique et biologique (agent infectieux émergent)")
    NRC = "nrc", _("ORSAN NRC — risque nucléaire, radiologique et chimique")
    MEDICO_PSY = "medico_psy", _("ORSAN MEDICO-PSY — prise en charge médico-psychologique")


TRACK_CODES = ["amavi", "clim", "epi_vac", "reb", "nrc", "medico_psy"]

SUMMARY_MAX = 500
DECISION_MAX = 2000
SKILLS_MAX = 300
PLACE_MAX = 200
MAX_NEEDED = 50


class Activation(models.Model):
    """The crisis plan activated on one CPTS territory (or a drill of it)."""

    territory = models.ForeignKey(
        "notifications.CoordinatorScope", on_delete=models.PROTECT, related_name="activations"
    )
    region = models.ForeignKey("territories.Region", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("niveau"), choices=Level.choices)
    track = models.CharField(_("volet ORSAN"), max_length=10, choices=OrsanTrack.choices)
    summary = models.CharField(_("situation"), max_length=SUMMARY_MAX)
    is_drill = models.BooleanField(_("exercice"), default=False)
    started_at = models.DateTimeField(_("début"))
    ended_at = models.DateTimeField(_("fin"), null=True, blank=True)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    activated_role = models.CharField(max_length=20)
    bulletins = models.ManyToManyField(
        "notifications.CrisisBulletin", through="ActivationBulletin", related_name="+", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("activation du plan de crise")
        verbose_name_plural = _("activations du plan de crise")
        ordering = ["-started_at", "-id"]
        constraints = [
            # One open activation (drill or not) per CPTS territory at a time.
            models.UniqueConstraint(
                fields=["territory"],
                condition=Q(ended_at__isnull=True),
                name="one_open_activation_per_territory",
            ),
            models.CheckConstraint(
                name="activation_ends_after_start",
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
            ),
            models.CheckConstraint(name="activation_level_known", condition=Q(level__in=[1, 2, 3])),
            models.CheckConstraint(
                name="activation_track_known",
                condition=Q(track__in=TRACK_CODES),
            ),
            models.CheckConstraint(name="activation_summary_not_empty", condition=~Q(summary="")),
        ]

    def __str__(self):
        return f"{self.territory} — {self.get_track_display()}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class ActivationBulletin(models.Model):
    """A bulletin published under an activation (a bulletin belongs to one activation at most)."""

    activation = models.ForeignKey(Activation, on_delete=models.CASCADE, related_name="+")
    bulletin = models.OneToOneField(
        "notifications.CrisisBulletin", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("bulletin de l'activation")
        verbose_name_plural = _("bulletins de l'activation")

    def __str__(self):
        return f"{self.activation_id}/{self.bulletin_id}"


class Decision(models.Model):
    """One entry of the activation's log of decisions: append-only (no service edits or deletes)."""

    activation = models.ForeignKey(Activation, on_delete=models.PROTECT, related_name="decisions")
    text = models.TextField(_("décision"), max_length=DECISION_MAX)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("notée le"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("décision")
        verbose_name_plural = _("journal des décisions")
        ordering = ["recorded_at", "id"]
        constraints = [models.CheckConstraint(name="decision_text_not_empty", condition=~Q(text=""))]

    def __str__(self):
        return self.text[:60]


class Acknowledgement(models.Model):
    """A professional took a bulletin into account ("pris en compte"): once per bulletin."""

    bulletin = models.ForeignKey("notifications.CrisisBulletin", on_delete=models.CASCADE, related_name="+")
    professional = models.ForeignKey("professionals.Professional", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("depuis"), max_length=10)
    acknowledged_at = models.DateTimeField(_("pris en compte le"), auto_now_add=True)

    class Meta:
        verbose_name = _("prise en compte")
        verbose_name_plural = _("prises en compte")
        constraints = [
            models.UniqueConstraint(
                fields=["bulletin", "professional"], name="one_acknowledgement_per_bulletin"
            )
        ]

    def __str__(self):
        return f"{self.bulletin_id}/{self.professional_id}"


class Availability(models.Model):
    """Census of reinforcement: a professional is available during a window, from a commune."""

    activation = models.ForeignKey(Activation, on_delete=models.CASCADE, related_name="availabilities")
    professional = models.ForeignKey("professionals.Professional", on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("disponible à partir de"))
    ends_at = models.DateTimeField(_("jusqu'à"))
    commune = models.ForeignKey("territories.Commune", on_delete=models.PROTECT, related_name="+")
    skills = models.CharField(_("compétences"), max_length=SKILLS_MAX, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("disponibilité")
        verbose_name_plural = _("disponibilités")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="crisis_availability_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))
            ),
        ]

    def __str__(self):
        return f"{self.professional_id}: {self.starts_at:%Y-%m-%d %H:%M}"


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Ouverte")
    FILLED = "filled", _("Pourvue")
    CANCELLED = "cancelled", _("Annulée")


class ReinforcementRequest(models.Model):
    """A need posted by the coordinator: a place, a time, a profession, how many people."""

    activation = models.ForeignKey(Activation, on_delete=models.PROTECT, related_name="requests")
    place = models.CharField(_("lieu"), max_length=PLACE_MAX)
    commune = models.ForeignKey("territories.Commune", on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    # The choices give get_profession_display (the console, the professional's page).
    profession = models.CharField(_("profession"), max_length=30, choices=Profession.choices)
    needed = models.PositiveSmallIntegerField(_("nombre de personnes"))
    is_drill = models.BooleanField(_("exercice"), default=False)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    radius_km = models.PositiveSmallIntegerField(_("rayon de recherche (km)"))
    last_asked_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    filled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("demande de renfort")
        verbose_name_plural = _("demandes de renfort")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["last_asked_at"], condition=Q(status="open"), name="request_open_idx")
        ]
        constraints = [
            models.CheckConstraint(
                name="crisis_request_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))
            ),
            models.CheckConstraint(
                name="request_needed_in_range", condition=Q(needed__gte=1) & Q(needed__lte=MAX_NEEDED)
            ),
            models.CheckConstraint(
                name="request_status_known", condition=Q(status__in=["open", "filled", "cancelled"])
            ),
        ]

    def __str__(self):
        return f"{self.place} ({self.profession})"


class RequestCall(models.Model):
    """A professional was asked (through the outbox) to reinforce: once per request."""

    request = models.ForeignKey(ReinforcementRequest, on_delete=models.CASCADE, related_name="calls")
    professional = models.ForeignKey("professionals.Professional", on_delete=models.CASCADE, related_name="+")
    radius_km = models.PositiveSmallIntegerField()
    asked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "professional"], name="one_call_per_request")
        ]

    def __str__(self):
        return f"{self.request_id}/{self.professional_id}"


class Acceptance(models.Model):
    """A professional accepted a request: at most `needed` per request (under the request's lock)."""

    request = models.ForeignKey(ReinforcementRequest, on_delete=models.CASCADE, related_name="acceptances")
    professional = models.ForeignKey("professionals.Professional", on_delete=models.CASCADE, related_name="+")
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("renfort accepté")
        verbose_name_plural = _("renforts acceptés")
        ordering = ["accepted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "professional"], name="one_acceptance_per_professional"
            )
        ]

    def __str__(self):
        return f"{self.request_id}/{self.professional_id}"
