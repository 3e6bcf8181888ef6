"""The ballot page's strings for ballot.js, translated on the server: their only source.

The page passes them in its ``#ballot-i18n`` JSON block; ballot.js has no texts of its
own and looks each up by its key. ``tests/voting/test_ballot_strings.py`` checks that the
keys here are exactly those the script uses, translated, with the placeholders it fills."""

from flask_babel import gettext as _


def ballot_i18n() -> dict[str, str]:
    """Strings for ``static/js/ballot.js``; placeholders in braces are filled by the script."""
    return {
        "loading": _("正在载入投票信息…"),
        "no_webcrypto": _("本浏览器不支持所需的加密功能，请使用较新的浏览器并通过 HTTPS 访问本页。"),
        "manifest_error": _("无法载入投票信息：{message}"),
        "manifest_mismatch": _("本页收到的投票信息与服务器声明的不一致，为安全起见不能投票。请联系工作人员。"),
        "manifest_bad_signature": _("投票信息的签名无效，为安全起见不能投票。请联系工作人员。"),
        "storage_unavailable": _("本浏览器无法保存数据（可能处于隐私模式）。投票完成前请不要刷新或关闭本页。"),
        "token_requesting": _("正在领取选票凭证…"),
        "token_ready": _("已领取选票凭证，可以投票。"),
        "token_lost": _("服务器已经向您发放过选票凭证，但不是这个浏览器保存的那一张，无法用它投票。请看下面的说明。"),
        "token_elsewhere": _(
            "这个浏览器里没有您的选票凭证：服务器记录显示，凭证已经在另一个浏览器或另一部手机上领取。请看下面的说明。"
        ),
        "resuming": _("正在继续上次的投票…"),
        "resend_same": _("请再点“提交”：会重新发送同一张选票，重复发送是安全的。"),
        "ballot_not_kept": _("为保护投票秘密，本机不保存您的选择和选票副本；投票后下载的选票副本请自行保管。"),
        "token_bad_signature": _("服务器返回的凭证签名无效，不能投票。请联系工作人员。"),
        "token_error": _("领取选票凭证失败：{message}"),
        "network_error": _("网络连接失败，请检查网络后再试。"),
        "http_error": _("服务器错误（HTTP {status}），请稍后再试。"),
        "yes_count": _("已选“同意” {count} 项，最多 {max} 项。"),
        "yes_count_nolimit": _("已选“同意” {count} 项。"),
        "over_limit": _("“同意”最多只能选 {max} 项，现在选了 {count} 项，请减少后再提交。"),
        "missing_choices": _("还有 {count} 项没有选择：{options}"),
        "list_separator": _("、"),
        "code_invalid": _("测评码应为 16 位，由字母和数字组成（不含 I、O、0、1），请核对后重新输入。"),
        "submitting": _("正在提交选票…"),
        "sealing": _(
            "正在封存您的选票…为保护投票秘密，您的选票与同一时段的其他选票一起按随机顺序存入，"
            "通常需要几秒，最长约一分钟。请不要关闭本页。"
        ),
        "submit_error": _("提交失败：{message}"),
        "pending_resend": _("上次提交可能没有送达。已恢复上次的选择，请再次点击“提交”（重复提交同一张选票是安全的）。"),
        "cast_ok": _("投票成功，您的选票已记录。请下载并保存回执。"),
        "already_voted": _("您已经在本浏览器投过票，以下是保存的回执。"),
        "previous_receipt": _("本浏览器保存的上一张回执："),
        "receipt_checked": _("回执已在本机核验无误。"),
        "receipt_warning": _("注意：回执未能在本机核验（{reason}）。请保存回执和选票副本，并告知工作人员。"),
        "receipt_index": _("选票序号"),
        "receipt_size": _("当时记录总数"),
        "receipt_root": _("记录根哈希"),
        "download_receipt": _("下载回执"),
        "download_ballot": _("下载选票副本"),
        "choice_yes": _("同意"),
        "choice_no": _("不同意"),
        "choice_abstain": _("弃权"),
        "choice_satisfied": _("满意"),
        "choice_basic": _("基本满意"),
        "choice_dissatisfied": _("不满意"),
        # Filling in without thinking (issue 14): "mark all the rest", what is missing, done.
        "mark_rest_intro": _("其余 {count} 项还没有选择，可以一次全部选为："),
        "mark_rest_none": _("每一项都已选择。"),
        "mark_rest_button": _("全部选“{choice}”"),
        "missing_none": _("全部 {total} 项都已选择。"),
        "missing_few": _("还有 {count} 项未选：{options}"),
        "missing_many": _("还有 {count} 项未选。"),
        "voted_button": _("已投票"),
    }
