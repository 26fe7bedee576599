"""Out-of-area registrations 异地就医备案 API v1 (CONTRACT.md "Out-of-area registrations"): thin views.

  POST /api/v1/out-of-area-registrations/                    registers (201)
  GET  /api/v1/out-of-area-registrations/?admdvs=&certno=    a member's registrations, oldest first
  GET  /api/v1/out-of-area-registrations/{id}/               one
  POST /api/v1/out-of-area-registrations/{id}/cancel/        {"cancelled_on": "YYYY-MM-DD"} (200; 409)

Scope: a member outside the caller's districts is answered as unknown (404 on reads; on a write the
same 403 as the other member writes). The rules and refusals live in members/registrations.py.
"""
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from config.fields import CertnoInputField, CodeField, SaneDateField
from providers.views import require_scope
from staff.scope import scope_for_user

from .models import OutOfAreaRegistration
from .registrations import registration_cancel, registration_create
from .selectors import member_get, member_registration_history
from .serializers import MaskedCertnoField, RefuseDerivedFieldsMixin


class RegistrationInputSerializer(RefuseDerivedFieldsMixin, serializers.Serializer):
    derived_fields = {"cancelled_on": _("取消日期只能通过取消备案（/cancel/）办理"),
                      "id": _("编号由系统生成，不可指定")}

    # The certno and codes through the one normalisation, dates bounded, as every other input.
    certno = CertnoInputField(max_length=18)
    admdvs = CodeField(min_length=6, max_length=6, digits_only=True)
    kind = serializers.ChoiceField(choices=OutOfAreaRegistration.Kind.choices)
    dest_admdvs = CodeField(min_length=6, max_length=6, digits_only=True)
    start_on = SaneDateField()
    end_on = SaneDateField(allow_null=True, required=False, default=None)


class RegistrationCancelSerializer(serializers.Serializer):
    cancelled_on = SaneDateField()


class RegistrationSerializer(serializers.ModelSerializer):
    certno = MaskedCertnoField(source="member.certno", read_only=True)
    admdvs = serializers.CharField(source="member.admdvs_id", read_only=True)

    class Meta:
        model = OutOfAreaRegistration
        fields = ["id", "certno", "admdvs", "kind", "dest_admdvs", "start_on", "end_on", "cancelled_on", "created_at"]
        read_only_fields = fields


class RegistrationQuerySerializer(serializers.Serializer):
    admdvs = CodeField(min_length=6, max_length=6, digits_only=True)
    certno = CertnoInputField(max_length=18)


def _visible_registration(user, registration_id: int) -> OutOfAreaRegistration:
    registration = OutOfAreaRegistration.objects.select_related("member").filter(pk=registration_id).first()
    if registration is None or not scope_for_user(user).covers(admdvs=registration.member.admdvs_id,
                                                                district=registration.member.district_id):
        raise Http404
    return registration


class RegistrationListCreateView(GenericAPIView):
    serializer_class = RegistrationSerializer

    @extend_schema(summary="参保人异地就医备案", responses=RegistrationSerializer(many=True),
                   parameters=[OpenApiParameter("admdvs", str, required=True),
                               OpenApiParameter("certno", str, required=True)])
    def get(self, request):
        query = RegistrationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        member = member_get(**query.validated_data)
        if member is None or not scope_for_user(request.user).covers(admdvs=member.admdvs_id,
                                                                      district=member.district_id):
            raise Http404
        page = self.paginate_queryset(member_registration_history(member=member).select_related("member"))
        return self.get_paginated_response(RegistrationSerializer(page, many=True,
                                                                  context={"request": request}).data)

    @extend_schema(request=RegistrationInputSerializer, responses={201: RegistrationSerializer},
                   summary="异地就医备案")
    def post(self, request):
        serializer = RegistrationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        member = member_get(admdvs=data["admdvs"], certno=data["certno"])
        if member is not None:
            require_scope(request.user, admdvs=member.admdvs_id, district=member.district_id)
        registration = registration_create(**data, by=request.user)
        return Response(RegistrationSerializer(registration, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class RegistrationDetailView(GenericAPIView):
    serializer_class = RegistrationSerializer

    @extend_schema(responses=RegistrationSerializer, summary="查看异地就医备案")
    def get(self, request, pk: int):
        registration = _visible_registration(request.user, pk)
        return Response(RegistrationSerializer(registration, context={"request": request}).data)


class RegistrationCancelView(GenericAPIView):
    serializer_class = RegistrationCancelSerializer

    @extend_schema(request=RegistrationCancelSerializer, responses=RegistrationSerializer, summary="取消异地就医备案")
    def post(self, request, pk: int):
        registration = _visible_registration(request.user, pk)
        serializer = RegistrationCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        registration = registration_cancel(registration_id=registration.pk, by=request.user,
                                           cancelled_on=serializer.validated_data["cancelled_on"])
        return Response(RegistrationSerializer(registration, context={"request": request}).data)
