"""SMS texts written from templates in the style of the five content classes, for the
simulator: spam senders send scam texts, honest notification ports send benign ones.

Each text is an opener, a story and a demand of its class, with its own names, amounts, links
and numbers filled in, so that a simulated campaign varies the way real ones do and its texts
are not the shipped corpus's (:mod:`.corpus`): the default model reads them as new texts. The
phrases were written for callwarden; no benchmark text is used.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> text = compose("impersonate_police_gov", rng)
>>> any(word in text for word in ("公安", "检察院", "反诈", "社保", "医保", "法院", "网警"))
True
>>> from callwarden.content.corpus import LABELS_ZH
>>> sorted(TEMPLATES) == sorted(LABELS_ZH)
True
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np

__all__ = ["FRAUD_LABELS", "TEMPLATES", "compose"]

#: the scam classes, in the order the simulator hands them to spam senders
FRAUD_LABELS: Final = (
    "impersonate_police_gov",
    "loan_credit_card",
    "impersonate_customer_service",
    "impersonate_leader_acquaintance",
)

#: per label: openers, stories and demands; ``{slot}`` is filled from :data:`_SLOTS`
TEMPLATES: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]] = {
    "impersonate_police_gov": (
        ("【{city}公安】", "您好，我是{city}市公安局的{surname}警官，",
         "这里是{city}市人民检察院，", "【国家反诈中心】提醒：",
         "您好，这里是{city}市社保局，", "【{city}医保局】", "我是{city}网警支队的民警，"),
        ("您名下的银行卡涉嫌一起洗钱案件", "您的医保卡被他人冒用，涉嫌违规套现",
         "您的身份信息被用于跨境赌博资金转移", "您有一张法院传票未签收，案件即将移交",
         "您寄出的快递中查出违禁物品，涉嫌走私", "您的社保账户存在异常，即将被冻结"),
        ("，请立即将名下资金转入安全账户配合调查，不得告诉他人。",
         "，请下载{app}与办案民警视频核实，此事保密。",
         "，需缴纳保证金{amount}元解除冻结，逾期将被通缉。",
         "，请于今日内回电{phone}，否则将依法拘留。",
         "，请登录 {url} 填写资料配合清查资金。"),
    ),
    "loan_credit_card": (
        ("【{lender}】", "您好，", "急用钱？", "【{bank}信用卡中心】", "【内部通道】"),
        ("您有一笔{wan}万元信用额度待领取", "无抵押无担保，凭身份证即可贷款，最高{wan}万",
         "大额信用卡代办，额度{wan}万起，秒批包下卡", "黑户白户均可下款，不看征信，不查负债",
         "您的贷款已审核通过，但银行卡号填写有误，资金被冻结"),
        ("，当天放款，点击 {url} 申请，回T退订。", "，先交{amount}元解冻金即可提现。",
         "，加微信 {wechat} 咨询，名额有限。", "，放款前需缴纳会员费{amount}元，随借随还。",
         "，下载{lender}App 完成认证即可到账。"),
    ),
    "impersonate_customer_service": (
        ("【{shop}客服】", "您好，我是{shop}客服，", "尊敬的{shop}用户，", "【{shop}】"),
        ("您购买的商品因质量问题需要召回", "您的包裹在运输中丢失",
         "您开通了{shop}百万保障服务，即将每月扣费{amount}元",
         "您的账户被误设为代理商，每月将自动扣费", "您的{shop}金条利率过高需要关闭，否则影响征信",
         "您的会员即将自动续费{amount}元"),
        ("，可为您办理三倍理赔，请添加客服QQ {qq}。", "，请点击 {url} 取消，否则影响个人征信。",
         "，请打开屏幕共享，按客服指引操作退款。", "，请按提示将余额转到指定账户完成验证后退回。",
         "，退款请回电{phone}，客服专员为您办理。"),
    ),
    "impersonate_leader_acquaintance": (
        ("小{surname}，我是{boss}，", "{kin}，我手机坏了，这是我同学的号，",
         "老同学，还记得我吗？我是{surname}{given}，", "我是你{elder}，",
         "{surname}经理，我是你们{boss}，"),
        ("我换了新号码，明天来我办公室一趟", "现在在开会不方便接电话",
         "我在外地出了点事，不方便跟家里说", "孩子在学校突发疾病住院了",
         "有个领导的红包要送，我这边不方便"),
        ("，有个急事需要你先帮我转{amount}元给合作方，回头报销。",
         "，你先转{amount}块到这张卡上，别告诉别人。", "，加我新微信 {wechat}，有事跟你说。",
         "，能不能先借我{amount}应急，过两天就还。", "，你先垫付一下，卡号我发你。"),
    ),
    "normal": (
        ("【顺丰速运】", "【{bank}】", "【中国移动】", "【{shop}】", "【{city}市教育局】",
         "妈，", "【中国联通】尊敬的用户，", "王老师您好，"),
        ("您的快件已到达驿站，取件码{code}", "您尾号{code}的储蓄卡于今日支出人民币{amount}元",
         "您本月话费账单已生成，当前余额{amount}元", "您的验证码是{code}，5分钟内有效",
         "我今晚加班，晚点回家吃饭", "明天上午九点家长会，请准时参加",
         "您的订单已发货，预计明天送达", "本月流量已使用八成，可登录App查询详情"),
        ("，请凭码取件。", "，详情请登录手机银行查询。", "，请勿泄露给他人。", "。", "，谢谢！",
         "，回复TD退订。"),
    ),
}  # fmt: skip

_SLOTS: Final[dict[str, tuple[str, ...]]] = {
    "city": ("成都", "杭州", "南京", "武汉", "西安", "长沙", "郑州", "济南", "合肥", "福州"),
    "surname": ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"),
    "given": ("伟", "芳", "强", "敏", "磊", "静", "军", "洋"),
    "app": ("云视讯", "腾讯会议", "钉钉", "Zoom", "乐播投屏"),
    "lender": ("惠民贷", "安心借", "速易贷", "诚信金融", "闪电借款"),
    "bank": ("工商银行", "建设银行", "招商银行", "农业银行", "中国银行"),
    "shop": ("京东", "淘宝", "拼多多", "抖音", "支付宝", "美团"),
    "boss": ("张总", "李局", "王主任", "刘董", "陈校长"),
    "kin": ("妈", "爸", "舅舅", "姐"),
    "elder": ("表哥", "二叔", "老领导", "老战友"),
}
_SLOT = re.compile(r"\{(\w+)\}")
_DOMAINS = ("cn", "com", "top", "vip", "cc")


def _fill(slot: str, rng: np.random.Generator) -> str:
    if slot in _SLOTS:
        choices = _SLOTS[slot]
        return choices[int(rng.integers(len(choices)))]
    if slot == "amount":
        return str(int(rng.choice([200, 500, 980, 2000, 3000, 5000, 8000, 20000, 50000])))
    if slot == "wan":
        return str(int(rng.integers(3, 51)))
    if slot == "code":
        return f"{int(rng.integers(0, 10_000)):04d}"
    if slot == "phone":
        return f"1{int(rng.integers(30, 99))}{int(rng.integers(0, 10**8)):08d}"
    if slot == "qq":
        return str(int(rng.integers(10**7, 10**10)))
    if slot == "wechat":
        return f"wx{int(rng.integers(10**5, 10**8))}"
    if slot == "url":
        name = "".join(chr(97 + int(c)) for c in rng.integers(0, 26, size=5))
        return f"http://{name}.{_DOMAINS[int(rng.integers(len(_DOMAINS)))]}/{int(rng.integers(99))}"
    raise KeyError(f"no filler for {{{slot}}}")


def compose(label: str, rng: np.random.Generator) -> str:
    """A new text of ``label`` (one of :data:`TEMPLATES`): an opener, a story and a demand of
    the class, slots filled at random.

    >>> rng = np.random.default_rng(1)
    >>> compose("normal", rng) != compose("normal", rng)
    True
    """
    parts = TEMPLATES[label]
    text = "".join(part[int(rng.integers(len(part)))] for part in parts)
    return _SLOT.sub(lambda m: _fill(m.group(1), rng), text)
