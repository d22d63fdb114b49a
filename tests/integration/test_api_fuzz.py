"""The REST API under generated requests (schemathesis, from its own OpenAPI): never a 5xx.

Requests carry a supervisor's token so they reach past authentication; the database holds a
few cases so ids and numbers sometimes exist.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from callwarden.api import create_app
from callwarden.cases.db import open_database
from callwarden.cases.schemas import AlertIn
from callwarden.cases.service import CaseService

service = CaseService(open_database("sqlite://"))
TOKEN = service.add_user("fuzz-supervisor", "supervisor")
service.intake(
    [
        AlertIn.model_validate(
            {
                "msisdn": f"+861380000000{i}",
                "flagged_at": "2026-07-08T10:00:00Z",
                "score": s,
                "decision": d,
                "reasons": [{"code": "relay_call"}],
            }
        )
        for i, (s, d) in enumerate([(0.97, "suspend"), (0.85, "restrict"), (0.65, "review")])
    ]
)
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(service))


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKEN}"}, checks=[not_a_server_error]
    )
