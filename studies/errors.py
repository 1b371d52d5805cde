"""Domain errors raised by services and selectors; views and APIs turn them into 4xx answers.

Participant views map them to pages (views.error_page), the researcher API through one DRF
exception handler (apis.api_exception_handler, settings REST_FRAMEWORK["EXCEPTION_HANDLER"]).
"""


class ServiceError(Exception):
    status_code = 400

    def __init__(self, message: str, *, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or [message]


class InvalidInput(ServiceError):
    status_code = 400


class NotAllowed(ServiceError):
    status_code = 403


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409


class StudyFull(ServiceError):
    """Every place is taken for now; places free up when a session is abandoned."""

    status_code = 200
