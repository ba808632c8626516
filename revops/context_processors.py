from django.urls import reverse

from revops.roles import is_revops_admin, role_label

NAV_ITEMS = (
    ("accounts", "Accounts", "accounts:company_list"),
    ("playbooks", "Playbooks", "playbooks:index"),
    ("stakeholders", "Weekly review", "stakeholders:index"),
    ("forecast", "Forecast", "forecasting:index"),
    ("compensation", "Compensation", "forecasting:compensation"),
)


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    path = request.path
    items = []
    for key, label, url_name in NAV_ITEMS:
        url = reverse(url_name)
        items.append({"key": key, "label": label, "url": url, "active": path.startswith(url)})
    admin = is_revops_admin(request.user)
    if admin:
        url = reverse("accounts:import_list")
        items.append({"key": "imports", "label": "Imports", "url": url, "active": path.startswith(url)})
    return {"nav_items": items, "user_role": role_label(request.user), "user_is_revops_admin": admin}
