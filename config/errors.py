"""Errors that services raise and every interface (API, admin, import, command) maps the same way.

Bad input is ``django.core.exceptions.ValidationError`` with a field-keyed message dict (400);
a request that conflicts with existing state is ``Conflict`` (409).
"""


class Conflict(Exception):
    """The request is well-formed but clashes with recorded state (double reversal, closed run...)."""

    def __init__(self, message: str, *, code: str = "conflict"):
        super().__init__(message)
        self.message = message
        self.code = code
