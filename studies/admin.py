"""Researcher admin: declarative lists plus actions that call services. The study and model
run pages are here; the rows a study's build and its participants made (read-only evidence,
and the withdrawal action) are in admin_data.py."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from studies import (  # admin_data registers the data pages
    admin_data,  # noqa: F401
    admin_imports,  # noqa: F401  (registers the import pages)
    enrolment,
    generation,
    held_uploads,
    selectors,
    services,
    training,
)
from studies.admin_downloads import StudyDownloadActions
from studies.errors import ServiceError
from studies.forms import TRANSLATION_FIELD_NAMES, StudyAddForm, StudyForm
from studies.models import GenerationJob, ModelRun, Study
from studies.reports import FORMATS as REPORT_FORMATS

# Prolific fills these in for each participant (its "URL parameters" option).
PROLIFIC_QUERY = (
    "?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}"
)


def participant_links(request, study: Study) -> dict | None:
    """The live study's full link, as is and as Prolific wants it pasted (None until live)."""
    if study.status != Study.Status.LIVE:
        return None
    url = request.build_absolute_uri(reverse("study-entry", args=[study.slug]))
    return {"direct": url, "prolific": url + PROLIFIC_QUERY}


class JobInline(admin.TabularInline):
    model = GenerationJob
    extra = 0
    can_delete = False
    fields = ["status", "attempts", "progress", "message", "problems", "created_at", "finished_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Study)
class StudyAdmin(StudyDownloadActions, admin.ModelAdmin):
    list_display = ["name", "kind", "status", "started", "completed", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["name"]
    actions = [
        "generate",
        "publish",
        "close",
        "export_csv",
        "export_json",
        "report_across_html",
        "report_across_pdf",
        "report_across_json",
    ]
    form = StudyForm
    inlines = [JobInline]
    change_form_template = "admin/studies/study/change_form.html"
    readonly_fields = [
        "kind",
        "status",
        "design_params",
        "seed",
        "source_upload",
        "build_problems_list",
        "progress_table",
        "completion_code",
        "researcher_tools",
    ]
    texts = [*Study.TEXT_FIELDS, *TRANSLATION_FIELD_NAMES]
    fieldsets = [
        (None, {"fields": ["name", "kind", "status", "researcher_tools"]}),
        (
            "Design",
            {
                "fields": [
                    *Study.DESIGN_FIELDS,
                    "source_upload",
                    "build_problems_list",
                    *Study.SETTINGS_FIELDS,
                ]
            },
        ),
        ("Participant texts", {"fields": [*texts, "completion_code"]}),
        ("Progress", {"fields": ["progress_table"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["name", "kind", *Study.DESIGN_FIELDS, "source_upload", "held_upload"]}),
        ("Settings", {"fields": list(Study.SETTINGS_FIELDS)}),
        ("Participant texts", {"fields": texts}),
    ]

    class Media:
        css = {"all": ["synlab/admin.css"]}
        js = ["synlab/admin_study.js"]  # the copy buttons, the chosen kind's parameters

    def get_queryset(self, request):
        return selectors.studies_with_participant_counts(super().get_queryset(request))

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, **kwargs)
        form = super().get_form(request, obj, form=StudyAddForm, **kwargs)
        return type(form.__name__, (form,), {"owner_id": request.user.pk})

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        """Through the services: the form only checked the input."""
        data = form.cleaned_data
        if change:
            changes = {name: data[name] for name in form.changed_data if name in data}
            changes = {k: v for k, v in changes.items() if k not in TRANSLATION_FIELD_NAMES}
            if form.translations_changed():
                changes["translations"] = data["translations"]
            services.study_update(study=obj, changes=changes)
            return
        settings = (*Study.SETTINGS_FIELDS, *Study.TEXT_FIELDS)
        created = services.study_create(
            name=data["name"],
            kind=data["kind"],
            design_params=data.get("design_params") or {},
            seed=data.get("seed") or 0,
            upload=data.get("source_upload") or None,
            created_by=request.user,
            translations=data["translations"],
            **{name: data[name] for name in settings if data.get(name) is not None},
        )
        held_uploads.upload_release(token=data.get("held_upload", ""), owner_id=request.user.pk)
        obj.pk = created.pk
        obj.refresh_from_db()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        study = self.get_object(request, unquote(object_id))
        links = participant_links(request, study) if study else None
        extra_context = {**(extra_context or {}), "participant_links": links}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        generating = obj is not None and obj.status == Study.Status.GENERATING
        return super().has_delete_permission(request, obj) and not generating

    def get_deleted_objects(self, objs, request):
        """What deleting removes, counted per study: listing every answer would load it (and
        a stored time Python cannot read broke the page on PostgreSQL)."""
        summaries, totals = [], {"studies": 0}
        for study in objs:
            contents = selectors.study_contents(study)
            summaries.append(
                f"{study.name}: "
                + ", ".join(f"{count} {name}" for name, count in contents.items())
                + " (with the stimulus files; recorded in the audit log)"
            )
            totals["studies"] += 1
            for name, count in contents.items():
                totals[name] = totals.get(name, 0) + count
        protected = [
            f"{study.name} is being generated: delete it once its job has finished."
            for study in objs
            if study.status == Study.Status.GENERATING
        ]
        allowed = all(self.has_delete_permission(request, study) for study in objs)
        return summaries, totals, set() if allowed or protected else {"study"}, protected

    def delete_model(self, request, obj):
        self.delete_queryset(request, [obj])

    def delete_queryset(self, request, queryset):
        for study in queryset:
            try:
                services.study_delete(study=study, by=request.user)
            except ServiceError as error:
                self.message_user(request, f"{study}: {error.message}", messages.ERROR)

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_as_participant),
                name="studies_study_preview",
            ),
        ]
        return extra + super().get_urls()

    def preview_as_participant(self, request, pk):
        study = selectors.study_by_pk(pk)
        if study is None:
            raise Http404("No such study.")
        try:
            participant = enrolment.participant_enroll_preview(study=study)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("admin:studies_study_change", pk)
        return redirect("participant-page", token=participant.token)

    @admin.display(description="Started")
    def started(self, study):
        return study.n_started

    @admin.display(description="Completed")
    def completed(self, study):
        return study.n_completed

    @admin.display(description="Tools")
    def researcher_tools(self, study):
        preview = reverse("admin:studies_study_preview", args=[study.pk])
        csv_url = reverse("study-responses-export", args=[study.pk, "csv"])
        json_url = reverse("study-responses-export", args=[study.pk, "json"])
        reports = format_html_join(
            " ",
            '<a class="button" href="{}">Report {}</a>',
            (
                (reverse("study-report", args=[study.pk, fmt]), fmt.upper())
                for fmt in REPORT_FORMATS
            ),
        )
        return format_html(
            '<a class="button" href="{}">Preview as participant</a> '
            '<a class="button" href="{}">Answers CSV</a> '
            '<a class="button" href="{}">Answers JSON</a> {}{} '
            '<a class="button" href="{}">Power planner</a>',
            preview,
            csv_url,
            json_url,
            self.groupings_link(study),
            reports,
            reverse("power-planner"),
        )

    def groupings_link(self, study):
        """The boards' answers have their own CSV (one row per item); JSON holds both tables."""
        if not selectors.study_has_grouping_boards(study):
            return ""
        url = reverse("study-groupings-export", args=[study.pk])
        return format_html('<a class="button" href="{}">Groupings CSV</a> ', url)

    @admin.display(description="Build problems")
    def build_problems_list(self, study):
        if not study.build_problems:
            return "None"
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((p,) for p in study.build_problems))
        )

    @admin.display(description="Progress")
    def progress_table(self, study):
        progress = selectors.study_progress(study)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td></tr>",
            ((order + 1, n) for order, n in progress.answers_per_trial.items()),
        )
        return format_html(
            "<p>{} started, {} completed, {} answers (researcher previews excluded).</p>"
            "<table><thead><tr><th>Trial</th><th>Answers</th></tr></thead><tbody>{}</tbody></table>",
            progress.started,
            progress.completed,
            progress.answers,
            rows,
        )

    def run_on_each(self, request, queryset, service, done: str):
        for study in queryset:
            try:
                service(study=study)
                self.message_user(request, f"{study}: {done}.", messages.SUCCESS)
            except ServiceError as error:
                self.message_user(request, f"{study}: {error.message}", messages.ERROR)

    @admin.action(description="Generate stimuli and trials")
    def generate(self, request, queryset):
        self.run_on_each(request, queryset, generation.study_generate, "generation queued")

    @admin.action(description="Publish (open the participant link)")
    def publish(self, request, queryset):
        self.run_on_each(request, queryset, services.study_publish, "published")

    @admin.action(description="Close")
    def close(self, request, queryset):
        self.run_on_each(request, queryset, services.study_close, "closed")


