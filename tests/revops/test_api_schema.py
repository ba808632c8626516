"""The OpenAPI schema and the interactive API docs (served offline, from our own static files)."""
import re

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

ACCOUNT_PATHS = {
    "/api/v1/companies/": {"get", "post"},
    "/api/v1/companies/{id}/": {"get", "put", "patch", "delete"},
    "/api/v1/workspaces/": {"get", "post"},
    "/api/v1/workspaces/{id}/": {"get", "put", "patch", "delete"},
    "/api/v1/users/": {"get", "post"},
    "/api/v1/users/{id}/": {"get", "put", "patch", "delete"},
    "/api/v1/usage/": {"get", "post"},
    "/api/v1/usage/{id}/": {"get", "put", "patch", "delete"},
    "/api/v1/auth/token/": {"get", "post", "delete"},
}
OUR_MODULES = ("accounts/api", "CompanyViewSet", "WorkspaceViewSet", "ProductUserViewSet", "UsageRecordViewSet",
               "ApiTokenApi")


def test_schema_endpoint_returns_a_valid_openapi_document_with_every_accounts_path(rep_client):
    response = rep_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # raises on anything that is not OpenAPI 3
    for path, methods in ACCOUNT_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), (path, set(schema["paths"][path]))
    components = schema["components"]["schemas"]
    assert components["Company"]["properties"]["domains"]["type"] == "array"
    assert components["Company"]["properties"]["mrr"]["readOnly"] is True
    assert components["UsageRecord"]["properties"]["amount"] == {
        "type": "string", "format": "decimal", "pattern": components["UsageRecord"]["properties"]["amount"]["pattern"],
    }
    filters = {p["name"] for p in schema["paths"]["/api/v1/companies/"]["get"]["parameters"]}
    assert {"q", "tier", "country", "sort", "page", "page_size"} <= filters
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_schema_generation_warns_about_nothing_in_the_accounts_api():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        SchemaGenerator().get_schema(request=None, public=True)
    problems = [
        message
        for message in [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
        if any(name in message for name in OUR_MODULES)
    ]
    GENERATOR_STATS.reset()
    assert problems == []


def test_spectacular_command_generates_the_whole_schema_without_a_warning_or_error(tmp_path, capsys):
    """`check --deploy` runs the same generation; any warning there fails `make check`."""
    GENERATOR_STATS.reset()
    target = tmp_path / "schema.yml"
    try:
        call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    except RuntimeError as exc:  # raised by --fail-on-warn; the warnings themselves went to stderr
        pytest.fail(f"{exc}:\n{capsys.readouterr().err}")
    finally:
        GENERATOR_STATS.reset()
    schema = yaml.safe_load(target.read_text())
    operation_ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()
                     if isinstance(op, dict) and "operationId" in op]
    assert len(operation_ids) == len(set(operation_ids))
    for path in ("/api/v1/forecast/", "/api/v1/forecast/accounts/", "/api/v1/forecast/companies/{id}/",
                 "/api/v1/forecast/runs/", "/api/v1/forecast/runs/{id}/"):
        assert "200" in schema["paths"][path]["get"]["responses"], path
    assert schema["paths"]["/api/v1/forecast/runs/"]["get"]["operationId"] == "v1_forecast_runs_list"
    enums = schema["components"]["schemas"]
    assert {"WorkspaceStatusEnum", "StatementStatusEnum", "ForecastRunStatusEnum", "PlaybookStepRoleEnum"} <= set(enums)
    assert not [name for name in enums if re.fullmatch(r"(Status|Role)[0-9a-fA-F]{3}Enum", name)]  # hashed names


def test_docs_page_loads_swagger_from_our_own_static_files_only(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        served.close()
    assert '"/api/schema/"' in html


def test_browsable_api_renders_every_accounts_endpoint_for_an_admin(admin_client):
    from tests.factories import (
        CompanyDomainFactory,
        CompanyFactory,
        ProductUserFactory,
        UsageRecordFactory,
        WorkspaceFactory,
        WorkspaceMembershipFactory,
    )

    company = CompanyFactory(external_id="C-HTML")
    CompanyDomainFactory(company=company)
    workspace = WorkspaceFactory(external_id="W-HTML", company=company)
    person = ProductUserFactory(external_id="U-HTML")
    WorkspaceMembershipFactory(user=person, workspace=workspace)
    record = UsageRecordFactory(workspace=workspace, metric="html_metric")
    pages = {
        "/api/v1/companies/": "C-HTML",
        f"/api/v1/companies/{company.pk}/": "C-HTML",
        "/api/v1/workspaces/": "W-HTML",
        f"/api/v1/workspaces/{workspace.pk}/": "W-HTML",
        "/api/v1/users/": "U-HTML",
        f"/api/v1/users/{person.pk}/": "U-HTML",
        "/api/v1/usage/": "html_metric",
        f"/api/v1/usage/{record.pk}/": "html_metric",
        "/api/v1/auth/token/": "has_token",
    }
    for url, text in pages.items():
        response = admin_client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html")
        assert text in response.content.decode(), url
