"""/api/v1/auth/token/ and the API access page: a logged-in user obtains, rotates and revokes their own API
token; creating tokens is rate-limited."""
import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

URL = "/api/v1/auth/token/"
COMPANIES = "/api/v1/companies/"
PAGE = "/settings/api-access/"

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


# --- throttling ---------------------------------------------------------------------------------


@pytest.fixture
def token_rate(settings):
    from django.core.cache import cache

    cache.clear()
    settings.API_THROTTLE_RATES = {"anon": None, "user": None, "api_token": "2/hour"}
    yield
    cache.clear()


def test_creating_tokens_is_rate_limited_but_revoking_is_not(rep_client, rep, token_rate):
    first, second, third = (rep_client.post(URL) for _ in range(3))

    assert [first.status_code, second.status_code, third.status_code] == [201, 201, 429]
    assert int(third["Retry-After"]) > 0
    assert Token.objects.get(user=rep).key == second.json()["token"]  # the refused call changed nothing
    assert rep_client.get(URL).status_code == 200
    assert rep_client.delete(URL).status_code == 204
    assert not Token.objects.filter(user=rep).exists()


def test_the_page_and_the_api_share_the_token_creation_limit(rep_client, rep, token_rate):
    rep_client.post(PAGE, {"action": "rotate"})
    rep_client.post(PAGE, {"action": "rotate"})
    key = Token.objects.get(user=rep).key

    api = rep_client.post(URL)
    page = rep_client.post(PAGE, {"action": "rotate"}, follow=True)

    assert api.status_code == 429
    assert "Too many new tokens" in page.content.decode()
    assert Token.objects.get(user=rep).key == key


def test_one_users_token_creations_do_not_limit_another(rep_client, rep, rep2, token_rate):
    rep_client.post(URL)
    rep_client.post(URL)
    other = Client()
    other.force_login(rep2)

    assert other.post(URL).status_code == 201


# --- the API access page ------------------------------------------------------------------------


def test_api_access_page_says_when_there_is_no_token(rep_client):
    response = rep_client.get(PAGE)

    assert response.status_code == 200
    body = response.content.decode()
    assert "You have no API token" in body
    assert "Create token" in body


def test_creating_a_token_on_the_page_shows_the_key_once(rep_client, rep):
    created = rep_client.post(PAGE, {"action": "rotate"})

    key = Token.objects.get(user=rep).key
    assert created.status_code == 200
    assert key in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    later = rep_client.get(PAGE).content.decode()
    assert key not in later
    assert "Token active" in later and "Revoke token" in later
    assert Client().get(COMPANIES, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_replacing_the_token_on_the_page_invalidates_the_old_one(rep_client, rep):
    old = Token.objects.create(user=rep).key

    rep_client.post(PAGE, {"action": "rotate"})

    new = Token.objects.get(user=rep).key
    assert new != old
    assert Client().get(COMPANIES, HTTP_AUTHORIZATION=f"Token {old}").status_code == 401


def test_revoking_on_the_page_deletes_only_your_own_token(rep_client, rep, rep2):
    key = Token.objects.create(user=rep).key
    other_key = Token.objects.create(user=rep2).key

    response = rep_client.post(PAGE, {"action": "revoke"}, follow=True)

    assert response.status_code == 200
    assert "Your API token is revoked" in response.content.decode()
    assert not Token.objects.filter(user=rep).exists()
    assert Token.objects.filter(user=rep2, key=other_key).exists()
    assert Client().get(COMPANIES, HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_an_unknown_page_action_changes_nothing(rep_client, rep):
    key = Token.objects.create(user=rep).key

    response = rep_client.post(PAGE, {"action": "steal"}, follow=True)

    assert "Unknown action" in response.content.decode()
    assert Token.objects.get(user=rep).key == key


def test_anonymous_visitors_are_sent_to_login_from_the_api_access_page(client):
    response = client.post(PAGE, {"action": "rotate"})

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not Token.objects.exists()
