"""Rendered public pages, reused until the page's data changes or the second turns over."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.statuspage.models import (
    StatusComponent,
    StatusComponentChange,
    StatusIncident,
    StatusIncidentUpdate,
)

MAX_ENTRIES = 512


def page_version(session: Session, now: datetime) -> tuple[Any, ...]:
    """What a public page depends on, in one cheap query: any write or a new second changes it."""
    newest = select(
        select(func.max(StatusIncident.updated_at)).scalar_subquery(),
        select(func.count(StatusIncident.id)).scalar_subquery(),
        select(func.max(StatusIncidentUpdate.id)).scalar_subquery(),
        select(func.max(StatusComponent.updated_at)).scalar_subquery(),
        select(func.count(StatusComponent.id)).scalar_subquery(),
        select(func.max(StatusComponentChange.id)).scalar_subquery(),
    )
    # Maintenance windows and today's uptime move with the clock alone.
    return (*session.execute(newest).one(), now.replace(microsecond=0))


class PageCache:
    """A bounded map from (page, version) to what was rendered; safe across request threads."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[tuple[Any, ...], Any]] = {}
        self._rendering: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def _fresh(self, key: Hashable, version: tuple[Any, ...]) -> tuple[bool, Any]:
        with self._lock:
            found = self._entries.get(key)
        return (True, found[1]) if found is not None and found[0] == version else (False, None)

    def get_or_render(
        self, key: Hashable, version: tuple[Any, ...], render: Callable[[], Any]
    ) -> Any:
        """The stored rendering of ``key`` when made at ``version``, else a fresh one (stored)."""
        hit, rendered = self._fresh(key, version)
        if hit:
            return rendered
        with self._lock:
            rendering = self._rendering.setdefault(key, threading.Lock())
        # One thread renders a page; the others arriving meanwhile wait and take its result.
        with rendering:
            hit, rendered = self._fresh(key, version)
            if hit:
                return rendered
            rendered = render()
            with self._lock:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                    self._rendering = {key: rendering}
                self._entries[key] = (version, rendered)
        return rendered
