"""Group commit: concurrent ingest requests share one transaction, each awaiting its commit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from warroom.clock import Clock
from warroom.db import transaction
from warroom.pipeline.apply import Outcome, PipelineSettings, Submission, apply

log = logging.getLogger(__name__)


class IngestWriter:
    """Writes submissions in batches: whatever queued while the last batch committed goes next.

    There is no timer: an idle writer writes a lone request at once, and under load each batch
    holds everything that arrived during the previous commit, so one fsync serves many requests.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        settings: PipelineSettings,
        max_batch_events: int = 5000,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.settings = settings
        self.max_batch_events = max_batch_events
        self._queue: list[tuple[Submission, asyncio.Future[Outcome]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, submission: Submission) -> Outcome:
        """Queue the submission and return its outcome once its transaction has committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._queue.append((submission, future))
        if self._draining is None or self._draining.done():
            self._draining = loop.create_task(self._drain())
        # Shielded: a client that disconnects must not cancel a write others share.
        return await asyncio.shield(future)

    def write(self, submissions: Sequence[Submission]) -> list[Outcome]:
        """Apply and commit submissions in one transaction (the writer's thread, or tests)."""
        with transaction(self.session_factory) as session:
            return apply(
                session, submissions=submissions, now=self.clock.now(), settings=self.settings
            )

    async def _drain(self) -> None:
        while self._queue:
            batch = self._take()
            try:
                outcomes = await asyncio.to_thread(self.write, [s for s, _ in batch])
            except Exception as exc:
                if len(batch) == 1:
                    await self._retry_alone(batch[0], exc)
                    continue
                log.warning("ingest batch of %d failed (%s); writing each alone", len(batch), exc)
                for item in batch:
                    await self._retry_alone(item, None)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)

    def _take(self) -> list[tuple[Submission, asyncio.Future[Outcome]]]:
        taken, events = 0, 0
        for submission, _ in self._queue:
            if taken and events + len(submission.events) > self.max_batch_events:
                break
            taken += 1
            events += len(submission.events)
        batch, self._queue = self._queue[:taken], self._queue[taken:]
        return batch

    async def _retry_alone(
        self, item: tuple[Submission, asyncio.Future[Outcome]], first_error: Exception | None
    ) -> None:
        submission, future = item
        # Another process may have opened the same alert a moment earlier: once more sees it.
        attempts = 2 if first_error is None or isinstance(first_error, IntegrityError) else 1
        error: Exception | None = first_error
        for _ in range(attempts):
            try:
                (outcome,) = await asyncio.to_thread(self.write, [submission])
            except Exception as exc:
                error = exc
                continue
            if not future.done():
                future.set_result(outcome)
            return
        if not future.done() and error is not None:
            future.set_exception(error)
