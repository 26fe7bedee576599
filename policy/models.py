from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .rules import REGIONS
from .rules.params import validate_values


class Region(models.Model):
    """A pooling area 统筹区, identified by its national code ``admdvs``."""

    admdvs = models.CharField(_("统筹区编码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=50)
    insutype = models.CharField(_("险种"), max_length=3, choices=[("310", "职工医保"), ("390", "城乡居民医保")])
    has_signup = models.BooleanField(_("实行签约/选点"), default=False)

    class Meta:
        verbose_name = _("统筹区")
        verbose_name_plural = _("统筹区")
        ordering = ["admdvs"]

    def __str__(self) -> str:
        return f"{self.name} ({self.admdvs})"

    @property
    def rules(self):
        return REGIONS[self.admdvs]


class District(models.Model):
    """A county-level district 县区 (GB/T 2260), from shared/policy/districts.csv."""

    code = models.CharField(_("县区编码"), max_length=6, primary_key=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="districts", verbose_name=_("统筹区"))
    name = models.CharField(_("名称"), max_length=50)

    class Meta:
        verbose_name = _("县区")
        verbose_name_plural = _("县区")
        ordering = ["code"]
        # Trivially unique (code alone is the key), but PostgreSQL only lets a foreign key reference
        # columns with a unique constraint on exactly them: members' composite key (admdvs, district) →
        # (region, code) checks in one probe that the district exists and lies in the member's region
        # (members/migrations/0005).
        constraints = [models.UniqueConstraint(fields=["region", "code"], name="district_region_code_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ParameterSet(models.Model):
    """One region's policy parameters for an effective period (both ends inclusive).

    A whole set per period keeps "the version a decision used" a single id. Staff add next year's
    figures as a new set; a set that decisions already used is not edited (end-date it and add one).
    """

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="parameter_sets",
                               verbose_name=_("统筹区"))
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True, help_text=_("含当日；空表示长期有效"))
    values = models.JSONField(_("参数"))
    note = models.CharField(_("依据/说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("录入人"))

    class Meta:
        verbose_name = _("政策参数版本")
        verbose_name_plural = _("政策参数版本")
        ordering = ["region", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["region", "effective_from"], name="parameterset_region_from_unique"),
            models.CheckConstraint(condition=models.Q(effective_to__isnull=True)
                                   | models.Q(effective_to__gte=models.F("effective_from")),
                                   name="parameterset_period_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.version}"

    @property
    def version(self) -> str:
        end = self.effective_to.isoformat() if self.effective_to else "…"
        return f"v{self.pk}:{self.effective_from.isoformat()}~{end}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.region_id:
            spec = REGIONS[self.region_id].PARAMETERS
            problems = validate_values(spec, self.values)
            if problems:
                errors["values"] = [f"{name}: {message}" for name, message in problems]
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            errors.setdefault("effective_to", []).append(_("失效日期不能早于生效日期"))
        if self.region_id and self.effective_from and "effective_to" not in errors:
            overlapping = ParameterSet.objects.filter(region_id=self.region_id).exclude(pk=self.pk)
            if self.effective_to:
                overlapping = overlapping.filter(effective_from__lte=self.effective_to)
            overlapping = overlapping.filter(models.Q(effective_to__isnull=True)
                                             | models.Q(effective_to__gte=self.effective_from))
            clash = overlapping.first()
            if clash:
                errors.setdefault("effective_from", []).append(
                    _("与已有版本 %(v)s 的有效期重叠") % {"v": clash.version})
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # Validated on every save, whoever saves: admin, import, shell or migration.
        self.full_clean()
        super().save(*args, **kwargs)
