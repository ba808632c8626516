from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone

from revops.timezones import SESSION_ZONE_KEY, user_zone, zone_named

# Paths that handle authentication themselves: the login page, static files, the admin
# (its own login) and the API (401/403 in JSON through DRF authentication, not a redirect).
PUBLIC_PREFIXES = ("/login/", "/static/", "/api/", "/admin/", "/healthz")


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
