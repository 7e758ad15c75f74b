"""In-process Prometheus instruments of one Mentorbot, and the seams that move them.

prometheus-client is the reference client: its text format is what Prometheus, Grafana Agent and
VictoriaMetrics scrape, and its counters and histograms are cheap (a lock and an add). Each
:class:`BotMetrics` has its own registry, not the library's global one, so several bots in one
process (tests, benchmarks) never share or clash over a metric; each worker process exposes its
own figures and Prometheus adds them up.

No label carries customer data: labels are channels, touchpoints, statuses, job names, reasons.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from bot.log_context import log_context
from handlers.messages import (
    ChannelUnavailable,
    ChatUnreachable,
    FileRef,
    IncomingUpdate,
    MessageRejected,
    OutgoingDocument,
    OutgoingMessage,
    OutgoingPhoto,
    RetryLater,
    SentMessage,
)
from handlers.ports import AnswerPipeline, CustomerChannel
from storage.models import Answer

# Handling an update is a few database round trips and a Bot API call or two.
UPDATE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SCORING_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def failure_reason(exc: BaseException) -> str:
    """A short, fixed label for why a send failed (never the error's text)."""
    if isinstance(exc, RetryLater):
        return "rate_limited"
    if isinstance(exc, ChatUnreachable):
        return "unreachable"
    if isinstance(exc, MessageRejected):
        return "rejected"
    if isinstance(exc, ChannelUnavailable):
        return "unavailable"
    return "error"


class BotMetrics:
    """The counters and histograms one bot moves while it runs, in its own registry."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        """False (``metrics.enabled: false``): the seams pass calls straight through."""
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.messages_sent = Counter(
            "mentorbot_messages_sent",
            "Messages the customer channel accepted, per channel and kind of call.",
            ["channel", "method"],
            registry=r,
        )
        self.messages_failed = Counter(
            "mentorbot_messages_failed",
            "Calls to the customer channel that failed, per channel and reason "
            "(rate_limited is a 429: the message is retried).",
            ["channel", "method", "reason"],
            registry=r,
        )
        self.update_seconds = Histogram(
            "mentorbot_update_handling_seconds",
            "Time to handle one customer update (stored, scored, answered).",
            ["channel", "kind"],
            buckets=UPDATE_BUCKETS,
            registry=r,
        )
        self.update_errors = Counter(
            "mentorbot_update_errors",
            "Customer updates whose handling raised (a bug or a lost database).",
            ["channel", "kind"],
            registry=r,
        )
        self.scoring_seconds = Histogram(
            "mentorbot_answer_scoring_seconds",
            "Time from a stored answer to its score and what follows it (segments, cases).",
            buckets=SCORING_BUCKETS,
            registry=r,
        )
        self.answers_processed = Counter(
            "mentorbot_answers_processed",
            "Stored answers that went through the scoring pipeline, by outcome.",
            ["outcome"],
            registry=r,
        )
        self.job_runs = Counter(
            "mentorbot_scheduler_job_runs",
            "Periodic job runs in this worker.",
            ["task"],
            registry=r,
        )
        self.job_failures = Counter(
            "mentorbot_scheduler_job_failures",
            "Periodic job runs that failed (reason: database or error).",
            ["task", "reason"],
            registry=r,
        )
        self.job_seconds = Histogram(
            "mentorbot_scheduler_job_duration_seconds",
            "Time one periodic job run took.",
            ["task"],
            buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
            registry=r,
        )
        self.database_errors = Counter(
            "mentorbot_database_errors",
            "Errors the database driver raised (kind: connection, or the error's class).",
            ["kind"],
            registry=r,
        )

    def channel(self, inner: CustomerChannel, name: str) -> CustomerChannel:
        """``inner`` with every call counted (sent, failed by reason)."""
        return CountingChannel(inner, name, self) if self.enabled else inner

    def pipeline(self, inner: AnswerPipeline) -> AnswerPipeline:
        """``inner`` timed, with each answer's ids on the log lines it writes."""
        return TimedPipeline(inner, self)

    def job(self, name: str, run: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[Any]]:
        """``run`` counted and timed; its exceptions still reach the scheduler's guard."""
        if not self.enabled:
            return run
        runs = self.job_runs.labels(name)
        seconds = self.job_seconds.labels(name)

        async def counted() -> object:
            start = time.perf_counter()
            runs.inc()
            try:
                return await run()
            except ConnectionError:
                self.job_failures.labels(name, "database").inc()
                raise
            except Exception:
                self.job_failures.labels(name, "error").inc()
                raise
            finally:
                seconds.observe(time.perf_counter() - start)

        return counted

    @contextmanager
    def timed_update(self, update: IncomingUpdate) -> Iterator[None]:
        """Time the handling of ``update``; count it as an error when it raises."""
        if not self.enabled:
            yield
            return
        start = time.perf_counter()
        try:
            yield
        except BaseException:
            self.update_errors.labels(update.channel, update.kind).inc()
            raise
        finally:
            self.update_seconds.labels(update.channel, update.kind).observe(
                time.perf_counter() - start
            )

    def database_error(self, is_disconnect: bool, error: BaseException) -> None:
        """Count one driver error (hooked to SQLAlchemy's ``handle_error`` event)."""
        self.database_errors.labels("connection" if is_disconnect else type(error).__name__).inc()


class CountingChannel:
    """A customer channel that counts what it sends and why sends fail."""

    def __init__(self, inner: CustomerChannel, name: str, metrics: BotMetrics) -> None:
        self.inner = inner
        self.name = name
        self._m = metrics
        self._sent = {
            m: metrics.messages_sent.labels(name, m)
            for m in ("send", "edit", "answer_button", "send_document", "send_photo")
        }

    def __getattr__(self, attr: str) -> Any:
        # Anything beyond the port (e.g. an adapter's own helpers) goes to the real channel.
        return getattr(self.inner, attr)

    async def _call(self, method: str, call: Awaitable[Any]) -> Any:
        try:
            result = await call
        except Exception as exc:
            self._m.messages_failed.labels(self.name, method, failure_reason(exc)).inc()
            raise
        self._sent[method].inc()
        return result

    async def send(self, message: OutgoingMessage) -> SentMessage:
        """Send, counted."""
        return await self._call("send", self.inner.send(message))

    async def edit(self, chat_id: int, message_id: int, text: str) -> None:
        """Edit, counted."""
        await self._call("edit", self.inner.edit(chat_id, message_id, text))

    async def answer_button(self, callback_id: str, text: str | None = None) -> None:
        """Acknowledge a button, counted."""
        await self._call("answer_button", self.inner.answer_button(callback_id, text))

    async def send_document(self, document: OutgoingDocument) -> SentMessage:
        """Send a file, counted."""
        return await self._call("send_document", self.inner.send_document(document))

    async def send_photo(self, photo: OutgoingPhoto) -> SentMessage:
        """Send an image, counted."""
        return await self._call("send_photo", self.inner.send_photo(photo))

    async def fetch_file(self, ref: FileRef, max_bytes: int) -> bytes:
        """Fetch a customer's file (not a message: not counted)."""
        return await self.inner.fetch_file(ref, max_bytes)


class TimedPipeline:
    """The answer pipeline, timed, with the answer's and check-in's ids in the log context."""

    def __init__(self, inner: AnswerPipeline, metrics: BotMetrics) -> None:
        self.inner = inner
        self._m = metrics
        self._seconds = metrics.scoring_seconds
        self._ok = metrics.answers_processed.labels("scored")
        self._failed = metrics.answers_processed.labels("failed")

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    async def process(self, answer: Answer) -> None:
        """Process one answer through the real pipeline, timed."""
        start = time.perf_counter()
        with log_context(answer_id=answer.id, checkin_id=answer.checkin_id):
            if not self._m.enabled:  # the ids on the log lines stay
                await self.inner.process(answer)
                return
            try:
                await self.inner.process(answer)
            except Exception:
                self._failed.inc()
                raise
            finally:
                self._seconds.observe(time.perf_counter() - start)
        self._ok.inc()
