"""What a mark says about a number (its category) and where a report came from (its source).

>>> Category.ONE_RING.zh, Category.ONE_RING.en, Category.DELIVERY.benign
('响一声', 'one-ring', True)
>>> category_of_reason("wangiri"), category_of_reason("relay_call"), category_of_reason("x")
(<Category.ONE_RING: 'one_ring'>, <Category.FRAUD: 'fraud'>, None)
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Category", "Source", "category_of_reason"]


class Category(StrEnum):
    """A mark's category, with its names in Chinese and English."""

    FRAUD = "fraud"
    MARKETING = "marketing"
    REAL_ESTATE = "real_estate"
    LOANS_FINANCE = "loans_finance"
    DEBT_COLLECTION = "debt_collection"
    INSURANCE = "insurance"
    ONE_RING = "one_ring"
    DELIVERY = "delivery"
    FOOD_DELIVERY = "food_delivery"
    SERVICE_LINE = "service_line"
    VERIFIED_BUSINESS = "verified_business"

    @property
    def zh(self) -> str:
        return _NAMES[self][0]

    @property
    def en(self) -> str:
        return _NAMES[self][1]

    @property
    def benign(self) -> bool:
        """A benign mark tells a callee who calls (a courier), not that the call is unwanted."""
        return self in _BENIGN


_NAMES: dict[Category, tuple[str, str]] = {
    Category.FRAUD: ("诈骗", "fraud"),
    Category.MARKETING: ("骚扰/推销", "marketing"),
    Category.REAL_ESTATE: ("房产中介", "real estate"),
    Category.LOANS_FINANCE: ("贷款理财", "loans and finance"),
    Category.DEBT_COLLECTION: ("违规催收", "debt collection"),
    Category.INSURANCE: ("保险", "insurance"),
    Category.ONE_RING: ("响一声", "one-ring"),
    Category.DELIVERY: ("快递", "delivery"),
    Category.FOOD_DELIVERY: ("外卖", "food delivery"),
    Category.SERVICE_LINE: ("客服", "service line"),
    Category.VERIFIED_BUSINESS: ("认证企业", "verified business"),
}
_BENIGN = frozenset(
    {Category.DELIVERY, Category.FOOD_DELIVERY, Category.SERVICE_LINE, Category.VERIFIED_BUSINESS}
)


class Source(StrEnum):
    """Where a report on a number came from."""

    COMPLAINT = "complaint"
    DETECTION_ALERT = "detection_alert"
    IMPORTED_LIST = "imported_list"
    ENTERPRISE_BLOCK = "enterprise_block"


# A detector's reason code names its scheme; the mark is what a callee would call it.
# Matched as a part of the code, so the learned scorer's codes (``model_relay_call``) map too.
_REASON_CATEGORY: tuple[tuple[str, Category], ...] = (
    ("wangiri", Category.ONE_RING),
    ("sms_spam", Category.MARKETING),
    ("sms_burst", Category.MARKETING),
    ("relay", Category.FRAUD),
    ("robocall", Category.FRAUD),
    ("autodialer", Category.FRAUD),
    ("rotation", Category.FRAUD),
    ("simbox", Category.FRAUD),
    ("spoofed", Category.FRAUD),
    ("known_fraud", Category.FRAUD),
)


def category_of_reason(code: str) -> Category | None:
    """The category a detector's reason code stands for; None when it says no scheme
    (``profile_mismatch`` alone is not a reason to mark a number)."""
    for part, category in _REASON_CATEGORY:
        if part in code:
            return category
    return None
