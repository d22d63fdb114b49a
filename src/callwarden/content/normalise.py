"""Undo the tricks scammers use to slip texts past keyword filters, so that a disguised text
reads like its plain original.

In order: compatibility forms (full-width and half-width letters, digits and punctuation,
circled digits) folded by Unicode NFKC; invisible characters dropped; letters lower-cased;
traditional characters converted to simplified (OpenCC ``t2s``); digits written as Chinese
numerals turned into digits; spaces and symbols inserted between single characters removed;
URLs, phone numbers, amounts and other numbers masked to one token each, so that a model learns
"a link follows" rather than one campaign's link.

>>> display(normalise("請 轉 賬 到 安 全 賬 戶，聯系 一三八零零一三八零零零"))
'请转账到安全账户,联系 <电话>'
>>> display(normalise("点击 https://t.cn/abc 领取伍仟元补贴"))
'点击 <网址> 领取<金额>补贴'
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Final

__all__ = ["MASKS", "display", "normalise", "normalise_all"]

#: mask tokens: one private-use character each (one "character" to the char n-grams and one
#: word to the segmenter), shown to people as the words after them
URL: Final = "\ue000"
PHONE: Final = "\ue001"
AMOUNT: Final = "\ue002"
NUMBER: Final = "\ue003"
MASKS: Final = {URL: "<网址>", PHONE: "<电话>", AMOUNT: "<金额>", NUMBER: "<数字>"}
_SHOWN: Final = str.maketrans(MASKS)

_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "Ｏ": 0, "一": 1, "幺": 1, "壹": 1, "二": 2, "两": 2, "贰": 2,
    "三": 3, "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7,
    "八": 8, "捌": 8, "九": 9, "玖": 9,
}  # fmt: skip
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}
_DIGIT_CHARS = "".join(_DIGITS)
_NUMERAL_CHARS = _DIGIT_CHARS + "".join(_UNITS) + "".join(_BIG)

# a code or phone number read out digit by digit: four or more numeral digits in a row ("一个"
# and "十一" stay words)
_SPELLED = re.compile(f"[{_DIGIT_CHARS}]{{4,}}")
# an amount in positional numerals: "五万元", "叁仟伍佰块", "两千"
_UNIT_CHARS = "".join(_UNITS) + "".join(_BIG)
_POSITIONAL = re.compile(
    f"(?=[{_NUMERAL_CHARS}])[{_NUMERAL_CHARS}]*[{_UNIT_CHARS}][{_NUMERAL_CHARS}]*(?=[元块圆])"
)
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
# three or more single characters (Chinese, letters, digits) each followed by 1-3 separators
# (spaces, symbols, punctuation): "安 全 账 户", "安*全*账*户", "1-3-8-0-0"; an ordinary
# clause has words of several characters between its punctuation
_SINGLE = f"(?<![{_CJK}a-z0-9])[{_CJK}a-z0-9]"
# (separators never include a line break: a batch is normalised as one string, a text a line)
_SPACED = re.compile(f"(?:{_SINGLE}(?:[^\\w\\n]|_){{1,3}}){{3,}}{_SINGLE}(?![{_CJK}a-z0-9])")
_SEPARATORS = re.compile(r"[\W_]+")
# each pattern opens with a look-ahead on its first character, so that the engine passes over
# Chinese characters at once rather than trying every alternative at every position
_URL = re.compile(
    r"(?=[a-z0-9])(?:(?:https?://|www\.)[\x21-\x7e]+"
    r"|(?<![a-z0-9@.])(?:[a-z0-9-]+\.)+(?:com|cn|net|org|cc|top|vip|xyz|me|io|info|co|tk|app|"
    r"site|shop|club|ly|gl|im|la|ink|link|online|fun|pro|wang|ren|biz|tv|hk|so)(?![a-z])"
    r"(?:/[\x21-\x7e]*)?)"
)
_PHONE = re.compile(
    r"(?=[+\d])(?<!\d)(?:\+?86[ -]?)?(?:1[3-9]\d(?:[ -]?\d){8}|0\d{2,3}[ -]?\d{7,8}"
    r"|[48]00[ -]?\d{3}[ -]?\d{4}|95\d{3,4}|1\d{4}(?=\D|$))(?!\d)"
)
_AMOUNT = re.compile(
    r"(?=[¥$\d])(?:[¥$] ?\d[\d,]*(?:\.\d+)?"
    r"|\d[\d,]*(?:\.\d+)?\ ?(?:万元|万|千元|千|元|块|rmb|w(?![a-z])))"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SPACES = re.compile(r"[^\S\n]+")
_LINE_BREAKS = re.compile(r"[\r\n]")


@cache
def _converter() -> object:
    import opencc  # noqa: PLC0415  # loads its dictionaries: only when a text is normalised

    return opencc.OpenCC("t2s")


def _to_simplified(text: str) -> str:
    return str(_converter().convert(text))  # type: ignore[attr-defined]


def _positional(numerals: str) -> str:
    """'三千五百' -> '3500'; '两万' -> '20000'; '十五' -> '15'."""
    total = section = digit = 0
    for char in numerals:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _UNITS:
            section += (digit or 1) * _UNITS[char]
            digit = 0
        else:
            total += (section + digit) * _BIG[char]
            section = digit = 0
    return str(total + section + digit)


def _numerals(text: str) -> str:
    text = _SPELLED.sub(lambda m: "".join(str(_DIGITS[c]) for c in m.group()), text)
    return _POSITIONAL.sub(lambda m: _positional(m.group()), text)


def _despace(text: str) -> str:
    return _SPACED.sub(lambda m: _SEPARATORS.sub("", m.group()), text)


def _mask(text: str) -> str:
    text = _URL.sub(f" {URL} ", text)
    text = _PHONE.sub(PHONE, text)
    text = _AMOUNT.sub(AMOUNT, text)
    return _NUMBER.sub(NUMBER, text)


def _steps(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text).lower()
    text = _to_simplified(text)
    text = _numerals(text)
    text = _despace(text)
    text = _mask(text)
    return _SPACES.sub(" ", text)


def normalise(text: str) -> str:
    """One text as the model reads it (see the module's docstring for each step).

    >>> display(normalise("ＶＩＰ客服：您的订单退款 ５００元，加微信 qq12345678"))
    'vip客服:您的订单退款 <金额>,加微信 qq<数字>'
    """
    return normalise_all([text])[0]


def normalise_all(texts: list[str]) -> list[str]:
    """:func:`normalise` over a batch: the batch goes through each step as one string, a text
    a line, which is several times faster than text by text.

    >>> normalise_all(["第一条\\n两行", "  "])
    ['第一条 两行', '']
    """
    joined = "\n".join(_LINE_BREAKS.sub(" ", t) for t in texts)
    out = [line.strip() for line in _steps(joined).split("\n")]
    if len(out) != len(texts):  # a step made or removed a line break: never seen, but be sure
        return [_steps(_LINE_BREAKS.sub(" ", t)).strip() for t in texts]
    return out


def display(term: str) -> str:
    """A model term as a person reads it: masks spelled out, spaces between words kept.

    >>> display("点击 \ue000")
    '点击 <网址>'
    """
    return term.translate(_SHOWN)
