"""The command line's own Chinese: what only the command line says (its options' help, the rest of its commands'
help) and click's messages. ``publisher.cli.lang`` looks a text up here first, then in the console's catalogue
(``publisher/web/messages.py``), which holds the words both faces share.

Imported only when the language is Chinese, so `publisher --help` in English stays as quick as it was.
"""

from __future__ import annotations

__all__ = ["CLICK", "RANGES", "WORDS", "ZH"]

#: English text -> Chinese, looked up by the whole text (whitespace collapsed to single spaces)
ZH: dict[str, str] = {
    # --- click's heading for documented arguments ---
    "Positional arguments": "位置参数",
    # --- the commands' help after its first sentence (the first is in the console's catalogue) ---
    "SQLite: the online backup API, into one database file. PostgreSQL: pg_dump's custom format (pg_dump must be "
    "installed; the password is passed in PGPASSWORD).": (
        "SQLite：用在线备份 API 复制为一个数据库文件。PostgreSQL：pg_dump 的自定义格式（需已安装 pg_dump；"
        "密码通过 PGPASSWORD 传递）。"
    ),
    "Posts already queued keep their times.": "已排入队列的稿件保持原定时间。",
    "Its coverage is kept.": "其已有的报道会保留。",
    "Changes nothing.": "不做任何更改。",
    "Every row is checked first: unless all pass, nothing is written.": (
        "先检查每一行：只要有一行不通过，就什么也不写入。"
    ),
    "Everything is checked first; a refused post writes nothing.": "先检查全部内容；被拒绝的稿件不会写入任何数据。",
    "Every row is checked first; nothing is queued unless all pass (or --skip-bad).": (
        "先检查每一行；除非全部通过（或用 --skip-bad），否则不排入任何稿件。"
    ),
    "Refused while a daemon is working on the database (stop them first), and for a backup of a newer schema "
    "(upgrade publisher first). Deliveries that were being sent when the backup was taken come back as the lease "
    "rules say: tried again where the channel can tell, otherwise `uncertain` for a person to settle.": (
        "有守护进程正在使用数据库时会拒绝（请先停止守护进程）；备份来自更新的数据库结构时也会拒绝（请先升级 "
        "publisher）。备份时正在发送的投递按租约规则恢复：渠道能确认结果的会重试，否则标为 `uncertain`（待确认），"
        "由人来处理。"
    ),
    "Stops cleanly on SIGTERM or Ctrl-C.": "收到 SIGTERM 或按 Ctrl-C 时正常退出。",
    # --- options' help ---
    "Print JSON instead of tables.": "输出 JSON 而不是表格。",
    "Fetch the article page of an entry that has only a headline (default: on).": (
        "订阅条目只有标题时，抓取其文章页面（默认开启）。"
    ),
    "Fetch the article pages of its headline-only entries, or not.": "是否抓取其只有标题的条目的文章页面。",
    "Also write the kept article page, as fetched, to this file.": "同时把保存的原始文章页面写入此文件。",
    "Also write the picture of the kept page ([tracker] screenshots), a PNG, to this file.": (
        "同时把存证页面的截图图片写入此文件（需开启跟踪器的截图设置）。"
    ),
    # publisher webhook (publisher/cli/webhooks.py)
    "An event type to send; repeat.": "要发送的事件类型；可重复。",
    "Where the events are POSTed, http(s).": "接收事件的地址。",
    "A new address.": "新的地址。",
    "Send events to it, or stop (its log stays).": "向它发送事件，或停止发送（发送记录保留）。",
    "Make a new signing secret (printed once); the old one stops working.": (
        "生成新的签名密钥（只显示一次）；旧密钥随即失效。"
    ),
    "Only these.": "只看这些。",
    # publisher source (publisher/cli/sources.py)
    "The feed of our website (RSS or Atom), http(s).": "本单位网站的订阅源地址。",
    "A channel the articles go to; repeat.": "文章发往的渠道；可重复。",
    "The campaign the posts belong to (its approval rule and time zone apply).": (
        "稿件所属的活动（适用其审批规则和时区）。"
    ),
    "How many, newest first.": "显示多少条，最新的在前。",
    "What the photos show, for readers who cannot see them (sent where a platform takes it).": (
        "图片内容的文字说明，供看不到图片的读者使用（平台支持时一并发送）。"
    ),
    "Replace FILE if it exists.": "FILE 已存在时覆盖它。",
    "Replace a database that holds posts already.": "即使数据库中已有稿件也替换它。",
    "IANA zone, e.g. Asia/Shanghai.": "IANA 时区名，如 Asia/Shanghai。",
    "When the campaign starts.": "活动开始时间。",
    "When the campaign starts ('none' clears it).": "活动开始时间（写 'none' 则清除）。",
    "When it ends; a date alone means through that day.": "活动结束时间；只写日期表示到当天结束。",
    "When it ends; a date alone means through that day ('none' clears it).": (
        "活动结束时间；只写日期表示到当天结束（写 'none' 则清除）。"
    ),
    "When it ends (default: now); a date alone means through that day.": (
        "结束时间（默认：现在）；只写日期表示到当天结束。"
    ),
    "Posts go out only after an approver approves them.": "稿件须经审批人批准后才会发出。",
    "Whether posts need approval.": "稿件是否需要审批。",
    "Whether the approver must be someone other than the post's author (default: yes when approval is required).": (
        "审批人是否必须是稿件作者以外的人（默认：需要审批时为是）。"
    ),
    "Whether the approver must be another person.": "审批人是否必须是作者以外的人。",
    "Matches if any of these is found. Repeatable.": "出现其中任意一个即匹配。可多次使用。",
    "All of these must be found. Repeatable.": "必须全部出现。可多次使用。",
    "None of these may be found. Repeatable.": "一个都不能出现。可多次使用。",
    "More any-of keywords, one a line.": "从文件读取更多“任意一个”关键词，每行一个。",
    "Remove every rule (matching by similarity to our posts goes on).": (
        "删除全部规则（按与我方稿件的相似度匹配仍会继续）。"
    ),
    "The campaign (default: the only one).": "所属活动（默认：唯一的那个活动）。",
    "The outlet (add it first with `outlet add`).": "媒体（先用 `outlet add` 添加）。",
    "When it appeared, in the campaign's zone.": "刊发时间，按活动所在时区。",
    "Where it can be read, if online.": "在线阅读地址（如有）。",
    "e.g. page 3, print edition.": "如：第3版、印刷版。",
    "Record it even though it is dated outside the campaign's dates.": "即使日期在活动起止日期之外也照样登记。",
    "Only this campaign.": "只看此活动。",
    "Only this outlet.": "只看此媒体。",
    "Only this channel.": "只看此渠道。",
    "Published at or after this time.": "在此时间或之后刊发。",
    "Published before this time; a date alone includes that day.": "在此时间之前刊发；只写日期则包括当天。",
    "Why (not coverage, a duplicate, ...), for the event log.": "原因（不是报道、重复……），记入事件日志。",
    "Why, for the event log.": "原因，记入事件日志。",
    "Why (the author will see it).": "原因（作者会看到）。",
    "Where to put the demo (default: a new temp folder).": "示例放在哪个文件夹（默认：新建一个临时文件夹）。",
    "Do one pass and exit (for system cron).": "发送一轮后退出（供系统 cron 使用）。",
    "中央, 省, 市, 区/县 or 校 (or national, province, city, district, school).": (
        "中央、省、市、区/县 或 校（也可写 national、province、city、district、school）。"
    ),
    "中央, 省, 市, 区/县 or 校 (or national, province, city, district, school). 'none' clears it.": (
        "中央、省、市、区/县 或 校（也可写 national、province、city、district、school）；写 'none' 则清除。"
    ),
    "A new kind.": "新的类型。",
    "e.g. 杭州市 ('none' clears it).": "如 杭州市（写 'none' 则清除）。",
    "For feed dates without an offset ('none' clears it).": "用于不带时区偏移的订阅源时间（写 'none' 则清除）。",
    "Default: by the file's extension.": "默认：按文件扩展名判断。",
    "Default: by the file's extension, else CSV.": "默认：按文件扩展名判断，否则为 csv。",
    "Check every row and say what would change; write nothing.": "检查每一行并说明将有哪些变化；不写入任何内容。",
    "CSV columns: name, kind, tier, region, timezone, feeds (feeds separated by spaces). A row sets its outlet's kind, "
    "tier, region and time zone as written and adds its feeds; feeds already there are kept.": (
        "csv 的列：name（名称）、kind（类型）、tier（级别）、region（地区）、timezone（时区）、feeds（订阅源，"
        "以空格分隔），也可用中文列名。每一行按所写内容设置媒体的类型、级别、地区和时区，并添加其订阅源；"
        "已有的订阅源保留。"
    ),
    "e.g. 杭州市.": "如 杭州市。",
    "For feed dates without an offset (default: [publisher]).": (
        "用于不带时区偏移的订阅源时间（默认：配置 [publisher] 的时区）。"
    ),
    "A feed URL, or an RSSHub route such as rsshub:/weibo/user/1195230310. Repeat for several.": (
        "订阅源网址，或 RSSHub 路由，如 rsshub:/weibo/user/1195230310。有多个订阅源时重复此选项。"
    ),
    "The post's title.": "稿件标题。",
    "The post's text, in Markdown.": "稿件正文，Markdown 格式。",
    "A Markdown file with front matter.": "带 front matter 的 Markdown 文件。",
    "A channel to send to (repeatable).": "发往的渠道（可多次使用）。",
    "When: 'YYYY-MM-DD HH:MM' in the campaign's zone, or ISO 8601.": (
        "发送时间：活动所在时区的 'YYYY-MM-DD HH:MM'，或 ISO 8601 格式。"
    ),
    "Send as soon as possible.": "尽快发送。",
    "Send at that time even in a channel's quiet hours or outside its posting windows (recorded in the history).": (
        "即使处于渠道的免打扰时段或不在其发布时段内，也按该时间发送（记入历史记录）。"
    ),
    "The campaign it belongs to.": "所属活动。",
    "A link to the full article.": "全文链接。",
    "An image (repeatable): a file, copied into the media store now, or an https:// address.": (
        "图片（可多次使用）：本地文件（立即复制到媒体库），或 https:// 地址。"
    ),
    "A tag (repeatable).": "标签（可多次使用）。",
    "Who wrote it.": "作者。",
    "When the event itself happens ('YYYY-MM-DD' or 'YYYY-MM-DD HH:MM', campaign's zone): SMS templates' event_date "
    "and event_time.": (
        "活动本身举行的时间（'YYYY-MM-DD' 或 'YYYY-MM-DD HH:MM'，按活动所在时区）：填入短信模板的 event_date "
        "和 event_time。"
    ),
    "A comment for the author.": "给作者的意见。",
    "Only this delivery state (queued, sent, failed, uncertain, ...) or approval (pending).": (
        "只看此投递状态（queued 排队中、sent 已发送、failed 失败、uncertain 待确认……）或审批状态（pending 待审批）。"
    ),
    "Due at or after this time.": "计划时间在此时间或之后。",
    "Due before this time.": "计划时间在此时间之前。",
    "Due before this time (a date alone: through that day).": "计划时间在此时间之前（只写日期：含当天）。",
    "Check every row and say what is wrong; queue nothing.": "逐行检查并指出问题；不排入任何稿件。",
    "Queue the rows that pass and list the ones left out.": "排入通过检查的行，并列出被略过的行。",
    "Only this campaign's posts.": "只导出此活动的稿件。",
    "At most this many.": "最多列出的条数。",
    "The new time.": "新的时间。",
    "Only this channel's delivery.": "只处理此渠道的投递。",
    "It did go out: mark it sent.": "确实已发出：标记为已发送。",
    "It did not go out: send it again.": "没有发出：重新发送。",
    "What you checked, for the event log.": "您核实了什么，记入事件日志。",
    "What was fixed, for the event log.": "修复了什么，记入事件日志。",
    "From this day or time, in the campaign's zone (default: its start).": (
        "从此日期或时间起，按活动所在时区（默认：活动开始时）。"
    ),
    "Up to this time; a date alone includes that whole day (default: now).": (
        "到此时间为止；只写日期则包括当天全天（默认：现在）。"
    ),
    "csv (one file per table, zipped unless --out names a folder), xlsx, json, md or html. Repeatable.": (
        "csv（每张表一个文件，打包成 zip，除非 --out 指定的是文件夹）、xlsx、json、md 或 html。可多次使用。"
    ),
    "The report's words and paragraph: zh (Simplified Chinese), zh-Hant or en (default: [reports] language).": (
        "报表的用语和小结段落：zh（简体中文）、zh-Hant（繁体中文）或 en（英文）（默认：配置 [reports] 的 language）。"
    ),
    "The file to write (for csv: a .zip, or a folder); - for standard output.": (
        "写入的文件（csv 为 .zip 文件或文件夹）；写 - 则输出到标准输出。"
    ),
    "Where the files go (default: the working folder).": "文件存放的文件夹（默认：当前工作文件夹）。",
    "Instead: write the [reports.NAME] reports now due, and exit (for cron).": (
        "改为生成 [reports.NAME] 中已到时间的定期报表，然后退出（供 cron 使用）。"
    ),
    'Five fields: minute hour day month weekday, e.g. "0 16 * * WED".': (
        '五个字段：分 时 日 月 星期，如 "0 16 * * WED"。'
    ),
    "The zone the cron expression is read in.": "解读 cron 表达式所用的时区。",
    "Do not ask for confirmation.": "不再询问确认。",
    "The channels (repeatable; replace the old ones).": "渠道（可多次使用；替换原有渠道）。",
    "The campaign its posts belong to.": "其稿件所属的活动。",
    "Its posts belong to no campaign.": "其稿件不属于任何活动。",
    "Poll every due feed once and exit (for system cron).": "把到期的订阅源各抓取一次后退出（供系统 cron 使用）。",
    "With --once: poll every feed now, due or not.": "与 --once 同用：立即抓取所有订阅源，不论是否到期。",
    "With --once: only this outlet's feeds.": "与 --once 同用：只抓取此媒体的订阅源。",
    "Match every stored entry again (after changing keyword rules).": (
        "重新匹配所有已保存的条目（修改关键词规则之后）。"
    ),
    "With --rematch: only this campaign.": "与 --rematch 同用：只处理此活动。",
    "Their console language (default: [web] language).": "其网页控制台的语言（默认：配置 [web] 的 language）。",
    "Read the password from the first line of standard input.": "从标准输入的第一行读取密码。",
    "What the token is for (e.g. wechat-bot).": "令牌的用途（如 wechat-bot）。",
    "Address to listen on (default: [web] host, 127.0.0.1).": "监听地址（默认：配置 [web] 的 host，127.0.0.1）。",
    "Port (default: [web] port, 8000).": "端口（默认：配置 [web] 的 port，8000）。",
    # --- the commands' own usage errors ---
    "give --campaign NAME or --no-campaign, not both": "请给出 --campaign NAME 或 --no-campaign，不能同时给出",
    # --- prompts, confirmations and the other fixed words only the command line says ---
    "{prog}, version {version}": "{prog}，版本 {version}",
    "Password": "密码",
    "Repeat for confirmation": "再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入的内容不一致。",
    "Aborted!": "已中止！",
    "delete schedule {name}?": "删除定时发布 {name}？",
    "any of": "任意一个",
    "all of": "全部",
    "none of": "都不含",
    " … ({count} in all)": " …（共 {count} 个）",
    "run `publisher track --rematch` to match the entries already stored against the new rules": (
        "运行 `publisher track --rematch`，按新规则重新匹配已保存的条目"
    ),
    "; announced as post {id}": "；已作为稿件 {id} 发布通知",
    "done": "已完成",
    "running": "进行中",
    # `status`
    "{count} s": "{count} 秒",
    "{count} min": "{count} 分钟",
    "{count} h": "{count} 小时",
    "{time} ago": "{time}前",
    "alive": "存活",
    "silent": "无响应",
    "paused ({who})": "已暂停（{who}）",
    # `user list` and `campaign list`
    "yes": "是",
    "no": "否",
    "required": "需要",
    "not required": "不需要",
    "not the author": "作者以外的人",
    "anyone": "任何人",
}

