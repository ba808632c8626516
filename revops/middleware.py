from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import resolve_url

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
