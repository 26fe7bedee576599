"""REST API v1: ``POST /api/v1/simulations/`` starts a run, ``GET /api/v1/simulations/{id}/`` answers
its status, progress and results as JSON (for the agency's analysts). Thin: parse, one service, answer."""
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import simulation_run_json, simulation_runs_visible
from .services import simulation_run_submit


class DraftSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=60, required=False)
    values = serializers.DictField(required=False, default=dict,
                                   help_text="edits over a copy of the parameter set in force in the year")


class SimulationRequestSerializer(serializers.Serializer):
    admdvs = serializers.CharField(max_length=6)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    scenarios = DraftSerializer(many=True)


class SimulationListView(APIView):
    @extend_schema(request=SimulationRequestSerializer, responses={201: dict})
    def post(self, request):
        body = SimulationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        run = simulation_run_submit(admdvs=data["admdvs"], year=data["year"],
                                    drafts=[dict(d) for d in data["scenarios"]], by=request.user)
        run.refresh_from_db()
        return Response(simulation_run_json(run=run), status=status.HTTP_201_CREATED)


class SimulationDetailView(APIView):
    @extend_schema(responses=dict)
    def get(self, request, pk):
        run = simulation_runs_visible(user=request.user).filter(pk=pk).first()
        if run is None:
            raise Http404
        return Response(simulation_run_json(run=run))
