"""Pacing and retries: messages go one at a time, at the pace asked, and a message the server
refuses for now (a 4xx reply, or a connection lost before it took the data) is tried again
after the rest of the batch, on the retry schedule, so one slow recipient holds up nobody.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Protocol

from ..errors import DeliveryError
from ..sendlog import DEFERRED, FAILED, NOT_SENT, SENT, UNKNOWN, SendLog
from .report import PENDING, SKIPPED, WOULD_SEND, Outcome
from .smtp import ConnectionLost, SmtpClient, UnknownDelivery

MAYBE_UTF8 = "non-ASCII address: sent only if the server takes such addresses (SMTPUTF8)"
NO_UTF8 = "not sent: this server does not take addresses with non-ASCII letters (no SMTPUTF8)"


class Clock(Protocol):
    """Time as the sender sees it: injected so tests need no sleeps."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Wait."""
        time.sleep(seconds)


@dataclass
class Pacer:
    """Keeps to a number of messages per minute."""

    clock: Clock
    per_minute: float | None
    _last: float | None = None

    def wait(self) -> None:
        """Sleep until the next message may go."""
        if self.per_minute and self._last is not None:
            gap = 60.0 / self.per_minute - (self.clock.now() - self._last)
            if gap > 0:
                self.clock.sleep(gap)
        self._last = self.clock.now()


@dataclass
class RetryQueue:
    """Messages refused for now, each due again after its wait on the schedule."""

    clock: Clock
    waits: tuple[float, ...]
    _due: list[tuple[float, int, int]] = field(default_factory=list)  # (when, index, tries)

    def add(self, index: int, tries: int) -> bool:
        """Schedule another try after `tries` tries; False when the schedule is used up."""
        if tries > len(self.waits):
            return False
        heapq.heappush(self._due, (self.clock.now() + self.waits[tries - 1], index, tries))
        return True

    def __bool__(self) -> bool:
        return bool(self._due)

    def next(self) -> tuple[int, int]:
        """Wait until the earliest is due; its index and how many tries it has had."""
        when, index, tries = heapq.heappop(self._due)
        wait = when - self.clock.now()
        if wait > 0:
            self.clock.sleep(wait)
        return index, tries

    def drain(self) -> list[int]:
        """The indexes still waiting (when the batch stops before their turn)."""
        left = [index for _, index, _ in self._due]
        self._due.clear()
        return left


@dataclass(frozen=True)
class Planned:
    """A message to send: its outcome's names, the message built for now, and its log key."""

    kind: str
    recipient: str
    name: str
    to: str
    send: bool
    reason: str = ""
    message: EmailMessage | None = None
    content_hash: str = ""
    correction: bool = False
    facts: str = ""
    held: str = ""  # why an earlier send holds it back, if it does

    def outcome(self, status: str, detail: str = "") -> Outcome:
        """This message's outcome."""
        held = self.held if status == SKIPPED else ""
        return Outcome(self.kind, self.recipient, self.name, self.to, status, detail, held)


@dataclass
class BatchResult:
    """What became of a batch."""

    outcomes: list[Outcome]
    stopped_by: str = ""  # a problem that stopped the send part-way
    left_by_limit: int = 0
    no_utf8: list[Outcome] = field(default_factory=list)


INTERRUPTED = "the send was interrupted"


