"""The member's one page 参保人概览 (/admin/members/member/<id>/overview/): a thin view over
``members.overview``. The member comes through the member admin's scoped queryset (a member outside
the user's districts is a 404), and every certno on the page goes through ``certno_for``."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path

from staff.audit import access_log
from staff.scope import certno_for

from .overview import member_overview


def member_overview_view(model_admin, request, object_id: str):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    member = model_admin.get_queryset(request).select_related("admdvs", "district").filter(pk=object_id).first()
    if member is None:
        raise Http404
    overview = member_overview(member=member)
    # Personal data, logged for everybody like the member's own page (staff.middleware lists admin
    # views by name; this one logs itself).
    access_log(user=request.user, action="view", what="members.Member", object_ids=[member.pk], count=1,
               request=request)
    request.access_logged = True
    relatives = [(r, certno_for(request.user, r.relative_certno)) for r in overview["relatives"]]
    bound_by = [(r, certno_for(request.user, r.holder.certno)) for r in overview["bound_by"]]
    return TemplateResponse(request, "admin/members/member/overview.html", {
        **model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
        "title": f"{member.psn_name} 参保人概览", "member": member, "o": overview,
        "certno": certno_for(request.user, member.certno), "relatives": relatives, "bound_by": bound_by,
        "entries": [(e, certno_for(request.user, e.beneficiary_certno) if e.beneficiary_certno else "")
                    for e in overview["entries"]],
    })


def member_overview_urls(model_admin) -> list:
    view = model_admin.admin_site.admin_view(
        lambda request, object_id: member_overview_view(model_admin, request, object_id))
    return [path("<path:object_id>/overview/", view, name="members_member_overview")]
