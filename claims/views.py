"""Claims REST API (CONTRACT.md "Claims"): thin views over claims.services / claims.selectors."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.rest import BoundedJSONParser, OrjsonRenderer

from . import selectors, services
from .models import Claim
from .requests import claim_request_parse
from .serializers import (AccumulatorsSerializer, ClaimDetailSerializer, ClaimRequestSerializer, ClaimSerializer,
                          claim_data)


# The API's JSON parser (numbers as Decimal, nesting and size bounded), under this module's old name.
DecimalJSONParser = BoundedJSONParser


def _date_param(request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: ["日期格式应为 YYYY-MM-DD"]}) from None


class ClaimListCreateView(GenericAPIView):
    """GET: scoped settlements (filters: admdvs, district, certno, fixmedins_code, status, benefit,
    visit_from, visit_to). POST: adjudicate and settle one visit (201; 200 for an idempotent replay)."""

    parser_classes = [DecimalJSONParser]
    # DRF's renderers (JSON, the browsable API), the JSON one written by orjson (config/rest.py)
    renderer_classes = [OrjsonRenderer, BrowsableAPIRenderer]
    serializer_class = ClaimSerializer
    queryset = Claim.objects.none()

    @extend_schema(operation_id="claims_list", parameters=[OpenApiParameter(n, str) for n in (
        "admdvs", "district", "certno", "fixmedins_code", "status", "benefit", "visit_from", "visit_to")])
    def get(self, request):
        params = request.query_params
        queryset = selectors.claim_list(
            user=request.user, admdvs=params.get("admdvs"), district=params.get("district"),
            certno=params.get("certno"), fixmedins_code=params.get("fixmedins_code"), status=params.get("status"),
            benefit=params.get("benefit"), visit_from=_date_param(request, "visit_from"),
            visit_to=_date_param(request, "visit_to")).select_related("charged_provider")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ClaimSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(operation_id="claims_settle", request=ClaimRequestSerializer,
                   responses={201: ClaimSerializer, 200: ClaimSerializer})
    def post(self, request):
        claim_request = claim_request_parse(request.data)
        claim, created = services.claim_settle(request=claim_request, by=request.user)
        if not created:
            claim = selectors.claim_get(setl_id=claim.setl_id, user=request.user)
        return Response(claim_data(claim, request=request),
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ClaimDetailView(APIView):
    serializer_class = ClaimDetailSerializer

    def get(self, request, setl_id: str):
        claim = selectors.claim_get(setl_id=setl_id, user=request.user)
        return Response(ClaimDetailSerializer(claim, context={"request": request}).data)


class ClaimReverseView(APIView):
    """Reverse a settlement: 201 with the new (negated) settlement; 409 if already reversed."""

    serializer_class = ClaimSerializer

    def post(self, request, setl_id: str):
        reversal = services.claim_reverse(setl_id=setl_id, by=request.user)
        return Response(claim_data(reversal, request=request), status=status.HTTP_201_CREATED)


class MemberAccumulatorsView(APIView):
    """GET /members/{admdvs}/{certno}/accumulators/?year=YYYY — year-to-date figures."""

    serializer_class = AccumulatorsSerializer

    @extend_schema(parameters=[OpenApiParameter("year", int)])
    def get(self, request, admdvs: str, certno: str):
        raw_year = request.query_params.get("year") or str(date.today().year)
        if not raw_year.isdigit() or not 1900 < int(raw_year) < 2200:
            raise ValidationError({"year": ["年度应为四位数字 YYYY"]})
        member = selectors.member_visible(admdvs=admdvs, certno=certno, user=request.user)
        figures = selectors.accumulators_for(member=member, year=int(raw_year))
        return Response(AccumulatorsSerializer(figures).data)
