"""Each disguise scammers use is undone: the disguised text reads like its plain original."""

from __future__ import annotations

import pytest

from callwarden.content.normalise import display, normalise, normalise_all


@pytest.mark.parametrize(
    ("disguised", "plain"),
    [
        ("ＶＩＰ客服，请加ＱＱ", "vip客服,请加qq"),  # full-width letters and punctuation
        ("ｶｽﾀﾏｰ", "カスタマー"),  # half-width katakana
        ("您的賬戶涉嫌洗錢，請轉賬", "您的账户涉嫌洗钱,请转账"),  # traditional characters
        ("安 全 账 户", "安全账户"),  # spaces between characters
        ("安*全*账*户", "安全账户"),  # symbols between characters
        ("转_账.到/安-全|账~户", "转账到安全账户"),
        ("安\u200b全\u200b账\u200b户", "安全账户"),  # zero-width spaces
    ],
)
def test_a_disguise_is_undone(disguised: str, plain: str) -> None:
    assert normalise(disguised) == normalise(plain) == plain


def test_ordinary_punctuation_between_words_stays() -> None:
    assert normalise("您好，我是客服，请问") == "您好,我是客服,请问"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("回电一三八零零一三八零零零", "回电<电话>"),  # a phone number in Chinese numerals
        ("验证码幺二三四", "验证码<数字>"),
        ("转账五万元", "转账<金额>"),  # positional numerals and an amount
        ("补贴叁仟伍佰元", "补贴<金额>"),
        ("一个人", "一个人"),  # a word with a numeral in it stays a word
    ],
)
def test_chinese_numerals_become_digits_then_masks(text: str, expected: str) -> None:
    assert display(normalise(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("点击 https://t.cn/Ab3x 领取", "点击 <网址> 领取"),
        ("登录www.example.com查看", "登录 <网址> 查看"),
        ("访问 abc-pay.top/x", "访问 <网址>"),
        ("致电13812345678", "致电<电话>"),
        ("致电 138 1234 5678", "致电 <电话>"),
        ("拨打+86 13812345678", "拨打<电话>"),
        ("客服 400-123-4567", "客服 <电话>"),
        ("退款 ¥299.00", "退款 <金额>"),
        ("额度 5万", "额度 <金额>"),
        ("订单 202403291", "订单 <数字>"),
    ],
)
def test_urls_numbers_and_amounts_are_masked(text: str, expected: str) -> None:
    assert display(normalise(text)) == expected


def test_disguises_combined_read_as_the_original() -> None:
    plain = "请立即将资金转入安全账户,联系<电话>"
    disguised = "請 立 即 將 資 金 轉 入 安 全 賬 戶，聯繫一三九一二三四五六七八"
    assert display(normalise(disguised)) == plain


def test_a_batch_equals_text_by_text() -> None:
    texts = ["第一行\n第二行", "", "  ", "安 全 账 户", "ＡＢＣ\r\n帳戶"]
    assert normalise_all(texts) == [normalise(t) for t in texts]
    assert normalise_all(texts)[:3] == ["第一行 第二行", "", ""]
