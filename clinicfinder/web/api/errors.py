"""The API's one exception, kept apart from the pydantic models so the blueprint can handle it unloaded."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A 4xx answer whose JSON names the parameter at fault."""

    def __init__(self, parameter: str | None, message: str, *, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.status = status
        self.extra = extra
