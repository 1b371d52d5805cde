"""The admin's data pages: a study's build (stimuli, phases, trials with their options and
references), its participants and their answers, and the audit log.

Answers are evidence. Here they can be read, never written: no answer is added, changed or
deleted one by one. They leave with their study (StudyAdmin's delete) or through the
withdrawal action, which removes a participant's data on their request and records it in the
audit log. The rows a build made are never added or deleted by hand (designs plan, services
create) and are read-only once the study has answers. Assignments have no page at all.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import TextField
from django.db.models.functions import Cast
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from studies import answer_table, selectors, services
from studies.errors import ServiceError
from studies.models import (
    AuditEvent,
    Participant,
    Phase,
    Response,
    Stimulus,
    Trial,
    TrialOption,
    TrialReference,
)


class ReadOnly:
    """Nothing added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BuildRows:
    """Rows a study's build made: never added or deleted one by one; changeable (where a
    field is) only until someone other than a researcher previewing has answered."""

    study_id_of = staticmethod(lambda row: row.study_id)

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or not selectors.study_has_answers(self.study_id_of(obj)))


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
class StimulusAdmin(BuildRows, admin.ModelAdmin):
    list_display = ["key", "kind", "class_label", "study", "duration_s", "listen_or_look"]
    list_filter = ["kind", "study"]
    search_fields = ["key", "sha256"]
    readonly_fields = [f.name for f in Stimulus._meta.fields] + ["listen_or_look"]

    class Media:
        css = {"all": ["synlab/admin.css"]}  # no inline styles (Content-Security-Policy)

    @admin.display(description="Media")
    def listen_or_look(self, stimulus):
        return stimulus_player(stimulus)


@admin.register(Phase)
class PhaseAdmin(BuildRows, admin.ModelAdmin):
    list_display = ["__str__", "title", "order"]
    list_filter = ["study", "kind"]
    readonly_fields = ["study", "kind", "order"]


class OptionInline(ReadOnly, admin.TabularInline):
    model = TrialOption
    extra = 0
    fields = readonly_fields = ["number", "stimulus", "is_correct", "identity"]

    @admin.display(description="Option")
    def number(self, option):
        return option.order + 1


class ReferenceInline(ReadOnly, admin.TabularInline):
    model = TrialReference
    extra = 0
    fields = readonly_fields = ["number", "stimulus"]

    @admin.display(description="Reference")
    def number(self, reference):
        return reference.order + 1


@admin.register(Trial)
class TrialAdmin(BuildRows, admin.ModelAdmin):
    list_display = ["__str__", "trial_type", "class_label", "condition", "is_catch"]
    list_filter = ["phase__study", "phase__kind"]
    inlines = [OptionInline, ReferenceInline]
    readonly_fields = ["phase", "number", "trial_type", "prompt", "public_id"]
    exclude = ["order"]
    study_id_of = staticmethod(lambda trial: trial.phase.study_id)

    @admin.display(description="Trial (in its phase)")
    def number(self, trial):
        return trial.order + 1


@admin.register(Participant)
class ParticipantAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "__str__",
        "study",
        "stage",
        "next_task",
        "answers",
        "musical_level",
        "is_preview",
        "consented_at",
        "completed_at",
    ]
    list_filter = ["study", "stage", "is_preview", "musical_level"]
    search_fields = ["prolific_pid", "label"]
    exclude = ["token", "browser_key", "next_index"]
    readonly_fields = ["next_task", "answers"]
    actions = ["withdraw"]

    def get_queryset(self, request):
        return selectors.participants_with_answer_counts(super().get_queryset(request))

    @admin.display(description="Next task")
    def next_task(self, participant):
        """Counted from 1, as the participant's own "Task 3 of 9"."""
        total = participant.trial_count
        if participant.stage == Participant.Stage.DONE:
            return f"done ({total} of {total})"
        if not total:
            return "none assigned"
        return f"{min(participant.next_index + 1, total)} of {total}"

    @admin.display(description="Answers")
    def answers(self, participant):
        return participant.n_answers

    def has_withdraw_permission(self, request):
        return request.user.has_perm("studies.delete_participant")

    @admin.action(
        description="Withdraw participant (remove their data on request)",
        permissions=["withdraw"],
    )
    def withdraw(self, request, queryset):
        """Asks first (listing who and how many answers), then withdraws each one."""
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Withdraw participants",
                "participants": queryset.select_related("study"),
                "opts": self.model._meta,
                "action": "withdraw",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(
                request, "admin/studies/participant/withdraw_confirmation.html", context
            )
        for participant in queryset:
            try:
                removal = services.participant_withdraw(participant=participant, by=request.user)
            except ServiceError as error:
                self.message_user(request, error.message, messages.ERROR)
                continue
            self.message_user(request, withdrawal_message(removal, participant), messages.SUCCESS)
        return None


def withdrawal_message(removal: services.Removal, participant: Participant) -> str:
    places = (
        f"{removal.places_freed} trial places freed for newcomers"
        if participant.study.status == participant.study.Status.LIVE
        else "the study is not live, so nobody takes their places"
    )
    return (
        f"{removal.reference} withdrawn from {participant.study}: {removal.answers} answers "
        f"and their personal details removed, {places}; recorded in the audit log."
    )


@admin.register(Response)
class ResponseAdmin(ReadOnly, admin.ModelAdmin):
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
    list_select_related = ["participant", "trial__phase__study"]
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


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["at", "actor_name", "action", "study_label", "participant_ref", "details"]
    list_filter = ["action"]
    search_fields = ["study_label", "participant_ref", "actor_name"]
