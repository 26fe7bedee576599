"""Providers API v1: thin views (parse, check the district scope, call one service, render)."""
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from staff.scope import scope_for_user

from .serializers import ProviderInputSerializer, ProviderSerializer, ProviderUpdateSerializer
from .selectors import provider_list, providers_in_scope
from .services import provider_create, provider_update

OUT_OF_SCOPE = "该县区不在您的数据范围内"
LIST_FILTERS = [
    OpenApiParameter("admdvs", str, description="统筹区"),
    OpenApiParameter("district", str, description="县区"),
    OpenApiParameter("status", str, enum=["active", "suspended", "terminated"]),
    OpenApiParameter("kind", str),
    OpenApiParameter("fixmedins_name", str, description="名称前缀"),
    OpenApiParameter("parent_code", str, description="村卫生室的上级中心"),
]


def require_scope(user, *, admdvs: str, district: str) -> None:
    """Writes into a district outside the user's scope are refused (403), before any service runs."""
    if not scope_for_user(user).covers(admdvs=admdvs, district=district):
        raise PermissionDenied(OUT_OF_SCOPE)


class ProviderListCreateView(GenericAPIView):
    serializer_class = ProviderSerializer

    def get_queryset(self):
        params = self.request.query_params
        queryset = provider_list(admdvs=params.get("admdvs"), district=params.get("district"),
                                 status=params.get("status"), kind=params.get("kind"),
                                 name_prefix=params.get("fixmedins_name"), parent_code=params.get("parent_code"))
        return providers_in_scope(queryset, scope=scope_for_user(self.request.user))

    @extend_schema(parameters=LIST_FILTERS, responses=ProviderSerializer(many=True), summary="定点机构列表")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ProviderSerializer(page, many=True).data)

    @extend_schema(request=ProviderInputSerializer, responses={201: ProviderSerializer}, summary="新增定点机构")
    def post(self, request):
        serializer = ProviderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        require_scope(request.user, admdvs=data["admdvs"], district=data["district"])
        provider = provider_create(**data, by=request.user)
        return Response(ProviderSerializer(provider).data, status=status.HTTP_201_CREATED)


class ProviderDetailView(GenericAPIView):
    serializer_class = ProviderSerializer
    lookup_field = "fixmedins_code"

    def get_object(self):
        queryset = providers_in_scope(provider_list(), scope=scope_for_user(self.request.user))
        provider = queryset.filter(fixmedins_code=self.kwargs["fixmedins_code"]).first()
        if provider is None:
            raise Http404
        return provider

    @extend_schema(responses=ProviderSerializer, summary="查看定点机构")
    def get(self, request, fixmedins_code: str):
        return Response(ProviderSerializer(self.get_object()).data)

    @extend_schema(request=ProviderUpdateSerializer, responses=ProviderSerializer, summary="修改定点机构")
    def patch(self, request, fixmedins_code: str):
        provider = self.get_object()
        serializer = ProviderUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if provider.out_of_area:
            # visible to the staff whose members use it, but changed only by city-wide staff
            require_scope(request.user, admdvs=provider.admdvs_id, district=provider.district_id)
        if "district" in data:
            require_scope(request.user, admdvs=provider.admdvs_id, district=data["district"])
        provider = provider_update(provider=provider, data=data, by=request.user)
        return Response(ProviderSerializer(provider).data)
