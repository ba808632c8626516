"""The admin side of the audit history: django-simple-history's "History" views, read-only.

A past version can be looked at, never saved back from the history view: that form would bypass the
checks the change form runs (inline formsets such as a plan's components, services' side effects
such as recalculating statements). SIMPLE_HISTORY_REVERT_DISABLED only hides the button; this also
refuses the POST.
"""
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied("The history is read-only: change the record on its own page.")
        return super().history_form_view(request, object_id, version_id, extra_context)
