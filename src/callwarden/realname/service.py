"""The campaign's work on the case database: load a plan, run a day, take in registrations.

:meth:`CampaignService.run_day` does one local day's actions in one transaction, and is
idempotent: every action is a ``realname_actions`` row unique per (campaign, number, day,
action), and every step picks only the subjects whose state still calls for it, so running a
day twice changes nothing the second time. :meth:`CampaignService.register` restores a
suspended number through its case (``register``) the moment the registration arrives.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callwarden.cases import realname_case
from callwarden.cases.access import Actor, serialise
from callwarden.cases.db import Database
from callwarden.cases.models import Case, NoticeRow, SubscriberProfile
from callwarden.cases.realname_case import (
    Suspend,
    copy_frame,
    copy_rows,
    fetch_frame,
    update_from,
)
from callwarden.cases.schemas import ActionIn
from callwarden.cases.service import CaseService
from callwarden.errors import CaseError
from callwarden.numbers import mask
from callwarden.realname import registrations
from callwarden.realname.campaign import Campaign
from callwarden.realname.kinds import KIND_TEXT
from callwarden.realname.models import Action, Complaint, RegionTotal, Subject, table_of
from callwarden.realname.registrations import ACTOR, RegisterResult
from callwarden.realname.texts import mask_numbers, sms, yuan

__all__ = ["ACTOR", "CampaignService", "DayResult", "RegisterResult"]

_CHUNK = 5_000
#: the subjects a campaign day still works on
_LIVE = ("open", "suspended", "emergency")


@dataclass
class DayResult:
    """What one run of one day did (all zero when the day had been run before)."""

    day: date
    phase: str | None
    loaded: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    call_list: list[dict[str, Any]] = field(default_factory=list)


class CampaignService:
    """One campaign on one case database, with one clock."""

    def __init__(
        self,
        db: Database,
        campaign: Campaign,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db = db
        self.campaign = campaign
        self.cases = CaseService(db, clock=clock)

    def now(self) -> datetime:
        return self.cases.now()

    @property
    def lock(self) -> str:
        return f"realname:{self.campaign.name}"

    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.campaign.zone).date()

    # ------------------------------------------------------------------ plan

    def load(
        self, plan: pl.DataFrame, regions: Iterable[dict[str, Any]], day: date | None = None
    ) -> int:
        """Take the plan's subjects in (once: numbers already in the campaign are kept as they
        stand), each tagged for the IVR as its kind says (logged on ``day``, the campaign's
        first by default); the number of subjects added."""
        c = self.campaign
        tags = {k: a.ivr_tag for k, a in c.kinds.items()}
        with self.db.sessions.begin() as s:
            serialise(s, self.lock)
            have = fetch_frame(
                s, select(Subject.msisdn).where(Subject.campaign == c.name), {"msisdn": pl.String}
            )
            new = plan.join(have, on="msisdn", how="anti") if have.height else plan
            digits = pl.col("msisdn").str.slice(-4).str.replace_all("[^0-9]", "")
            batch = digits.cast(pl.Int64, strict=False).fill_null(0) % c.suspension.batches
            rows = new.select(
                campaign=pl.lit(c.name),
                msisdn="msisdn",
                kind="kind",
                reason="reason",
                reason_zh="reason_zh",
                region="region",
                owner_type="owner_type",
                batch=batch,  # Campaign.batch_of, for the whole column
                balance_fen=pl.col("balance_fen").cast(pl.Int64),
                state=pl.lit("open"),
                ivr_tag=pl.col("kind").replace_strict(tags, return_dtype=pl.String),
            )
            copy_frame(s, table_of(Subject), rows)
            tagged = rows.filter(pl.col("ivr_tag").is_not_null())
            for (tag,), group in tagged.group_by("ivr_tag"):
                self.log(
                    s, group["msisdn"], day or c.first_day, "ivr_tag", self.now(), {"tag": tag}
                )
            known = set(s.scalars(select(RegionTotal.region).where(RegionTotal.campaign == c.name)))
            copy_rows(
                s,
                table_of(RegionTotal),
                [
                    {
                        "campaign": c.name,
                        "region": r["region"],
                        "subscribers": int(r["subscribers"]),
                        "verified": int(r["verified"]),
                    }
                    for r in regions
                    if r["region"] not in known
                ],
            )
            return rows.height

    # ------------------------------------------------------------------ one day

    def run_day(self, day: date) -> DayResult:
        """Do ``day``'s actions; what was done."""
        c = self.campaign
        result = DayResult(day, c.phase_on(day))
        now = self.now()
        with self.db.sessions.begin() as s:
            # one run at a time, and no registration taken in while a day picks its numbers: a
            # second run of the same day waits, then finds nothing left to do
            serialise(s, self.lock)
            counts = result.counts
            counts["emergency_restore"] = self._emergencies(s, now)
            subjects = self._subjects(s)
            counts["ivr_tag"] = self._ivr_tags(s, subjects, day, now)
            open_ = subjects.filter(pl.col("state") == "open")
            if c.is_reminder_day(day):
                sms_kinds = [k for k, a in c.kinds.items() if a.sms]
                counts["sms_reminder"] = self._texts(
                    s, open_.filter(pl.col("kind").is_in(sms_kinds)), "sms_reminder",
                    "reminder", day, now, on=c.phases.suspension[0],
                )  # fmt: skip
                callers = [k for k, a in c.kinds.items() if a.outbound_call]
                result.call_list = self._calls(
                    s, open_.filter(pl.col("kind").is_in(callers)), day, now
                )
                counts["outbound_call"] = len(result.call_list)
            warn = open_.filter(
                pl.col("kind").is_in([k for k, a in c.kinds.items() if a.sms and a.suspend])
                & (pl.col("warn_day") == day)
            )
            counts["sms_warning"] = self._texts(
                s, warn, "sms_warning", "warning", day, now, on=None
            )
            if result.phase in ("suspension", "registration", "termination"):
                counts["suspend"], counts["suspend_deferred"] = self._suspend(s, subjects, day, now)
            if result.phase == "termination":
                counts["terminate"] = self._terminate(s, day, now)
        return result

    def _subjects(self, s: Session) -> pl.DataFrame:
        c = self.campaign
        query = select(
            Subject.msisdn, Subject.kind, Subject.batch, Subject.state, Subject.ivr_tag,
            Subject.grace_until, Subject.balance_fen, Subject.case_id, Subject.suspended_at,
        ).where(Subject.campaign == c.name, Subject.state.in_(_LIVE))  # fmt: skip
        frame = fetch_frame(
            s,
            query,
            {
                "msisdn": pl.String, "kind": pl.String, "batch": pl.Int64, "state": pl.String,
                "ivr_tag": pl.String, "grace_until": pl.Date, "balance_fen": pl.Int64,
                "case_id": pl.Int64, "suspended_at": pl.Datetime("us", "UTC"),
            },
        )  # fmt: skip
        start, t_start = c.phases.suspension[0], c.phases.termination[0]
        lead = timedelta(days=c.reminders.before_suspension_days)
        days = pl.duration(days=pl.col("batch"))
        return frame.with_columns(
            suspend_day=pl.lit(start) + days,
            warn_day=pl.lit(start - lead) + days,
            terminate_day=pl.lit(t_start) + days,
        )

    def _others(self, s: Session) -> set[str]:
        """Subjects whose profile in the case database asks for the other language."""
        c = self.campaign
        return set(
            s.scalars(
                select(Subject.msisdn)
                .join(SubscriberProfile, SubscriberProfile.msisdn == Subject.msisdn)
                .where(
                    Subject.campaign == c.name,
                    Subject.state.in_(_LIVE),
                    SubscriberProfile.language != c.language,
                )
            )
        )

    def _language(self, msisdn: str, others: set[str]) -> str:
        default = self.campaign.language
        return ("en" if default == "zh" else "zh") if msisdn in others else default

    def _done(self, s: Session, day: date, action: str) -> set[str]:
        return set(
            s.scalars(
                select(Action.msisdn).where(
                    Action.campaign == self.campaign.name,
                    Action.day == day,
                    Action.action == action,
                )
            )
        )

    def log(
        self, s: Session, numbers: Iterable[str] | pl.Series, day: date, action: str,
        now: datetime, detail: dict[str, Any] | None = None,
    ) -> int:  # fmt: skip
        series = numbers if isinstance(numbers, pl.Series) else pl.Series(list(numbers))
        frame = pl.DataFrame({"msisdn": series.cast(pl.String)}).select(
            campaign=pl.lit(self.campaign.name),
            msisdn="msisdn",
            day=pl.lit(day),
            action=pl.lit(action),
            at=pl.lit(now).dt.cast_time_unit("us"),
            detail=pl.lit(None if detail is None else json.dumps(detail), pl.String),
        )
        copy_frame(s, table_of(Action), frame)
        return frame.height

    def _ivr_tags(self, s: Session, subjects: pl.DataFrame, day: date, now: datetime) -> int:
        done = 0
        t = table_of(Subject)
        for kind, actions in self.campaign.kinds.items():
            if not actions.ivr_tag:
                continue
            todo = subjects.filter((pl.col("kind") == kind) & pl.col("ivr_tag").is_null())
            if not todo.height:
                continue
            s.connection().execute(
                t.update()
                .where(
                    t.c.campaign == self.campaign.name,
                    t.c.kind == kind,
                    t.c.state.in_(_LIVE),
                    t.c.ivr_tag.is_(None),
                )
                .values(ivr_tag=actions.ivr_tag)
            )
            done += self.log(s, todo["msisdn"], day, "ivr_tag", now, {"tag": actions.ivr_tag})
        return done

    def _texts(
        self, s: Session, who: pl.DataFrame, action: str, template: str, day: date,
        now: datetime, *, on: date | None,
    ) -> int:  # fmt: skip
        c = self.campaign
        done = self._done(s, day, action)
        who = who.filter(~pl.col("msisdn").is_in(list(done))) if done else who
        if not who.height:
            return 0
        # each kind's text once per language, with markers where the number and the date go
        bodies = {
            f"{k}|{lang}": sms(c, template, k, lang, masked="\x00M\x00", on="\x00D\x00")
            for k in c.kinds
            for lang in ("zh", "en")
        }
        other = "en" if c.language == "zh" else "zh"
        language = (
            pl.when(pl.col("msisdn").is_in(list(self._others(s))))
            .then(pl.lit(other))
            .otherwise(pl.lit(c.language))
        )
        who = who.with_columns(language=language)
        on_day = pl.lit(on.isoformat()) if on is not None else pl.col("suspend_day").cast(pl.String)
        notices = who.select(
            case_id=pl.lit(None, pl.Int64),
            msisdn="msisdn",
            kind=pl.lit(f"realname_{template}"),
            language="language",
            text=(pl.col("kind") + "|" + pl.col("language"))
            .replace_strict(bodies, return_dtype=pl.String)
            .str.replace_all("\x00M\x00", mask_numbers(pl.col("msisdn")), literal=True)
            .str.replace_all("\x00D\x00", on_day, literal=True),
            status=pl.lit("queued"),
            created_at=pl.lit(now).dt.cast_time_unit("us"),
            sent_at=pl.lit(None, pl.Datetime("us", "UTC")),
        )
        copy_frame(s, table_of(NoticeRow), notices)
        return self.log(s, who["msisdn"], day, action, now)

    def _calls(
        self, s: Session, who: pl.DataFrame, day: date, now: datetime
    ) -> list[dict[str, Any]]:
        done = self._done(s, day, "outbound_call")
        who = who.filter(~pl.col("msisdn").is_in(list(done))) if done else who
        self.log(s, who["msisdn"], day, "outbound_call", now)
        return who.select("msisdn", "kind", "suspend_day").to_dicts()

    def _suspend(
        self, s: Session, subjects: pl.DataFrame, day: date, now: datetime
    ) -> tuple[int, int]:
        c = self.campaign
        kinds = [k for k, a in c.kinds.items() if a.suspend]
        due = subjects.filter(
            pl.col("kind").is_in(kinds)
            & (
                ((pl.col("state") == "open") & (pl.col("suspend_day") <= day))
                | ((pl.col("state") == "emergency") & (pl.col("grace_until") < day))
            )
        )
        deferred_before = self._done(s, day, "suspend_deferred")
        others = self._others(s)
        todo = [
            Suspend(
                msisdn=r["msisdn"],
                reason_zh=f"未完成实名登记: {KIND_TEXT[r['kind']][0]}",
                reason_en=f"not registered: {KIND_TEXT[r['kind']][1]}",
                notice=sms(
                    c, "suspended", r["kind"], self._language(r["msisdn"], others),
                    masked=mask(r["msisdn"]),
                    on=str(r["terminate_day"]),
                ),
                language=self._language(r["msisdn"], others),
                payload={"campaign": c.name, "kind": r["kind"], "day": day.isoformat()},
            )
            for r in due.iter_rows(named=True)
        ]  # fmt: skip
        opened, deferred = realname_case.suspend_many(s, todo, ACTOR, now)
        cases = {o.msisdn: o.case_id for o in opened}
        update_from(
            s,
            table_of(Subject),
            pl.DataFrame(
                {"msisdn": list(cases), "case_id": list(cases.values())},
                schema={"msisdn": pl.String, "case_id": pl.Int64},
            ).with_columns(campaign=pl.lit(c.name)),
            ["campaign", "msisdn"],
            fixed={"state": "suspended", "suspended_at": now, "grace_until": None},
        )
        self.log(s, list(cases), day, "suspend", now)
        self.log(s, [m for m in deferred if m not in deferred_before], day, "suspend_deferred", now)
        return len(cases), len(deferred)

    def _terminate(self, s: Session, day: date, now: datetime) -> int:
        c = self.campaign
        subjects = self._subjects(s)
        zone = c.zone
        due = subjects.filter(
            (pl.col("state") == "suspended")
            & (pl.col("terminate_day") <= day)
            & (pl.col("suspended_at").dt.convert_time_zone(str(zone)).dt.date() < day)
        )
        others = self._others(s)
        todo = []
        refunds: dict[int, tuple[str, int]] = {}
        for r in due.iter_rows(named=True):
            refund = max(0, int(r["balance_fen"] or 0))
            language = self._language(r["msisdn"], others)
            body = sms(
                c, "terminated", r["kind"], language, masked=mask(r["msisdn"]),
                on=day.isoformat(), refund=yuan(refund),
            )  # fmt: skip
            payload = {"campaign": c.name, "refund_fen": refund}
            todo.append((int(r["case_id"]), language, body, payload))
            refunds[int(r["case_id"])] = (r["msisdn"], refund)
        ended = realname_case.terminate_many(s, todo, ACTOR, now)
        if ended:
            update_from(
                s,
                table_of(Subject),
                pl.DataFrame(
                    {
                        "msisdn": [refunds[cid][0] for cid in ended],
                        "refund_fen": [refunds[cid][1] for cid in ended],
                    },
                    schema={"msisdn": pl.String, "refund_fen": pl.Int64},
                ).with_columns(campaign=pl.lit(c.name)),
                ["campaign", "msisdn"],
                fixed={"state": "terminated", "terminated_at": now, "ivr_tag": None},
            )
            for cid in ended:
                msisdn, fen = refunds[cid]
                self.log(s, [msisdn], day, "terminate", now, {"refund_fen": fen, "case_id": cid})
        return len(ended)

    def sync_emergencies(self) -> int:
        """Record the emergency restores done on real-name cases since the last look (a run
        does this too); how many. Under the campaign's lock, as a run is: a console restore that
        lands while a run records the same subject records it, and texts it, once."""
        with self.db.sessions.begin() as s:
            serialise(s, self.lock)
            return self._emergencies(s, self.now())

    def _emergencies(self, s: Session, now: datetime) -> int:
        """Suspended subjects whose case was restored by staff (four eyes): an emergency
        restore. They get the grace days, and the SMS that says until when."""
        c = self.campaign
        rows = s.execute(
            select(Subject.msisdn, Subject.kind, Case.closed_at)
            .join(Case, Case.id == Subject.case_id)
            .where(
                Subject.campaign == c.name,
                Subject.state == "suspended",
                Case.outcome == "restored",
            )
        ).all()
        others = self._others(s) if rows else set()
        for msisdn, kind, closed in rows:
            language = self._language(msisdn, others)
            closed_at: datetime = closed or now
            on = self.local_day(closed_at) + timedelta(days=c.suspension.emergency_grace_days)
            s.execute(
                update(Subject)
                .where(Subject.campaign == c.name, Subject.msisdn == msisdn)
                .values(state="emergency", restored_at=closed_at, grace_until=on)
            )
            body = sms(c, "emergency", kind, language, masked=mask(msisdn), on=on.isoformat())
            copy_rows(
                s,
                table_of(NoticeRow),
                [
                    {
                        "case_id": None, "msisdn": msisdn, "kind": "realname_emergency",
                        "language": language, "text": body, "status": "queued",
                        "created_at": now, "sent_at": None,
                    }
                ],
            )  # fmt: skip
            self.log(s, [msisdn], self.local_day(closed_at), "emergency_restore", now)
        return len(rows)

    # ------------------------------------------------------------------ registrations

    def register(self, rows: pl.DataFrame) -> RegisterResult:
        """Registrations as they arrive (:func:`callwarden.realname.registrations.register`)."""
        return registrations.register(self, rows)

    def take_complaints(self, rows: pl.DataFrame) -> tuple[int, int]:
        """Complaints about the campaign (see :func:`~callwarden.realname.feeds.read_complaints`);
        (accepted, already known by id)."""
        name = self.campaign.name
        ids = rows["complaint_id"].to_list()
        with self.db.sessions.begin() as s:
            known: set[str] = set()
            for i in range(0, len(ids), _CHUNK):
                chunk = ids[i : i + _CHUNK]
                known |= set(
                    s.scalars(
                        select(Complaint.complaint_id).where(Complaint.complaint_id.in_(chunk))
                    )
                )
            new = [
                r | {"campaign": name} for r in rows.to_dicts() if r["complaint_id"] not in known
            ]
            copy_rows(s, table_of(Complaint), new)
        return len(new), len(known)

    # ------------------------------------------------------------------ emergency restore

    def emergency(self, msisdn: str, actor: Actor, reason: str) -> str:
        """One approval of an emergency restore (紧急复机): the first moves the case to a second
        approver, the second (a supervisor, not the first) approves; the case's state after."""
        with self.db.reads() as s:
            subject = s.get(Subject, (self.campaign.name, msisdn))
        if subject is None or subject.case_id is None or subject.state != "suspended":
            raise CaseError(f"{mask(msisdn)} is not suspended by campaign {self.campaign.name}")
        out = self.cases.act(
            subject.case_id, actor, ActionIn(action="review", verdict="approve", reason=reason)
        )
        return out.state
