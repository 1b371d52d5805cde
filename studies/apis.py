"""Researcher REST API (staff only). Each action validates, calls one service, returns.

Domain errors (studies.errors) raised by the services become HTTP answers in one place,
api_exception_handler (settings REST_FRAMEWORK["EXCEPTION_HANDLER"]).
"""

import json

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response as ApiResponse
from rest_framework.views import exception_handler

from studies import answer_table, exports, generation, selectors, services
from studies.designs import DESIGN_MODULES
from studies.errors import ServiceError
from studies.grouping_table import grouping_table_for_study
from studies.models import GenerationJob, Participant, Stimulus, Study
from studies.permissions import IsResearcher


class ServiceProblem(APIException):
    def __init__(self, error: ServiceError):
        self.status_code = error.status_code
        super().__init__({"detail": error.message, "problems": error.problems})


def api_exception_handler(exc, context):
    """InvalidInput -> 400, NotAllowed -> 403, NotFound -> 404, Conflict -> 409, each with
    `detail` and every problem in `problems`; anything else as DRF answers it."""
    if isinstance(exc, ServiceError):
        exc = ServiceProblem(exc)
    return exception_handler(exc, context)


class StudySerializer(serializers.ModelSerializer):
    participant_link = serializers.SerializerMethodField()

    class Meta:
        model = Study
        fields = [
            "id",
            "uuid",
            "name",
            "kind",
            "status",
            *Study.DESIGN_FIELDS,
            *Study.SETTINGS_FIELDS,
            *Study.TEXT_FIELDS,
            "completion_code",
            "build_problems",
            "created_at",
            "published_at",
            "closed_at",
            "participant_link",
        ]
        read_only_fields = fields

    def get_participant_link(self, study: Study) -> str:
        request = self.context.get("request")
        path = f"/s/{study.slug}/"
        return request.build_absolute_uri(path) if request else path


class JSONObjectField(serializers.JSONField):
    """A JSON object; multipart uploads send it as a JSON string."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data or "{}")
            except ValueError as error:
                raise serializers.ValidationError("Must be a JSON object.") from error
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return super().to_internal_value(data)


class StudyCreateSerializer(serializers.ModelSerializer):
    """What services.study_create takes; the rest keeps the model's defaults."""

    kind = serializers.ChoiceField(choices=list(DESIGN_MODULES))
    design_params = JSONObjectField(required=False, default=dict)
    exclusion_rules = JSONObjectField(required=False)
    upload = serializers.FileField(required=False)

    class Meta:
        model = Study
        fields = [
            "name",
            "kind",
            *Study.DESIGN_FIELDS,
            *Study.SETTINGS_FIELDS,
            *Study.TEXT_FIELDS,
            "upload",
        ]


class StimulusSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stimulus
        fields = [
            "id",
            "kind",
            "key",
            "sha256",
            "size_bytes",
            "duration_s",
            "width",
            "height",
            "class_label",
            "description",
            "provenance",
        ]


class ParticipantSerializer(serializers.ModelSerializer):
    answers = serializers.IntegerField(source="n_answers", read_only=True)

    class Meta:
        model = Participant
        fields = [
            "id",
            "label",
            "prolific_pid",
            "prolific_study_id",
            "prolific_session_id",
            "is_preview",
            "gender",
            "age_band",
            "musical_level",
            "stage",
            "next_index",
            "answers",
            "consented_at",
            "completed_at",
        ]


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = GenerationJob
        fields = [
            "id",
            "status",
            "attempts",
            "progress",
            "message",
            "problems",
            "created_at",
            "finished_at",
        ]


class ProgressSerializer(serializers.Serializer):
    started = serializers.IntegerField()
    completed = serializers.IntegerField()
    answers = serializers.IntegerField()
    answers_per_trial = serializers.DictField(child=serializers.IntegerField())


class StudyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Study.objects.all()
    serializer_class = StudySerializer
    permission_classes = [IsResearcher]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=StudyCreateSerializer, responses={201: StudySerializer})
    def create(self, request):
        payload = StudyCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        study = services.study_create(created_by=request.user, **payload.validated_data)
        return ApiResponse(self.get_serializer(study).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def generate(self, request, pk=None):
        job = generation.study_generate(study=self.get_object())
        return ApiResponse(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: StudySerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        study = services.study_publish(study=self.get_object())
        return ApiResponse(self.get_serializer(study).data)

    @extend_schema(request=None, responses={200: StudySerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        study = services.study_close(study=self.get_object())
        return ApiResponse(self.get_serializer(study).data)

    @extend_schema(responses={200: ProgressSerializer})
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        progress = selectors.study_progress(self.get_object())
        return ApiResponse(ProgressSerializer(progress).data)

    @extend_schema(responses={200: JobSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def jobs(self, request, pk=None):
        return ApiResponse(JobSerializer(selectors.study_jobs(self.get_object()), many=True).data)

    @extend_schema(responses={200: StimulusSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def stimuli(self, request, pk=None):
        stimuli = selectors.study_stimuli(self.get_object())
        return ApiResponse(StimulusSerializer(stimuli, many=True).data)

    @extend_schema(responses={200: ParticipantSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def participants(self, request, pk=None):
        participants = selectors.study_participants(self.get_object())
        return ApiResponse(ParticipantSerializer(participants, many=True).data)

    @extend_schema(responses={200: {"type": "object"}})
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        """The significance report: `?as=json` (default), `html`, `pdf` or `csv` (zip)."""
        from studies.reports import report_response, study_report

        report = study_report(study=self.get_object(), fmt=request.query_params.get("as", "json"))
        return report_response(report, disposition="inline")

    @extend_schema(responses={200: {"type": "array", "items": {"type": "object"}}})
    @action(detail=True, methods=["get"])
    def responses(self, request, pk=None):
        """Answers as JSON rows; `?as=csv` gives the same table as CSV."""
        study = self.get_object()
        if request.query_params.get("as") == "csv":
            return exports.download_response(study, "csv")
        return ApiResponse(answer_table.response_table_for_study(study))

    @extend_schema(responses={200: {"type": "array", "items": {"type": "object"}}})
    @action(detail=True, methods=["get"])
    def groupings(self, request, pk=None):
        """Grouping boards' answers, one row per item, as JSON rows; `?as=csv` gives CSV."""
        study = self.get_object()
        if request.query_params.get("as") == "csv":
            return exports.download_groupings(study)
        return ApiResponse(grouping_table_for_study(study))
