"""CSV import pages (RevOps admins only): upload form, recent jobs, a job's progress and report."""

import csv
from functools import wraps

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import ImportJob
from accounts.services.exports import escape_text
from accounts.services.imports import ImportFileError, all_presets, get_import_kind, import_job_create, import_kinds
from revops.roles import is_revops_admin

RECENT_JOBS = 25


def revops_admin_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_revops_admin(request.user):
            raise PermissionDenied("Only RevOps admins can import data.")
        return view(request, *args, **kwargs)

    return wrapper


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="What the file holds")
    preset = forms.ChoiceField(
        label="Column names",
        help_text="Native: revops column names. Salesforce / HubSpot: an Account or Companies export as it comes.",
    )
    file = forms.FileField(
        label="CSV file (UTF-8, header row)", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind.name, kind.label or kind.name) for kind in import_kinds()]
        labels = {
            "native": "Native (revops columns)",
            "salesforce": "Salesforce Account export",
            "hubspot": "HubSpot companies export",
        }
        self.fields["preset"].choices = [(name, labels.get(name, name.title())) for name in all_presets()]

    def clean(self):
        cleaned = super().clean()
        kind, preset = cleaned.get("kind"), cleaned.get("preset")
        if kind and preset:
            try:
                get_import_kind(kind).source_headers(preset)
            except ImportFileError as exc:
                self.add_error("preset", exc.message)
        upload = cleaned.get("file")
        if upload is not None and upload.size == 0:
            self.add_error("file", "The file is empty.")
        return cleaned


@revops_admin_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_job_create(
            kind=form.cleaned_data["kind"],
            preset=form.cleaned_data["preset"],
            upload=form.cleaned_data["file"],
            by=request.user,
        )
        return redirect("accounts:import_detail", pk=job.pk)
    jobs = ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")[:RECENT_JOBS]
    kinds = [
        {"name": kind.name, "label": kind.label, "columns": kind.columns, "presets": list(kind.presets)}
        for kind in import_kinds()
    ]
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/imports/list.html", {"form": form, "jobs": jobs, "kinds": kinds}, status=status)


@revops_admin_required
@require_GET
def import_detail(request, pk):
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    if request.GET.get("format") == "csv":
        return _report_csv(job)
    return render(request, "accounts/imports/detail.html", {"job": job, **_report_context(job)})


@revops_admin_required
@require_GET
def import_progress(request, pk):
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    return render(request, "accounts/imports/_progress.html", {"job": job, **_report_context(job)})


def _report_context(job: ImportJob) -> dict:
    issues = job.errors or []
    errors = [issue for issue in issues if issue.get("level", "error") == "error"]
    warnings = [issue for issue in issues if issue.get("level") == "warning"]
    return {
        "row_errors": errors,
        "row_warnings": warnings,
        "errors_truncated": job.error_count > len(errors),
    }


def _report_csv(job: ImportJob) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
    writer = csv.writer(response)
    writer.writerow(["line", "level", "message"])
    for issue in job.errors or []:
        writer.writerow([issue.get("line"), issue.get("level", "error"), escape_text(issue.get("message") or "")])
    return response
