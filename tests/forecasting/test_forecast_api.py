"""Forecast API through its real URLs."""
import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from forecasting.models import ConsumptionForecast, ForecastRun

from .forecast_example import TODAY, build_example


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    cache.clear()


@pytest.fixture
def example(db, rep, rep2):
    return build_example(rep=rep, rep2=rep2)


def test_totals_by_horizon_with_months(example, rep_client):
    body = rep_client.get("/api/v1/forecast/?horizon=quarter").json()
    assert body["scope"] == "total" and body["start"] == "2026-04-01" and body["end"] == "2026-06-30"
    assert body["figures"]["consumption"] == "200.00" and body["figures"]["pipeline_weighted"] == "245.20"
    assert [m["month"] for m in body["months"]] == ["2026-04-01", "2026-05-01", "2026-06-01"]
    assert body["months"][0]["consumption"] == "100.00"
    assert len(rep_client.get("/api/v1/forecast/?horizon=36m").json()["months"]) == 36


def test_totals_by_rep_and_team(example, rep_client, rep, rep2, team):
    reps = rep_client.get("/api/v1/forecast/?horizon=quarter&scope=rep").json()["results"]
    assert {line["id"] for line in reps} == {rep.pk, rep2.pk}
    assert next(line for line in reps if line["id"] == rep.pk)["team"] == "Enterprise East"
    one = rep_client.get(f"/api/v1/forecast/?horizon=quarter&scope=rep&id={rep2.pk}").json()
    assert one["figures"]["pipeline_weighted"] == "5.20"
    teams = rep_client.get("/api/v1/forecast/?scope=team").json()["results"]
    assert teams[0]["id"] == team.pk and teams[0]["name"] == "Enterprise East"


def test_bad_parameters_are_400(example, rep_client):
    assert rep_client.get("/api/v1/forecast/?horizon=decade").status_code == 400
    assert rep_client.get("/api/v1/forecast/?scope=galaxy").status_code == 400
    assert rep_client.get("/api/v1/forecast/?scope=rep&id=x").status_code == 400


def test_anonymous_is_refused(example, client):
    assert client.get("/api/v1/forecast/").status_code in (401, 403)


def test_top_accounts_roll_up_the_hierarchy(example, rep_client):
    results = rep_client.get("/api/v1/forecast/accounts/?horizon=12m").json()["results"]
    assert [line["name"] for line in results] == ["Acme"] and results[0]["companies"] == 2


def test_company_series_and_zero_with_a_note_without_history(example, rep_client):
    body = rep_client.get(f"/api/v1/forecast/companies/{example['acme'].pk}/").json()
    assert len(body["points"]) == 36 and body["points"][0] == {"period": "2026-05-01", "value": "50.00",
                                                              "low": "40.00", "high": "60.00"}
    from tests.factories import CompanyFactory

    quiet = CompanyFactory(name="Quiet")
    body = rep_client.get(f"/api/v1/forecast/companies/{quiet.pk}/").json()
    assert body["method"] == "no history" and body["note"].startswith("No usage history")
    assert len(body["points"]) == 36 and {p["value"] for p in body["points"]} == {"0.00"}
    assert rep_client.get("/api/v1/forecast/companies/999999/").status_code == 404


def test_runs_list_and_admin_only_start(example, rep, admin_client, django_capture_on_commit_callbacks):
    rep_client = Client()  # admin_client and rep_client would share one client
    rep_client.force_login(rep)
    assert rep_client.get("/api/v1/forecast/runs/").json()["results"][0]["status"] == "succeeded"
    assert rep_client.post("/api/v1/forecast/runs/", {}, content_type="application/json").status_code == 403
    assert ForecastRun.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/api/v1/forecast/runs/", {"horizon_months": 6}, content_type="application/json")
    assert response.status_code == 201
    run = ForecastRun.objects.get(pk=response.json()["id"])
    assert run.status == ForecastRun.Status.SUCCEEDED and run.horizon_months == 6  # eager Celery locally
    assert ConsumptionForecast.objects.filter(run=run).count() == 6 * 1  # only Acme has complete-month usage
    assert admin_client.get(f"/api/v1/forecast/runs/{run.pk}/").json()["id"] == run.pk
    assert admin_client.get("/api/v1/forecast/runs/999999/").status_code == 404
    assert admin_client.post("/api/v1/forecast/runs/", {"horizon_months": 0},
                             content_type="application/json").status_code == 400


def test_no_run_yet(db, rep_client):
    body = rep_client.get("/api/v1/forecast/").json()
    assert body["run"] is None and body["figures"]["forecast"] == "0.00"
    from tests.factories import CompanyFactory

    company = CompanyFactory()
    assert rep_client.get(f"/api/v1/forecast/companies/{company.pk}/").json()["note"] == "No forecast has run yet."


@pytest.mark.parametrize("query", ["id=null&id=null", "scope=rep&id=1&id=2", "scope=rep&id=1.5", "id=3"])
def test_an_id_that_is_not_one_whole_number_or_comes_without_scope_is_400_naming_id(example, rep_client, query):
    response = rep_client.get(f"/api/v1/forecast/?{query}")
    assert response.status_code == 400 and list(response.json()) == ["id"], response.json()


@pytest.mark.parametrize("as_of", ["", "2026-13-01", "next month", 20260401])
def test_starting_a_run_with_a_bad_as_of_is_400_and_starts_nothing(example, admin_client, as_of):
    before = ForecastRun.objects.count()
    response = admin_client.post("/api/v1/forecast/runs/", {"horizon_months": 6, "as_of": as_of},
                                 content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["as_of"], response.json()
    assert ForecastRun.objects.count() == before


def test_starting_a_run_takes_json_only(example, admin_client):
    before = ForecastRun.objects.count()
    form = admin_client.post("/api/v1/forecast/runs/", {"horizon_months": "6", "as_of": ""})  # multipart
    assert form.status_code == 415
    assert ForecastRun.objects.count() == before
