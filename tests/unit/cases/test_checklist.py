"""The checklist follows the owner, the requester and the risk (not one fixed list)."""

from __future__ import annotations

from callwarden.cases.checklist import Owner, Requester, derive_checklist


def codes(owner: Owner, requester: Requester, high_risk: bool = False) -> list[str]:
    c = derive_checklist(owner, requester, high_risk=high_risk, year=2026)
    return [i.code for i in c.items if i.required]


def test_owner_in_person_may_verify_remotely_when_risk_is_low() -> None:
    c = derive_checklist(Owner(1980), Requester(), high_risk=False, year=2026)
    assert [i.code for i in c.items] == ["owner_document"]
    assert "remote_face" in c.channels
    assert derive_checklist(Owner(1980), Requester(), high_risk=True, year=2026).channels == (
        "business_hall",
    )


def test_corporate_sim() -> None:
    assert codes(Owner(None, "enterprise"), Requester(relationship="colleague")) == [
        "business_licence",
        "authorisation_letter",
        "user_document",
    ]


def test_minor_owner_needs_a_guardian_and_a_stranger_needs_authority() -> None:
    assert "guardian_present" in codes(Owner(2012), Requester(relationship="guardian"))
    assert "owner_authorisation" in codes(Owner(1970), Requester(relationship="other"))


def test_forgotten_password_is_a_note_not_an_obstacle() -> None:
    c = derive_checklist(
        Owner(1970), Requester(forgotten_password=True), high_risk=False, year=2026
    )
    assert [i.code for i in c.items] == ["owner_document"]
    assert any("密码" in zh for zh, _ in c.notes)
    assert c.summary("en") == "the owner's original ID card"
