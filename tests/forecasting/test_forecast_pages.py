"""The forecast dashboard through its real URL."""
import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from forecasting.models import ForecastRun

from .forecast_example import TODAY, build_example


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    cache.clear()


@pytest.fixture
def example(db, rep, rep2):
    return build_example(rep=rep, rep2=rep2)


def test_empty_state_explains_what_to_do(db, rep_client):
    page = rep_client.get("/forecast/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "No forecast yet" in text and "Ask a RevOps admin" in text
    assert "Run forecast now" not in text


def test_admin_sees_the_run_button_on_the_empty_state(db, admin_client):
    text = admin_client.get("/forecast/").content.decode()
    assert "Run the first forecast" in text and "manage.py forecast_run" in text


def test_dashboard_shows_headlines_chart_tables_and_drill_down(example, rep_client):
    page = rep_client.get("/forecast/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Q2 2026" in text and "$200" in text  # consumption this quarter
    assert 'id="forecast-chart"' in text and "<svg" in text and 'class="interval"' in text
    assert "By team" in text and "Enterprise East" in text and "By rep" in text
    assert f'href="/accounts/{example["acme"].pk}/"' in text or f'/accounts/{example["acme"].pk}' in text
    assert "2 companies in the group" in text
    assert "Run forecast now" not in text  # reps cannot run it


def test_horizon_selector_and_sorting(example, rep_client, rep, rep2):
    text = rep_client.get("/forecast/?horizon=36m&sort=name").content.decode()
    assert "Next 36 months" in text and 'aria-current="page">Next 36 months' in text
    names = sorted([rep.get_full_name() or rep.username, rep2.get_full_name() or rep2.username])
    reps_table = text[text.index("By rep"):]
    assert reps_table.index(names[0]) < reps_table.index(names[1])
    reps_table = rep_client.get("/forecast/?horizon=36m&sort=-name").content.decode()
    reps_table = reps_table[reps_table.index("By rep"):]
    assert reps_table.index(names[1]) < reps_table.index(names[0])
    assert rep_client.get("/forecast/?horizon=bogus&sort=bogus").status_code == 200


def test_only_admins_can_run_and_the_run_completes(example, rep, admin_client, django_capture_on_commit_callbacks):
    rep_client = Client()
    rep_client.force_login(rep)
    assert rep_client.post("/forecast/runs/").status_code == 403
    assert ForecastRun.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/forecast/runs/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    run = ForecastRun.objects.latest("id")
    assert run.status == ForecastRun.Status.SUCCEEDED
    progress = admin_client.get(f"/forecast/runs/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert "Done" in progress.content.decode() and progress["HX-Refresh"] == "true"


def test_progress_of_a_queued_run_keeps_polling(example, admin_client):
    run = ForecastRun.objects.create(status=ForecastRun.Status.RUNNING, as_of=TODAY.replace(day=1),
                                     message="Forecasting 2 companies…")
    text = admin_client.get(f"/forecast/runs/{run.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in text and "Forecasting 2 companies" in text
    dashboard = admin_client.get("/forecast/").content.decode()
    assert "disabled" in dashboard  # the button waits for the run under way


def test_the_cached_rollup_follows_renamed_teams_and_people_and_moved_reps(example, rep_client, rep, rep2):
    """The roll-up is cached until what it reads changes: that includes the names of the teams and reps it
    shows and which team a rep is in (none of them moves a change stamp), not only contracts and deals."""
    from accounts.models import Profile, Team

    text = rep_client.get("/forecast/").content.decode()
    assert "Enterprise East" in text
    team = Team.objects.get(name="Enterprise East")
    team.name = "Enterprise North-East"
    team.save()
    text = rep_client.get("/forecast/").content.decode()
    assert "Enterprise North-East" in text and "Enterprise East" not in text

    rep2.first_name, rep2.last_name = "Renamed", "Person"
    rep2.save()
    text = rep_client.get("/forecast/?horizon=36m").content.decode()
    assert "Renamed Person" in text

    west = Team.objects.create(name="Enterprise West")
    Profile.objects.filter(user=rep2).update(team=west)
    teams = rep_client.get("/forecast/?horizon=36m").content.decode()
    teams = teams[teams.index("By team"):teams.index("By rep")]
    assert "Enterprise West" in teams
