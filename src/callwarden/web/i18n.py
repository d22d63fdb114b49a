"""The pages' words in Chinese (the default) and English.

A page asks for ``t("key")``; the language comes from ``?lang=`` (remembered in a cookie) and is
zh-CN unless English was chosen. A key with no entry shows as itself, so a missing word is
seen, not hidden.

>>> t = texts("en"); t("queue"), texts("zh")("queue"), t("no-such-key")
('Case queue', '工单队列', 'no-such-key')
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["LANGUAGES", "TEXTS", "language_of", "texts"]

LANGUAGES = ("zh", "en")

TEXTS: dict[str, tuple[str, str]] = {
    "app": ("号码安全卫士", "callwarden"),
    "console": ("运营控制台", "Operator console"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"),
    "token": ("访问令牌", "Access token"),
    "login_failed": ("用户名或令牌不正确", "Wrong username or token"),
    "too_many": ("尝试次数过多, 请一分钟后再试", "Too many tries; wait a minute"),
    "alerts": ("告警", "Alerts"),
    "queue": ("工单队列", "Case queue"),
    "dashboard": ("统计", "Dashboard"),
    "complaints": ("投诉与标记", "Complaints and marks"),
    "number": ("号码", "Number"),
    "search_number": ("查询号码", "Look up a number"),
    "decision": ("处置", "Decision"),
    "score": ("风险分", "Score"),
    "type": ("类型", "Type"),
    "flagged_at": ("告警时间", "Flagged at"),
    "case": ("工单", "Case"),
    "state": ("状态", "State"),
    "filter": ("筛选", "Filter"),
    "any": ("全部", "any"),
    "min_score": ("最低风险分", "Least score"),
    "open_only": ("仅未结", "Open only"),
    "more": ("下一页", "Next page"),
    "kind": ("类别", "Kind"),
    "queue_of": ("处理方", "Queue"),
    "sla": ("时限", "SLA"),
    "remaining": ("剩余", "left"),
    "overdue": ("已超时", "overdue"),
    "paused": ("已暂停 (等待客户)", "paused (waiting for the customer)"),
    "breached": ("超时", "breached"),
    "escalated": ("已升级", "escalated"),
    "reasons": ("停机原因", "Reasons"),
    "evidence": ("证据", "Evidence"),
    "marks": ("号码标记", "Marks"),
    "behaviour": ("通话行为", "Calling behaviour"),
    "calls_per_10": ("每10分钟呼出 (接通 / 未接通)", "Calls per 10 minutes (answered / not)"),
    "callees_per_10": ("每10分钟不同被叫数", "Distinct callees per 10 minutes"),
    "gaps": ("呼叫间隔", "Time between calls"),
    "regions": ("被叫归属地", "Regions of callees"),
    "answered": ("接通", "answered"),
    "unanswered": ("未接通", "not answered"),
    "no_records": (
        "未配置话单 (CALLWARDEN_CALLS), 仅显示告警证据",
        "No call records configured (CALLWARDEN_CALLS); the alerts' evidence is shown",
    ),
    "no_calls": ("该时段无呼出记录", "No outgoing calls in this window"),
    "history": ("历史", "History"),
    "status": ("号码状态", "Status"),
    "checklist": ("材料清单", "Checklist"),
    "timeline": ("处理记录", "Timeline"),
    "documents": ("材料文件", "Documents"),
    "actions": ("可执行操作", "Actions you may take"),
    "no_actions": ("您的角色当前无可执行操作", "Your role has no action on this case now"),
    "reason_note": ("说明", "Note"),
    "channel": ("核验渠道", "Channel"),
    "verdict": ("结论", "Verdict"),
    "items": ("已出示材料", "Items presented"),
    "rating": ("满意度 (1-5)", "Satisfaction (1-5)"),
    "submit": ("提交", "Submit"),
    "done": ("已完成", "Done"),
    "upload": ("上传材料", "Upload a document"),
    "file": ("文件 (PDF/JPEG/PNG, 800KB 以内)", "File (PDF/JPEG/PNG, up to 800 KB)"),
    "doc_kind": ("材料类型", "Document"),
    "expected": ("预计完成", "Expected by"),
    "requester": ("申请人", "Requester"),
    "alerts_by_type": ("按类型的告警", "Alerts by type"),
    "suspensions": ("停机", "Suspensions"),
    "restorations": ("复机", "Restorations"),
    "median_restore": ("复机中位时长 (小时)", "Median time to restore (hours)"),
    "breaches": ("超时工单", "SLA breaches"),
    "resolution": ("办结复机率", "Resolution rate"),
    "satisfaction": ("满意度", "Satisfaction"),
    "complaint_shares": ("投诉类别占比", "Complaint shares by category"),
    "daily": ("每日", "Daily"),
    "weekly": ("每周", "Weekly"),
    "open_cases": ("未结工单", "Open cases"),
    "not_found": ("未找到", "Not found"),
    "forbidden": ("无权访问", "Not allowed"),
    "error": ("出错了", "Something is wrong"),
    "back": ("返回", "Back"),
    "handoffs": ("人工接入", "Hand-offs"),
    "screening": ("热线来电筛查", "Hotline screening"),
    "hotline": ("热线", "Hotline"),
    "day": ("日期", "Day"),
    "no_hotlines": (
        "尚未登记热线 (callwarden hotline add)",
        "No hotline yet (callwarden hotline add)",
    ),
    "ask_kb": ("查询知识库", "Ask the knowledge base"),
    "kb_none": (
        "没有足够相近的条目: 助手会转人工",
        "No article is close enough: the assistant hands off",
    ),
    "kb": ("知识库", "Knowledge base"),
    "question": ("问题 (关键词)", "Question (key words)"),
    "answer": ("回答", "Answer"),
    "active": ("启用", "Active"),
    "new_article": ("新增条目", "New article"),
    "save": ("保存", "Save"),
    "reply": ("回复", "Reply"),
    "close_chat": ("回复后结束会话", "End the conversation with this reply"),
    "waiting": ("等待人工", "waiting for a person"),
    "no_handoffs": ("暂无转人工的会话", "No conversation waits for a person"),
    "placeholders": (
        "回答中可用 {why} {bring} {where} {expected} {step} {hotline}, 按客户的工单填入",
        "Answers may hold {why} {bring} {where} {expected} {step} {hotline}, filled from the "
        "customer's case",
    ),
    # self-service
    "self_title": ("停机自助查询", "Suspension self-service"),
    "self_intro": (
        "输入您的手机号码, 我们会发送一次性验证码, 验证后可查看停机原因和办理进度。",
        "Enter your mobile number; we send a one-time code, and after it you can see why the "
        "number was stopped and where your request stands.",
    ),
    "your_number": ("手机号码", "Mobile number"),
    "send_code": ("获取验证码", "Send me a code"),
    "code_sent": (
        "如果该号码由我们提供服务, 验证码已通过短信发送, 10分钟内有效。",
        "If this number is served here, a code is on its way by SMS; it is valid for 10 minutes.",
    ),
    "code": ("验证码", "Code"),
    "verify": ("验证", "Verify"),
    "why": ("为什么停机", "Why the number was stopped"),
    "step": ("当前进度", "Where it stands"),
    "bring": ("需携带的材料", "What to bring"),
    "where": ("办理渠道", "Where"),
    "no_case": ("您的号码目前没有停机或工单。", "Your number has no suspension or case now."),
    "ask_back": ("申请复机", "Ask for the number back"),
    "relationship": ("您与机主的关系", "Your relation to the owner"),
    "add_info": ("补充说明", "Add information"),
    "complain": ("投诉处理过程", "Complain about the handling"),
    "survey": ("评价服务", "Rate the service"),
    "appeal": ("提出申诉", "Appeal"),
    "sent_ok": ("已提交", "Sent"),
    "bad_number": ("请输入有效的手机号码", "Enter a valid mobile number"),
    "bad_code": ("验证码应为6位数字", "The code is 6 digits"),
    "session_over": ("会话已过期, 请重新验证", "Your session has ended; verify again"),
    "progress": ("办理记录", "Progress"),
    "remote": ("可远程核验 (人脸识别)", "Remote verification (face check) is possible"),
    "assistant": ("在线助手", "Assistant"),
    "ask": ("发送", "Send"),
    "ask_hint": (
        "可以问: 为什么停机? 要带什么? 去哪里办? 多久能好?",
        "Ask: why was it stopped? what to bring? where? how long?",
    ),
    "person": ("转人工客服", "Talk to a person"),
    "you": ("您", "You"),
    "bot": ("助手", "Assistant"),
    "agent": ("客服", "Agent"),
    "system": ("系统", "System"),
    "doc_id_card": ("身份证", "ID card"),
    "doc_student_card": ("学生证", "student card"),
    "doc_business_licence": ("营业执照", "business licence"),
    "doc_police_report": ("报警回执", "police report"),
    "doc_other": ("其他材料", "other"),
    "act_open": ("建立工单", "case opened"),
    "act_suspend": ("保护性停机", "suspended for protection"),
    "act_restrict": ("限制呼出", "outgoing calls restricted"),
    "act_request": ("申请复机", "restore requested"),
    "act_verify": ("身份核验完成", "identity verified"),
    "act_review": ("安全审核", "security review"),
    "act_provide": ("补充材料", "information added"),
    "act_comment": ("补充说明", "note added"),
    "act_restore": ("已复机", "restored"),
    "act_reject": ("未通过", "not approved"),
    "act_appeal": ("申诉", "appeal"),
    "act_complain": ("投诉", "complaint"),
    "act_escalate": ("已升级处理", "escalated"),
    "act_survey": ("服务评价", "rating"),
    "act_breach": ("处理超时, 已升级", "past its deadline, escalated"),
    "owner": ("本人", "owner"),
    "family": ("家人", "family"),
    "guardian": ("监护人", "guardian"),
    "colleague": ("同事", "colleague"),
    "other": ("其他", "other"),
}


def language_of(value: str | None) -> str:
    """``en`` when asked for, else ``zh``."""
    return "en" if value == "en" else "zh"


def texts(language: str) -> Callable[..., str]:
    """The lookup for one language; ``t(key, default)`` gives ``default`` for an unknown key."""
    index = 1 if language == "en" else 0

    def t(key: str, default: str | None = None) -> str:
        entry = TEXTS.get(key)
        if entry:
            return entry[index]
        return key if default is None else default

    return t
