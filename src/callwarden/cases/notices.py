"""SMS notices to the owner, in plain words (zh-CN by default, English available), and notifiers.

Every notice says why, what to bring, where to go and the hotline (seed 000's agent had to say
all of it on the phone). Notices are queued in the case database's outbox, from which the
operator's SMS gateway collects them (``GET /api/v1/notices``) and marks them sent.

>>> t = suspension_text(level="restrict", masked="138****5678", reasons=[
...     {"code": "relay_call", "text_zh": "60 分钟内主叫 30 次", "text_en": "30 calls in 60 min"}],
...     checklist="机主本人身份证原件", hotline="10086", url="https://x.invalid", language="zh")
>>> "限制呼出" in t and "中转呼叫" in t and "10086" in t
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "channel_names",
    "decision_text",
    "plain_reason",
    "render",
    "suspension_text",
]

#: what a detector's finding means, in words for the owner: (zh, en)
_PLAIN: dict[str, tuple[str, str]] = {
    "relay_call": (
        "短时间内频繁拨打陌生号码, 疑似被他人利用转接诈骗电话(中转呼叫)",
        "many calls to strangers in a short time, as when a scammer uses the SIM to relay calls",
    ),
    "autodialer": ("疑似自动群呼", "calls placed like an automatic dialer"),
    "sequential_dialing": ("按号段顺序拨号", "dialing numbers one after another in sequence"),
    "rotation": (
        "与多个号码轮换拨打同一批号码",
        "taking turns with other numbers to call the same list of people",
    ),
    "wangiri": ("大量响一声即挂断的呼叫", "many calls that ring once and hang up"),
    "simbox": ("疑似猫池(SIM 卡池)设备拨号", "calls placed through a SIM box"),
    "sms_burst": ("短时间内群发大量短信", "many text messages in a short time"),
    "content": (
        "所发短信或通话内容疑似诈骗",
        "text messages or calls whose words read as a scam",
    ),
    "call_content": (
        "所拨电话的通话内容疑似诈骗话术",
        "calls whose words read as a fraud script",
    ),
    "profile_mismatch": (
        "通话行为与机主登记信息明显不符",
        "calling that does not match the registered owner",
    ),
    "known_fraud_contact": (
        "与已确认的诈骗号码存在关联",
        "links to numbers confirmed as fraud",
    ),
    "realname_unregistered": (
        "号码未完成电话用户实名登记",
        "the number is not registered under the real-name rules",
    ),
}
_DEFAULT_PLAIN = ("通话行为异常", "unusual calling behaviour")
_LEVEL = {
    "restrict": ("限制呼出", "restricted for outgoing calls"),
    "suspend": ("停机", "suspended"),
}


def plain_reason(code: str, language: str = "zh") -> str:
    """The owner-facing meaning of a reason code (model reasons read as the generic text)."""
    zh, en = _PLAIN.get(code.partition(":")[0], _DEFAULT_PLAIN)
    return zh if language == "zh" else en


def decision_text(level: str, language: str = "zh") -> str:
    zh, en = _LEVEL.get(level, _LEVEL["suspend"])
    return zh if language == "zh" else en


def suspension_text(
    *,
    level: str,
    masked: str,
    reasons: Sequence[dict[str, Any]],
    checklist: str,
    hotline: str,
    url: str,
    language: str,
) -> str:
    """The first notice: why, what to bring, where to go, the hotline."""
    top = reasons[0] if reasons else {"code": "", "text_zh": "", "text_en": ""}
    if language == "zh":
        return (
            f"【号码安全提醒】您的号码{masked}因{plain_reason(top['code'])}"
            f"({top['text_zh']}), 已被保护性{decision_text(level)}, 以防被不法分子利用。"
            f"如是本人正常使用, 请携带{checklist}到营业厅办理复机, "
            f"或拨打客服热线{hotline}咨询; 进度可在 {url} 查询。"
        )
    return (
        f"[Number safety] Your number {masked} was {decision_text(level, 'en')} for your "
        f"protection: {plain_reason(top['code'], 'en')} ({top['text_en']}). If the calls were "
        f"yours, bring {checklist} to a business hall to have it restored, or call {hotline}; "
        f"follow progress at {url}."
    )


_TEMPLATES: dict[str, tuple[str, str]] = {
    "request_received": (
        "【复机申请】号码{masked}的复机申请已受理(工单 {case_id})。请携带{checklist}通过{channels}"
        "完成身份核验。预计办结时间: {expected}。热线 {hotline}。",
        "[Restore request] We received the request for {masked} (case {case_id}). Bring "
        "{checklist} and verify your identity via {channels}. Expected completion: {expected}. "
        "Hotline {hotline}.",
    ),
    "more_info": (
        "【复机进度】安全部门需要您补充说明: {reason}。请在 {url} 或拨打 {hotline} 回复。",
        "[Restore progress] Security needs more from you: {reason}. Reply at {url} or call "
        "{hotline}.",
    ),
    "restored": (
        "【复机完成】号码{masked}已恢复正常使用。请勿将号码借给他人拨打电话。"
        "欢迎在 {url} 评价本次服务。",
        "[Restored] Your number {masked} works again. Never lend your number to others for "
        "calls. Please rate our service at {url}.",
    ),
    "rejected": (
        "【复机结果】号码{masked}的复机申请未通过: {reason}。"
        "如有异议, 可在 {url} 或拨打 {hotline} 申诉。",
        "[Restore result] The request for {masked} was not approved: {reason}. You can appeal "
        "at {url} or by calling {hotline}.",
    ),
    "appeal_received": (
        "【号码标记申诉】号码{masked}的申诉已受理(工单 {case_id}): {what}。"
        "预计 {expected} 前答复; 进度可在 {url} 查询, 热线 {hotline}。",
        "[Mark appeal] We received the appeal for {masked} (case {case_id}): {what}. Expect an "
        "answer by {expected}; follow progress at {url}, hotline {hotline}.",
    ),
    "appeal_more_info": (
        "【号码标记申诉】审核人员需要您补充说明或材料: {reason}。请在 {url} 回复或拨打 {hotline}。",
        "[Mark appeal] The reviewers need more from you: {reason}. Reply at {url} or call "
        "{hotline}.",
    ),
    "appeal_upheld": (
        "【号码标记申诉结果】号码{masked}的申诉成立: {done}。标记将在 1 分钟内停止展示。",
        "[Mark appeal result] The appeal for {masked} is upheld: {done}. The change is shown "
        "everywhere within a minute.",
    ),
    "appeal_rejected": (
        "【号码标记申诉结果】号码{masked}的申诉未通过: {reason}。"
        "如有新的材料, 可在 {url} 再次申诉或拨打 {hotline}。",
        "[Mark appeal result] The appeal for {masked} was not upheld: {reason}. With new "
        "evidence you can appeal again at {url} or by calling {hotline}.",
    ),
    "otp": (
        "【验证码】{code}, {minutes} 分钟内有效, 用于查询号码状态。请勿告诉他人。",
        "[Code] {code}, valid for {minutes} minutes, to check your number's status. Never "
        "share it.",
    ),
}

_CHANNEL_NAMES = {
    "business_hall": ("营业厅", "a business hall"),
    "remote_face": ("远程人脸识别", "remote face verification"),
    "video": ("视频客服", "a video call with an agent"),
}


def channel_names(channels: Sequence[str], language: str) -> str:
    i = 0 if language == "zh" else 1
    return ("或" if language == "zh" else " or ").join(
        _CHANNEL_NAMES.get(c, (c, c))[i] for c in channels
    )


def render(template: str, language: str, **values: Any) -> str:
    """One of the follow-up notices, in the given language."""
    zh, en = _TEMPLATES[template]
    return (zh if language == "zh" else en).format(**values)
