"""Members and sign-ups API v1: thin views (parse, check the district scope, call one service, render).

Scope: lists and details only show members of the user's districts (another district's member is a
404, as if unknown); writes into a district outside the scope are a 403.
"""
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from config.fields import CertnoInputField, CodeField
from providers.views import require_scope
from staff.scope import scope_for_user

from .models import Member
from .selectors import member_get, member_list, member_signup_history
from .serializers import (MemberInputSerializer, MemberSerializer, MemberUpdateSerializer, SignUpInputSerializer,
                          SignUpSerializer)
from .services import member_create, member_update, signup_request

MEMBER_SCOPE = {"region_field": "admdvs_id", "district_field": "district_id"}


def visible_member(user, *, admdvs: str, certno: str) -> Member:
    member = member_get(admdvs=admdvs, certno=certno)
    if member is None or not scope_for_user(user).covers(admdvs=member.admdvs_id, district=member.district_id):
        raise Http404
    return member


class MemberListCreateView(GenericAPIView):
    serializer_class = MemberSerializer

    def get_queryset(self):
        params = self.request.query_params
        queryset = member_list(admdvs=params.get("admdvs"), district=params.get("district"),
                               name_prefix=params.get("psn_name"), certno=params.get("certno"),
                               status=params.get("status"))
        return scope_for_user(self.request.user).filter(queryset, **MEMBER_SCOPE)

    @extend_schema(
        summary="参保人列表",
        parameters=[OpenApiParameter("admdvs", str), OpenApiParameter("district", str),
                    OpenApiParameter("psn_name", str, description="姓名前缀"),
                    OpenApiParameter("certno", str, description="完整身份证号"), OpenApiParameter("status", str)],
        responses=MemberSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MemberSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=MemberInputSerializer, responses={201: MemberSerializer}, summary="参保登记")
    def post(self, request):
        serializer = MemberInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        require_scope(request.user, admdvs=data["admdvs"], district=data["district"])
        member = member_create(**data, by=request.user)
        return Response(MemberSerializer(member, context={"request": request}).data, status=status.HTTP_201_CREATED)


class MemberDetailView(GenericAPIView):
    serializer_class = MemberSerializer

    @extend_schema(responses=MemberSerializer, summary="查看参保人")
    def get(self, request, admdvs: str, certno: str):
        member = visible_member(request.user, admdvs=admdvs, certno=certno)
        return Response(MemberSerializer(member, context={"request": request}).data)

    @extend_schema(request=MemberUpdateSerializer, responses=MemberSerializer, summary="修改参保人信息")
    def patch(self, request, admdvs: str, certno: str):
        member = visible_member(request.user, admdvs=admdvs, certno=certno)
        serializer = MemberUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "district" in data:
            require_scope(request.user, admdvs=member.admdvs_id, district=data["district"])
        member = member_update(member=member, data=data, by=request.user)
        return Response(MemberSerializer(member, context={"request": request}).data)


class SignUpHistoryQuerySerializer(serializers.Serializer):
    admdvs = CodeField(min_length=6, max_length=6, digits_only=True)
    certno = CertnoInputField(max_length=18)


class SignUpListCreateView(GenericAPIView):
    serializer_class = SignUpSerializer

    @extend_schema(summary="参保人签约/选点历史", responses=SignUpSerializer(many=True),
                   parameters=[OpenApiParameter("admdvs", str, required=True),
                               OpenApiParameter("certno", str, required=True)])
    def get(self, request):
        query = SignUpHistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        member = visible_member(request.user, **query.validated_data)
        page = self.paginate_queryset(member_signup_history(member=member))
        return self.get_paginated_response(SignUpSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=SignUpInputSerializer, responses={201: SignUpSerializer}, summary="签约/选点申请")
    def post(self, request):
        serializer = SignUpInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        member = member_get(admdvs=data["admdvs"], certno=data["certno"])
        if member is not None:
            require_scope(request.user, admdvs=member.admdvs_id, district=member.district_id)
        signup = signup_request(**data, by=request.user)
        return Response(SignUpSerializer(signup, context={"request": request}).data, status=status.HTTP_201_CREATED)
