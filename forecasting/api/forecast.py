"""Forecast API: totals by horizon and scope, one company's forecast series, forecast runs.

    GET  /api/v1/forecast/?horizon=quarter|12m|36m&scope=total|team|rep[&id=N]
    GET  /api/v1/forecast/accounts/?horizon=…           top accounts (hierarchies rolled up)
    GET  /api/v1/forecast/companies/<id>/               the latest consumption forecast of one company
    GET  /api/v1/forecast/runs/   POST (admins) starts a run     GET /api/v1/forecast/runs/<id>/
"""
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Company
from forecasting.models import ConsumptionForecast, ForecastRun, ForecastSnapshot
from forecasting.selectors.forecast import forecast_runs, latest_forecast_run
from forecasting.services.consumption import NO_HISTORY, NOTES
from forecasting.services.forecast_runs import forecast_run_create
from forecasting.services.recognition import add_months
from forecasting.services.rollup import Figures, Line, forecast_rollup_cached

MONEY = {"max_digits": 18, "decimal_places": 2, "coerce_to_string": True}


class FiguresSerializer(serializers.Serializer):
    committed = serializers.DecimalField(**MONEY)
    consumption = serializers.DecimalField(**MONEY)
    consumption_low = serializers.DecimalField(**MONEY)
    consumption_high = serializers.DecimalField(**MONEY)
    pipeline_weighted = serializers.DecimalField(**MONEY)
    category_commit = serializers.DecimalField(**MONEY)
    category_best_case = serializers.DecimalField(**MONEY)
    category_pipeline = serializers.DecimalField(**MONEY)
    forecast = serializers.DecimalField(**MONEY)
    call_commit = serializers.DecimalField(**MONEY)
    call_best_case = serializers.DecimalField(**MONEY)
    call_pipeline = serializers.DecimalField(**MONEY)


class ForecastRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = ForecastRun
        fields = ["id", "status", "as_of", "horizon_months", "companies", "seconds", "message", "created_at",
                  "finished_at"]
        read_only_fields = fields


class _OutSerializer(serializers.Serializer):
    """Response body only (documents the JSON the view builds)."""


class ForecastMonthSerializer(FiguresSerializer):
    month = serializers.DateField()


class ForecastLineSerializer(_OutSerializer):
    """A rep, team or account row. Reps also carry team_id/team; accounts companies/owner."""

    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    team_id = serializers.IntegerField(allow_null=True, required=False)
    team = serializers.CharField(required=False)
    companies = serializers.IntegerField(required=False, help_text="Accounts rolled up into this one.")
    owner = serializers.CharField(required=False)
    figures = FiguresSerializer()


class ForecastMetaSerializer(_OutSerializer):
    horizon = serializers.ChoiceField(choices=ForecastSnapshot.Horizon.choices)
    label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    run = serializers.IntegerField(allow_null=True, help_text="The forecast run used for consumption.")
    run_as_of = serializers.DateField(allow_null=True)
    stale = serializers.BooleanField()


class ForecastTotalsSerializer(ForecastMetaSerializer):
    """scope=total: figures and months; team/rep: results, or with id= that one line's fields."""

    scope = serializers.ChoiceField(choices=ForecastSnapshot.Scope.choices)
    figures = FiguresSerializer(required=False)
    months = ForecastMonthSerializer(many=True, required=False)
    results = ForecastLineSerializer(many=True, required=False)
    id = serializers.IntegerField(allow_null=True, required=False)
    name = serializers.CharField(required=False)
    team_id = serializers.IntegerField(allow_null=True, required=False)
    team = serializers.CharField(required=False)


class ForecastAccountsSerializer(ForecastMetaSerializer):
    results = ForecastLineSerializer(many=True)


