"""Paging through the researcher API's lists (settings REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]).

Its own module: DRF imports the class while it is itself being imported, before studies.apis
could be.
"""

from rest_framework.pagination import LimitOffsetPagination

from studies.errors import InvalidInput


class BoundedPagination(LimitOffsetPagination):
    """`?limit=` from 1 to MAX_LIMIT (default PAGE_SIZE) and `?offset=` from 0 to MAX_OFFSET;
    anything else (a word, a negative number, 2**64) is a 400 naming the parameter."""

    MAX_LIMIT = 1000
    MAX_OFFSET = 2**31 - 1
    max_limit = MAX_LIMIT

    def get_limit(self, request):
        return self.whole_number(request, self.limit_query_param, 1, self.MAX_LIMIT)

    def get_offset(self, request):
        return self.whole_number(request, self.offset_query_param, 0, self.MAX_OFFSET)

    def whole_number(self, request, name: str, low: int, high: int) -> int | None:
        given = request.query_params.get(name)
        if given is None:
            return self.default_limit if name == self.limit_query_param else 0
        if given.isascii() and given.isdigit() and len(given) <= 12 and low <= int(given) <= high:
            return int(given)
        raise InvalidInput(f"?{name}= must be a whole number from {low} to {high}.")

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: (1, self.MAX_LIMIT),
            self.offset_query_param: (0, self.MAX_OFFSET),
        }
        for parameter in parameters:
            low, high = bounds[parameter["name"]]
            parameter["schema"] |= {"minimum": low, "maximum": high}
        return parameters
