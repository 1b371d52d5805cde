"""Researcher admin: declarative lists plus actions that call services."""

from django import forms
from django.contrib import admin, messages
from django.db.models import TextField
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from studies import answer_table, enrolment, generation, selectors, services, training
from studies.admin_downloads import StudyDownloadActions
from studies.designs import kind_choices
from studies.errors import ServiceError
from studies.models import (
    GenerationJob,
    ModelRun,
    Participant,
    Phase,
    Response,
    Stimulus,
    Study,
    Trial,
    TrialOption,
)
from studies.reports import FORMATS as REPORT_FORMATS
from studies.reports import exclusion_rules_problems


class StudyForm(forms.ModelForm):
    """A study's settings: the field rules and Study.clean() run as the form is cleaned; the
    exclusion rules are checked as the reports will read them."""

    def clean_exclusion_rules(self):
        rules = self.cleaned_data.get("exclusion_rules")
        problems = exclusion_rules_problems(rules if rules is not None else {})
        if problems:
            raise forms.ValidationError(problems)
        return rules


class StudyAddForm(StudyForm):
    """The design parameters are checked by Study.clean() (the form runs it)."""

    kind = forms.ChoiceField(choices=kind_choices)

    class Meta:
        model = Study
        fields = [
            "name",
            "kind",
            *Study.DESIGN_FIELDS,
            "source_upload",
            *Study.SETTINGS_FIELDS,
            *Study.TEXT_FIELDS,
        ]

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        upload = cleaned.get("source_upload")
        if kind and upload:
            try:
                services.check_upload_structure(kind=kind, upload=upload)
            except ServiceError as error:
                self.add_error("source_upload", error.problems)
        return cleaned


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
    readonly_fields = [
        "kind",
        "status",
        "design_params",
        "seed",
        "source_upload",
        "participant_link",
        "build_problems_list",
        "progress_table",
        "completion_code",
        "researcher_tools",
    ]
    fieldsets = [
        (None, {"fields": ["name", "kind", "status", "participant_link", "researcher_tools"]}),
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
        ("Participant texts", {"fields": [*Study.TEXT_FIELDS, "completion_code"]}),
        ("Progress", {"fields": ["progress_table"]}),
    ]

    def get_queryset(self, request):
        return selectors.studies_with_participant_counts(super().get_queryset(request))

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = StudyAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": StudyAddForm.Meta.fields})]
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        """Through the services: the form only checked the input."""
        data = form.cleaned_data
        if change:
            changes = {name: data[name] for name in form.changed_data}
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
            **{name: data[name] for name in settings if data.get(name) is not None},
        )
        obj.pk = created.pk
        obj.refresh_from_db()

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

    @admin.display(description="Participant link")
    def participant_link(self, study):
        if study.status != Study.Status.LIVE:
            return "Publish the study to open its link."
        url = reverse("study-entry", args=[study.slug])
        return format_html(
            '<a href="{}">{}</a> (for Prolific append '
            "?PROLIFIC_PID=...&amp;STUDY_ID=...&amp;SESSION_ID=...)",
            url,
            url,
        )

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
            '<a class="button" href="{}">Answers JSON</a> {} '
            '<a class="button" href="{}">Power planner</a>',
            preview,
            csv_url,
            json_url,
            reports,
            reverse("power-planner"),
        )

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


def stimulus_player(stimulus: Stimulus) -> str:
    url = reverse("stimulus-file", args=[stimulus.pk])
    if stimulus.kind == Stimulus.Kind.IMAGE:
        return format_html(
            '<img src="{}" alt="{}" class="stimulus-image">', url, stimulus.description
        )
    if stimulus.kind == Stimulus.Kind.AUDIO:
        return format_html('<audio controls preload="none" src="{}"></audio>', url)
    roll = reverse("stimulus-piano-roll", args=[stimulus.pk])
    return format_html(
        '<a href="{}"><img src="{}" alt="Piano roll of {}" class="piano-roll"></a>',
        url,
        roll,
        stimulus.key,
    )


@admin.register(Stimulus)
class StimulusAdmin(admin.ModelAdmin):
    list_display = ["key", "kind", "class_label", "study", "duration_s", "listen_or_look"]
    list_filter = ["kind", "study"]
    search_fields = ["key", "sha256"]
    readonly_fields = [f.name for f in Stimulus._meta.fields] + ["listen_or_look"]

    class Media:
        css = {"all": ["synlab/admin.css"]}  # no inline styles (Content-Security-Policy)

    @admin.display(description="Media")
    def listen_or_look(self, stimulus):
        return stimulus_player(stimulus)


class OptionInline(admin.TabularInline):
    model = TrialOption
    extra = 0
    readonly_fields = ["stimulus", "order", "is_correct", "identity"]
    can_delete = False


@admin.register(Trial)
class TrialAdmin(admin.ModelAdmin):
    list_display = ["__str__", "trial_type", "class_label", "condition", "is_catch"]
    list_filter = ["phase__study", "phase__kind"]
    inlines = [OptionInline]
    readonly_fields = ["phase", "order", "trial_type", "prompt", "public_id"]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "study",
        "stage",
        "next_index",
        "musical_level",
        "is_preview",
        "consented_at",
        "completed_at",
    ]
    list_filter = ["study", "stage", "is_preview", "musical_level"]
    search_fields = ["prolific_pid", "label"]
    exclude = ["token"]
    readonly_fields = ["trial_count", "next_index", "last_seen_at", "released_at"]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = [
        "participant",
        "trial",
        "position",
        "is_correct",
        "rt_ms",
        "audio_rt_ms",
        "plays",
        "heard_to_end",
        "received_at",
    ]
    list_filter = ["participant__study", "is_correct"]
    # The client's own time is shown as the database's text (answer_table.stored_time_text): a
    # stored year 10000 must not break the list or the answer's page.
    exclude = ["client_sent_at"]
    readonly_fields = ["client_time"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer("client_sent_at")
            .annotate(client_sent_text=Cast("client_sent_at", TextField()))
        )

    @admin.display(description="Client sent at")
    def client_time(self, response):
        return answer_table.stored_time_text(response.client_sent_text)

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(Phase)
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
