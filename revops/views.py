import math

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from accounts.services.api_tokens import api_token_revoke, api_token_rotate
from revops import history
from revops.roles import is_revops_admin
from revops.throttling import ApiTokenCreationThrottle, client_address, login_lockout_seconds


def home(request):
    return redirect("accounts:company_list")


def healthz(request):
    """Liveness and database reachability for load balancers; no data, no login."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not healthy"
        return JsonResponse({"status": "error", "database": str(exc.__class__.__name__)}, status=503)
    return JsonResponse({"status": "ok"})


class ThrottledAuthenticationForm(AuthenticationForm):
    """Says plainly when log-ins are locked after repeated failures (see revops/throttling.py)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": "Too many failed log-ins for this account or from your network. Log-in is locked for "
        "%(minutes)s more minute(s); try again then, or ask your RevOps admin to reset your password.",
    }

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            # The backend refuses a locked username/address without checking the password, and the
            # failure that reaches the limit locks at once: either way, say so instead of "wrong password".
            wait = login_lockout_seconds(username=self.cleaned_data.get("username"), address=client_address(self.request))
            if wait:
                raise ValidationError(self.error_messages["locked"], code="locked", params={"minutes": math.ceil(wait / 60)})
            raise


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error("__all__", code="locked"):
            response.status_code = 429
        return response


@never_cache
@require_http_methods(["GET", "POST"])
def api_access(request):
    """The user's own API token: whether there is one, create/replace it (shown once) or revoke it."""
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke":
            if api_token_revoke(user=request.user):
                messages.success(request, "Your API token is revoked: requests using it are refused from now on.")
            else:
                messages.info(request, "You had no API token.")
            return redirect("api_access")
        if action != "rotate":
            messages.error(request, "Unknown action.")
            return redirect("api_access")
        throttle = ApiTokenCreationThrottle()
        if not throttle.allow_request(request, None):
            minutes = math.ceil((throttle.wait() or 60) / 60)
            messages.error(request, f"Too many new tokens in a short time; try again in {minutes} minute(s).")
            return redirect("api_access")
        # Rendered, not redirected: the key is shown this once and never stored anywhere readable.
        new_key = api_token_rotate(user=request.user).key
    token = Token.objects.filter(user=request.user).only("created").first()
    return render(request, "revops/api_access.html", {"token": token, "new_key": new_key})


HISTORY_ENTRIES_SHOWN = 50


def render_history(request, *, sources, title: str, back_url: str, back_label: str, admin_history_url: str = ""):
    """An object's audit history: the entries alone for the page's htmx panel, else a page of its own."""
    entries = history.entries(sources, limit=HISTORY_ENTRIES_SHOWN + 1)
    context = {
        "entries": entries[:HISTORY_ENTRIES_SHOWN],
        "truncated": len(entries) > HISTORY_ENTRIES_SHOWN,
        "title": title,
        "back_url": back_url,
        "back_label": back_label,
        "admin_history_url": admin_history_url if is_revops_admin(request.user) else "",
        "import_list_url": reverse("accounts:import_list") if is_revops_admin(request.user) else "",
    }
    template = "revops/history/_entries.html" if getattr(request, "htmx", False) else "revops/history/page.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response
