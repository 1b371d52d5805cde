"""Domain errors raised by services; views and APIs turn them into 4xx answers."""


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


class Conflict(ServiceError):
    status_code = 409


class StudyFull(ServiceError):
    """Every place is taken for now; places free up when a session is abandoned."""

    status_code = 200
