"""Assessment results 考核结果 and deductions 考核扣款/违规扣款 (RULES.md "Assessment and deductions").

Staff enter them per provider and year; a second staff member approves them (the one who entered
cannot). Every state change is one service call in one transaction and writes an audit event
(``staff.audit.audit_record``). Once approved nothing in them changes: a correction is a new
deduction (or, for an assessment, staff ask for the approved one to be handled outside the system).
A failed approved assessment flags the provider for the renewal of its agreement (Heyuan 第十四条):
``providers_flagged_for_renewal``.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from config.errors import Conflict
from policy.rules.money import to_fen
from staff.audit import audit_record, snapshot

from .models import Assessment, Deduction

APPROVE_PERMISSION = "budgets.approve_assessment"


def _decimal(value, *, field: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [f"{field} 必须是数字"]}) from None


def _year(year) -> int:
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValidationError({"year": ["年度必须是 2000–2100 的整数"]})
    return year


def _document(document_no: str) -> str:
    document_no = (document_no or "").strip()
    if not document_no:
        raise ValidationError({"document_no": ["请填写文件编号"]})
    return document_no


def assessment_enter(*, provider, year: int, score, passed: bool, document_no: str, by) -> Assessment:
    """Record (or, while it is unapproved, replace) a provider's assessment result for a year."""
    score = _decimal(score, field="score")
    if not Decimal(0) <= score <= Decimal(100):
        raise ValidationError({"score": ["考核得分必须在 0–100 之间"]})
    fields = {"score": score, "passed": bool(passed), "document_no": _document(document_no)}
    with transaction.atomic():
        found = Assessment.objects.select_for_update().filter(provider=provider, year=_year(year)).first()
        if found is not None and found.is_approved:
            raise Conflict(f"{provider.fixmedins_code} {year} 年度考核结果已审核，不能修改", code="assessment_approved")
        before = snapshot(found) if found is not None else None
        if found is None:
            found = Assessment.objects.create(provider=provider, year=year, entered_by=by, **fields)
        else:
            for name, value in fields.items():
                setattr(found, name, value)
            found.entered_by = by
            found.save()
        audit_record(action="create" if before is None else "update", model_label="budgets.Assessment",
                     object_id=found.pk, before=before, after=snapshot(found), user=by)
    return found


def deduction_enter(*, provider, year: int, kind: str, amount, reason: str, document_no: str, by) -> Deduction:
    """Record a deduction (a draft until another staff member approves it)."""
    if kind not in Deduction.Kind.values:
        raise ValidationError({"kind": ["扣款类型必须是 assessment（考核扣款）或 violation（违规扣款）"]})
    amount = _decimal(amount, field="amount")
    if amount <= 0 or to_fen(amount) != amount:
        raise ValidationError({"amount": ["扣款金额必须大于 0，且最多两位小数"]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请填写扣款原因"]})
    with transaction.atomic():
        deduction = Deduction.objects.create(provider=provider, year=_year(year), kind=kind, amount=amount,
                                             reason=reason, document_no=_document(document_no), entered_by=by)
        audit_record(action="create", model_label="budgets.Deduction", object_id=deduction.pk, before=None,
                     after=snapshot(deduction), user=by)
    return deduction


def _approve(model, pk: int, by, label: str):
    if by is None or not by.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied("需要考核/扣款审核权限 (approve_assessment)")
    with transaction.atomic():
        item = model.objects.select_for_update().get(pk=pk)
        if item.is_approved:
            return item
        if item.entered_by_id == by.pk:
            raise PermissionDenied("录入人不能审核自己录入的考核结果或扣款，须由另一人审核")
        before = snapshot(item)
        item.status, item.approved_by, item.approved_at = model.Status.APPROVED, by, timezone.now()
        item.save(update_fields=["status", "approved_by", "approved_at"])
        audit_record(action="approve", model_label=label, object_id=item.pk, before=before, after=snapshot(item),
                     user=by)
    return item


def assessment_approve(*, assessment: Assessment, by) -> Assessment:
    return _approve(Assessment, assessment.pk, by, "budgets.Assessment")


def deduction_approve(*, deduction: Deduction, by) -> Deduction:
    """From its approval the deduction is taken off the provider's next run of any kind."""
    return _approve(Deduction, deduction.pk, by, "budgets.Deduction")


def providers_flagged_for_renewal(*, providers: QuerySet | None = None) -> QuerySet[Assessment]:
    """Approved failed assessments (Heyuan 第十四条: the agreement's renewal depends on the assessment),
    newest year first; ``providers`` narrows them (e.g. to a user's scope)."""
    rows = Assessment.objects.filter(status=Assessment.Status.APPROVED, passed=False).select_related("provider")
    if providers is not None:
        rows = rows.filter(provider__in=providers)
    return rows.order_by("-year", "provider__fixmedins_code")
