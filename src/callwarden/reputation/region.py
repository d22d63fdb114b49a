"""Where a number is from (归属地) and who carries it, as complaint statistics group them.

A Chinese number's region is its province (or municipality) from phonenumbers' geocoder; a
foreign number's is its country; 400/800 and 95xxx service lines are nationwide (全国); a number
nobody can own (a spoofed caller ID, 改号) is its own group. The carrier of a Chinese mobile
number comes from its range (:func:`callwarden.network.carrier_of`; a ported number, 携号转网,
still shows its first carrier), virtual-operator ranges (170/171/162/165/167) are one group.

>>> origin("+8613812345678")  # doctest: +NORMALIZE_WHITESPACE
Origin(region='江苏省', region_en='Jiangsu', country='CN',
       carrier='中国移动', carrier_en='China Mobile')
>>> [origin(n).region for n in ("+861062345678", "+864712345678", "+14155552671")]
['北京市', '内蒙古', '美国']
>>> origin("+8617012345678").carrier, origin("+864001234567").region, origin("+999123").region
('虚拟运营商', '全国', '无效号码')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import geocoder

from callwarden.network import VIRTUAL_RANGES, carrier_of, is_valid_number
from callwarden.numbers import NumberKind, classify

__all__ = ["Origin", "origin"]

_CARRIER_ZH = {
    "China Mobile": "中国移动",
    "China Unicom": "中国联通",
    "China Telecom": "中国电信",
    "China Broadnet": "中国广电",
}
#: the province at the start of the geocoder's description: a 省, one of the autonomous regions
#: (written without 自治区, as the geocoder does), or a municipality
_PROVINCE = re.compile(r"^(.+?省|内蒙古|广西|西藏|宁夏|新疆|北京市|上海市|天津市|重庆市)")


@dataclass(frozen=True)
class Origin:
    """A number's region (province or country) and carrier, in Chinese and English."""

    region: str
    region_en: str
    #: ISO 3166 code of the number's country, "" for a number nobody can own
    country: str
    carrier: str
    carrier_en: str


_INVALID = Origin("无效号码", "invalid number", "", "无效号码", "invalid number")
_UNKNOWN = ("未知", "unknown")


def _province(parsed: phonenumbers.PhoneNumber) -> tuple[str, str]:
    zh = geocoder.description_for_number(parsed, "zh")
    en = geocoder.description_for_number(parsed, "en")
    if not zh or zh == "中国":  # the geocoder knows the country only (virtual ranges, 400)
        return _UNKNOWN
    found = _PROVINCE.match(zh)
    province = found.group(1) if found else zh
    # "Lianyungang, Jiangsu": the province is the last part
    return province, en.rpartition(", ")[2] or en


def _cn_carrier(e164: str, kind: NumberKind) -> tuple[str, str]:
    if kind in (NumberKind.MOBILE, NumberKind.VIRTUAL_MOBILE):
        if e164[3:].startswith(VIRTUAL_RANGES):
            return "虚拟运营商", "virtual operator"
        owner = carrier_of(e164)
        if owner is not None:
            return _CARRIER_ZH.get(owner, owner), owner
        return _UNKNOWN
    if kind is NumberKind.LANDLINE:
        return "固定电话", "fixed line"
    return "服务号码", "service line"


@lru_cache(maxsize=200_000)
def origin(msisdn: str) -> Origin:
    """The region and carrier of a stored number (E.164, or '+' and digits)."""
    if not is_valid_number(msisdn):
        return _INVALID
    parsed = phonenumbers.parse(msisdn, None)
    country = phonenumbers.region_code_for_number(parsed) or ""
    if country != "CN":
        name_zh = geocoder.country_name_for_number(parsed, "zh") or country
        name_en = geocoder.country_name_for_number(parsed, "en") or country
        return Origin(name_zh, name_en, country, "境外运营商", "foreign carrier")
    kind = classify(msisdn)
    if kind in (NumberKind.SERVICE, NumberKind.ENTERPRISE):
        region: tuple[str, str] = ("全国", "nationwide")
    else:
        region = _province(parsed)
    carrier, carrier_en = _cn_carrier(msisdn, kind)
    return Origin(region[0], region[1], country, carrier, carrier_en)
