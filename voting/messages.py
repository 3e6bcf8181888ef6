"""User-facing messages for the protocol's machine codes, in the user's language."""

from __future__ import annotations

from flask_babel import gettext as _


def message(code: str, params: dict | None = None) -> str:
    """The translated message for a machine code; unknown codes get a generic text."""
    params = params or {}
    texts = {
        "unknown_poll": _("没有这项投票，或者它尚未开始。"),
        "board_not_published": _("投票结束后才公布公告板和结果。"),
        "poll_closed": _("投票已经结束，不再接受选票。"),
        "poll_not_open": _("只有正在进行的投票才能结束。"),
        "poll_not_draft": _("投票已经开始，不能再修改或删除。"),
        "token_already_issued": _("您已经领取过本次投票的凭证，每位代表只能领取一次。"),
        "no_token_issued": _("您还没有领取本次投票的选票凭证，无需报告。"),
        "already_used": _("这张凭证（或测评码、代表）已经投过票了。"),
        "not_in_register": _("您不在本次投票的代表名单中。"),
        "not_checked_in": _("请先签到，再领取选票。"),
        "not_your_ballot": _("记名表决只能以您本人的代表证号投票。"),
        "unknown_code": _("这个测评码不属于本次测评。"),
        "bad_code": _("测评码格式不对：应为 16 位字母数字（不含 I、O、0、1），可带连字符。"),
        "bad_token_signature": _("选票凭证的签名无效。"),
        "wrong_manifest": _("选票对应的投票说明与本次投票不符，请刷新页面后重试。"),
        "bad_request": _("请求格式不正确。"),
        "csrf_failed": _("缺少安全令牌（CSRF），请刷新页面后重试。"),
        "login_required": _("请先登录。"),
        "session_required": _("请选择会议：无记名投票和记名表决只在会议中进行。"),
        "code_poll_has_no_session": _("测评码投票不属于会议：“会议”一栏请选“测评码投票不属于会议”。"),
        "title_required": _("请填写标题。"),
        "title_too_long": _("标题不能超过 200 字。"),
        "bad_ballot": _("请选择选票类型。"),
        "bad_secrecy": _("请选择投票方式。"),
        "no_options": _("请至少填写一个候选项目（每行一项）。"),
        "duplicate_option": _("候选项目“%(title)s”写了两次，请删去一行。", title=params.get("title", "")),
        "too_many_seats": _("应选数须在 1 到候选项目数（%(n)s）之间。", n=params.get("n", "?")),
        "too_many_yes": _("最多同意数不能超过候选项目数（%(n)s）。", n=params.get("n", "?")),
        "linked_options": _("这项投票的选项来自其他页面（例如候选项目），在这里只能修改标题、会议和规则。"),
        "poll_in_use": _("这项投票已被其他记录引用（例如测评或会议表决），请在创建它的页面上删除。"),
        "runoff_not_possible": _("只有已经结束的票决才能另行票决。"),
        "runoff_elsewhere": _("这项投票的另行票决请在创建它的页面（例如民生实事项目管理）发起。"),
        "no_tie": _("没有同票竞争最后名额的项目，无需另行票决。"),
        "runoff_exists": _("这项投票的另行票决已经创建。"),
        "poll_id_taken": _("投票编号 %(poll)s 已被使用。", poll=params.get("poll", "")),
        "bad_poll": _("投票设置不符合规则：%(detail)s", detail=params.get("detail", "")),
        "not_a_code_poll": _("只有测评码投票才能生成测评码。"),
        "bad_code_count": _("测评码数量须在 1 到 100000 之间。"),
        "no_codes": _("请先生成测评码，再开始投票。"),
        "empty_register": _("这次会议所属的人民代表大会还没有在任代表。"),
        # (rev 5) scrutineers
        "not_a_scrutineer": _("您不是本次投票的监票人，或这把密钥不是您登记的。"),
        "bad_cosignature": _("签名无法用您登记的密钥在本次投票的结束记录上验证通过，未保存。"),
        "already_cosigned": _("您已经为本次投票签过名，不能再签另一个签名。"),
        "scrutineers_need_session": _("只有属于会议的投票才能指定监票人。"),
        "scrutineers_count": _("监票人须为 1 到 9 名，您选了 %(count)s 名。", count=params.get("count", "?")),
        "scrutineer_twice": _("同一位代表不能重复担任监票人。"),
        "scrutineer_not_in_session": _("监票人必须是本次会议的代表。"),
        "bad_cosign_threshold": _("所需签名人数须在 1 到监票人人数（%(count)s）之间。", count=params.get("count", "?")),
        "scrutineer_key_fixed": _("投票已经开始，监票人的密钥不能再更换。"),
        "bad_scrutineer_key": _(
            "这把公钥不能使用（%(detail)s）。请在手机上重新生成密钥。", detail=params.get("detail", "")
        ),
        "scrutineer_key_taken": _("这把公钥已被另一位监票人登记，请在手机上重新生成密钥。"),
        "scrutineers_not_enrolled": _(
            "还有监票人没有在自己的手机上登记密钥：%(names)s。全部登记后才能开始投票。",
            names=params.get("names", ""),
        ),
        # (rev 5) paper ballots
        "voted_on_paper": _("您已在本次投票中填写纸质选票，不能再领取电子选票凭证或电子投票。"),
        "paper_after_token": _("这位代表已经领取了电子选票凭证，不能再改用纸质选票。"),
        "paper_after_ballot": _("这位代表已经投了电子票，不能再改用纸质选票。"),
        "paper_not_allowed": _("本次投票不允许使用纸质选票。"),
        "paper_needs_scrutineers": _("允许纸质选票须先指定至少两名监票人（由他们分别录入纸质选票）。"),
        "paper_not_in_code_poll": _("测评码投票不能使用纸质选票。"),
        "paper_not_agreed": _(
            "有 %(voters)s 位代表使用纸质选票，但两名监票人的录入还不一致（或张数不等于纸质投票人数）。"
            "请监票人核对录入，一致后才能结束投票。",
            voters=params.get("voters", "?"),
        ),
        "paper_voters_differ": _("纸质选票上的代表与标记为纸质投票的代表不一致，请监票人核对。"),
        "decline_reason": _("请写明不签名的理由（1 到 500 字）。"),
        "batch_pending": _("您的选票已收到，正在等待封存。请稍后用同一张选票重试，将得到同一张回执。"),
        "log_mismatch": _("选票日志与已签名的日志状态不一致，拒绝公布。请立即检查数据库。"),
    }
    if code == "bad_choices":
        rule = params.get("rule")
        if rule == "max_yes":
            return _(
                "同意的项目最多 %(limit)s 个，您选了 %(count)s 个。",
                limit=params.get("limit", "?"),
                count=params.get("count", "?"),
            )
        if rule == "missing_option":
            return _("每一项都要选择（可以选弃权）：%(option)s 没有选择。", option=params.get("option", ""))
        if rule == "unknown_option":
            return _("选票中有本次投票没有的项目：%(option)s。", option=params.get("option", ""))
        return _("选票内容不符合规则：每项须选一个有效选项。")
    return texts.get(code, _("请求无法处理。"))
