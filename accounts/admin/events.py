"""Admin of product event sources: the secret is generated, shown exactly once, and can be regenerated.

The secret never appears on the change form or in a message cookie: right after "add" (or the
"Regenerate secret" action) the admin answers with a page that shows it, marked no-store.
"""

from django import forms
from django.contrib import admin
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from accounts.models import EventSource
from accounts.services.events import event_source_create, event_source_rotate_secret

SECRET_PAGE = engines["django"].from_string("""{% extends "admin/base_site.html" %}
{% block content %}
<h1>{{ title }}</h1>
<p>Copy the secret now and store it where the product keeps its credentials. <strong>It is not shown again</strong>
— if it is lost, regenerate it (the old one stops working at once).</p>
<table>
  <thead><tr><th>Source</th><th>X-Revops-Source</th><th>Secret</th></tr></thead>
  <tbody>
  {% for source, secret in rows %}
    <tr><td>{{ source.name }}</td><td><code>{{ source.key }}</code></td><td><code style="user-select: all">{{ secret }}</code></td></tr>
  {% endfor %}
  </tbody>
</table>
<p>Sign each request to <code>POST /api/v1/events/</code> with the header
<code>X-Revops-Signature: sha256=&lt;hex HMAC-SHA256 of the raw body, keyed with the secret&gt;</code>.</p>
<p><a class="button" href="{{ back_url }}">Back to event sources</a></p>
{% endblock %}""")


class EventSourceAddForm(forms.ModelForm):
    class Meta:
        model = EventSource
        fields = ["name", "key", "is_active"]


def _secret_page(request, *, title: str, rows: list) -> TemplateResponse:
    context = {
        **admin.site.each_context(request),
        "title": title,
        "rows": rows,
        "back_url": reverse("admin:accounts_eventsource_changelist"),
    }
    response = TemplateResponse(request, SECRET_PAGE, context)
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store"
    return response


@admin.register(EventSource)
class EventSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "is_active", "last_event_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "key"]
    actions = ["regenerate_secret"]
    readonly_fields = ["secret_state", "last_event_at", "created_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = EventSourceAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "key", "is_active"]
        return ["name", "key", "is_active", "secret_state", "last_event_at", "created_at"]

    @admin.display(description="Secret")
    def secret_state(self, obj) -> str:
        return "Set — shown only when created or regenerated (action “Regenerate secret” on the list)."

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        source, secret = event_source_create(name=obj.name, key=obj.key, is_active=obj.is_active)
        obj.pk, obj.secret, obj.created_at = source.pk, secret, source.created_at
        request._event_source_secret = secret

    def response_add(self, request, obj, post_url_continue=None):
        secret = getattr(request, "_event_source_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        return _secret_page(request, title=f"Event source “{obj.name}” created", rows=[(obj, secret)])

    @admin.action(description="Regenerate secret (the old one stops working)")
    def regenerate_secret(self, request, queryset):
        rows = [(source, event_source_rotate_secret(source=source)) for source in queryset.order_by("name")]
        return _secret_page(request, title="New secrets", rows=rows)
