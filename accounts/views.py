"""Thin API views: resolve the member within the user's district scope, call a selector or service."""
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import account_entries, account_for_member
from accounts.serializers import AccountSerializer, EntrySerializer, RelativeInSerializer, RelativeOutSerializer
from accounts.services import relative_bind
from members.models import Member
from members.selectors import certno_normalise
from staff.scope import certno_for, scope_for_user


def scoped_member(request, admdvs: str, certno: str) -> Member:
    member = Member.objects.filter(admdvs_id=admdvs, certno=certno_normalise(certno)).first()
    if member is None or not scope_for_user(request.user).covers(admdvs=member.admdvs_id, district=member.district_id):
        raise Http404("参保人不存在 (no such member in your scope)")
    return member


class MemberAccountView(APIView):
    """GET /api/v1/members/{admdvs}/{certno}/account/ — balance and entries."""

    @extend_schema(responses=AccountSerializer)
    def get(self, request, admdvs: str, certno: str):
        member = scoped_member(request, admdvs, certno)
        account = account_for_member(member_id=member.pk)
        context = {"request": request}
        if account is None:
            raise Http404("该参保人没有个人账户 (the member has no personal account)")
        return Response({
            "admdvs": member.admdvs_id, "certno": certno_for(request.user, member.certno), "status": account.status,
            "closed_on": account.closed_on, "balance": f"{account.balance:.2f}",
            "entries": EntrySerializer(account_entries(account=account), many=True, context=context).data,
        })


class MemberRelativesView(APIView):
    """GET lists, POST binds a relative (family mutual aid 家庭共济)."""

    serializer_class = RelativeOutSerializer

    @extend_schema(responses=RelativeOutSerializer(many=True))
    def get(self, request, admdvs: str, certno: str):
        member = scoped_member(request, admdvs, certno)
        return Response(RelativeOutSerializer(member.bound_relatives.order_by("id"), many=True,
                                              context={"request": request}).data)

    @extend_schema(request=RelativeInSerializer, responses={201: RelativeOutSerializer})
    def post(self, request, admdvs: str, certno: str):
        member = scoped_member(request, admdvs, certno)
        data = RelativeInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        binding = relative_bind(holder=member, relative_certno=data.validated_data["certno"],
                                relation=data.validated_data["relation"],
                                consented_on=data.validated_data["consented_on"], by=request.user)
        return Response(RelativeOutSerializer(binding, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)
