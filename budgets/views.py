"""Settlement runs API (CONTRACT.md "Settlement runs"): thin views over the services."""
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from staff.scope import scope_for_user

from .selectors import settlement_lines_visible, settlement_runs_visible
from .serializers import SettlementLineSerializer, SettlementRunRequestSerializer, SettlementRunSerializer
from .services import settlement_run_approve, settlement_run_compute


def _touches_region(user, admdvs: str) -> bool:
    scope = scope_for_user(user)
    if scope.everything or admdvs in scope.regions:
        return True
    from policy.models import District

    return District.objects.filter(region_id=admdvs, code__in=scope.districts).exists()


class SettlementRunListView(APIView):
    @extend_schema(responses=SettlementRunSerializer(many=True))
    def get(self, request):
        runs = settlement_runs_visible(user=request.user).order_by("-period_start", "admdvs", "kind")
        for name in ("admdvs", "kind", "period", "status"):
            if request.query_params.get(name):
                runs = runs.filter(**{name: request.query_params[name]})
        return Response(SettlementRunSerializer(runs[:200], many=True).data)

    @extend_schema(request=SettlementRunRequestSerializer, responses={201: SettlementRunSerializer})
    def post(self, request):
        body = SettlementRunRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not _touches_region(request.user, body.validated_data["admdvs"]):
            raise PermissionDenied("该统筹区不在您的数据范围内")
        run = settlement_run_compute(**body.validated_data, by=request.user)
        return Response(SettlementRunSerializer(run).data, status=status.HTTP_201_CREATED)


def _run(request, pk):
    run = settlement_runs_visible(user=request.user).filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


class SettlementRunDetailView(APIView):
    @extend_schema(responses=SettlementRunSerializer)
    def get(self, request, pk):
        return Response(SettlementRunSerializer(_run(request, pk)).data)


class SettlementRunApproveView(APIView):
    @extend_schema(request=None, responses=SettlementRunSerializer)
    def post(self, request, pk):
        run = settlement_run_approve(run=_run(request, pk), by=request.user)
        return Response(SettlementRunSerializer(run).data)


class SettlementRunLinesView(APIView):
    @extend_schema(responses=SettlementLineSerializer(many=True))
    def get(self, request, pk):
        lines = settlement_lines_visible(run=_run(request, pk), user=request.user)
        return Response(SettlementLineSerializer(lines, many=True).data)
