"""Pulling records from this partition's durable JetStream consumer (``broker.py``'s loop):
the consumer set up at the engine's position, and a continuous pull that notices a delivery
lost on the way and rejoins."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any

import nats
from nats.aio.client import Client as NATS
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext
from nats.js.errors import BadRequestError, NotFoundError

from callwarden.errors import ConfigError
from callwarden.stream.engine import StreamEngine

if TYPE_CHECKING:
    from callwarden.stream.broker import BrokerSettings

__all__ = ["Puller", "subscribe"]

_FILTER_OUTSIDE_STREAM = 10093  # JetStream: a consumer's subjects are not the stream's


async def subscribe(js: JetStreamContext, settings: BrokerSettings, engine: StreamEngine) -> str:
    """Set this partition's durable consumer up at the engine's position; its name."""
    durable = f"{settings.durable}-p{settings.partition}"
    # The checkpoint, not the broker, knows where this partition stands: messages a killed
    # process had fetched but not acknowledged would come back only after the ack wait, behind
    # newer ones. So the consumer is set up again at the checkpoint's position on every start.
    with contextlib.suppress(NotFoundError):
        await js.delete_consumer(settings.stream, durable)
    start = (
        {"deliver_policy": DeliverPolicy.BY_START_SEQUENCE, "opt_start_seq": engine.last_seq + 1}
        if engine.last_seq
        else {"deliver_policy": DeliverPolicy.ALL}
    )
    wanted = f"{settings.records_subject}.*.p{settings.partition}"
    try:
        await js.add_consumer(
            settings.stream,
            config=ConsumerConfig(
                durable_name=durable,
                filter_subject=wanted,
                ack_policy=AckPolicy.ALL,
                ack_wait=120,
                max_ack_pending=-1,
                **start,
            ),
        )
    except BadRequestError as exc:
        if exc.err_code != _FILTER_OUTSIDE_STREAM:
            raise
        held = (await js.stream_info(settings.stream)).config.subjects or []
        raise ConfigError(
            f"--subject-prefix {settings.prefix}: stream {settings.stream} holds "
            f"{', '.join(held)}, not {wanted}; give the --subject-prefix it was made with, or "
            "another --stream"
        ) from None
    return durable


class Puller:
    """A continuous pull from a durable consumer: requests for messages stay open on the server,
    which sends each message as it is stored; :meth:`take` returns what has arrived, waiting
    only when nothing has.

    ``fetch()`` of the client asks for a batch and, when it has to wait, keeps collecting
    until the batch is full or its time is up: every record waited up to the fetch's timeout in
    the client while the consumer sat idle (docs/benchmarks.md has what it cost). Here a
    new request tops the credit up before it runs out (JetStream's pull protocol:
    ``$JS.API.CONSUMER.MSG.NEXT``; a request that expires unfilled says how many it still
    owed in ``Nats-Pending-Messages``)."""

    #: a request's lifetime on the server (it is renewed before; a lost one is replaced)
    EXPIRES_S = 5.0

    def __init__(self, nc: NATS, stream: str, durable: str) -> None:
        self.nc, self.subject = nc, f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"
        self.inbox = nc.new_inbox()
        self.sub: Any = None
        self.credit = 0  # messages asked for and not yet received
        self.asked_at = 0.0
        self.reconnects = 0  # the connection's reconnections seen
        #: the consumer's delivery sequence expected next: a message past it means those
        #: between were lost on the way (a broken connection), and the consumer must rejoin
        self.next_delivery = 1
        self.broken = False
        self.mean_size = 0.0  # bytes per message, running

    async def fetch(self, settings: BrokerSettings) -> list[Any]:
        """As many messages as make about ``fetch_bytes`` (by their running mean size), at
        most ``batch``: those that have arrived, or the first within ``fetch_wait``."""
        ask = (
            min(settings.batch, 16)  # (the first: message sizes are not known yet)
            if self.mean_size == 0
            else max(1, min(settings.batch, int(settings.fetch_bytes // self.mean_size)))
        )
        msgs = await self.take(ask, settings.fetch_wait)
        if msgs:
            size = sum(len(m.data) for m in msgs) / len(msgs)
            self.mean_size = size if self.mean_size == 0 else 0.8 * self.mean_size + 0.2 * size
        return msgs

    async def rejoin(
        self, js: JetStreamContext, settings: BrokerSettings, engine: StreamEngine, seen: int
    ) -> None:
        """After a reconnection: what was in flight when the connection broke never arrives,
        so the durable consumer delivers again from the engine's position (what arrived
        meanwhile is skipped by its sequence), and is asked anew (the old requests went with
        the old consumer)."""
        self.reconnects, self.broken, self.credit, self.next_delivery = seen, False, 0, 1
        # a new inbox: what the old consumer still sends goes nowhere (what it had sent is
        # delivered again from the engine's position)
        with contextlib.suppress(nats.errors.Error):
            await self.sub.unsubscribe()
        self.inbox = self.nc.new_inbox()
        try:
            await self.start()
            await subscribe(js, settings, engine)
        except (NatsTimeout, nats.errors.ConnectionReconnectingError):
            # the connection broke again meanwhile: try again at the loop's next turn
            self.broken = True
            await asyncio.sleep(0.5)

    async def start(self) -> None:
        self.sub = await self.nc.subscribe(self.inbox, pending_bytes_limit=512 * 2**20)

    async def _ask(self, batch: int) -> None:
        request = {"batch": batch, "expires": int(self.EXPIRES_S * 1e9)}
        await self.nc.publish(self.subject, json.dumps(request).encode(), reply=self.inbox)
        self.credit += batch
        self.asked_at = time.monotonic()

    def _note(self, msg: Any) -> bool:
        """Account for one arrival; True for a record message."""
        status = msg.headers.get("Status") if msg.headers else None
        if not status:
            self.credit -= 1
            delivered = int(msg.metadata.sequence.consumer)
            if delivered != self.next_delivery:
                self.broken = True  # (a delivery is missing: not this one either)
                return False
            self.next_delivery = delivered + 1
            return True
        if status in ("408", "409"):  # a request ended: what it still owed is not coming
            owed = msg.headers.get("Nats-Pending-Messages")
            self.credit = max(0, self.credit - int(owed)) if owed else 0
        return False  # (100: a heartbeat; 404: nothing there)

    async def take(self, batch: int, wait: float) -> list[Any]:
        """Up to ``batch`` messages: those that have arrived, or the first within ``wait``."""
        if self.credit < batch // 2 + 1 or time.monotonic() - self.asked_at > self.EXPIRES_S:
            if time.monotonic() - self.asked_at > self.EXPIRES_S + 1:
                self.credit = 0  # (its requests have expired: the server forgot them)
            await self._ask(batch)
        out: list[Any] = []
        queue = self.sub._pending_queue  # (the subscription's arrivals, in order)
        while len(out) < batch:
            if queue.empty():
                if out or wait <= 0:
                    break
                try:
                    msg = await self.sub.next_msg(timeout=wait)
                except (TimeoutError, NatsTimeout):
                    break
            else:
                msg = queue.get_nowait()
                self.sub._pending_size -= len(msg.data)
            if self._note(msg):
                out.append(msg)
            elif self.broken:
                break
        return out