#: click's messages (its gettext templates, as click 8 shows them), English -> Chinese. ``lang`` turns each into a
#: pattern where a ``{field}`` matches any text; a ``{message}`` field is translated in turn, a ``{range}`` field
#: through ``RANGES``, ``{kind}`` and ``{number_type}`` through ``WORDS``; the other fields (names, values) stay as
#: typed. The first template that matches the whole message wins, so a longer one comes before its prefix.
CLICK: dict[str, str] = {
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    # the notes after an option's help
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "required": "必填",
    "range: {range}": "范围：{range}",  # click shows a range bare; in Chinese it is named
    "No such option {name}. Did you mean {possibility}?": "没有选项 {name}。您是不是要用 {possibility}？",
    "No such option {name}. (Did you mean one of: {possibilities}?)": (
        "没有选项 {name}。（您是不是要用其中之一：{possibilities}？）"
    ),
    "No such option {name}.": "没有选项 {name}。",
    "No such command {name}. Did you mean {possibility}?": "没有命令 {name}。您是不是要用 {possibility}？",
    "No such command {name}. (Did you mean one of: {possibilities}?)": (
        "没有命令 {name}。（您是不是要用其中之一：{possibilities}？）"
    ),
    "No such command {name}.": "没有命令 {name}。",
    "Missing command.": "缺少命令。",
    "Missing option {param_hint}. {message}": "缺少选项 {param_hint}。{message}",
    "Missing option {param_hint}.": "缺少选项 {param_hint}。",
    "Missing argument {param_hint}. {message}": "缺少参数 {param_hint}。{message}",
    "Missing argument {param_hint}.": "缺少参数 {param_hint}。",
    "Missing parameter {param_hint}. {message}": "缺少参数 {param_hint}。{message}",
    "Missing parameter {param_hint}.": "缺少参数 {param_hint}。",
    "Choose from:\n\t{choices}": "可选值：\n\t{choices}",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Option {name} requires an argument.": "选项 {name} 需要一个值。",
    "Option {name} requires {nargs} arguments.": "选项 {name} 需要 {nargs} 个值。",
    "Option {name} does not take a value.": "选项 {name} 不接受值。",
    "Argument {name} takes {nargs} values.": "参数 {name} 需要 {nargs} 个值。",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "{value} is not a valid boolean. Recognized values: {states}": "{value} 不是有效的布尔值。可用的值：{states}",
    "{value} is not a valid UUID.": "{value} 不是有效的 UUID。",
    "{value} is not a valid {number_type}.": "{value} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 超出范围：{range}。",
    "{value} is not one of {choices}.": "{value} 不是可选值 {choices} 之一。",
    "{value} is not {choice}.": "{value} 不是 {choice}。",
    "{value} does not match the formats {formats}.": "{value} 不符合以下任一格式：{formats}。",
    "{value} does not match the format {format}.": "{value} 不符合格式 {format}。",
    "{kind} {filename} does not exist.": "{kind} {filename} 不存在。",
    "{kind} {filename} is a file.": "{kind} {filename} 是文件。",
    "{kind} {filename} is a directory.": "{kind} {filename} 是目录。",
    "{kind} {filename} is not readable.": "{kind} {filename} 不可读。",
    "{kind} {filename} is not writable.": "{kind} {filename} 不可写。",
    "{kind} {filename} is not executable.": "{kind} {filename} 不可执行。",
    "Could not open file {filename}: {message}": "无法打开文件 {filename}：{message}",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，但只给了 1 个。",
    "Takes {nargs} values but {count} were given.": "需要 {nargs} 个值，但给了 {count} 个。",
    "{nargs} values are required, but {count} was given.": "需要 {nargs} 个值，但只给了 {count} 个。",
    "{nargs} values are required, but {count} were given.": "需要 {nargs} 个值，但给了 {count} 个。",
    "Value must be an iterable.": "值必须是一组值。",
}

#: a number range as click describes it (x stands for the value), in an option's help and in its error
RANGES: dict[str, str] = {
    "{min}<=x<={max}": "{min} 到 {max}",
    "{min}<x<={max}": "大于 {min}，不超过 {max}",
    "{min}<=x<{max}": "不小于 {min}，小于 {max}",
    "{min}<x<{max}": "大于 {min}，小于 {max}",
    "x>={min}": "不小于 {min}",
    "x>{min}": "大于 {min}",
    "x<={max}": "不超过 {max}",
    "x<{max}": "小于 {max}",
}

#: the words click puts in its messages' fields: ``{kind}``, what a path must be; ``{number_type}``, a number's type
WORDS: dict[str, str] = {
    "File": "文件",
    "Directory": "目录",
    "Path": "路径",
    "integer": "整数",
    "integer range": "整数",
    "float": "数字",
    "float range": "数字",
}
