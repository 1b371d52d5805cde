"""The Study list's download actions: answers (one file, or a zip for several studies) and
the report across the selected studies. Thin: each calls one function and returns its file."""

from django.contrib import admin, messages

from studies import exports, reports
from studies.errors import ServiceError


class StudyDownloadActions:
    """Mixed into StudyAdmin (listed in its `actions`)."""

    @admin.action(description="Export answers (CSV; a zip for several studies)")
    def export_csv(self, request, queryset):
        return exports.download_response_for_studies(list(queryset), "csv")

    @admin.action(description="Export answers (JSON; a zip for several studies)")
    def export_json(self, request, queryset):
        return exports.download_response_for_studies(list(queryset), "json")

    def report_across(self, request, queryset, fmt: str):
        try:
            report = reports.studies_report(studies=list(queryset), fmt=fmt)
        except ServiceError as error:
            details = " ".join(p for p in error.problems if p != error.message)
            self.message_user(request, f"No report: {error.message} {details}", messages.ERROR)
            return None
        disposition = "inline" if fmt == "html" else "attachment"
        return reports.report_response(report, disposition=disposition)

    @admin.action(description="Report across the selected studies (HTML)")
    def report_across_html(self, request, queryset):
        return self.report_across(request, queryset, "html")

    @admin.action(description="Report across the selected studies (PDF)")
    def report_across_pdf(self, request, queryset):
        return self.report_across(request, queryset, "pdf")

    @admin.action(description="Report across the selected studies (JSON)")
    def report_across_json(self, request, queryset):
        return self.report_across(request, queryset, "json")