admin.site.site_header = "Synlab"
admin.site.site_title = "Synlab admin"


class ModelRunForm(forms.ModelForm):
    class Meta:
        model = ModelRun
        fields = ["name", "kind", "params", "parent"]

    def clean(self):
        cleaned = super().clean()
        params = dict(cleaned.get("params") or {})
        problems = training.model_run_problems(
            kind=cleaned.get("kind"), params=params, parent=cleaned.get("parent")
        )
        for problem in problems:
            self.add_error(None, problem)
        return cleaned


@admin.register(ModelRun)
class ModelRunAdmin(admin.ModelAdmin):
    form = ModelRunForm
    list_display = ["name", "kind", "status", "progress_percent", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    actions = ["compare", "create_matching_study"]
    readonly_fields = [
        "status",
        "attempts",
        "progress_percent",
        "message",
        "metrics_table",
        "checkpoint",
        "started_at",
        "finished_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        return (
            self.readonly_fields
            if obj is None
            else [*self.readonly_fields, "name", "kind", "params", "parent"]
        )

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = training.model_run_create(
            name=form.cleaned_data["name"],
            kind=form.cleaned_data["kind"],
            params=form.cleaned_data.get("params") or {},
            parent=form.cleaned_data.get("parent"),
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    @admin.display(description="Progress")
    def progress_percent(self, run):
        return f"{100 * run.progress:.0f}%"

    @admin.display(description="Metrics")
    def metrics_table(self, run):
        rows = format_html_join(
            "", "<tr><th>{}</th><td>{}</td></tr>", ((k, v) for k, v in sorted(run.metrics.items()))
        )
        return format_html("<table>{}</table>", rows)

    @admin.action(description="Create a draft study from the selected run(s)")
    def create_matching_study(self, request, queryset):
        for run in queryset:
            try:
                study = training.study_create_from_model_run(run=run, created_by=request.user)
            except ServiceError as error:
                self.message_user(request, error.message, messages.ERROR)
                continue
            link = reverse("admin:studies_study_change", args=[study.pk])
            self.message_user(
                request,
                format_html(
                    'Draft study <a href="{}">{}</a> created: generate it, listen to the pairs, '
                    "then publish.",
                    link,
                    study.name,
                ),
                messages.SUCCESS,
            )

    @admin.action(description="Compare selected runs (metrics side by side)")
    def compare(self, request, queryset):
        from django.template.response import TemplateResponse

        comparison = selectors.model_run_comparison(queryset)
        context = {
            **self.admin_site.each_context(request),
            "runs": comparison.runs,
            "rows": comparison.rows,
            "title": "Compare model runs",
        }
        return TemplateResponse(request, "admin/compare_runs.html", context)
