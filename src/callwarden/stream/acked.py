"""JetStream publishing, pipelined, with every message confirmed: the alerts of the consumer
(``broker.py``) and the records of ``callwarden replay`` (``publish.py``).

Messages go out without waiting for the broker's answer; :meth:`AckedPublisher.confirm` waits
for every answer. An answer lost with a dropped connection would never come, so a message
still unanswered after ``wait`` seconds is published again under its id (``Nats-Msg-Id``: the
stream keeps one of each inside its duplicate window), up to ``tries`` times in all; then
:class:`~callwarden.errors.CallwardenError` says how many the broker did not confirm.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from nats.js.client import JetStreamContext

from callwarden.errors import CallwardenError

__all__ = ["AckedPublisher"]


@dataclass
class AckedPublisher:
    js: JetStreamContext
    #: what the error names (the server)
    server: str
    #: what is published, for the error ("alerts", "records")
    what: str = "messages"
    #: seconds to wait for the answers before publishing again what is unanswered
    wait: float = 15.0
    tries: int = 3
    #: messages published and not yet confirmed: (the broker's answer, subject, body, id)
    pending: list[tuple[asyncio.Future[Any], str, bytes, str]] = field(default_factory=list)

    async def _send(self, subject: str, body: bytes, mid: str) -> asyncio.Future[Any]:
        return await self.js.publish_async(
            subject, body, wait_stall=30, headers={"Nats-Msg-Id": mid}
        )

    async def publish(self, subject: str, body: bytes, mid: str) -> None:
        self.pending.append((await self._send(subject, body, mid), subject, body, mid))

    async def confirm(self) -> None:
        """Wait until the broker has stored every message published so far; raise if it
        refused one, or left some unanswered ``tries`` times."""
        for tried in range(1, self.tries + 1):
            if not self.pending:
                return
            done, _ = await asyncio.wait([p[0] for p in self.pending], timeout=self.wait)
            for answer in done:
                answer.result()  # (the broker refused it: raise)
            late = [p for p in self.pending if p[0] not in done]
            self.pending = []
            if late and tried == self.tries:
                raise CallwardenError(
                    f"the broker at {self.server} did not confirm {len(late)} {self.what} in "
                    f"{self.tries} tries of {self.wait:g} s"
                )
            for answer, subject, body, mid in late:
                answer.cancel()
                await self.publish(subject, body, mid)
