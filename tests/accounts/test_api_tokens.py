"""/api/v1/auth/token/: a logged-in user obtains, rotates and revokes their own API token."""
import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

URL = "/api/v1/auth/token/"
COMPANIES = "/api/v1/companies/"

pytestmark = pytest.mark.django_db


def test_logged_in_rep_obtains_a_token_that_authenticates_api_calls(rep_client, rep, client):
    response = rep_client.post(URL)

    assert response.status_code == 201
    key = response.json()["token"]
    assert Token.objects.get(user=rep).key == key
    api = Client()  # no session: the token alone must authenticate
    assert api.get(COMPANIES, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_rotating_replaces_the_token_and_the_old_one_stops_working(rep_client, rep):
    old = rep_client.post(URL).json()["token"]
    new = rep_client.post(URL).json()["token"]

    assert new != old
    assert list(Token.objects.filter(user=rep).values_list("key", flat=True)) == [new]
    api = Client()
    assert api.get(COMPANIES, HTTP_AUTHORIZATION=f"Token {old}").status_code == 401
    assert api.get(COMPANIES, HTTP_AUTHORIZATION=f"Token {new}").status_code == 200


def test_revoking_deletes_the_token(rep_client, rep):
    key = rep_client.post(URL).json()["token"]

    response = rep_client.delete(URL)

    assert response.status_code == 204
    assert not Token.objects.filter(user=rep).exists()
    assert Client().get(COMPANIES, HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert rep_client.delete(URL).status_code == 204  # idempotent


def test_a_token_client_can_rotate_and_revoke_with_its_own_token(client, admin_user):
    key = Token.objects.create(user=admin_user).key

    rotated = client.post(URL, HTTP_AUTHORIZATION=f"Token {key}")
    new_key = rotated.json()["token"]
    revoked = client.delete(URL, HTTP_AUTHORIZATION=f"Token {new_key}")

    assert rotated.status_code == 201 and new_key != key
    assert revoked.status_code == 204
    assert not Token.objects.exists()


def test_status_says_whether_a_token_exists_without_revealing_it(rep_client, rep):
    assert rep_client.get(URL).json() == {"has_token": False, "created": None}
    token = Token.objects.create(user=rep)

    body = rep_client.get(URL).json()

    assert body["has_token"] is True
    assert body["created"] is not None
    assert token.key not in str(body)


def test_anonymous_cannot_obtain_a_token(client):
    response = client.post(URL)
    assert response.status_code == 401
    assert not Token.objects.exists()


def test_session_requests_need_the_csrf_token(rep):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(rep)

    response = browser.post(URL)

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Token.objects.exists()


def test_each_user_only_touches_their_own_token(rep_client, rep, rep2):
    other = Token.objects.create(user=rep2)
    rep_client.post(URL)
    rep_client.delete(URL)
    assert Token.objects.filter(pk=other.pk, user=rep2).exists()
