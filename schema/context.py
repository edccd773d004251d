"""What every resolver receives: the request, settings-derived flags and the principal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.identity import Principal


@dataclass
class GraphQLContext:
    request: Any
    response: Any
    request_id: str
    principal: Principal | None = None
    introspection_allowed: bool = True
