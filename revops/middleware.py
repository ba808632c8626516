import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone

from revops.timezones import SESSION_ZONE_KEY, user_zone, zone_named

# Paths that handle authentication themselves: the login page, static files, the admin
# (its own login) and the API (401/403 in JSON through DRF authentication, not a redirect).
PUBLIC_PREFIXES = ("/login/", "/static/", "/api/", "/admin/", "/healthz")


# Session keys of SessionExpiryMiddleware (seconds since the epoch).
SESSION_STARTED_KEY = "revops_session_started"
SESSION_REFRESHED_KEY = "revops_session_refreshed"


def start_session_clock(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: the session's clocks start at log-in, saved with the log-in itself
    (so the first page after it writes nothing more). Connected in revops.throttling."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STARTED_KEY] = request.session[SESSION_REFRESHED_KEY] = time.time()


class SessionExpiryMiddleware:
    """Idle and absolute session expiry.

    Django expires a session SESSION_COOKIE_AGE seconds after it was last saved. Saving on every
    request (SESSION_SAVE_EVERY_REQUEST) would write to the session store each time; instead an
    active session is saved again when a tenth of its idle age has passed (at most every 5 minutes),
    so it ends after SESSION_COOKIE_AGE seconds without use, give or take that step. Whatever the
    activity, a session ends SESSION_MAX_AGE seconds after it was first seen logged in.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get(SESSION_STARTED_KEY)
            if started is None:  # a session from before this middleware, or a log-in that bypassed login()
                request.session[SESSION_STARTED_KEY] = request.session[SESSION_REFRESHED_KEY] = now
            elif now - started > settings.SESSION_MAX_AGE:
                logout(request)  # flushes the session; the request continues as anonymous (→ login page)
            elif now - request.session.get(SESSION_REFRESHED_KEY, 0) > min(settings.SESSION_COOKIE_AGE / 10, 300):
                request.session[SESSION_REFRESHED_KEY] = now  # modified → saved with a new expiry
        return self.get_response(request)


class LoginRequiredMiddleware:
    """Every page requires a logged-in user; anonymous requests go to the login page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            if request.headers.get("HX-Request"):
                # htmx would swap the login page into a fragment; ask it to load the whole page.
                response = HttpResponse(status=401)
                response["HX-Redirect"] = f"{resolve_url(settings.LOGIN_URL)}?next={request.path}"
                return response
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class UserTimezoneMiddleware:
    """Shows times in the zone of the logged-in user's profile (stored in UTC either way).

    The zone's name is kept in the session at login (see revops.apps), so a page costs no extra
    query; sessions from before that learn it once. The API always answers in UTC (ISO 8601).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            name = request.session.get(SESSION_ZONE_KEY)
            if name is None:
                name = request.session[SESSION_ZONE_KEY] = user_zone(request.user).key
            timezone.activate(zone_named(name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