class CompanyRefSerializer(_OutSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    external_id = serializers.CharField()


class ForecastPointSerializer(_OutSerializer):
    period = serializers.DateField()
    value = serializers.DecimalField(**MONEY)
    low = serializers.DecimalField(**MONEY)
    high = serializers.DecimalField(**MONEY)


class CompanyForecastSerializer(_OutSerializer):
    company = CompanyRefSerializer()
    run = serializers.IntegerField(allow_null=True)
    as_of = serializers.DateField(required=False, help_text="Absent until a forecast has run.")
    method = serializers.CharField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    points = ForecastPointSerializer(many=True)


class ForecastRunListSerializer(_OutSerializer):
    results = ForecastRunSerializer(many=True)


class DetailSerializer(_OutSerializer):
    detail = serializers.CharField()


HORIZON_PARAMETER = OpenApiParameter("horizon", str, enum=ForecastSnapshot.Horizon.values,
                                     description="Default: quarter.")
INVALID = OpenApiResponse(description="Invalid parameter; the body names it.")


class ForecastRunCreateSerializer(serializers.Serializer):
    horizon_months = serializers.IntegerField(min_value=1, max_value=60, default=36)
    as_of = serializers.DateField(required=False, help_text="First month to forecast (default: the current month).")


def _figures(figures: Figures) -> dict:
    return FiguresSerializer(figures.as_dict()).data


def _line(line: Line) -> dict:
    return {"id": line.id, "name": line.name, **line.extra, "figures": _figures(line.figures)}


def _horizon(request) -> str:
    key = request.query_params.get("horizon", ForecastSnapshot.Horizon.QUARTER)  # sent empty: refused below
    if key not in ForecastSnapshot.Horizon.values:
        raise ValidationError({"horizon": f"Choose one of: {', '.join(ForecastSnapshot.Horizon.values)}."})
    return key


def _rollup_view(request):
    key = _horizon(request)
    rollup = forecast_rollup_cached()
    return rollup, rollup.horizons[key]


def _meta(rollup, view) -> dict:
    h = view.horizon
    return {"horizon": h.key, "label": h.label, "start": h.start, "end": h.end, "run": rollup.run_id,
            "run_as_of": rollup.run_as_of, "stale": rollup.stale}


def _wanted_id(request, scope: str) -> int | None:
    """The `id` parameter: one whole number, and only with scope team or rep (refused, not ignored)."""
    values = request.query_params.getlist("id")
    if not values:
        return None
    if scope == ForecastSnapshot.Scope.TOTAL:
        raise ValidationError({"id": "Only with scope team or rep."})
    if len(values) > 1 or not (values[0].isascii() and values[0].isdigit()):
        raise ValidationError({"id": "Must be one whole number."})
    return int(values[0])


class ForecastTotalsApi(APIView):
    """Forecast figures for one horizon: the total (with months), every team or rep, or one of them."""

    @extend_schema(parameters=[
        HORIZON_PARAMETER,
        OpenApiParameter("scope", str, enum=ForecastSnapshot.Scope.values, description="Default: total."),
        OpenApiParameter("id", int, description="With scope team or rep: that team's or rep's figures only."),
    ], responses={200: ForecastTotalsSerializer, 400: INVALID})
    def get(self, request):
        scope = request.query_params.get("scope", ForecastSnapshot.Scope.TOTAL)  # sent empty: refused below
        if scope not in ForecastSnapshot.Scope.values:
            raise ValidationError({"scope": f"Choose one of: {', '.join(ForecastSnapshot.Scope.values)}."})
        wanted_id = _wanted_id(request, scope)
        rollup, view = _rollup_view(request)
        body = {**_meta(rollup, view), "scope": scope}
        if scope == ForecastSnapshot.Scope.TOTAL:
            body["figures"] = _figures(view.total)
            body["months"] = [{"month": month, **_figures(figures)} for month, figures in view.months]
            return Response(body)
        lines = view.by_team if scope == ForecastSnapshot.Scope.TEAM else view.by_rep
        if wanted_id is not None:
            match = next((line for line in lines if line.id == wanted_id), None)
            if match is None:
                body.update(id=wanted_id, figures=_figures(Figures()))  # no figures in this horizon
                return Response(body)
            body.update(_line(match))
            return Response(body)
        body["results"] = [_line(line) for line in lines]
        return Response(body)


class ForecastAccountsApi(APIView):
    """The top accounts by forecast in one horizon, each with its subsidiaries rolled up."""

    @extend_schema(parameters=[HORIZON_PARAMETER], responses={200: ForecastAccountsSerializer, 400: INVALID})
    def get(self, request):
        rollup, view = _rollup_view(request)
        return Response({**_meta(rollup, view), "results": [_line(line) for line in view.top_accounts]})


class CompanyForecastApi(APIView):
    """The latest consumption forecast of one company, month by month; zero with a note when it has none."""

    @extend_schema(responses={200: CompanyForecastSerializer})
    def get(self, request, pk: int):
        company = get_object_or_404(Company.objects.only("id", "name", "external_id"), pk=pk)
        run = latest_forecast_run()
        body = {"company": {"id": company.pk, "name": company.name, "external_id": company.external_id},
                "run": run.pk if run else None}
        if run is None:
            return Response({**body, "method": None, "note": "No forecast has run yet.", "points": []})
        points = list(ConsumptionForecast.objects.filter(run=run, company=company).order_by("period")
                      .values("period", "value", "low", "high", "method"))
        if points:
            method = points[0]["method"]
        else:
            method = NO_HISTORY
            points = [{"period": add_months(run.as_of, k), "value": "0.00", "low": "0.00", "high": "0.00"}
                      for k in range(run.horizon_months)]
        return Response({
            **body,
            "as_of": run.as_of,
            "method": method,
            "note": NOTES.get(method, ""),
            "points": [{"period": p["period"], "value": str(p["value"]), "low": str(p["low"]), "high": str(p["high"])}
                       for p in points],
        })


class ForecastRunListApi(APIView):
    """Recent forecast runs; admins start one with POST (it runs on the worker)."""

    # JSON only: in a multipart form an empty `as_of` arrives as an empty file part, which Django drops,
    # so the run would start from the default month instead of the request being refused.
    parser_classes = [JSONParser]

    @extend_schema(operation_id="v1_forecast_runs_list", responses={200: ForecastRunListSerializer})
    def get(self, request):
        return Response({"results": ForecastRunSerializer(forecast_runs()[:50], many=True).data})

    @extend_schema(request=ForecastRunCreateSerializer,
                   responses={201: ForecastRunSerializer, 400: INVALID, 409: DetailSerializer})
    def post(self, request):
        from forecasting.tasks import forecast_run_task

        data = ForecastRunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if ForecastRun.objects.filter(status__in=[ForecastRun.Status.QUEUED, ForecastRun.Status.RUNNING]).exists():
            return Response({"detail": "A forecast run is already under way."}, status=status.HTTP_409_CONFLICT)
        run = forecast_run_create(as_of=data.validated_data.get("as_of"), horizon=data.validated_data["horizon_months"])
        transaction.on_commit(lambda: forecast_run_task.delay(run.pk))
        run.refresh_from_db()
        return Response(ForecastRunSerializer(run).data, status=status.HTTP_201_CREATED)


class ForecastRunDetailApi(APIView):
    """One forecast run."""

    @extend_schema(operation_id="v1_forecast_runs_retrieve", responses={200: ForecastRunSerializer})
    def get(self, request, pk: int):
        run = ForecastRun.objects.filter(pk=pk).first()
        if run is None:
            raise NotFound("No such forecast run.")
        return Response(ForecastRunSerializer(run).data)


ROUTES: list = []
URLS: list = [
    path("forecast/", ForecastTotalsApi.as_view(), name="forecast-totals"),
    path("forecast/accounts/", ForecastAccountsApi.as_view(), name="forecast-accounts"),
    path("forecast/companies/<int:pk>/", CompanyForecastApi.as_view(), name="forecast-company"),
    path("forecast/runs/", ForecastRunListApi.as_view(), name="forecast-runs"),
    path("forecast/runs/<int:pk>/", ForecastRunDetailApi.as_view(), name="forecast-run-detail"),
]