class _Batch:
    """One send of a list of messages: the state shared by its first pass and its retries."""

    def __init__(
        self, planned: list[Planned], log: SendLog, month: str, client: SmtpClient, clock: Clock
    ) -> None:
        self.planned, self.log, self.month, self.client = planned, log, month, client
        self.pacer = Pacer(clock, client.settings.messages_per_minute)
        self.retries = RetryQueue(clock, client.settings.retry_waits)
        self.outcomes: list[Outcome | None] = [None] * len(planned)
        self.stopped = ""

    def run(self, chosen: list[int]) -> None:
        """Try each chosen message, then those to retry, until done or stopped."""
        planned, outcomes = self.planned, self.outcomes
        try:
            for index in chosen:
                if self.stopped:
                    outcomes[index] = planned[index].outcome(
                        PENDING, f"not attempted: {self.stopped}"
                    )
                else:
                    self.attempt(index, 1)
            while self.retries and not self.stopped:
                index, tries = self.retries.next()
                self.attempt(index, tries + 1)
        except KeyboardInterrupt:
            # Ctrl-C: what went, and what is left, are told as for a dropped server, with the
            # command that sends the rest (the log already knows each message's state).
            self.stopped = INTERRUPTED
            for index in chosen:
                if outcomes[index] is None:
                    outcomes[index] = planned[index].outcome(
                        PENDING, f"not attempted: {INTERRUPTED}"
                    )
        for index in self.retries.drain():
            outcomes[index] = planned[index].outcome(
                PENDING, f"not attempted again: {self.stopped}"
            )

    def attempt(self, index: int, tries: int) -> None:
        """One try of one message, recorded in the log before, during and after."""
        p = self.planned[index]
        assert p.message is not None
        sender = p.message["From"].addresses[0].addr_spec
        utf8 = not (p.to.isascii() and sender.isascii())
        payload = p.message.as_bytes(policy=policy.SMTPUTF8 if utf8 else policy.SMTP)
        self.pacer.wait()
        attempt_id = self.log.start(
            p.kind,
            p.recipient,
            self.month,
            p.content_hash,
            str(p.message["Message-ID"]),
            p.correction,
            p.to,
            p.facts,
        )
        handed: list[bool] = []

        def handed_over() -> None:
            handed.append(True)
            self.log.handed_over(attempt_id)

        try:
            code, words = self.client.send(payload, sender, p.to, utf8, handed_over)
        except UnknownDelivery as exc:
            detail = (
                f"connection lost after the message was handed over ({exc}): check whether "
                "it arrived; it will not be resent automatically"
            )
            self.log.finish(attempt_id, UNKNOWN, detail)
            self.outcomes[index] = p.outcome(UNKNOWN, detail)
            return
        except ConnectionLost as exc:
            code, words = 0, str(exc)
        except DeliveryError as exc:
            # Raised before the message was handed over (e.g. the login refused on
            # reconnecting): it is safe to try again later, and pointless to go on now.
            self.log.finish(attempt_id, NOT_SENT, str(exc))
            self.stopped = str(exc)
            self.outcomes[index] = p.outcome(PENDING, f"not attempted: {exc}")
            return
        except BaseException:
            # Interrupted (Ctrl-C): once the data was handed over it may have arrived.
            state = UNKNOWN if handed else NOT_SENT
            self.log.finish(attempt_id, state, INTERRUPTED)
            self.outcomes[index] = (
                p.outcome(UNKNOWN, f"{INTERRUPTED} as it was handed over: check whether it arrived")
                if handed
                else p.outcome(PENDING, f"not attempted: {INTERRUPTED}")
            )
            raise
        if 200 <= code < 300:
            self.log.finish(attempt_id, SENT, f"{code} {words}")
            self.outcomes[index] = p.outcome(SENT, "sent as a correction" if p.correction else "")
        elif 500 <= code < 600:
            self.log.finish(attempt_id, FAILED, f"{code} {words}")
            self.outcomes[index] = p.outcome(FAILED, f"{code} {words}")
        else:
            reply = f"{code} {words}" if code else words
            self.log.finish(attempt_id, DEFERRED, reply)
            if not self.retries.add(index, tries):
                self.outcomes[index] = p.outcome(
                    PENDING,
                    f"{reply} (refused for now, still after {tries} tries: run the same "
                    "command again later)",
                )


def send_batch(
    planned: list[Planned],
    log: SendLog,
    month: str,
    client: SmtpClient | None,
    clock: Clock,
    limit: int | None = None,
) -> BatchResult:
    """Send what is planned, at the pace asked; nothing at all when `client` is None (dry run)."""
    result = BatchResult([])
    to_send = [i for i, p in enumerate(planned) if p.send]
    outcomes: list[Outcome | None] = [
        None if p.send else p.outcome(SKIPPED, p.reason) for p in planned
    ]
    utf8 = True
    if client is not None and to_send:
        # Asked once, before the limit is applied: --limit N counts messages the server can
        # take, and those it cannot are reported together, not tried one by one.
        client.connect()
        utf8 = client.supports_utf8()
    offered = []
    for index in to_send:
        p = planned[index]
        if not utf8 and not p.to.isascii():
            outcomes[index] = p.outcome(SKIPPED, NO_UTF8)
            result.no_utf8.append(outcomes[index])  # type: ignore[arg-type]
        else:
            offered.append(index)
    chosen = offered if limit is None else offered[:limit]
    for index in offered[len(chosen) :]:
        outcomes[index] = planned[index].outcome(PENDING, f"over the --limit of {limit}")
        result.left_by_limit += 1
    if client is None:
        for index in chosen:
            p = planned[index]
            # Whether the server takes such an address is only known once connected.
            note = p.reason or ("" if p.to.isascii() else MAYBE_UTF8)
            outcomes[index] = p.outcome(WOULD_SEND, note)
        result.outcomes = [o for o in outcomes if o is not None]
        return result
    batch = _Batch(planned, log, month, client, clock)
    batch.outcomes = outcomes
    batch.run(chosen)
    result.outcomes = [o for o in outcomes if o is not None]
    result.stopped_by = batch.stopped
    return result
