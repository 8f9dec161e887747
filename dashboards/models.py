"""Roll-up tables of the regional dashboards, their freshness, and the log of exports.

Dashboards read every other app but own no domain truth: each roll-up row is recomputed
from the source tables (stock ledger, dispensations, professionals) by
`dashboards.services.refresh_rollups`, a whole week at a time, so a roll-up can always be
dropped and rebuilt. Weeks run Monday to Sunday in Europe/Paris (`week_start` is the Monday).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from professionals.models import Profession


class RollupState(models.Model):
    """When a roll-up was last refreshed: the pages say "données arrêtées au <refreshed_at>"."""

    name = models.CharField(max_length=50, primary_key=True)
    # The start of the last successful refresh: every row committed before it is counted.
    refreshed_at = models.DateTimeField(_("données arrêtées au"))
    weeks = models.PositiveIntegerField(_("semaines recalculées"), default=0)
    duration_ms = models.PositiveIntegerField(_("durée (ms)"), default=0)

    class Meta:
        verbose_name = _("état d'un agrégat")
        verbose_name_plural = _("états des agrégats")

    def __str__(self):
        return f"{self.name} @ {self.refreshed_at:%Y-%m-%d %H:%M}"


class PharmacyWeek(models.Model):
    """Stock flows of one pharmacy and product in one week: arrivals by source, dispensations."""

    week_start = models.DateField()
    pharmacy = models.ForeignKey("pharmacies.Pharmacy", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("pharmacies.Product", on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey("territories.Region", on_delete=models.CASCADE, related_name="+")
    departement = models.ForeignKey("territories.Departement", on_delete=models.CASCADE, related_name="+")
    epci = models.ForeignKey("territories.Epci", null=True, on_delete=models.SET_NULL, related_name="+")
    arrived_national = models.IntegerField(default=0)
    arrived_regional = models.IntegerField(default=0)
    arrived_donation = models.IntegerField(default=0)
    dispensed = models.IntegerField(default=0)
    dispensation_count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("flux hebdomadaire d'une officine")
        verbose_name_plural = _("flux hebdomadaires des officines")
        constraints = [
            models.UniqueConstraint(fields=["week_start", "pharmacy", "product"], name="pharmacy_week_unique")
        ]
        indexes = [
            # Covering: the flows panel sums a region's weeks, and the stock panels their rate,
            # with index-only scans (a year of a region: ~17x fewer pages than through the heap).
            models.Index(
                fields=["region", "week_start"],
                include=[
                    "pharmacy",
                    "departement",
                    "epci",
                    "product",
                    "arrived_national",
                    "arrived_regional",
                    "arrived_donation",
                    "dispensed",
                ],
                name="pharmacy_week_region_cover",
            )
        ]

    def __str__(self):
        return f"{self.week_start} · {self.pharmacy_id} · {self.product_id}"


class DispensationWeek(models.Model):
    """Dispensations of one week by place of the pharmacy (département, EPCI), product, profession."""

    week_start = models.DateField()
    region = models.ForeignKey("territories.Region", on_delete=models.CASCADE, related_name="+")
    departement = models.ForeignKey("territories.Departement", on_delete=models.CASCADE, related_name="+")
    epci = models.ForeignKey("territories.Epci", null=True, on_delete=models.SET_NULL, related_name="+")
    product = models.ForeignKey("pharmacies.Product", on_delete=models.CASCADE, related_name="+")
    profession = models.CharField(max_length=30, choices=Profession.choices)
    quantity = models.BigIntegerField(default=0)
    dispensation_count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("délivrances d'une semaine")
        verbose_name_plural = _("délivrances par semaine")
        constraints = [
            models.UniqueConstraint(
                fields=["week_start", "departement", "epci", "product", "profession"],
                name="dispensation_week_unique",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["region", "week_start"], name="dispensation_week_region_idx")]

    def __str__(self):
        return f"{self.week_start} · {self.departement_id} · {self.profession}"


class ServedWeek(models.Model):
    """What one professional received of one product in one week, with the quota that applied.

    Placed at the professional's practice (region, département, EPCI): coverage and quota use
    are about the professionals of a territory, wherever they were served.
    """

    week_start = models.DateField()
    professional = models.ForeignKey("professionals.Professional", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("pharmacies.Product", on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey("territories.Region", on_delete=models.CASCADE, related_name="+")
    departement = models.ForeignKey("territories.Departement", on_delete=models.CASCADE, related_name="+")
    epci = models.ForeignKey("territories.Epci", null=True, on_delete=models.SET_NULL, related_name="+")
    profession = models.CharField(max_length=30, choices=Profession.choices)
    quantity = models.IntegerField(default=0)
    quota = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("professionnel servi dans la semaine")
        verbose_name_plural = _("professionnels servis par semaine")
        constraints = [
            models.UniqueConstraint(
                fields=["week_start", "professional", "product"], name="served_week_unique"
            )
        ]
        indexes = [
            # Covering: coverage and quota use read it with index-only scans.
            models.Index(
                fields=["region", "week_start"],
                include=["departement", "epci", "profession", "product", "professional", "quantity", "quota"],
                name="served_week_region_idx",
            )
        ]

    def __str__(self):
        return f"{self.week_start} · {self.professional_id} · {self.product_id}"


class ServedMonth(models.Model):
    """The ServedWeek rows of one month bucket summed per professional and product.

    A month bucket holds the weeks whose Monday falls in the calendar month (`month` is its
    first day), so a period of whole weeks splits exactly into whole buckets plus the weeks at
    its edges: distinct professionals over a year read about one row per professional and
    month instead of one per week. Rebuilt from ServedWeek by `refresh_rollups`.
    """

    month = models.DateField()
    professional = models.ForeignKey("professionals.Professional", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("pharmacies.Product", on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey("territories.Region", on_delete=models.CASCADE, related_name="+")
    departement = models.ForeignKey("territories.Departement", on_delete=models.CASCADE, related_name="+")
    epci = models.ForeignKey("territories.Epci", null=True, on_delete=models.SET_NULL, related_name="+")
    profession = models.CharField(max_length=30, choices=Profession.choices)
    weeks = models.IntegerField(default=0)  # professional-weeks served
    quantity = models.IntegerField(default=0)
    quota = models.IntegerField(default=0)  # sum of the weekly quotas
    quota_used_up = models.IntegerField(default=0)  # weeks with quantity >= quota

    class Meta:
        verbose_name = _("professionnel servi dans le mois")
        verbose_name_plural = _("professionnels servis par mois")
        constraints = [
            # A professional who moved within the month has one row per place (as in ServedWeek).
            models.UniqueConstraint(
                fields=["month", "professional", "product", "departement", "epci", "profession"],
                name="served_month_unique",
                nulls_distinct=False,
            )
        ]
        indexes = [
            models.Index(
                fields=["region", "month"],
                include=[
                    "departement",
                    "epci",
                    "profession",
                    "product",
                    "professional",
                    "weeks",
                    "quantity",
                    "quota",
                    "quota_used_up",
                ],
                name="served_month_region_idx",
            )
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} · {self.professional_id} · {self.product_id}"


class ProfessionalCensus(models.Model):
    """Professionals practising in a territory, and those referenced at a pharmacy (a snapshot)."""

    region = models.ForeignKey("territories.Region", on_delete=models.CASCADE, related_name="+")
    departement = models.ForeignKey("territories.Departement", on_delete=models.CASCADE, related_name="+")
    epci = models.ForeignKey("territories.Epci", null=True, on_delete=models.SET_NULL, related_name="+")
    profession = models.CharField(max_length=30, choices=Profession.choices)
    known = models.IntegerField(default=0)
    referenced = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("recensement des professionnels")
        verbose_name_plural = _("recensements des professionnels")
        constraints = [
            models.UniqueConstraint(
                fields=["departement", "epci", "profession"], name="census_unique", nulls_distinct=False
            )
        ]
        indexes = [models.Index(fields=["region"], name="census_region_idx")]

    def __str__(self):
        return f"{self.departement_id} · {self.epci_id} · {self.profession}"


class ExportKind(models.TextChoices):
    DISPENSATIONS = "dispensations", _("Délivrances par professionnel")


class ExportLog(models.Model):
    """Who exported personal data, when, for which region and period, and how many rows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("export"), max_length=30, choices=ExportKind.choices)
    region = models.ForeignKey("territories.Region", verbose_name=_("région"), on_delete=models.PROTECT)
    period_start = models.DateField(_("du"))
    period_end = models.DateField(_("au"))
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    # Set when the stream ends; stays empty if the download was interrupted.
    row_count = models.PositiveIntegerField(_("lignes"), null=True, blank=True)

    class Meta:
        verbose_name = _("export journalisé")
        verbose_name_plural = _("exports journalisés")
        ordering = ["-created_at", "-id"]
        permissions = [("export_dispensations", _("Peut exporter les délivrances par professionnel"))]
        constraints = [
            models.CheckConstraint(
                name="export_period_ordered", condition=Q(period_end__gte=models.F("period_start"))
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.kind} · {self.region_id} {self.period_start}–{self.period_end}"
