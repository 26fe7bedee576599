"""Per-request audit context: who is acting (for the change trail) and who viewed personal data.

Changes: every change made while serving a request is attributed to its user and channel
(api/admin/web). The user is resolved lazily, when a change is recorded, so an API call
authenticated by a DRF token (inside the view, after this middleware) is attributed too.

Views (个人信息保护法 access log): after a successful response, a view of personal data — a member's
list or change page, a member's API answer, a claim, an account, an export — is written to
``AccessLog`` whoever made it; for the auditor role (审计员) every page and API answer is logged.
"""
from __future__ import annotations

import re

from .audit import access_log, acting_as
from .scope import mask_certno

CERTNO_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")

# url_name -> (action, what). Views not listed here are logged only for auditors.
PERSONAL_DATA_VIEWS = {
    "members_member_changelist": ("list", "members.Member"),
    "members_member_change": ("view", "members.Member"),
    "members_member_history": ("view", "members.Member"),
    "members_signup_changelist": ("list", "members.SignUp"),
    "members_signup_change": ("view", "members.SignUp"),
    "members_memberchange_changelist": ("list", "members.MemberChange"),
    "members_memberchange_change": ("view", "members.MemberChange"),
    "claims_claim_changelist": ("list", "claims.Claim"),
    "claims_claim_change": ("view", "claims.Claim"),
    "claims_accumulator_changelist": ("list", "claims.Accumulator"),
    "accounts_account_changelist": ("list", "accounts.Account"),
    "accounts_account_change": ("view", "accounts.Account"),
    "imports_importjob_preview": ("view", "imports.ImportJob"),
    "imports_importjob_errors": ("export", "imports.ImportJob"),
    "member-list": ("list", "members.Member"),
    "member-detail": ("view", "members.Member"),
    "member-accumulators": ("view", "claims.Accumulator"),
    "member-account": ("view", "accounts.Account"),
    "member-relatives": ("view", "accounts.Relative"),
    "signup-list": ("list", "members.SignUp"),
    "claim-list": ("list", "claims.Claim"),
    "claim-detail": ("view", "claims.Claim"),
}
SKIPPED_PREFIXES = ("/static/", "/media/", "/admin/jsi18n/", "/i18n/", "/favicon")


class AuditActorMiddleware:
    """Attribute changes to the request's user; log views of personal data (all views for auditors)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        channel = "api" if path.startswith("/api/") else "admin" if path.startswith("/admin/") else "web"
        with acting_as(lambda: getattr(request, "user", None), channel):
            response = self.get_response(request)
        try:
            _log_access(request, response)
        except Exception:  # pragma: no cover - logging must never break the answer
            import logging

            logging.getLogger(__name__).exception("access log failed for %s", path)
        return response


def is_auditor(user) -> bool:
    from .roles import AUDITOR

    cached = getattr(user, "_is_auditor", None)
    if cached is None:
        cached = user.groups.filter(name=AUDITOR).exists()
        user._is_auditor = cached
    return cached


def _log_access(request, response) -> None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or response.status_code >= 300:
        return
    if request.path.startswith(SKIPPED_PREFIXES) or getattr(request, "access_logged", False):
        return
    match = getattr(request, "resolver_match", None)
    url_name = match.url_name if match is not None else None
    kwargs = match.kwargs if match is not None else {}
    action, what = PERSONAL_DATA_VIEWS.get(url_name, (None, None))
    if request.method == "POST" and request.path.startswith("/admin/") and request.POST.get("action") == "export_csv":
        action, what = "export", url_name or request.path
    elif request.method not in ("GET", "HEAD") and action is not None:
        return  # a write: the change trail has it
    if action is None:
        if not is_auditor(user):
            return
        action, what = "view", url_name or request.path
    if "object_id" in kwargs:
        ids = [kwargs["object_id"]]
    elif "certno" in kwargs:
        ids = _member_ids(kwargs.get("admdvs"), kwargs["certno"])
    elif "setl_id" in kwargs:
        ids = [kwargs["setl_id"]]
    elif "job_id" in kwargs or "pk" in kwargs:
        ids = [kwargs.get("job_id") or kwargs.get("pk")]
    else:
        ids = request.POST.getlist("_selected_action") if action == "export" else []
    access_log(user=user, action=action, what=str(what)[:60], object_ids=ids, count=len(ids) or 0,
               path=mask_certnos(request.get_full_path())[:300])


def mask_certnos(text: str) -> str:
    """The log keeps which member (by id), never a full certno (an API path carries one)."""
    return CERTNO_IN_TEXT.sub(lambda m: mask_certno(m.group(0)), text)


def _member_ids(admdvs, certno: str) -> list:
    from members.models import Member

    found = list(Member.objects.filter(admdvs_id=admdvs, certno=certno.upper()).values_list("pk", flat=True)[:1])
    return found or [mask_certno(certno)]
