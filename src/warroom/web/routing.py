"""An APIRoute whose JSON parsing turns every malformed body into a clear 400."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute


class _JSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = json.loads(body)
            except RecursionError:
                raise HTTPException(400, "the JSON body is nested too deeply") from None
            except UnicodeDecodeError:
                raise HTTPException(400, "the JSON body is not valid UTF-8") from None
        return self._json


class JSONRoute(APIRoute):
    """Route class for every API router."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            return await handler(_JSONRequest(request.scope, request.receive))

        return handle
