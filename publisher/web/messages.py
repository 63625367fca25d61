"""The Chinese catalogue: English text -> Chinese (Simplified). Every string the console shows is here.

``tests/web/test_i18n.py`` checks that every ``t("...")`` in the templates and the code has an entry, and that no
entry is left unused.
"""

from __future__ import annotations

__all__ = ["ZH"]

ZH: dict[str, str] = {
    "no feed is due; the next poll is due {when}; `publisher track --once --all` polls every feed now": (
        "没有到期的订阅源；下次抓取在 {when}；`publisher track --once --all` 立即抓取所有订阅源"
    ),
    # --- navigation and page titles ---
    "Publisher": "发布助手",
    "Main": "主菜单",
    "Queue": "发布队列",
    "Compose": "撰写",
    "Approvals": "审批",
    "Calendar": "日历",
    "Channels": "渠道",
    "Uncertain": "待确认",
    "Coverage": "媒体报道",
    "Reports": "报表",
    "Users": "用户",
    "My account": "我的账户",
    "Sign in": "登录",
    "Sign out": "退出",
    "Back to the queue": "返回发布队列",
    "paused automatically after repeated failures": "连续失败后自动暂停",
    "paused by {who}": "由 {who} 暂停",
    # --- the core's own history notes (publisher.web.i18n.event_note) ---
    "attempt {n}": "第 {n} 次尝试",
    "due {when} on {channels}": "计划于 {when} 发往 {channels}",
    "due {when} on {channels}; waits for approval": "计划于 {when} 发往 {channels}；等待审批",
    "rejected: {reason}": "已驳回：{reason}",
    "replaced by post {id}": "被稿件 {id} 取代",
    "replaces post {id}": "取代稿件 {id}",
    "found by lookup after an earlier unanswered attempt": "上一次尝试没有收到应答，经查询确认已发出",
    "extra copies moved to the trash: {ids}": "多出的副本已移到回收站：{ids}",
    "extra copies left online, remove them by hand: {ids}": "多出的副本仍在线上，请手动删除：{ids}",
    "; ": "；",
    # --- the core's refusals (PublisherError.of templates; the console shows them without the CLI's flags) ---
    "choose at least one channel": "请至少选择一个渠道",
    "the post needs a title": "稿件需要标题",
    "{at} is in the past; choose a later time": "{at} 已经过去，请选择更晚的时间",
    "unknown channel {names}: configured channels are {known}": "没有渠道 {names}；已配置的渠道：{known}",
    "cannot read the time {text!r}: write it as YYYY-MM-DD HH:MM (in {timezone}) "
    "or in ISO 8601 with an offset, e.g. 2026-12-01T16:00+08:00": (
        "无法识别时间 {text!r}：请写成“年-月-日 时:分”（{timezone} 时间），如 2026-12-01 16:00，"
        "或带时区偏移，如 2026-12-01T16:00+08:00"
    ),
    # --- roles ---
    "editor": "编辑",
    "approver": "审批人",
    "admin": "管理员",
    # --- states of deliveries and posts ---
    "queued": "排队中",
    "claimed": "发送中",
    "retry_wait": "等待重试",
    "sent": "已发送",
    "failed": "失败",
    "uncertain": "待确认",
    "cancelled": "已取消",
    "pending": "待审批",
    "approved": "已批准",
    "rejected": "已驳回",
    "not_required": "无需审批",
    "withdrawn": "已撤回",
    "active": "有效",
    "paused": "已暂停",
    "healthy": "正常",
    "failing": "出错",
    "disabled": "已停用",
    "revoked": "已吊销",
    # --- history ---
    "post.add": "提交",
    "post.approve": "批准",
    "post.reject": "驳回",
    "post.cancel": "取消",
    "post.replace": "修改稿",
    "post.replaced": "被修改稿取代",
    "claim": "开始发送",
    "delivery.sent": "已发送",
    "delivery.failed": "发送失败",
    "delivery.retry_wait": "稍后重试",
    "delivery.uncertain": "结果待确认",
    "delivery.queued": "重新排队",
    "delivery.cancelled": "已取消",
    "delivery.claimed": "发送中",
    "delivery.reschedule": "改期",
    # --- sign-in ---
    "Name": "用户名",
    "Password": "密码",
    "No administrator exists yet. Create the first one on the server, in the folder where the service runs:": (
        "还没有管理员。请在服务器上、服务运行的目录中创建第一个管理员："
    ),
    "It asks for the password. Then sign in here.": "命令会提示输入密码，然后在此登录。",
    "Wrong name or password.": "用户名或密码错误。",
    "Too many failed attempts. Try again in {seconds} s.": "失败次数过多，请 {seconds} 秒后再试。",
    "Many sign-ins at once. Try again in a moment.": "同时登录的人过多，请稍后再试。",
    # --- errors ---
    "The form was out of date or not from this site; reload the page and try again.": (
        "表单已过期或并非来自本站，请刷新页面后重试。"
    ),
    "The request could not be read.": "无法读取请求。",
    "Sign in first.": "请先登录。",
    "You may not do this.": "您没有权限执行此操作。",
    "There is nothing here.": "这里什么也没有。",
    "Something went wrong.": "出错了。",
    "The request is too large: at most {size} may be sent here.": "请求过大：此处最多可发送 {size}。",
    "The request holds text that is not valid Unicode (a lone surrogate); correct it.": (
        "请求中含有无效的 Unicode 文本（孤立的代理字符），请更正后再试。"
    ),
    "A number, date or nesting in the request is out of range; correct it.": (
        "请求中的数字、日期或嵌套层数超出范围，请更正后再试。"
    ),
    "Something went wrong on the server; it is logged. Try again, or tell the admin.": (
        "服务器出错了，已记录在日志中。请重试，或告知管理员。"
    ),
    # --- queue ---
    "State": "状态",
    "Channel": "渠道",
    "Campaign": "活动",
    "From": "从",
    "To": "到",
    "Filter": "筛选",
    "Clear": "清除",
    "all": "全部",
    "Post": "稿件",
    "Approval": "审批",
    "Deliveries": "投递",
    "live post": "查看已发布",
    "Nothing here.": "暂无内容。",
    "Posts in campaigns that need approval wait here until an approver approves or rejects them.": (
        "需要审批的活动中的稿件在此等候，直到审批人批准或驳回。"
    ),
    # --- compose ---
    "Edit post #{id}": "修改稿件 #{id}",
    "Submitting queues the corrected post and withdraws the original.": "提交后将排入修改后的稿件，并撤回原稿。",
    "No campaign": "不属于任何活动",
    "needs approval": "需审批",
    "Title": "标题",
    "Text (Markdown)": "正文（Markdown）",
    "at most {limit}": "最多 {limit}",
    "A channel's own text": "为某个渠道单独撰写文字",
    "Leave empty to use the text above": "留空则使用上面的正文",
    "When": "时间",
    "Date and time": "日期和时间",
    "As soon as possible": "尽快发送",
    "Event date": "活动日期",
    "event: {when}": "活动日期：{when}",
    "Event date (for SMS templates' event_date; not the send time)": "活动日期（供短信模板填写活动日期，不是发送时间）",
    "Send at this time anyway, although it is outside some channels' posting hours": (
        "仍在此时发送（尽管不在部分渠道的发布时段内）"
    ),
    "in quiet hours {spans}": "处于免打扰时段 {spans}",
    "outside the posting windows {spans}": "不在发布时段 {spans} 内",
    "Images, link and tags": "图片、链接和标签",
    "Add images (PNG, JPEG, GIF or WebP)": "添加图片（PNG、JPEG、GIF 或 WebP）",
    "Images (uploaded media:… references or https:// addresses, one per line)": (
        "图片（已上传图片的引用或网址，每行一个）"
    ),
    "Link to the full article": "全文链接",
    "Tags (comma-separated)": "标签（用逗号分隔）",
    "Preview": "预览",
    "Submit": "提交",
    "(no title yet)": "（尚无标题）",
    "{length} of {limit}": "{length} / {limit}",
    "{over} over the limit: shorten the text or give this channel its own.": (
        "超出 {over}：请缩短正文，或为该渠道单独撰写文字。"
    ),
    "{count} images, but this channel takes at most {max}.": "共 {count} 张图片，但该渠道最多 {max} 张。",
    "The chosen time is in this channel's quiet hours ({spans}).": "所选时间处于该渠道的免打扰时段（{spans}）。",
    "The chosen time is outside this channel's posting windows ({spans}).": (
        "所选时间不在该渠道的发布时段（{spans}）内。"
    ),
    "The time is outside some channels' posting hours. Choose another time or confirm.": (
        "所选时间不在部分渠道的发布时段内。请另选时间，或确认仍要发送。"
    ),
    "Posting windows": "发布时段",
    "Quiet hours": "免打扰时段",
    "Next free slot": "下一个空闲时段",
    "Use this time": "用这个时间",
    "none in the next two weeks": "两周内没有",
    "Next time free on every chosen channel": "所有所选渠道都空闲的最近时间",
    "Choose at least one channel to see how the post will look there.": (
        "请至少选择一个渠道，以查看稿件在该渠道的样子。"
    ),
    "Queued post {id}.": "稿件 {id} 已排入队列。",
    "Queued post {id}, replacing post {old}.": "稿件 {id} 已排入队列，取代稿件 {old}。",
    "This post can no longer be edited: some of it has gone out.": "该稿件已无法修改：部分内容已经发出。",
    # --- length units of the adapters ---
    "characters": "字符",
    "bytes (UTF-8)": "字节（UTF-8）",
    "UTF-16 code units of visible text": "可见文字的 UTF-16 码元",
    "汉字": "汉字",
    "bytes of event content (canonical JSON)": "事件内容字节（规范 JSON）",
    "characters, signature included (70 fit one SMS, longer ones go in 67-character parts)": (
        "字符，含签名（70 字一条短信，更长的按每条 67 字拆分）"
    ),
    # --- one post ---
    "Edit": "修改",
    "Time zone": "时区",
    "By": "作者",
    "approved by {name}": "由 {name} 批准",
    "Waiting for approval": "等待审批",
    "Comment (optional)": "意见（可选）",
    "Approve": "批准",
    "Why it is rejected (the author sees this)": "驳回理由（作者可见）",
    "Reject": "驳回",
    "An approver will approve or reject it; nothing goes out before that.": "审批人批准或驳回之前，不会发出任何内容。",
    "Due": "计划时间",
    "Attempts": "尝试次数",
    "Link": "链接",
    "Last error": "最近错误",
    "Uncertain deliveries": "待确认的投递",
    "What you checked": "您核实了什么",
    "It went out": "已发出",
    "Send again": "重新发送",
    "Send it again? Only if you checked that it did not go out.": "确定重新发送？请先确认它确实没有发出。",
    "Move": "改期",
    "New time": "新时间",
    "every waiting channel": "所有等待中的渠道",
    "Even outside posting hours": "即使不在发布时段内",
    "Cancel": "取消",
    "Reason": "原因",
    "Cancel every delivery of this post that has not gone out?": "取消该稿件所有尚未发出的投递？",
    "Cancel the post": "取消稿件",
    "Text": "正文",
    "How each channel gets it": "各渠道收到的内容",
    "History": "历史记录",
    "Who": "操作人",
    "What": "操作",
    "Note": "说明",
    "You wrote or queued post {id}: campaign {campaign} requires another person to approve it.": (
        "稿件 {id} 由您撰写或提交：活动 {campaign} 要求由另一个人审批。"
    ),
    "Approved post {id}.": "稿件 {id} 已批准。",
    "Rejected post {id}.": "稿件 {id} 已驳回。",
    "Cancelled post {id} ({count} deliveries).": "稿件 {id} 已取消（{count} 个投递）。",
    "Moved {count} deliveries to {when}.": "已将 {count} 个投递改到 {when}。",
    "Marked {count} deliveries as sent.": "已将 {count} 个投递标记为已发送。",
    "Queued {count} deliveries to be sent again.": "已将 {count} 个投递重新排队发送。",
    # --- calendar ---
    "Earlier": "更早",
    "Today": "今天",
    "Later": "更晚",
    "Week": "周",
    "Month": "月",
    "Days in {zone}. Drag a waiting post to another day to move it there at the same time.": (
        "日期按 {zone} 显示。把等待中的稿件拖到另一天，即可改到那天的同一时间。"
    ),
    "Mon": "周一",
    "Tue": "周二",
    "Wed": "周三",
    "Thu": "周四",
    "Fri": "周五",
    "Sat": "周六",
    "Sun": "周日",
    # --- channels and uncertain deliveries ---
    "Health": "状态",
    "Waiting": "等待中",
    "Pace": "速率",
    "Posting hours": "发布时段",
    "Last success": "最近成功",
    "{waiting} waiting": "{waiting} 个等待中",
    "{count} overdue": "{count} 个已逾期",
    "{count} uncertain": "{count} 个待确认",
    "{rate} a minute": "每分钟 {rate} 次",
    "no rate limit": "不限速",
    "{count} at a time": "同时 {count} 个",
    "any time": "任何时间",
    "Resume": "恢复",
    "Pause": "暂停",
    "Test": "测试",
    "{name} is paused; its deliveries wait.": "{name} 已暂停，其投递将等待。",
    "{name} is sending again.": "{name} 已恢复发送。",
    "There is no channel {name}.": "没有名为 {name} 的渠道。",
    "{name}: FAILED: {reason}": "{name}：失败：{reason}",
    "{name}: OK: {verdict}": "{name}：正常：{verdict}",
    "The request reached the channel but no answer came back: the post may or may not be out. "
    "Check the channel, then say which.": "请求已到达渠道但没有收到答复：稿件可能已发出，也可能没有。请核实后说明。",
    "Nothing is uncertain.": "没有待确认的投递。",
    # --- coverage ---
    "Outlets": "媒体",
    "There is no campaign yet. Coverage is counted per campaign: "
    "add one on the server with publisher campaign add NAME.": (
        "还没有活动。媒体报道按活动统计：请在服务器上用 publisher campaign add 活动名 添加一个活动。"
    ),
    "Dates in {zone}.": "日期按 {zone} 计。",
    "reports": "篇报道",
    "outlets": "家媒体",
    "distinct stories": "篇独立报道",
    "reprints of our posts": "篇转载我方稿件",
    "From {first} to {last}, in {zone}.": "统计区间：{first} 至 {last}（{zone}）。",
    "Over time": "报道趋势",
    "Coverage over time": "媒体报道数量随时间变化",
    "reports a day": "每日报道数",
    "reports a week, from Monday": "每周报道数（自周一起）",
    "Nothing in this period.": "该时段内没有报道。",
    "By outlet": "各媒体报道数量",
    "Outlet": "媒体",
    "Kind": "类型",
    "Tier": "级别",
    "Region": "地区",
    "Items": "篇数",
    "Coverage items": "报道明细",
    "First": "最早",
    "Latest": "最近",
    "No coverage yet.": "暂无媒体报道。",
    "The newest {shown} of {count}; the report has them all.": (
        "显示最新的 {shown} 篇（共 {count} 篇）；报表中有全部报道。"
    ),
    "Published": "刊发时间",
    "How it was found": "如何发现",
    "the same story as item {id}": "与第 {id} 条为同一篇报道",
    "reprints post #{id}": "转载稿件 #{id}",
    "found: {keywords}": "命中：{keywords}",
    "Why (not about us, a duplicate…)": "原因（与我方无关、重复……）",
    "Remove this item? Later passes will not add it back.": "删除这条报道？之后的抓取不会再把它加回来。",
    "Remove": "删除",
    "Add coverage found by hand": "手动添加报道",
    "Published ({zone})": "刊发时间（{zone}）",
    "Link (if online)": "链接（如有网络版）",
    "e.g. page 3 of the print edition": "例如：纸质版第 3 版",
    "Add the outlet first, on the Outlets page.": "请先在“媒体”页面添加该媒体。",
    "Added coverage item {id}.": "已添加报道（第 {id} 条）。",
    "Removed coverage item {id}: {title}": "已删除第 {id} 条报道：{title}",
    # how coverage was matched
    "keywords": "关键词匹配",
    "reprints our post": "转载我方稿件",
    "keywords, and reprints our post": "关键词匹配，且转载我方稿件",
    "added by hand": "手动添加",
    # kinds of outlet
    "news site": "新闻网站",
    "portal": "门户网站",
    "official account": "官方账号",
    "paper": "报纸",
    "other": "其他",
    # --- outlets ---
    "Outside outlets whose coverage is counted, and how polling their feeds goes. Times in {zone}.": (
        "统计其报道的外部媒体，以及抓取其订阅源的情况。时间按 {zone} 显示。"
    ),
    "Feed": "订阅源",
    "Next poll": "下次抓取",
    "Entries": "条目数",
    "read, with a warning": "可读取，但有警告",
    "failing ({count} in a row)": "出错（连续 {count} 次）",
    "not polled yet": "尚未抓取",
    "no feed: its coverage is added by hand": "无订阅源：其报道需手动添加",
    "in the config file": "在配置文件中定义",
    "Stop polling this outlet? Its coverage is kept.": "停止抓取该媒体？其已有报道会保留。",
    "No outlet yet.": "还没有媒体。",
    "Add an outlet": "添加媒体",
    "Feeds (one a line: an http(s) address, or an RSSHub route such as rsshub:/weibo/user/1195230310; "
    "none for a paper)": ("订阅源（每行一个：网址，或 RSSHub 路由，如 rsshub:/weibo/user/1195230310；报纸可不填）"),
    "Outlet {name} added with {count} feeds.": "已添加媒体 {name}（{count} 个订阅源）。",
    "Outlet {name} removed; its coverage is kept.": "已移除媒体 {name}，其报道已保留。",
    # --- reports ---
    "A campaign's report: the figures and the summary paragraph, coverage per outlet and over time, every item, "
    "and our own posts.": "活动报表：主要数据和工作小结、各媒体及各时段的报道数量、每篇报道，以及我方发布的稿件。",
    "Dates in the campaign's time zone. Without them: from the campaign's start up to now.": (
        "日期按活动所在时区计。不填则从活动开始统计到现在。"
    ),
    "Format": "格式",
    "CSV (a zip of one file per table)": "CSV（每张表一个文件，打包为 ZIP）",
    "Excel (XLSX)": "Excel（XLSX）",
    "JSON": "JSON",
    "Markdown": "Markdown",
    "HTML (a page to print or mail)": "HTML（便于打印或邮件发送的网页）",
    "Report language": "报表语言",
    "Generate and download": "生成并下载",
    # --- users and account ---
    "Role": "角色",
    "Language": "语言",
    "Last sign-in": "最近登录",
    "Account": "账户",
    "New password": "新密码",
    "Change": "修改",
    "Disable": "停用",
    "Enable": "启用",
    "Set": "设置",
    "Add a user": "添加用户",
    "default": "默认",
    "Add": "添加",
    "Editors compose and submit posts and add coverage found by hand; approvers also approve or reject posts, "
    "settle uncertain deliveries and remove coverage; admins also manage channels, outlets and users.": (
        "编辑可撰写和提交稿件、手动添加媒体报道；审批人还可批准或驳回稿件、处理待确认的投递、删除媒体报道；"
        "管理员还可管理渠道、媒体和用户。"
    ),
    "API tokens": "API 令牌",
    "User": "用户",
    "Label": "标签",
    "Token": "令牌",
    "Created": "创建时间",
    "Last used": "最近使用",
    "Revoke": "吊销",
    "Added {name}.": "已添加 {name}。",
    "Role changed; the person's sessions have ended.": "角色已修改，该用户的登录会话已结束。",
    "Account enabled.": "账户已启用。",
    "Account disabled; its sessions and tokens no longer work.": "账户已停用，其登录会话和令牌均已失效。",
    "Password changed; the person's sessions have ended.": "密码已修改，该用户的登录会话已结束。",
    "Password changed; your other sessions have ended.": "密码已修改，您的其他登录会话已结束。",
    "Token revoked.": "令牌已吊销。",
    "Signed-in sessions": "已登录的会话",
    "Each browser signed in as you. End any you do not recognise, then change your password.": (
        "以您的身份登录的每个浏览器。如有不认识的，请结束它，然后修改密码。"
    ),
    "Browser": "浏览器",
    "Address": "地址",
    "Signed in": "登录时间",
    "Last seen": "最近活动",
    "Ends": "到期时间",
    "this browser": "当前浏览器",
    "End": "结束",
    "Sign out everywhere": "在所有设备上退出",
    "Session ended.": "会话已结束。",
    "Current password": "当前密码",
    "Other tools use a token to act as you through the API (/api/openapi.json describes it).": (
        "其他工具可凭令牌通过 API 以您的身份操作（说明见 /api/openapi.json）。"
    ),
    "Your new token (shown only now):": "您的新令牌（仅显示这一次）：",
    "what it is for": "用途",
    "Create a token": "创建令牌",
    "Token {label} created. Copy it now: it will not be shown again.": (
        "令牌 {label} 已创建。请立即复制：它不会再次显示。"
    ),
    # --- schedules and campaigns (issue 11) ---
    "Schedules": "定时发布",
    "Campaigns": "活动",
    "Recurring posts: each occurrence becomes a post a day ahead, to be seen and approved before it goes out.": (
        "定时发布：每次发布提前一天生成稿件，便于在发出前查看和审批。"
    ),
    "When (cron)": "时间（cron 表达式）",
    "Next": "下一次",
    "No schedule yet.": "还没有定时发布。",
    "Add a schedule": "添加定时发布",
    "Pause this schedule? The posts it made ahead that have not gone out are cancelled.": (
        "暂停此定时发布？已提前生成但尚未发出的稿件将被取消。"
    ),
    "Delete": "删除",
    "Delete this schedule for good? The posts that went out stay.": "永久删除此定时发布？已发出的稿件会保留。",
    "Save": "保存",
    "Schedule {name} added.": "定时发布 {name} 已添加。",
    "Schedule {name} paused; {count} posts it had made ahead were cancelled.": (
        "定时发布 {name} 已暂停；已取消其提前生成的 {count} 篇稿件。"
    ),
    "Schedule {name} resumed.": "定时发布 {name} 已恢复。",
    "Schedule {name} changed; {count} posts made again.": "定时发布 {name} 已修改；重新生成了 {count} 篇稿件。",
    "Schedule {name} deleted; {count} posts it had made ahead were cancelled.": (
        "定时发布 {name} 已删除；已取消其提前生成的 {count} 篇稿件。"
    ),
    "A campaign's dates bound its posts and its coverage; its keyword rules find its coverage in the outlets' feeds.": (
        "活动的起止日期限定其稿件和媒体报道；关键词规则用于在媒体订阅源中查找相关报道。"
    ),
    "Starts": "开始",
    "Ends (through that day)": "结束（含当天）",
    "through that day": "含当天",
    "Keyword rules": "关键词规则",
    "Any of": "任一",
    "All of": "全部",
    "None of": "排除",
    "Save the rules": "保存规则",
    "required": "需要",
    "not required": "不需要",
    "by another person": "须由他人审批",
    "Posts need approval": "稿件需审批",
    "End now": "立即结束",
    "End this campaign now? No post of it may be queued after its end.": "立即结束此活动？结束后不能再为它排入稿件。",
    "No campaign yet.": "还没有活动。",
    "Add a campaign": "添加活动",
    "Campaign {name} added.": "活动 {name} 已添加。",
    "Campaign {name} changed.": "活动 {name} 已修改。",
    "Campaign {name} ended; {count} of its posts still wait to go out.": (
        "活动 {name} 已结束；仍有 {count} 篇稿件等待发出。"
    ),
    "Keyword rules of {name} saved; they apply to entries found from now on.": (
        "{name} 的关键词规则已保存，对此后抓取的条目生效。"
    ),
    "Failed deliveries": "发送失败的渠道",
    "What was fixed": "已修复的问题",
    "Retry": "重试",
    "Send it again now? Only once the cause of the failure is fixed.": "现在重新发送？请先确认失败原因已解决。",
    "Queued {count} failed deliveries to be sent again now.": "已将 {count} 个发送失败的渠道重新排队，立即发送。",
    "Even outside the campaign's dates": "即使不在活动日期内",
    # --- the command line (publisher/cli: its output, table headings and the commands' short help) ---
    "Usage: ": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Show this message and exit.": "显示此帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "Publicity scheduler: queue activity reports and send them to every channel on time.": (
        "宣传发布助手：将活动报道排入队列，按时发送到各个渠道。"
    ),
    "Config file (default: $PUBLISHER_CONFIG, ./publisher.toml).": (
        "配置文件（默认：$PUBLISHER_CONFIG、./publisher.toml）。"
    ),
    "Who is acting, for the event log (default: $USER).": "操作人，记入事件日志（默认：$USER）。",
    "Print JSON instead of a table.": "输出 JSON 而不是表格。",
    "error: {message}": "错误：{message}",
    # the command-line hints after a core refusal (``PublisherError.of(..., cli=...)``)
    "(--title, or `title:` in the file's front matter)": "（用 --title，或在文件的 front matter 中写 `title:`）",
    "with --channel NAME (see `publisher channel list`)": "：用 --channel 渠道名 指定（见 `publisher channel list`）",
    "or use --now": "，或使用 --now",
    "(none)": "（无）",
    "(no limit)": "（不限）",
    "awaiting approval": "待审批",
    "queued post {id} on {channels}": "稿件 {id} 已排入队列，渠道：{channels}",
    "{channel}: {when} is {why}; waits until {until}": "{channel}：{when} {why}，将等到 {until}",
    "{held} (--ignore-quiet-hours sends it then anyway)": "{held}（加 --ignore-quiet-hours 则仍在该时间发送）",
    "post {id}: {title}": "稿件 {id}：{title}",
    "campaign: {campaign}   state: {state}   approval: {approval}": (
        "活动：{campaign}   状态：{state}   审批：{approval}"
    ),
    "history:": "历史记录：",
    "{channel}: cannot render: {error}": "{channel}：无法生成：{error}",
    "cancelled post {id} ({count} deliveries)": "稿件 {id} 已取消（{count} 个投递）",
    "moved {count} deliveries of post {id} to {when}": "已将稿件 {id} 的 {count} 个投递改到 {when}",
    "resolved {count} deliveries of post {id}: {action}": "已处理稿件 {id} 的 {count} 个投递：{action}",
    "queued {count} failed deliveries of post {id} to be sent again now": (
        "已将稿件 {id} 的 {count} 个发送失败的投递重新排队，立即发送"
    ),
    "approved post {id}": "稿件 {id} 已批准",
    "rejected post {id}": "稿件 {id} 已驳回",
    "{name} paused": "{name} 已暂停",
    "{name} resumed": "{name} 已恢复",
    "database ready: {database} (schema {revision})": "数据库已就绪：{database}（结构版本 {revision}）",
    "config: {source}; channels: {channels}": "配置：{source}；渠道：{channels}",
    "{count} deliveries tried": "已尝试 {count} 个投递",
    "daemons: {count} alive": "守护进程：{count} 个存活",
    ", {count} silent (no heartbeat for {seconds} s)": "，{count} 个无响应（{seconds} 秒没有心跳）",
    "leases:": "租约：",
    "queue:": "队列：",
    ", approval by someone other than the author": "，须由作者以外的人审批",
    ", approval required": "，需审批",
    "campaign {name} added ({zone}{approval})": "活动 {name} 已添加（{zone}{approval}）",
    "campaign {name} changed": "活动 {name} 已修改",
    "campaign {name} ends {when}": "活动 {name} 于 {when} 结束",
    "{count} of its posts still wait to go out after the end: cancel them with `publisher post cancel`": (
        "仍有 {count} 篇稿件将在结束后发出：可用 `publisher post cancel` 取消"
    ),
    "never": "无",
    "schedule {name} added; next: {when}": "定时发布 {name} 已添加；下一次：{when}",
    "schedule {name} resumed; next: {when}": "定时发布 {name} 已恢复；下一次：{when}",
    "schedule {name} paused": "定时发布 {name} 已暂停",
    "schedule {name} changed": "定时发布 {name} 已修改",
    "schedule {name} deleted": "定时发布 {name} 已删除",
    "; cancelled {count} posts it had made ahead": "；已取消其提前生成的 {count} 篇稿件",
    "; made {count} posts again": "；重新生成了 {count} 篇稿件",
    "no admin yet: create one with `publisher user add NAME --role admin`": (
        "还没有管理员：请用 `publisher user add 用户名 --role admin` 创建"
    ),
    "web console on {url} (Ctrl-C to stop)": "网页控制台：{url}（按 Ctrl-C 停止）",
    "user {name} added ({role})": "用户 {name} 已添加（{role}）",
    "password of {name} changed": "{name} 的密码已修改",
    "token {id} ({label}) for {name}: keep it secret; it is not shown again": (
        "令牌 {id}（{label}）属于 {name}：请妥善保密，它不会再次显示"
    ),
    "token {id} revoked": "令牌 {id} 已吊销",
    "outlet {name} removed (its coverage is kept)": "媒体 {name} 已移除（其报道已保留）",
    "coverage item {id} added": "已添加第 {id} 条报道",
    "coverage item {id} removed: {title}": "已删除第 {id} 条报道：{title}",
    "rematched the stored entries: {count} new coverage items": "已按新规则重新匹配已存条目：新增 {count} 条报道",
    "{name}: no feed to test (coverage is added by hand: publisher coverage add)": (
        "{name}：没有可测试的订阅源（其报道需手动添加：publisher coverage add）"
    ),
    "{count} items from {outlets} outlets": "共 {count} 条报道，来自 {outlets} 家媒体",
    "wrote {path}": "已写入 {path}",
    "{coverage} coverage items from {outlets} outlets; {posts} posts sent {sent} times": (
        "{coverage} 条报道，来自 {outlets} 家媒体；{posts} 篇稿件共发送 {sent} 次"
    ),
    "no scheduled reports: add a [reports.NAME] table to the config file (see docs/reports.md)": (
        "没有定时报表：请在配置文件中添加 [reports.名称] 表（见 docs/reports.md）"
    ),
    "no scheduled report is due": "没有到期的定时报表",
    # table headings
    "column.action": "操作",
    "column.active": "有效",
    "column.actor": "操作人",
    "column.approval": "审批",
    "column.approver": "审批人",
    "column.at": "时间",
    "column.attempts": "尝试次数",
    "column.channel": "渠道",
    "column.channels": "渠道",
    "column.created": "创建时间",
    "column.cron": "cron",
    "column.daemon": "守护进程",
    "column.deliveries": "投递",
    "column.due": "计划时间",
    "column.due_now": "到期",
    "column.end": "结束",
    "column.error": "错误",
    "column.expired": "已过期",
    "column.failed": "失败",
    "column.feed": "订阅源",
    "column.group": "分组",
    "column.id": "编号",
    "column.in_flight": "发送中",
    "column.kind": "类型",
    "column.label": "标签",
    "column.language": "语言",
    "column.last_error": "最近错误",
    "column.last_login": "最近登录",
    "column.last_seen": "最近活动",
    "column.last_success": "最近成功",
    "column.last_used": "最近使用",
    "column.late_by": "延迟",
    "column.leases": "租约",
    "column.limit": "长度上限",
    "column.link": "链接",
    "column.matched_by": "匹配依据",
    "column.name": "名称",
    "column.next_poll": "下次抓取",
    "column.outlet": "媒体",
    "column.owner": "持有者",
    "column.post": "稿件",
    "column.published": "刊发时间",
    "column.reason": "原因",
    "column.revoked": "已吊销",
    "column.role": "角色",
    "column.score": "得分",
    "column.sending": "发送中",
    "column.sent": "已发送",
    "column.start": "开始",
    "column.started": "启动时间",
    "column.state": "状态",
    "column.status": "状态",
    "column.tier": "级别",
    "column.timezone": "时区",
    "column.title": "标题",
    "column.to": "变为",
    "column.token": "令牌",
    "column.uncertain": "待确认",
    "column.until": "到期时间",
    "column.url": "网址",
    "column.user": "用户",
    "column.waiting": "等待中",
    # the commands' short help (the first sentence of each command's help)
    "Copy the whole database into FILE, safely while daemons run.": "把整个数据库复制到 FILE（守护进程运行时也安全）。",
    "Campaigns: a series of posts with a time zone and an approval rule.": "活动：一组有时区和审批规则的稿件。",
    "Add a campaign.": "添加活动。",
    "Change a campaign: its zone, dates or approval rule.": "修改活动：时区、日期或审批规则。",
    "End a campaign: no post of it may be queued after its end.": "结束活动：结束后不能再为它排入稿件。",
    "List campaigns.": "列出活动。",
    "Show or set a campaign's keyword rules for the coverage tracker (given lists replace the old ones).": (
        "查看或设置活动用于媒体报道追踪的关键词规则（给出的列表替换原有列表）。"
    ),
    "Configured channels: health, pause, resume, test.": "已配置的渠道：状态、暂停、恢复、测试。",
    "Configured channels with their health: healthy, failing (its last error is newer than its last success) or "
    "paused.": "已配置的渠道及其状态：正常、出错（最近错误晚于最近成功）或已暂停。",
    "Stop sending to a channel; its deliveries wait.": "停止向某渠道发送，其投递将等待。",
    "Send to a paused channel again (after renewing its token, say).": "恢复向已暂停的渠道发送（例如更新令牌之后）。",
    "Make a harmless authenticated call to a channel and print a verdict.": (
        "向渠道发出一次无害的认证调用，并给出结论。"
    ),
    "Coverage items: what outlets carried about a campaign.": "媒体报道：各媒体对某个活动的报道。",
    "Record coverage found by hand: print, a notice board, a broadcast (the same item twice is refused).": (
        "登记手动发现的报道：纸媒、公告栏、广播（同一条报道不能登记两次）。"
    ),
    "Coverage items by publication time, with why each matched.": "按刊发时间列出报道，并说明每条的匹配依据。",
    "Remove a coverage item (a false match); later passes do not add it back.": (
        "删除一条报道（误匹配）；之后的抓取不会再把它加回来。"
    ),
    "Queue a short sample campaign, send it to the outbox, and show what went where.": (
        "排入一个简短的示例活动，发送到发件箱，并显示各条内容发往何处。"
    ),
    "Send everything due now, then exit.": "发送所有已到时间的内容，然后退出。",
    "Create the database, or upgrade it to this version.": "创建数据库，或将其升级到当前版本。",
    "Outside outlets whose coverage is counted, and their feeds.": "统计其报道的外部媒体及其订阅源。",
    "Add an outlet (a paper needs no feed), or more feeds to one added before.": (
        "添加媒体（报纸无需订阅源），或为已有媒体添加订阅源。"
    ),
    "Outlets with each feed's health: last success, last error, next poll.": (
        "列出媒体及各订阅源的状态：最近成功、最近错误、下次抓取。"
    ),
    "Stop polling an outlet.": "停止抓取某个媒体。",
    "Fetch and read each of an outlet's feeds now, and print a verdict.": (
        "立即抓取并读取某媒体的每个订阅源，并给出结论。"
    ),
    "Queue, list, approve and manage posts.": "排入、列出、审批和管理稿件。",
    "Queue a post on one or more channels.": "将稿件排入一个或多个渠道。",
    "Approve a post waiting for approval; it then goes out when due.": "批准等待审批的稿件，到时间后发出。",
    "Cancel every delivery of a post that has not gone out.": "取消稿件所有尚未发出的投递。",
    "List deliveries by due time.": "按计划时间列出投递。",
    "Each channel's rendering of a post, with its counted length against the channel's limit.": (
        "稿件在各渠道的呈现，以及按渠道规则计算的长度与上限。"
    ),
    "Reject a post waiting for approval; nothing of it goes out.": "驳回等待审批的稿件，其任何内容都不会发出。",
    "Move a post's waiting deliveries to another time.": "将稿件等待中的投递改到另一个时间。",
    "Settle an `uncertain` delivery: a person checked the channel.": "处理“待确认”的投递：由人核实渠道后确认。",
    "Send a post's failed deliveries again, now, once the cause is fixed (a token renewed, a group id corrected).": (
        "在失败原因解决后（如令牌已更新、群号已更正），立即重新发送稿件中发送失败的投递。"
    ),
    "A post with every delivery and its history.": "查看稿件及其每个投递和历史记录。",
    "Write a campaign's coverage report: outlets, timeline, every item, our posts, and the summary paragraph.": (
        "生成活动的媒体报道报表：媒体、时间线、每条报道、我方稿件和工作小结。"
    ),
    "Replace the configured database with the backup FILE, then migrate it to this version.": (
        "用备份文件 FILE 替换所配置的数据库，然后迁移到当前版本。"
    ),
    "Run the daemon: send what is due, when it is due.": "运行守护进程：按时发送到期的内容。",
    "Recurring posts from a template.": "按模板定时发布的稿件。",
    "Add a recurring post.": "添加定时发布。",
    "Delete a schedule for good (the posts that went out stay, with their history).": (
        "永久删除定时发布（已发出的稿件及其历史记录会保留）。"
    ),
    "Change a schedule; the posts it made ahead that have not gone out are made again from the new template.": (
        "修改定时发布；已提前生成但尚未发出的稿件将按新模板重新生成。"
    ),
    "List recurring schedules.": "列出定时发布。",
    "Stop a schedule making posts (the posts it made ahead that have not gone out are cancelled).": (
        "暂停定时发布（已提前生成但尚未发出的稿件将被取消）。"
    ),
    "Start a paused schedule again, from now (what it missed while paused is not made late).": (
        "从现在起恢复已暂停的定时发布（暂停期间错过的不会补发）。"
    ),
    "Show the daemons that are alive (heartbeats), their leases, and the queue's depth and lateness per channel.": (
        "显示存活的守护进程（心跳）、其租约，以及各渠道队列的长度和延迟。"
    ),
    "Poll the outlets' feeds and record coverage (`publisher run` does this by itself when feeds are due).": (
        "抓取各媒体的订阅源并记录报道（`publisher run` 会在到时间时自动执行）。"
    ),
    "People who sign in to the web console, and their API tokens.": "登录网页控制台的用户及其 API 令牌。",
    "Add a person who can sign in (the first should be an admin).": "添加可登录的用户（第一个应为管理员）。",
    "People who can sign in, with their roles.": "列出可登录的用户及其角色。",
    "Set a person's password (their sessions end).": "设置用户的密码（其登录会话将结束）。",
    "API tokens: other tools act as a person through the JSON API with one.": (
        "API 令牌：其他工具凭令牌通过 JSON API 以某个用户的身份操作。"
    ),
    "Make a token for NAME and print it once (only its hash is stored).": (
        "为 NAME 创建令牌并只显示一次（只保存其哈希）。"
    ),
    "Tokens (of NAME, or everyone's), without their secret part.": "列出令牌（NAME 的或所有人的），不含其秘密部分。",
    "Revoke a token by its id (see `user token list`): it stops working at once.": (
        "按编号吊销令牌（见 `user token list`）：立即失效。"
    ),
    "Serve the web console alone (`publisher run` also serves it, beside the daemon).": (
        "单独运行网页控制台（`publisher run` 也会在守护进程旁提供它）。"
    ),
    # core refusals: queue, schedules, times, media, post files (publisher/queue.py, scheduler.py, times.py,
    # media.py, postfile.py, services/channels.py)
    "the link must be a web address starting with http:// or https:// (it has a {scheme} link)": (
        "链接必须是以 http:// 或 https:// 开头的网址（此链接为 {scheme} 链接）"
    ),
    "the link must be a web address starting with http:// or https:// (it has no http:// or https:// at its start)": (
        "链接必须是以 http:// 或 https:// 开头的网址（此链接开头没有 http:// 或 https://）"
    ),
    "a campaign needs a name": "活动需要名称",
    "the campaign ends before it starts": "活动的结束时间早于开始时间",
    "the campaign would end before it starts": "这样活动的结束时间会早于开始时间",
    ": check --start and --end": "：请检查 --start 和 --end",
    "a campaign called {name!r} already exists": "已有名为 {name!r} 的活动",
    "nothing to change: campaign {name} is already like that": "没有需要修改的内容：活动 {name} 已是这样",
    "campaign {name} starts after that time; give a later end": "活动 {name} 在该时间之后才开始，请给出更晚的结束时间",
    "only an admin may name someone else as the author; leave the author out (it is you, {actor})": (
        "只有管理员可以指定他人为作者；请不填作者（即您本人，{actor}）"
    ),
    "a channel is named twice; name each channel once": "有渠道被重复指定，每个渠道只需指定一次",
    "an override is given for {channel}, which the post is not queued on": (
        "为渠道 {channel} 提供了单独内容，但稿件并未排入该渠道"
    ),
    "say when": "请指定发送时间",
    ": --at TIME, or --now to send as soon as possible": "：用 --at 时间，或用 --now 尽快发送",
    "give either": "只能指定一种发送时间",
    "--at or --now, not both": "（--at 或 --now，不能同时使用）",
    "the post cannot go out as it is:\n  {problems}": "稿件按现状无法发出：\n  {problems}",
    "channel {name} is not in the database yet": "渠道 {name} 尚未写入数据库",
    "; run `publisher init`": "；请运行 `publisher init`",
    "post {id} is already cancelled": "稿件 {id} 已取消",
    "post {id} is being sent to {channels} right now; try again in a moment": (
        "稿件 {id} 正在发往 {channels}，请稍后再试"
    ),
    "post {id} is cancelled; queue it again instead": "稿件 {id} 已取消，请重新排入队列",
    "post {id} is not queued on {channel}": "稿件 {id} 未排入渠道 {channel}",
    "post {id} has no failed delivery on {channel} to retry": "稿件 {id} 在渠道 {channel} 上没有可重试的失败投递",
    "post {id} has no failed delivery to retry": "稿件 {id} 没有可重试的失败投递",
    "post {id} has nothing waiting to be sent that could be moved": "稿件 {id} 没有可改期的待发送投递",
    "resolve with": "请选择处理方式",
    "--sent (it went out) or --resend (it did not: send it again)": (
        "：--sent（已发出）或 --resend（未发出：重新发送）"
    ),
    "post {id} has no uncertain delivery on {channel}": "稿件 {id} 在渠道 {channel} 上没有待确认的投递",
    "post {id} has no uncertain delivery": "稿件 {id} 没有待确认的投递",
    "post {id} is not waiting for approval (it is approved)": "稿件 {id} 不在等待审批（已批准）",
    "post {id} is not waiting for approval (it is rejected)": "稿件 {id} 不在等待审批（已驳回）",
    "post {id} is not waiting for approval (it is withdrawn)": "稿件 {id} 不在等待审批（已撤回）",
    "post {id} is not waiting for approval (it is not_required)": "稿件 {id} 不在等待审批（无需审批）",
    "post {id} is cancelled": "稿件 {id} 已取消",
    "post {id} needs a second person: {person} wrote or queued it, and campaign {campaign} requires "
    "someone else to approve it; ask another approver": (
        "稿件 {id} 需要另一个人审批：{person} 撰写或提交了它，而活动 {campaign} 要求由他人审批；请找另一位审批人"
    ),
    "say why the post is rejected": "请说明驳回稿件的理由",
    "a schedule called {name!r} already exists": "已有名为 {name!r} 的定时发布",
    "schedule {name} is already paused": "定时发布 {name} 已处于暂停状态",
    "schedule {name} is not paused": "定时发布 {name} 未暂停",
    "nothing to change: schedule {name} is already like that": "没有需要修改的内容：定时发布 {name} 已是这样",
    "a schedule needs a title for the posts it makes": "定时发布需要为其生成的稿件提供标题",
    "(--title)": "（--title）",
    "choose channels from: {known} (unknown: {unknown})": "请从以下渠道中选择：{known}（未知渠道：{unknown}）",
    "choose channels from: {known}": "请从以下渠道中选择：{known}",
    "the schedule's posts could not go out:\n  {problems}": "定时发布生成的稿件无法发出：\n  {problems}",
    "there is no schedule {name!r}": "没有名为 {name!r} 的定时发布",
    "; see `publisher schedule list`": "；见 `publisher schedule list`",
    "unknown campaign {name!r}; existing campaigns: none yet": "没有名为 {name!r} 的活动；目前还没有任何活动",
    "unknown campaign {name!r}; existing campaigns: {names}": "没有名为 {name!r} 的活动；现有活动：{names}",
    "(add one: campaign add)": "（添加活动：campaign add）",
    "there is no post {id}": "没有编号为 {id} 的稿件",
    "; see `publisher post list`": "；见 `publisher post list`",
    "campaign {name} ends {end}; this post is due {due}, after its end: choose an earlier time, or move the "
    "campaign's end": (
        "活动 {name} 于 {end} 结束；此稿件计划于 {due} 发送，晚于活动结束时间：请选择更早的时间，或推迟活动的结束时间"
    ),
    "the title is {length} characters long, over the limit of {most}; shorten it": (
        "标题长 {length} 个字符，超过上限 {most}，请缩短"
    ),
    "the body is {length} characters long, over the limit of {most}; shorten it": (
        "正文长 {length} 个字符，超过上限 {most}，请缩短"
    ),
    "the {channel}'s own title is {length} characters long, over the limit of {most}; shorten it": (
        "渠道 {channel} 的单独标题长 {length} 个字符，超过上限 {most}，请缩短"
    ),
    "the {channel}'s own text is {length} characters long, over the limit of {most}; shorten it": (
        "渠道 {channel} 的单独正文长 {length} 个字符，超过上限 {most}，请缩短"
    ),
    "the post has {count} images, over the limit of {most}; remove some": (
        "稿件有 {count} 张图片，超过上限 {most}，请删去一些"
    ),
    "the post has {count} tags, over the limit of {most}; remove some": (
        "稿件有 {count} 个标签，超过上限 {most}，请删去一些"
    ),
    "the tag {tag!r}... is over the limit of {most} characters; shorten it": (
        "标签 {tag!r}... 超过 {most} 个字符的上限，请缩短"
    ),
    "unknown time zone {name!r}: use an IANA name such as Asia/Shanghai or Europe/Berlin": (
        "未知时区 {name!r}：请使用 IANA 名称，如 Asia/Shanghai 或 Europe/Berlin"
    ),
    "day-of-week {field!r} mixes numbers and names in a way cron does not allow": (
        "星期字段 {field!r} 混用了数字和名称，cron 不允许这样写"
    ),
    "day-of-week {field!r}: days are 0-7 (0 and 7 are Sunday)": "星期字段 {field!r}：取值为 0-7（0 和 7 都是星期日）",
    "invalid cron expression {expression!r}: it needs 5 fields (minute hour day month weekday), "
    "got {count}; for example {example} is every Wednesday at 16:00": (
        "cron 表达式 {expression!r} 无效：需要 5 个字段（分 时 日 月 星期），实际为 {count} 个；"
        "例如 {example} 表示每周三 16:00"
    ),
    "invalid cron expression {expression!r}: {reason}": "cron 表达式 {expression!r} 无效：{reason}",
    "the time {text!r} is out of range: give a date from the year {first} to {last}": (
        "时间 {text!r} 超出范围：请给出 {first} 年到 {last} 年之间的日期"
    ),
    "{text} does not exist in {timezone} (the clocks skip it for daylight saving); choose another time": (
        "{text} 在 {timezone} 时区不存在（夏令时跳过了这段时间），请选择其他时间"
    ),
    "{images}: no such image in the media store; upload the file again": "{images}：媒体库中没有此图片，请重新上传",
    # the console cannot run `post add`: its Chinese leaves the command out
    "{images}: images must be uploaded into the media store (post add --image PATH copies a file in) or be "
    "https:// addresses": "{images}：图片须先上传到媒体库，或使用 https:// 网址",
    "cannot read the image {image}: {reason}": "无法读取图片 {image}：{reason}",
    "{source}: the front matter (between the --- lines) is refused: {reason}": (
        "{source}：front matter（--- 行之间的部分）被拒绝：{reason}"
    ),
    "{source}: the front matter (between the --- lines) is not valid YAML: {problem}": (
        "{source}：front matter（--- 行之间的部分）不是有效的 YAML：{problem}"
    ),
    "{source}: the front matter must be `key: value` lines, e.g. `title: ...`": (
        "{source}：front matter 必须是 `键: 值` 形式的行，例如 `title: ...`"
    ),
    "{path} is {size} bytes, over the limit of {most} for a post file; put large material on the website and link "
    "to it": "{path} 有 {size} 字节，超过稿件文件 {most} 字节的上限；请把大的材料放到网站上，再链接过去",
    "{path} is over the limit of {most} bytes for a post file": "{path} 超过稿件文件 {most} 字节的上限",
    "cannot read {path}: {reason}; give a UTF-8 Markdown file": (
        "无法读取 {path}：{reason}；请提供 UTF-8 编码的 Markdown 文件"
    ),
    "there is no channel {name}; configured channels: none": "没有渠道 {name}；目前没有配置任何渠道",
    "there is no channel {name}; configured channels: {configured}": "没有渠道 {name}；已配置的渠道：{configured}",
    # console and CLI refusals
    # an /api/ path's HTTP errors (Starlette's words, and an id beyond 64 bits)
    "Not Found": "没有这个地址",
    "Method Not Allowed": "此地址不接受这种请求方法",
    "id out of range": "编号超出范围",
    # the console's session key (publisher/web/app.py)
    "{file}: [{key}] the environment variable {name} is not set; export a long random value, e.g. from {command}": (
        "{file}：[{key}] 环境变量 {name} 未设置；请导出一个足够长的随机值，例如由 {command} 生成"
    ),
    "{file}: [{key}] the environment variable {name} is shorter than 32 characters; export a long random value, "
    "e.g. from {command}": (
        "{file}：[{key}] 环境变量 {name} 的值短于 32 个字符；请导出一个足够长的随机值，例如由 {command} 生成"
    ),
    # refusals only the command line meets (publisher/cli)
    "the post needs a text: --body TEXT, or --file PATH with the text after the front matter": (
        "稿件需要正文：用 --body 正文，或用 --file 路径（正文写在 front matter 之后）"
    ),
    "`images` must be a list of file paths or https:// addresses": "`images` 必须是文件路径或 https:// 网址的列表",
    "--sent and --resend contradict each other: give one (it went out, or it did not)": (
        "--sent 与 --resend 相互矛盾：只能给出一个（已发出，或未发出）"
    ),
    "choose a format: --format csv|xlsx|json|md|html (repeat it for several)": (
        "请选择格式：--format csv|xlsx|json|md|html（要多种格式可重复使用）"
    ),
    "cannot read {file}: {reason}": "无法读取 {file}：{reason}",
    "no password on standard input": "标准输入中没有密码",
    # the API's refusals of a request it cannot read (publisher/web/api.py)
    "a valid API token is required: Authorization: Bearer pub_…": "需要有效的 API 令牌：Authorization: Bearer pub_…",
    "this needs the {role} role; the token's user is {has}": "此操作需要 {role} 角色；该令牌的用户是 {has}",
    "the body must be a JSON object": "请求体必须是一个 JSON 对象",
    "`{key}` is required": "缺少 `{key}`",
    "`{key}` must be text, got {shown}": "`{key}` 必须是文本，实际为 {shown}",
    "`{key}` must be a list of channel names, got {shown}": "`{key}` 必须是渠道名的列表，实际为 {shown}",
    "`{key}` must be a list of {key}, got {shown}": "`{key}` 必须是文本列表，实际为 {shown}",
    "`{key}` must be true or false, got {shown}": "`{key}` 必须是 true 或 false，实际为 {shown}",
    "`limit` must be a whole number": "`limit` 必须是整数",
    "`overrides` must map a channel to {shape}": "`overrides` 必须把渠道名映射到 {shape}",
    "send the image as multipart/form-data with the file in the field `file`": (
        "请以 multipart/form-data 发送图片，文件放在 `file` 字段中"
    ),
    "the JSON is nested more than {most} levels deep; send a flatter document": (
        "JSON 嵌套超过 {most} 层；请发送层次更浅的文档"
    ),
    "the text {text} holds a lone surrogate (an unpaired \\ud800-\\udfff escape), which is not a character; send "
    "valid UTF-16 pairs or the character itself": (
        "文本 {text} 含有孤立的代理项（未配对的 \\ud800-\\udfff 转义），它不是字符；"
        "请发送有效的 UTF-16 代理对或字符本身"
    ),
    "{conflicts}; choose another time or set allow_quiet_hours": (
        "{conflicts}；请选择其他时间，或设置 allow_quiet_hours"
    ),
    # the console's pages
    "{conflicts}. Choose another time, or confirm to send then anyway.": (
        "{conflicts}。请选择其他时间，或确认仍在该时间发送。"
    ),
    "choose the new time": "请选择新的时间",
    "the calendar shows the years {first} to {last}; choose a date in them": (
        "日历只显示 {first} 年到 {last} 年；请选择其间的日期"
    ),
    "post {id} can no longer be edited: some of it has gone out": "稿件 {id} 已无法编辑：其中部分已经发出",
    # users, sessions, tokens and passwords (publisher/web/accounts.py, passwords.py)
    "a user needs a name": "用户需要一个名字",
    "a user name can be at most 100 characters": "用户名最多 100 个字符",
    "a user name cannot contain control characters": "用户名不能包含控制字符",
    "unknown role {role!r}; choose one of: {roles}": "未知角色 {role!r}；请从以下选择：{roles}",
    "unknown language {language!r}; choose one of: {languages}": "未知语言 {language!r}；请从以下选择：{languages}",
    "a user called {name!r} already exists": "已有名为 {name!r} 的用户",
    "the current password is not right": "当前密码不正确",
    "there is no such session; it may have ended already (reload the page)": (
        "没有这个会话，它可能已经结束（请刷新页面）"
    ),
    "give the token a label of 1 to 100 characters (what it is for, e.g. 'wechat-bot')": (
        "请给令牌一个 1 到 100 个字符的标签（说明其用途，如 'wechat-bot'）"
    ),
    "there is no token {id}": "没有编号为 {id} 的令牌",
    "token {id} is already revoked": "令牌 {id} 已被吊销",
    "there is no user {id}": "没有编号为 {id} 的用户",
    "there is no user {name!r}": "没有名为 {name!r} 的用户",
    "; see `publisher user list`": "；见 `publisher user list`",
    "{name} is the last admin; make someone else an admin first": "{name} 是最后一位管理员；请先让其他人成为管理员",
    "the password is too short: use at least {least} characters": "密码太短：请至少使用 {least} 个字符",
    "the password is too long: use at most {most} characters": "密码太长：最多使用 {most} 个字符",
    # reports ordered in the console and the API (publisher/web/reporting.py)
    "cannot read the date {text!r}: write it as YYYY-MM-DD": "无法识别日期 {text!r}：请写成 YYYY-MM-DD",
    "the period is empty: the end must be after the start": "时间段为空：结束时间必须晚于开始时间",
    "unknown report format {fmt!r}; choose one of {formats}": "未知报表格式 {fmt!r}；请从以下选择：{formats}",
    "unknown report language {language!r}; choose one of {languages}": (
        "未知报表语言 {language!r}；请从以下选择：{languages}"
    ),
    "say which campaign the report is about (campaigns: none yet)": "请指明报表针对哪个活动（目前还没有活动）",
    "say which campaign the report is about (campaigns: {campaigns})": "请指明报表针对哪个活动（活动：{campaigns}）",
    # the console on the command line (publisher/web/serve.py)
    "cannot listen on {host}:{port} ({reason}): is another program (or another console) using that port?": (
        "无法监听 {host}:{port}（{reason}）：是否有其他程序（或另一个控制台）正在使用该端口？"
    ),
    "choose another with --port or [web] port": "请用 --port 或 [web] port 换一个端口",
    "; `schedule resume {name}` starts it again": "；用 `schedule resume {name}` 可重新启用",
    "(campaign edit {name} --end DATE)": "（用 campaign edit {name} --end 日期 修改）",
    # article pages kept as evidence of coverage (publisher/tracker/evidence.py, templates/evidence.html)
    "Kept page of item {id}": "第 {id} 条报道的存证页面",
    "Download the page as fetched": "下载抓取时的原始页面",
    "Fetched": "抓取时间",
    "Answer": "服务器应答",
    "Last check": "最近一次检查",
    "The page is kept as it was fetched, and stays if the outlet takes the article down. Its SHA-256 proves the "
    "download is that page.": (
        "页面按抓取时的原样保存，即使媒体删除了文章也仍然保留；其 SHA-256 可证明下载的文件就是当时的页面。"
    ),
    "Its text": "正文",
    "As it looked": "页面截图",
    "Drawn from the kept page by the tracker's browser, offline, on {when}.": (
        "由跟踪器的浏览器在离线状态下根据存证页面绘制，时间：{when}。"
    ),
    "The kept page as a browser drew it": "浏览器绘制的存证页面",
    "picture: drawn {when}": "截图：绘制于 {when}",
    "picture written to {path}": "截图已写入 {path}",
    "coverage item {id} has no picture: turn on [tracker] screenshots": (
        "第 {id} 条报道没有截图：请开启 [tracker] screenshots"
    ),
    # read-back of sent posts (publisher/services/readback.py, templates/post.html)
    "Still online?": "是否仍在线",
    "still online": "仍在线",
    "taken down": "已被删除",
    "no longer public": "已不公开",
    "could not be checked": "无法确认",
    "{count} reads": "阅读 {count}",
    "{count} comments": "评论 {count}",
    "{count} replies": "回复 {count}",
    "{count} favourites": "收藏 {count}",
    "{count} reblogs": "转发 {count}",
    "checked {when}": "检查于 {when}",
    "delivery.taken_down": "已下线",
    "delivery.back_online": "重新上线",
    "delivery.copies_removed": "已清理重复稿件",
    # own sources announced on other channels (publisher/services/announce.py, publisher/cli/sources.py)
    "a source needs a name": "来源需要一个名称",
    "an own source is our website's feed: give its http(s) address": (
        "自有来源是本单位网站的订阅源：请给出其 http(s) 地址"
    ),
    "say where the articles go: --channel NAME, once per channel": (
        "请指定文章发往哪里：--channel 渠道名，每个渠道写一次"
    ),
    "there is already a source named {name}": "已经有名为 {name} 的来源",
    "there is no source {name}": "没有名为 {name} 的来源",
    "; see `publisher source list`": "；请查看 `publisher source list`",
    "source {name} added: new articles go to {channels}": "已添加来源 {name}：新文章将发往 {channels}",
    "the daemon reads it within {minutes} minutes; what the feed holds now is not announced": (
        "守护进程会在 {minutes} 分钟内读取；订阅源中已有的文章不会发布"
    ),
    "source {name} removed": "已删除来源 {name}",
    # [team] (publisher/services/team_settings.py)
    '{file}: [{key}] must be a time of day as HH:MM, e.g. "18:00"; got {value!r}': (
        '{file}：[{key}] 必须是 HH:MM 格式的时间，如 "18:00"；实际为 {value!r}'
    ),
    "column.announced": "已发布",
    "column.last_read": "最近读取",
    "column.ref": "引用",
    "column.type": "类型",
    "column.bytes": "字节",
    "column.pixels": "像素",
    "column.added": "添加时间",
    "column.by": "添加人",
    # publisher media (publisher/cli/media.py)
    "The media store: photos a post can name as media:<sha256>.": "媒体库：稿件可以引用的图片（media:哈希值）。",
    "Copy photos into the media store (without their EXIF or GPS position); print each one's reference.": (
        "把图片复制进媒体库（去除拍摄信息和地理位置），并显示每张图片的引用。"
    ),
    "The newest photos in the media store: reference, name, size, pixels, when and by whom.": (
        "媒体库中最新的图片：引用、名称、大小、像素、添加时间和添加人。"
    ),
    "a post names them with --image REF": "稿件用 --image 引用 使用这些图片",
    # the media library page (publisher/web/pages/media.py, templates/media.html, compose.html)
    "Media library": "媒体库",
    "Photos a post can use. Each is stored without its EXIF (the GPS position it was taken at, the camera) and "
    "upright; a post names it by its reference.": (
        "稿件可以使用的图片。每张图片都会去除拍摄信息（拍摄地点的 GPS 位置、相机）并自动摆正；稿件用引用来使用它。"
    ),
    "Photos (PNG, JPEG, GIF or WebP): choose several, or drop them here": (
        "图片（PNG、JPEG、GIF 或 WebP）：可一次选择多张，或直接拖放到这里"
    ),
    "What they show (alt text, for readers who cannot see them)": "图片内容说明（供看不到图片的读者使用）",
    "Upload": "上传",
    "The media library is empty.": "媒体库中还没有图片。",
    "{count} photos added to the media library.": "已向媒体库添加 {count} 张图片。",
    "No file chosen.": "没有选择文件。",
    "From the media library": "从媒体库选择",
    "column.alt": "图片说明",
    "alt text of {ref} saved": "已保存 {ref} 的图片说明",
    "{ref} is not in the media store": "媒体库中没有 {ref}",
    'Say what a stored photo shows (its alt text; "" removes it).': (
        "说明媒体库中某张图片的内容（图片说明；留空则删除）。"
    ),
    "Our website's feeds: each new article becomes a post on the chosen channels.": (
        "本单位网站的订阅源：每篇新文章都会成为所选渠道上的一条稿件。"
    ),
    "Announce a feed's new articles; what it holds now is not announced.": "发布订阅源中的新文章；已有文章不发布。",
    "Own sources: feed, channels, campaign, articles announced, last read.": (
        "自有来源：订阅源、渠道、活动、已发布文章数、最近读取时间。"
    ),
    "Stop announcing a source (the posts it made stay).": "停止发布某个来源（已生成的稿件保留）。",
    # publisher backup / restore (publisher/backup.py)
    "schema {revision}": "数据库结构 {revision}",
    "schema {revision}, migrated to {newest}": "数据库结构 {revision}，已迁移到 {newest}",
    "backed up {database} to {file} ({size}, {schema})": "已把 {database} 备份到 {file}（{size}，{schema}）",
    "restored {file} ({size}, {schema}) into {database}": "已把 {file}（{size}，{schema}）恢复到 {database}",
    "{file}: [{key}] {problem}": "{file}：[{key}] {problem}",  # a config key refused by another check (cron, feed)
    "The article page kept as evidence of a coverage item: where and when it was fetched, its SHA-256, its text.": (
        "查看作为报道存证保存的文章页面：抓取地址和时间、SHA-256 以及正文。"
    ),
    "coverage item {id}: {title}": "第 {id} 条报道：{title}",
    "kept page: {url}": "存证页面：{url}",
    "fetched: {when} (HTTP {status})": "抓取时间：{when}（HTTP {status}）",
    "last check: {when}: {error}": "最近一次检查：{when}：{error}",
    "page written to {path}": "页面已写入 {path}",
    ": --kind, --tier, --region, --timezone or --no-full-text": (
        "：--kind、--tier、--region、--timezone 或 --no-full-text"
    ),
    # [alerts] (publisher/tracker/settings.py)
    '{file}: [{key}] is required: the channel the team reads, e.g. channel = "team-wecom"': (
        '{file}：[{key}] 必填：团队查看提醒的渠道，例如 channel = "team-wecom"'
    ),
    '{file}: [{key}] must be a list of campaign names, e.g. ["阅读月"]': (
        '{file}：[{key}] 必须是活动名称的列表，例如 ["阅读月"]'
    ),
    "there is no coverage item {id}": "没有第 {id} 条报道",
    "; see `publisher coverage list`": "；见 `publisher coverage list`",
    "kept page": "存证页面",
    "coverage item {id} has no kept page: pages are kept for items found in an article's text, which the tracker "
    "fetched because the feed gave only a headline": (
        "第 {id} 条报道没有存证页面：只有订阅源仅给出标题、追踪器因此抓取了文章页面的报道才有存证"
    ),
    # outlets
    "Add or update outlets from a CSV or OPML file.": "从 CSV 或 OPML 文件添加或更新媒体。",
    "Change an outlet's kind, tier, region, time zone or full-text fetching (its feeds: `outlet add`, `outlet "
    "remove`).": "修改媒体的类型、级别、地区、时区或是否抓取全文（订阅源用 `outlet add`、`outlet remove`）。",
    "Write every outlet and its feeds as CSV or OPML, to FILE or the screen; `outlet import` reads it back.": (
        "把所有媒体及其订阅源写成 CSV 或 OPML，写入 FILE 或显示在屏幕上；`outlet import` 可再导入。"
    ),
    "an outlet needs a name": "媒体需要一个名称",
    "an outlet's name is at most {most} characters long": "媒体名称最长 {most} 个字符",
    "unknown outlet kind {kind!r}; choose one of: {choices}": "未知的媒体类型 {kind!r}；请从以下选择：{choices}",
    "a region is at most {most} characters long": "地区最长 {most} 个字符",
    "a feed address is at most {most} characters long": "订阅源地址最长 {most} 个字符",
    "unknown tier {tier!r}; choose one of: {choices}": "未知的级别 {tier!r}；请从以下选择：{choices}",
    "outlet {name} already exists": "媒体 {name} 已存在",
    "; give --feed to add a feed to it, or change it with `publisher outlet edit`": (
        "；用 --feed 为它添加订阅源，或用 `publisher outlet edit` 修改它"
    ),
    "there is no outlet {name}": "没有媒体 {name}",
    "; see `publisher outlet list`": "；见 `publisher outlet list`",
    "; add it first with `publisher outlet add`": "；请先用 `publisher outlet add` 添加",
    "outlet {name} is defined in the config file; change its [outlets.{name}] there": (
        "媒体 {name} 定义在配置文件中；请在配置文件的 [outlets.{name}] 中修改"
    ),
    "{feed!r}: an RSSHub route looks like rsshub:/weibo/user/1195230310": (
        "{feed!r}：RSSHub 路由的写法如 rsshub:/weibo/user/1195230310"
    ),
    "{feed!r} is not a feed URL: give an http(s) URL, or an RSSHub route such as rsshub:/weibo/user/1234": (
        "{feed!r} 不是订阅源地址：请给出 http(s) 网址，或 RSSHub 路由，如 rsshub:/weibo/user/1234"
    ),
    "problems in the file: {count}; nothing was written": "文件中有 {count} 处问题；未写入任何内容",
    "the file has no outlets": "文件中没有媒体",
    "outlet {name} is also on row {number}, with {column} {other!r}, not {value!r}": (
        "媒体 {name} 也出现在第 {number} 行，其 {column} 为 {other!r}，而不是 {value!r}"
    ),
    "outlet {name} is also on line {number}, with {column} {other!r}, not {value!r}": (
        "媒体 {name} 也出现在第 {number} 行（OPML），其 {column} 为 {other!r}，而不是 {value!r}"
    ),
    "the file is {size} bytes, over the limit of {most}": "文件有 {size} 字节，超过上限 {most} 字节",
    "not a readable CSV file: {reason}": "不是可读取的 CSV 文件：{reason}",
    "the first row must name the columns: {columns}": "第一行必须是列名：{columns}",
    "the first row must name the columns, with at least `name`: {columns}": (
        "第一行必须是列名，且至少有 `name`（名称）：{columns}"
    ),
    "unknown column {column!r}; the columns are: {columns}": "未知的列 {column!r}；可用的列：{columns}",
    "the column {column!r} is named twice": "列 {column!r} 出现了两次",
    "the file has {count} rows, over the limit of {most}": "文件有 {count} 行，超过上限 {most} 行",
    "a value in a column without a heading: {value!r}": "没有列名的列中有值：{value!r}",
    "the file declares a document type (<!DOCTYPE>), which OPML never needs": (
        "文件声明了文档类型（<!DOCTYPE>），OPML 从不需要它，因此拒绝读取"
    ),
    "the file is XML but not OPML: its root element is <{tag}>": "文件是 XML 但不是 OPML：其根元素是 <{tag}>",
    "the file has more than {most} outlines": "文件中的 outline 超过 {most} 个",
    "not well-formed OPML: {reason}": "OPML 格式错误：{reason}",
    "say what to change": "请说明要修改什么",
    "cannot read {path}: {reason}": "无法读取 {path}：{reason}",
    "cannot write {path}: {reason}": "无法写入 {path}：{reason}",
    "{path} is over the limit of {most} bytes": "{path} 超过 {most} 字节的上限",
    "outlet {name} changed: {changes}": "媒体 {name} 已修改：{changes}",
    "outlet {name} is already like that: nothing changed": "媒体 {name} 已是这样：没有修改",
    "row {number}": "第 {number} 行",
    "line {number}": "第 {number} 行",
    ", column {column}": "，{column} 列",
    "{where}: {problem}": "{where}：{problem}",
    "... and {count} more": "……另有 {count} 处",
    "dry run, nothing written: {added} to add, {changed} to change, {same} unchanged": (
        "试运行，未写入任何内容：将添加 {added} 个，修改 {changed} 个，{same} 个不变"
    ),
    "imported: {added} added, {changed} changed, {same} unchanged": (
        "已导入：添加 {added} 个，修改 {changed} 个，{same} 个不变"
    ),
    "{count} outlets written to {path}": "已把 {count} 个媒体写入 {path}",
    # core refusals: tracker, reports, store, backup, config
    "{file} exists already; choose another name, or add --force to replace it": (
        "{file} 已存在；请换一个文件名，或加 --force 覆盖它"
    ),
    "{file} is a folder; name a file to write the backup to": "{file} 是文件夹；请指定一个文件来写入备份",
    "{database} is not a database file; nothing to back up": "{database} 不是数据库文件；没有可备份的内容",
    "there is no database at {path}; nothing to back up (see `publisher init`)": (
        "{path} 处没有数据库；没有可备份的内容（见 `publisher init`）"
    ),
    "cannot back up {path}: {reason}": "无法备份 {path}：{reason}",
    "there is no backup file {file}": "没有备份文件 {file}",
    "{file} is a SQLite backup, but the configured database is {database}; restore it with a configuration that "
    "names a database of the same kind": (
        "{file} 是 SQLite 备份，但所配置的数据库是 {database}；请使用指定同类数据库的配置来恢复"
    ),
    "{file} is a PostgreSQL (pg_dump) backup, but the configured database is {database}; restore it with a "
    "configuration that names a database of the same kind": (
        "{file} 是 PostgreSQL（pg_dump）备份，但所配置的数据库是 {database}；请使用指定同类数据库的配置来恢复"
    ),
    "{file} is not a publisher backup (neither a SQLite database nor a pg_dump custom archive)": (
        "{file} 不是 publisher 的备份（既不是 SQLite 数据库，也不是 pg_dump 自定义格式归档）"
    ),
    "{file} is not a publisher backup: it has no schema revision (alembic_version)": (
        "{file} 不是 publisher 的备份：其中没有结构版本（alembic_version）"
    ),
    "{file} holds a newer schema (revision {revisions}) than publisher {version} knows; upgrade publisher first, "
    "then restore it": (
        "{file} 的数据库结构（版本 {revisions}）比 publisher {version} 所知的更新；请先升级 publisher，再恢复"
    ),
    "{database} is in use (daemons alive: {daemons}): stop every daemon and `dispatch --once` (`publisher status` "
    "shows them), then restore": (
        "{database} 正在使用中（存活的守护进程：{daemons}）：请先停止所有守护进程和 `dispatch --once`（`publisher "
        "status` 可查看），再恢复"
    ),
    "{database} is in use ({leases} deliveries claimed under a lease): stop every daemon and `dispatch --once` "
    "(`publisher status` shows them), then restore": (
        "{database} 正在使用中（有 {leases} 个投递在租约下处理）：请先停止所有守护进程和 `dispatch "
        "--once`（`publisher status` 可查看），再恢复"
    ),
    "{database} is in use (daemons alive: {daemons}; {leases} deliveries claimed under a lease): stop every daemon "
    "and `dispatch --once` (`publisher status` shows them), then restore": (
        "{database} 正在使用中（存活的守护进程：{daemons}；有 {leases} 个投递在租约下处理）：请先停止所有守护进程和 "
        "`dispatch --once`（`publisher status` 可查看），再恢复"
    ),
    "{database} holds posts already; a restore replaces everything in it with the backup: add --force to go on (take "
    "a backup of it first if you may need it)": (
        "{database} 中已有稿件；恢复会用备份替换其中的全部内容：加 --force 继续（如可能还需要它，请先备份）"
    ),
    "{database} is not a database file; cannot restore into it": "{database} 不是数据库文件；无法恢复到其中",
    "cannot restore {file} into {path}: {reason}": "无法将 {file} 恢复到 {path}：{reason}",
    "{tool} is not installed (or not on PATH); backups of PostgreSQL need the PostgreSQL client tools (e.g. `apt "
    "install postgresql-client`), of a version at least the server's": (
        "{tool} 未安装（或不在 PATH 中）；PostgreSQL 的备份需要 PostgreSQL 客户端工具（如 `apt install "
        "postgresql-client`），其版本不低于服务器的版本"
    ),
    "{tool} did not finish within {seconds:.0f} s": "{tool} 未能在 {seconds:.0f} 秒内完成",
    "{tool} failed on {database}: {reason}": "{tool} 在 {database} 上失败：{reason}",
    "{file}: [{key}] the file does not exist; create it from config/publisher.example.toml": (
        "{file}：[{key}] 文件不存在；请参照 config/publisher.example.toml 创建"
    ),
    "{file}: [{key}] cannot read the file: {reason}": "{file}：[{key}] 无法读取文件：{reason}",
    "{file}: [{key}] is not valid TOML: {reason}": "{file}：[{key}] 不是有效的 TOML：{reason}",
    "{file}: [{key}] names {variable}, which is not set; export it (the database URL) or set url": (
        "{file}：[{key}] 指定的环境变量 {variable} 未设置；请导出它（数据库 URL），或设置 url"
    ),
    "{file}: [{key}] is not a known setting; did you mean one of: {choices}": (
        "{file}：[{key}] 不是已知的设置项；可用的有：{choices}"
    ),
    "{file}: [{key}] is not a known setting; did you mean one of: {choices} (or a [reports.NAME] table)": (
        "{file}：[{key}] 不是已知的设置项；可用的有：{choices}（或一个 [reports.名称] 表）"
    ),
    "{file}: [{key}] must be a non-empty string, got {value!r}": "{file}：[{key}] 必须是非空字符串，实际为 {value!r}",
    "{file}: [{key}] must be one of {choices}; got {value!r}": (
        "{file}：[{key}] 必须是 {choices} 之一；实际为 {value!r}"
    ),
    "{file}: [{key}] must be a number greater than {minimum:g}, got {value!r}": (
        "{file}：[{key}] 必须是大于 {minimum:g} 的数，实际为 {value!r}"
    ),
    "{file}: [{key}] must be a table ([{key}]), got {value!r}": (
        "{file}：[{key}] 必须是一个表（[{key}]），实际为 {value!r}"
    ),
    '{file}: [{key}] no channel is configured; add at least one, e.g. [channels.outbox] kind = "outbox"': (
        '{file}：[{key}] 没有配置任何渠道；请至少添加一个，例如 [channels.outbox] kind = "outbox"'
    ),
    "{file}: [{key}] must be a positive whole number, got {value!r}": "{file}：[{key}] 必须是正整数，实际为 {value!r}",
    '{file}: [{key}] must be a list of phone numbers, e.g. ["+8613800138000"]': (
        '{file}：[{key}] 必须是电话号码的列表，例如 ["+8613800138000"]'
    ),
    '{file}: [{key}] must be a table: [{key}] with kind = "..." and its options': (
        '{file}：[{key}] 必须是一个表：[{key}]，含 kind = "..." 及其选项'
    ),
    "{file}: [{key}] unknown channel kind {kind!r}; choose one of: {known}": (
        "{file}：[{key}] 未知的渠道类型 {kind!r}；请从以下选择：{known}"
    ),
    "{file}: [{key}] must be a whole number of at least 1, got {value!r}": (
        "{file}：[{key}] 必须是不小于 1 的整数，实际为 {value!r}"
    ),
    "{file}: [{key}] must name an environment variable (A-Z, 0-9, _), not hold the secret itself; put the secret in "
    'a variable and name it here, e.g. "MY_CHANNEL_TOKEN"': (
        "{file}：[{key}] 必须填写环境变量的名称（A-Z、0-9、_），而不是密钥本身；请把密钥放进环境变量，"
        '再在此填写其名称，例如 "MY_CHANNEL_TOKEN"'
    ),
    "{file}: [{key}] unknown time zone {name!r}; use an IANA name such as Asia/Shanghai": (
        "{file}：[{key}] 未知时区 {name!r}；请使用 IANA 名称，如 Asia/Shanghai"
    ),
    '{file}: [{key}] must be "HH:MM-HH:MM" or a list of them, got {value!r}': (
        '{file}：[{key}] 必须是 "HH:MM-HH:MM" 或由其组成的列表，实际为 {value!r}'
    ),
    "{file}: [{key}] must be a port number from 1 to 65535, got {value!r}": (
        "{file}：[{key}] 必须是 1 到 65535 之间的端口号，实际为 {value!r}"
    ),
    "{file}: [{key}] must be true or false, got {value!r}": "{file}：[{key}] 必须是 true 或 false，实际为 {value!r}",
    "{file}: [{key}] must be a whole number from 1 to 64 (each check uses 64 MiB), got {value!r}": (
        "{file}：[{key}] 必须是 1 到 64 之间的整数（每次校验占用 64 MiB），实际为 {value!r}"
    ),
    "{file}: [{key}] must be a whole number of bytes from 1024 to 1073741824 (1 GiB), got {value!r}": (
        "{file}：[{key}] 必须是 1024 到 1073741824（1 GiB）之间的字节数，实际为 {value!r}"
    ),
    '{file}: [{key}] must be a list of addresses or networks, e.g. ["10.0.0.0/8"]; got {value!r}': (
        '{file}：[{key}] 必须是地址或网段的列表，例如 ["10.0.0.0/8"]；实际为 {value!r}'
    ),
    "{file}: [{key}] {item!r} is not an address or network (e.g. 10.0.0.0/8 or ::1)": (
        "{file}：[{key}] {item!r} 不是地址或网段（例如 10.0.0.0/8 或 ::1）"
    ),
    '{file}: [{key}] must be a list such as ["10.1.2.0/24"], got {value!r}': (
        '{file}：[{key}] 必须是列表，例如 ["10.1.2.0/24"]，实际为 {value!r}'
    ),
    "{file}: [{key}] entries must be strings, got {value!r}": "{file}：[{key}] 各项必须是字符串，实际为 {value!r}",
    '{file}: [{key}] {url!r} is not a database URL ({reason}); use e.g. "sqlite:///publisher.db"': (
        '{file}：[{key}] {url!r} 不是数据库 URL（{reason}）；请使用如 "sqlite:///publisher.db" 的写法'
    ),
    "{file}: [{key}] cannot use {url!r}: {reason}": "{file}：[{key}] 无法使用 {url!r}：{reason}",
    "{file}: [{key}] must be a number of at least {minimum:g}, got {value!r}": (
        "{file}：[{key}] 必须是不小于 {minimum:g} 的数，实际为 {value!r}"
    ),
    "{file}: [{key}] must be at most {maximum:g}, got {value!r}": (
        "{file}：[{key}] 不能大于 {maximum:g}，实际为 {value!r}"
    ),
    "{file}: [{key}] must be a whole number of at least {minimum}, got {value!r}": (
        "{file}：[{key}] 必须是不小于 {minimum} 的整数，实际为 {value!r}"
    ),
    '{file}: [{key}] must be an http(s) URL such as "https://rsshub.app", got {value!r}': (
        '{file}：[{key}] 必须是 http(s) 网址，如 "https://rsshub.app"，实际为 {value!r}'
    ),
    "{file}: [{key}] must be at least min_interval ({least:g}), got {value:g}": (
        "{file}：[{key}] 不能小于 min_interval（{least:g}），实际为 {value:g}"
    ),
    '{file}: [{key}] must be a table: [{key}] with feeds = ["https://..."]': (
        '{file}：[{key}] 必须是一个表：[{key}]，含 feeds = ["https://..."]'
    ),
    '{file}: [{key}] must be a list of feed URLs or RSSHub routes, e.g. ["rsshub:/weibo/user/1"]': (
        '{file}：[{key}] 必须是订阅源网址或 RSSHub 路由的列表，例如 ["rsshub:/weibo/user/1"]'
    ),
    '{file}: [{key}] is required, e.g. campaign = "阅读月", cron = "0 9 * * MON"': (
        '{file}：[{key}] 为必填项，例如 campaign = "阅读月"、cron = "0 9 * * MON"'
    ),
    "{file}: [{key}] must be a list of formats from {choices}, got {value!r}": (
        "{file}：[{key}] 必须是由 {choices} 中的格式组成的列表，实际为 {value!r}"
    ),
    "{file}: [{key}] unknown channel {channel!r}; configured: {configured}": (
        "{file}：[{key}] 未知渠道 {channel!r}；已配置的渠道：{configured}"
    ),
    "{file}: [{key}] must be an http(s) URL, got {value!r}": "{file}：[{key}] 必须是 http(s) 网址，实际为 {value!r}",
    "{file}: [{key}] must be the http(s) address people open the console at, such as "
    '"https://publicity.example.edu.cn", got {value!r}': (
        '{file}：[{key}] 必须是大家打开控制台所用的 http(s) 地址，如 "https://publicity.example.edu.cn"，'
        "实际为 {value!r}"
    ),
    "say which campaign": "请指明是哪个活动",
    ": --campaign NAME (see `publisher campaign list`)": "：用 --campaign 活动名 指定（见 `publisher campaign list`）",
    "there is no campaign {name}": "没有名为 {name} 的活动",
    "; see `publisher campaign list`": "；见 `publisher campaign list`",
    "coverage needs a title": "报道需要标题",
    ": --title TEXT": "：用 --title 标题 指定",
    "{url!r} is not an http(s) URL": "{url!r} 不是 http(s) 网址",
    "{outlet} already has this item on that day: coverage item {id} ({title}); it is counted once (remove that one "
    "first to record it again)": (
        "{outlet} 当天已有这条报道：第 {id} 条（{title}）；同一条只计一次（如需重新登记，请先删除那一条）"
    ),
    "{when} is before campaign {name} starts ({start}); check the date, or confirm to record it anyway: the report "
    "would then start on that day": (
        "{when} 早于活动 {name} 的开始时间（{start}）；请检查日期，或确认仍要登记：报表将因此从那一天开始"
    ),
    "{when} is after campaign {name} ends ({end}); check the date, or confirm to record it anyway": (
        "{when} 晚于活动 {name} 的结束时间（{end}）；请检查日期，或确认仍要登记"
    ),
    "(--force)": "（--force）",
    "keywords made only of punctuation match nothing: {words}": "只由标点组成的关键词匹配不到任何内容：{words}",
    "unknown report format {unknown}; choose from {choices}": "未知报表格式 {unknown}；请从以下选择：{choices}",
    "one --out is for one format; to write several, give a folder with --folder": (
        "一个 --out 只能写一种格式；要写多种格式，请用 --folder 指定文件夹"
    ),
    "{format} cannot go to standard output": "{format} 不能输出到标准输出",
    "; give --out PATH": "；请用 --out 路径 指定文件",
    "(--to after --from)": "（--to 须晚于 --from）",
    # campaign plans in bulk (post import / post export, the console's plan page)
    "a plan is a .csv or .xlsx file; {name} is neither": "计划表须为 .csv 或 .xlsx 文件；{name} 都不是",
    "column {letter} of the header is {heading!r}, which is not a plan column; the columns are {known}, and "
    "text:CHANNEL or title:CHANNEL for a channel's own text": (
        "表头第 {letter} 列是 {heading!r}，不是计划表的列；可用的列有：{known}，以及某渠道专用正文 正文:渠道名、"
        "专用标题 标题:渠道名"
    ),
    "column {letter} of the header repeats {heading!r}; give each column once": (
        "表头第 {letter} 列重复了 {heading!r}；每列只能出现一次"
    ),
    "the plan's header has no title column (title or 标题)": "计划表的表头没有标题列（title 或 标题）",
    "the plan is empty: it needs a header row and a row for each post": "计划表是空的：需要一行表头，每篇稿件一行",
    "the plan has over {most} rows; split it into several files": "计划表超过 {most} 行；请拆成几个文件",
    "row {row}: column {letter} has a value but no heading; give it one or empty it": (
        "第 {row} 行：第 {letter} 列有内容但没有表头；请补上表头或清空该列"
    ),
    "row {row}: column {column} is over {most} characters long": "第 {row} 行：{column} 列超过 {most} 个字符",
    "the plan is not UTF-8 text; save it as CSV UTF-8, or as XLSX": (
        "计划表不是 UTF-8 文本；请另存为“CSV UTF-8”或 XLSX"
    ),
    "the plan is not a readable CSV file: {reason}": "计划表不是可读取的 CSV 文件：{reason}",
    "the plan is not a readable XLSX file; save it again as .xlsx": "计划表不是可读取的 XLSX 文件；请重新另存为 .xlsx",
    "row {row}, column {column}: {problem}": "第 {row} 行，{column} 列：{problem}",
    "row {row}: {problem}": "第 {row} 行：{problem}",
    "the plan has no posts: add a row for each post under the header": "计划表里没有稿件：请在表头下每篇稿件写一行",
    "the row has no time: give when it goes out, YYYY-MM-DD HH:MM": (
        "这一行没有时间：请写发布时间，格式 YYYY-MM-DD HH:MM"
    ),
    "give the text in body or in body_file, not both": "正文请写在 正文 或 正文文件 其中一列，不要两列都写",
    "a body_file is read only by `publisher post import` on the server; put the text in the body column": (
        "正文文件只由服务器上的 `publisher post import` 读取；请把正文写在 正文 列"
    ),
    "the body file {name} is not UTF-8 text": "正文文件 {name} 不是 UTF-8 文本",
    "cannot read the body file {name}: {reason}": "无法读取正文文件 {name}：{reason}",
    "queued {count} posts from {rows} rows": "已从 {rows} 行排入 {count} 篇稿件",
    "all {rows} rows can be queued; nothing was queued (--dry-run)": (
        "全部 {rows} 行均可排入；未排入任何稿件（--dry-run）"
    ),
    "left out the rows with errors: {rows}": "已略过有错误的行：{rows}",
    "nothing was queued: fix the rows above, or use --skip-bad": "未排入任何稿件：请改正以上各行，或使用 --skip-bad",
    "wrote {count} posts to {file}": "已将 {count} 篇稿件写入 {file}",
    "{count} deliveries wait for their channel's posting hours": "{count} 条投递要等到其渠道的可发布时段",
    "Queue a campaign plan: a CSV or XLSX file with one post a row.": (
        "排入活动计划表：每行一篇稿件的 CSV 或 xlsx 文件。"
    ),
    "Write the queued posts as a plan that `post import` reads back: CSV or XLSX, by the file's name.": (
        "把已排队的稿件写成计划表，可由 `post import` 读回：按文件名写成 CSV 或 xlsx。"
    ),
    "Plans": "计划表",
    "Choose a plan file (CSV or XLSX) to check.": "请选择要检查的计划表文件（CSV 或 XLSX）。",
    "That plan is no longer here: upload it again.": "该计划表已不在服务器上：请重新上传。",
    "Nothing was queued.": "未排入任何稿件。",
    "Queued {count} posts from the plan.": "已从计划表排入 {count} 篇稿件。",
    "Left out rows {rows}.": "已略过第 {rows} 行。",
    "Queue a campaign's posts in one step from a table: one post a row, in CSV or XLSX. Every row is checked first; "
    "nothing is queued until you confirm, and only if every row passes (or you choose to leave out the rows with "
    "errors).": (
        "用一张表一次排入活动的全部稿件：每行一篇，CSV 或 XLSX 格式。先逐行检查；确认之前不排入任何稿件，"
        "且只有全部行通过检查时才排入（或选择略过有错误的行）。"
    ),
    "Download a template:": "下载模板：",
    "Times are read in the campaign's time zone (without a campaign: {zone}). Lists (channels, tags, images) are "
    "separated by semicolons. Images must be media-store references or https:// addresses.": (
        "时间按活动的时区理解（没有活动时按 {zone}）。列表（渠道、标签、图片）用分号分隔。"
        "图片须为媒体库引用（media:…）或 https:// 地址。"
    ),
    "Plan file (CSV or XLSX)": "计划表文件（CSV 或 XLSX）",
    "Check the plan": "检查计划表",
    "Check of {name}": "{name} 的检查结果",
    "{rows} rows: {good} can be queued, {bad} have errors.": "共 {rows} 行：{good} 行可排入，{bad} 行有错误。",
    "and {count} more.": "另有 {count} 条。",
    "Queue the {count} good rows, leaving out the rest": "排入没有错误的 {count} 行，略过其余各行",
    "Queue all {count} posts": "排入全部 {count} 篇稿件",
    # webhooks (publisher/services/webhooks.py, publisher/cli/webhooks.py, the console's /webhooks)
    "Other systems told of events: signed JSON to their addresses.": "把事件通知其他系统：向其地址发送签名的数据。",
    "Send events of the chosen types to an address; prints its signing secret once.": (
        "把所选类型的事件发送到一个地址；签名密钥只显示这一次。"
    ),
    "Webhooks: address, events, state, what was delivered.": "事件推送：地址、事件、状态、送达情况。",
    "Change a webhook's address, events or state, or give it a new secret.": (
        "修改事件推送的地址、事件或状态，或为它生成新密钥。"
    ),
    "Remove a webhook and its log.": "删除事件推送及其发送记录。",
    "Send to a paused webhook again: the events that waited go out.": "恢复已暂停的事件推送：等待中的事件随即发出。",
    "What was sent to the webhooks, newest first: event, state, attempts, last answer.": (
        "事件推送的发送记录，最新的在前：事件、状态、尝试次数、最近一次应答。"
    ),
    "Send one event again now, with the same id and body (see `webhook log` for the number).": (
        "立即重发一个事件，编号和内容不变（编号见 `webhook log`）。"
    ),
    "webhook {name} added: {types}": "已添加事件推送 {name}：{types}",
    "its signing secret (shown this once; give it to the receiver): {secret}": (
        "签名密钥（只显示这一次，请交给接收方）：{secret}"
    ),
    "webhook {name} changed": "已修改事件推送 {name}",
    "webhook {name} removed": "已删除事件推送 {name}",
    "webhook {name} resumed": "已恢复事件推送 {name}",
    "webhook delivery {id} queued again": "事件推送记录 {id} 已重新排队",
    "there is no webhook {name}": "没有名为 {name} 的事件推送",
    "; see `publisher webhook list`": "；请查看 `publisher webhook list`",
    "there is no webhook delivery {id}": "没有编号为 {id} 的事件推送记录",
    "; see `publisher webhook log`": "；请查看 `publisher webhook log`",
    "a webhook needs a name of 1 to {most} characters": "事件推送的名称须为 1 到 {most} 个字符",
    "there is already a webhook named {name}": "已有名为 {name} 的事件推送",
    "unknown event type {types}; choose among: {choices}": "未知的事件类型 {types}；可选：{choices}",
    "unknown state {state!r}; choose among: queued, delivered, failed": (
        "未知的状态 {state!r}；可选：queued（排队中）、delivered（已送达）、failed（失败）"
    ),
    "{url!r} is not an address to send to: give an http(s) URL": "{url!r} 不是可发送的地址：请填写 http(s) 网址",
    "{url}: {reason}; list the network under [outbound] allow if it is meant": (
        "{url}：{reason}；如确需发往该地址，请把其网段列入 [outbound] allow"
    ),
    "{file}: [{key}] is needed to add webhooks: name an environment variable holding a long random key, e.g. "
    'secret_key_env = "PUBLISHER_WEBHOOK_KEY", and set it (python -c "import secrets; '
    'print(secrets.token_urlsafe(32))")': (
        "{file}：添加事件推送需要设置 [{key}]：填写一个存放长随机密钥的环境变量名，例如 "
        'secret_key_env = "PUBLISHER_WEBHOOK_KEY"，并设置该变量（python -c "import secrets; '
        'print(secrets.token_urlsafe(32))"）'
    ),
    "{file}: [{key}] names {name}, which is unset or shorter than 16 characters; set it to a long random key": (
        "{file}：[{key}] 指定的环境变量 {name} 未设置或短于 16 个字符；请设为一个长随机密钥"
    ),
    "column.events": "事件",
    "column.queued": "排队中",
    "column.delivered": "已送达",
    "column.paused_at": "暂停时间",
    "column.webhook": "事件推送",
    "column.event": "事件",
    "column.event_id": "事件编号",
    "column.next": "下次尝试",
    "column.answer": "应答",
    "Webhooks": "事件推送",
    "Other systems told of events: each is POSTed as JSON signed with the webhook's secret (Standard Webhooks), "
    "retried when it fails, and paused when it keeps failing.": (
        "把事件通知其他系统：每个事件以用推送密钥签名的数据发送到对方地址，失败会重试，持续失败则暂停。"
    ),
    "Events": "事件",
    "Delivered": "已送达",
    "on": "开启",
    "off": "关闭",
    "{delivered} delivered, {queued} waiting, {failed} failed": "已送达 {delivered}，等待 {queued}，失败 {failed}",
    "Turn off": "关闭",
    "Turn on": "开启",
    "New secret": "新密钥",
    "No webhook yet.": "还没有事件推送。",
    "Add a webhook": "添加事件推送",
    "Delivery log": "发送记录",
    "All": "全部",
    "Failed": "失败",
    "Webhook": "事件推送",
    "Event": "事件",
    "Last answer": "最近应答",
    "Resend": "重发",
    "next try {when}": "下次尝试：{when}",
    "Nothing sent yet.": "还没有发送记录。",
    "post created": "稿件已创建",
    "post approved": "稿件已批准",
    "post rejected": "稿件被退回",
    "delivery sent": "已发出",
    "delivery failed": "发送失败",
    "delivery uncertain": "结果待确认",
    "post taken down": "稿件被删除",
    "coverage found": "发现媒体报道",
    "delivered": "已送达",
    "waiting": "等待中",
    "Webhook {name}: its signing secret, shown this once (give it to the receiver): {secret}": (
        "事件推送 {name} 的签名密钥（只显示这一次，请交给接收方）：{secret}"
    ),
    "Webhook {name} is on.": "事件推送 {name} 已开启。",
    "Webhook {name} is off.": "事件推送 {name} 已关闭。",
    "Webhook {name} resumed: what waited goes out now.": "事件推送 {name} 已恢复：等待中的事件随即发出。",
    "Webhook {name} removed.": "已删除事件推送 {name}。",
    "Event {id} will be sent again now.": "事件 {id} 将立即重发。",
}
