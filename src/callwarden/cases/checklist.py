"""What to bring, derived from the case: who owns the number, who asks, and how risky it is.

Not a fixed list (seed 001: customers face checks they cannot prepare for). The same checklist is
shown to the agent, printed in the SMS and on the self-service page, in plain words.

Seed 000: the owner is 78, her grandson (a student) asks by the hotline:

>>> c = derive_checklist(
...     Owner(birth_year=1948, owner_type="individual"),
...     Requester(relationship="family", document="student_card", minor=True),
...     high_risk=False, year=2026)
>>> [i.code for i in c.items]
['owner_id_copy', 'proxy_document', 'guardian_accompany']
>>> c.summary("zh")
'机主身份证复印件、代办人本人学生证原件'
>>> c.channels
('business_hall', 'video')
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["Checklist", "Item", "Owner", "Requester", "derive_checklist"]

Relationship = Literal["owner", "family", "guardian", "colleague", "other"]
Document = Literal["id_card", "student_card", "passport", "residence_permit", "other"]

_DOC_NAMES: dict[str, tuple[str, str]] = {
    "id_card": ("身份证", "ID card"),
    "student_card": ("学生证", "student card"),
    "passport": ("护照", "passport"),
    "residence_permit": ("居住证", "residence permit"),
    "other": ("有效身份证件", "valid identity document"),
}


@dataclass(frozen=True)
class Owner:
    """The registered owner, as the subscriber record knows them."""

    birth_year: int | None = None
    owner_type: str = "individual"


@dataclass(frozen=True)
class Requester:
    """Who asks for the number back."""

    relationship: Relationship = "owner"
    document: Document = "id_card"
    minor: bool = False
    forgotten_password: bool = False


@dataclass(frozen=True)
class Item:
    code: str
    text_zh: str
    text_en: str
    required: bool = True


@dataclass(frozen=True)
class Checklist:
    items: tuple[Item, ...]
    #: verification channels this case may use, the safest first
    channels: tuple[str, ...]
    notes: tuple[tuple[str, str], ...] = field(default=())

    @property
    def required_codes(self) -> frozenset[str]:
        return frozenset(i.code for i in self.items if i.required)

    def summary(self, language: str = "zh") -> str:
        """The required items in one line, for an SMS."""
        sep = "、" if language == "zh" else ", "
        texts = [i.text_zh if language == "zh" else i.text_en for i in self.items if i.required]
        return sep.join(texts)

    def to_json(self) -> dict[str, Any]:
        return {
            "items": [asdict(i) for i in self.items],
            "channels": list(self.channels),
            "notes": [list(n) for n in self.notes],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checklist:
        return cls(
            items=tuple(Item(**i) for i in data["items"]),
            channels=tuple(data["channels"]),
            notes=tuple((n[0], n[1]) for n in data.get("notes", [])),
        )


def derive_checklist(
    owner: Owner, requester: Requester, *, high_risk: bool, year: int
) -> Checklist:
    """The items and channels for this owner, this requester and this risk tier."""
    items: list[Item] = []
    notes: list[tuple[str, str]] = []
    doc_zh, doc_en = _DOC_NAMES[requester.document]
    owner_minor = owner.birth_year is not None and year - owner.birth_year < 18
    if owner.owner_type == "enterprise":
        items += [
            Item(
                "business_licence",
                "营业执照复印件(加盖公章)",
                "company business licence copy (stamped)",
            ),
            Item("authorisation_letter", "单位授权书(介绍信)", "company authorisation letter"),
            Item("user_document", f"使用人本人{doc_zh}原件", f"the user's own original {doc_en}"),
        ]
    elif requester.relationship == "owner":
        items.append(
            Item("owner_document", f"机主本人{doc_zh}原件", f"the owner's original {doc_en}")
        )
    else:
        items += [
            Item("owner_id_copy", "机主身份证复印件", "a copy of the owner's ID card"),
            Item("proxy_document", f"代办人本人{doc_zh}原件", f"your own original {doc_en}"),
        ]
        if requester.relationship == "other":
            items.append(
                Item(
                    "owner_authorisation",
                    "机主签字的授权委托书",
                    "a letter of authority signed by the owner",
                )
            )
    if owner_minor:
        items.append(
            Item(
                "guardian_present",
                "监护人携带本人身份证到场",
                "a guardian present with their own ID card",
            )
        )
    elif requester.minor:
        items.append(
            Item(
                "guardian_accompany",
                "最好由家长陪同",
                "preferably come with a parent",
                required=False,
            )
        )
    if requester.forgotten_password:
        notes.append(
            (
                "忘记服务密码不影响办理: 核验身份后可当场重置",
                "A forgotten service password is no obstacle: it is reset at verification",
            )
        )
    in_person_only = high_risk or owner.owner_type == "enterprise" or owner_minor
    if in_person_only:
        channels: tuple[str, ...] = ("business_hall",)
        notes.append(("风险较高, 请到营业厅办理", "Higher risk: please come to a business hall"))
    elif requester.relationship == "owner":
        channels = ("business_hall", "remote_face", "video")
    else:
        # remote face verification matches the face to the owner's ID photo: not for a proxy
        channels = ("business_hall", "video")
    return Checklist(items=tuple(items), channels=channels, notes=tuple(notes))
