"""Settlement jobs from the browser (issue 20, point 5): start a monthly, year-end or fee-for-service
run for a period, and approve a run — each through a confirmation page that says what will happen.

Thin: the form checks the key with ``settlement_period_resolve``, the confirmation counts what the
run would cover with ``settlement_partials`` (read-only, the run's own aggregates) and the buttons
call ``settlement_run_compute`` / ``settlement_run_approve``. Every rule (scope of approval, second
person, staleness, periods) is the services'; these views only show their answers."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from config import display
from config.errors import Conflict

from .models import SettlementRun
from .selectors import settlement_regions_in_scope, settlement_run_stale_claims, settlement_runs_visible
from .services import (FEE_FOR_SERVICE_REGIONS, SAME_PERSON_MESSAGE, capitation_regions, settlement_partials,
                       settlement_period_resolve, settlement_run_approve, settlement_run_compute)

KIND_HELP = {"monthly": "定额包干月预结算：期间 YYYY-MM", "year_end": "定额包干年度决算：期间 YYYY",
             "fee_for_service": "按项目付费月结算：期间 YYYY-MM"}


def _kinds_of(admdvs: str) -> list[str]:
    kinds = ["monthly", "year_end"] if admdvs in capitation_regions() else []
    return kinds + (["fee_for_service"] if admdvs in FEE_FOR_SERVICE_REGIONS else [])


class RunComputeForm(forms.Form):
    """Region (those of the user's scope that have some settlement), kind and period."""

    admdvs = forms.ChoiceField(label="统筹区")
    kind = forms.ChoiceField(label="结算类型", choices=SettlementRun.Kind.choices,
                             help_text="；".join(KIND_HELP.values()))
    period = forms.CharField(label="期间", max_length=7, help_text="月结算填 2024-03，年度决算填 2024")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from policy.models import Region

        codes = [code for code in settlement_regions_in_scope(user=user) if _kinds_of(code)]
        names = dict(Region.objects.filter(admdvs__in=codes).values_list("admdvs", "name"))
        self.fields["admdvs"].choices = [(code, f"{names.get(code, code)}（{code}）") for code in codes]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.resolved = settlement_period_resolve(admdvs=data["admdvs"], kind=data["kind"],
                                                      period=data["period"].strip())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return data


def _what_will_be_computed(resolved) -> dict:
    """The providers the run would have lines for (the run's own read-only aggregates) and the run it
    would replace."""
    from providers.models import Provider

    partials = settlement_partials(admdvs=resolved.admdvs, kind=resolved.kind, period=resolved.period)
    rows = partials.get("fee_for_service") or partials.get("attribution", []) + partials.get("claims", [])
    provider_ids = sorted({row[0] for row in rows})
    providers = list(Provider.objects.filter(pk__in=provider_ids).order_by("fixmedins_code")
                     .values_list("fixmedins_code", "fixmedins_name"))
    existing = (SettlementRun.objects.select_related("computed_by")
                .filter(admdvs_id=resolved.admdvs, kind=resolved.kind, period=resolved.period).first())
    return {"providers": providers, "provider_count": len(providers), "existing": existing}


def run_compute_view(model_admin, request):
    if not model_admin.has_compute_permission(request):
        raise PermissionDenied
    form = RunComputeForm(request.POST or None, user=request.user)
    context = {**model_admin.admin_site.each_context(request), "title": "计算结算批次", "form": form,
               "opts": SettlementRun._meta}
    if request.method == "POST" and form.is_valid():
        resolved = form.resolved
        region = dict(form.fields["admdvs"].choices)[resolved.admdvs]
        plan = _what_will_be_computed(resolved)
        if plan["existing"] is not None and plan["existing"].is_approved:
            form.add_error(None, f"{plan['existing']} 已审核，不会重新计算。")
        elif request.POST.get("confirmed") == "yes":
            run = settlement_run_compute(admdvs=resolved.admdvs, kind=resolved.kind, period=resolved.period,
                                         by=request.user)
            messages.success(request, f"{run} 已计算：{display.count(run.lines.count())} 家机构，"
                                      "请由另一位审核人核对后审核。")
            return redirect("admin:budgets_settlementrun_change", run.pk)
        else:
            return TemplateResponse(request, "budgets/run_compute_confirm.html", {
                **context, "title": "确认计算结算批次", "resolved": resolved, "region": region,
                "kind_label": SettlementRun.Kind(resolved.kind).label, **plan})
    return TemplateResponse(request, "budgets/run_compute.html", context)


def run_approve_view(model_admin, request, pk: int):
    if not model_admin.has_approve_settlement_permission(request):
        raise PermissionDenied
    run = settlement_runs_visible(user=request.user).select_related("computed_by").filter(pk=pk).first()
    if run is None:
        raise Http404
    stale = settlement_run_stale_claims(run=run)
    own = run.computed_by_id is not None and run.computed_by_id == request.user.pk
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        try:
            settlement_run_approve(run=run, by=request.user)
            messages.success(request, f"{run} 已审核")
        except (Conflict, PermissionDenied) as exc:
            messages.error(request, f"{run}：{getattr(exc, 'message', None) or exc}")
        return redirect("admin:budgets_settlementrun_change", run.pk)
    return TemplateResponse(request, "budgets/run_approve_confirm.html", {
        **model_admin.admin_site.each_context(request), "title": f"确认审核 {run}", "run": run,
        "opts": SettlementRun._meta, "stale": stale, "own": own, "same_person_message": SAME_PERSON_MESSAGE,
        "totals": display.data_table(run.totals or {}), "lines": run.lines.count(),
        "recompute_url": reverse("admin:budgets_settlementrun_recompute", args=[run.pk])})


def run_recompute_view(model_admin, request, pk: int):
    """Recompute one draft (POST only; the button sits on the run's page and its approval page)."""
    run = settlement_runs_visible(user=request.user).filter(pk=pk).first()
    if run is None:
        raise Http404
    if request.method != "POST" or not model_admin.has_compute_permission(request):
        raise PermissionDenied
    try:
        run = settlement_run_compute(admdvs=run.admdvs_id, kind=run.kind, period=run.period, by=request.user)
        messages.success(request, f"{run} 已重新计算" if not run.is_approved else f"{run} 已审核，未重新计算")
    except ValidationError as exc:
        messages.error(request, f"{run}：{'；'.join(exc.messages)}")
    return redirect("admin:budgets_settlementrun_change", run.pk)


def run_job_urls(model_admin) -> list:
    from django.urls import path

    def wrap(view):
        return model_admin.admin_site.admin_view(lambda request, **kw: view(model_admin, request, **kw))

    return [
        path("compute/", wrap(run_compute_view), name="budgets_settlementrun_compute"),
        path("<int:pk>/approve/", wrap(run_approve_view), name="budgets_settlementrun_approve"),
        path("<int:pk>/recompute/", wrap(run_recompute_view), name="budgets_settlementrun_recompute"),
    ]

