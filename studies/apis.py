"""Researcher REST API (staff only). Each action validates, calls one service, returns."""

import json

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response as ApiResponse

from studies import exports, selectors, services
from studies.designs import DESIGN_MODULES
from studies.errors import ServiceError
from studies.models import GenerationJob, Participant, Stimulus, Study
from studies.permissions import IsResearcher


class ServiceProblem(APIException):
    def __init__(self, error: ServiceError):
        self.status_code = error.status_code
        super().__init__({"detail": error.message, "problems": error.problems})


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
            "design_params",
            "seed",
            "raters_per_trial",
            "trials_per_participant",
            "abandon_after_minutes",
            "require_full_listen",
            "completion_code",
            "completion_url",
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


class StudyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=list(DESIGN_MODULES))
    design_params = serializers.JSONField(required=False, default=dict)
    seed = serializers.IntegerField(required=False, default=0, min_value=0)
    raters_per_trial = serializers.IntegerField(required=False, default=20, min_value=1)
    trials_per_participant = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    require_full_listen = serializers.BooleanField(required=False, default=True)
    upload = serializers.FileField(required=False)

    def validate_design_params(self, value):
        """Multipart uploads send the parameters as a JSON string."""
        if isinstance(value, str):
            try:
                value = json.loads(value or "{}")
            except ValueError as error:
                raise serializers.ValidationError("design_params must be a JSON object.") from error
        if not isinstance(value, dict):
            raise serializers.ValidationError("design_params must be a JSON object.")
        return value


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
    answers = serializers.IntegerField(source="responses.count", read_only=True)

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


def run_service(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except ServiceError as error:
        raise ServiceProblem(error) from error


class StudyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Study.objects.all()
    serializer_class = StudySerializer
    permission_classes = [IsResearcher]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=StudyCreateSerializer, responses={201: StudySerializer})
    def create(self, request):
        payload = StudyCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        study = run_service(
            services.study_create, created_by=request.user, **payload.validated_data
        )
        return ApiResponse(self.get_serializer(study).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def generate(self, request, pk=None):
        job = run_service(services.study_generate, study=self.get_object())
        return ApiResponse(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: StudySerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        study = run_service(services.study_publish, study=self.get_object())
        return ApiResponse(self.get_serializer(study).data)

    @extend_schema(request=None, responses={200: StudySerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        study = run_service(services.study_close, study=self.get_object())
        return ApiResponse(self.get_serializer(study).data)

    @extend_schema(responses={200: ProgressSerializer})
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        progress = selectors.study_progress(self.get_object())
        return ApiResponse(ProgressSerializer(progress).data)

    @extend_schema(responses={200: JobSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def jobs(self, request, pk=None):
        return ApiResponse(JobSerializer(self.get_object().jobs.all(), many=True).data)

    @extend_schema(responses={200: StimulusSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def stimuli(self, request, pk=None):
        return ApiResponse(StimulusSerializer(self.get_object().stimuli.all(), many=True).data)

    @extend_schema(responses={200: ParticipantSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def participants(self, request, pk=None):
        return ApiResponse(
            ParticipantSerializer(self.get_object().participants.all(), many=True).data
        )

    @extend_schema(responses={200: {"type": "object"}})
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        """The significance report: `?as=json` (default), `html`, `pdf` or `csv` (zip)."""
        from django.http import HttpResponse

        from studies.reports import study_report

        report = run_service(
            study_report, study=self.get_object(), fmt=request.query_params.get("as", "json")
        )
        response = HttpResponse(report.body, content_type=report.content_type)
        response["Content-Disposition"] = f'inline; filename="{report.filename}"'
        return response

    @extend_schema(responses={200: {"type": "array", "items": {"type": "object"}}})
    @action(detail=True, methods=["get"])
    def responses(self, request, pk=None):
        """Answers as JSON rows; `?as=csv` gives the same table as CSV."""
        study = self.get_object()
        if request.query_params.get("as") == "csv":
            return exports.download_response(study, "csv")
        return ApiResponse(selectors.response_table_for_study(study))
