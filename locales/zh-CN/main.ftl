# weike：简体中文消息。文本按 Telegram 的 HTML 子集发送：只用 <b> <i> <u> <s> <code> <pre> <a> <blockquote>；
# 写 < > & 时请写成 &lt; &gt; &amp;。

language-name = 简体中文

## 注册引导
welcome = 👋 欢迎来到<b>微课</b>——每天一堂小课，就在聊天里学。
    先回答几个简单问题。
ask-language = 请选择语言：
language-invalid = 请用按钮选择语言（或回复 1、2、3）。
ask-name = 怎么称呼您？请发送您的名字（不超过 { $max } 个字）。
name-empty = 名字是空的，请用文字发送您的名字。
name-too-long = 名字太长了，请不超过 { $max } 个字。
name-invalid = 名字不能以“/”开头，也不能含控制字符。请直接发送您的名字。
name-formula = 名字不能以 = + - @ 开头（表格软件会把它当成公式）。请发送大家平时称呼您的名字，例如：王小明。
name-hidden-characters = 名字里不能有看不见的字符（改变文字方向的控制符、文件开头的字节顺序标记）。请重新输入您的名字，例如：王小明。
name-invisible = 这个名字里没有别人能看到的字（只有空格、零宽字符或组合符号）。请用文字发送您的名字，例如：王小明。
ask-branch = 您属于哪个支部？请点按钮，或回复序号或名称。
ask-branch-in = { $parent }：请选择您的支部。
branch-this = ✔ 就选{ $branch }
branch-up = ⬅ 返回上一级
branch-not-found = 这里没有“{ $input }”这个支部。请点下面的按钮，或回复它的序号。
branch-chosen = 支部：<b>{ $branch }</b>
ask-time = 每天 <b>{ $time }</b> 推送课程。保持不变，或发送别的时间，例如 早上6点45、晚上8点 或 20:00。
keep-time = 保持 { $time }
time-invalid = “{ $input }”不是有效的时间。请换个写法，例如 7点半、下午3点、晚上8点 或 07:30。
ask-timezone = 您的时区是 <b>{ $tz }</b>。保持不变、选择其他时区，或发送城市或时区，例如 乌鲁木齐、北京时间、UTC+8。
keep-timezone = 保持 { $tz }
timezone-invalid = “{ $input }”不是已知的时区。请发送城市或时区，例如 北京时间、香港、UTC+8，或点按钮选择。
onboarding-done = ✅ 设置完成，{ $name }！
    支部：{ $branch }
    课程：<b>{ $course }</b>
    第一课将于{ $when }送达。
    学完后请点“✅ 学完打卡”。发送 /help 查看全部功能。
finish-onboarding-first = 请先完成设置。
start-again = 欢迎回来，{ $name }！您的学习情况：

## 命令
help-header = <b>我能做什么</b>
help-today = /today — 再看一遍今天的课
help-me = /me — 我的学习记录、连续打卡和进度
help-rank = /rank [周|赛季] — 本支部和全体的积分排行
help-poster = /poster — 我最新的学习海报
help-nearby = /nearby [公里] — 附近红色驿站的学习活动
help-away = /away — 登记外出务工
help-home = /home — 回到家乡
help-forget_location = /forget_location — 删除您分享过的位置
help-settings = /settings — 语言、名字、支部、推送时间、时区
help-pause = /pause — 暂停每日推送
help-resume = /resume — 恢复每日推送
help-help = /help — 显示本列表
unknown-command = 我不认识命令 { $command }。发送 /help 查看可用命令。
not-understood = 没看懂您的意思。请用按钮，或发送 /help 查看命令。
button-expired = 这个按钮已失效。
command-start = 开始或查看状态
command-today = 再看今天的课
command-me = 我的进度和连续打卡
command-settings = 修改语言、支部、时间
command-pause = 暂停每日课程
command-resume = 恢复每日课程
command-help = 查看全部功能
command-rank = 积分排行
command-nearby = 附近的活动
command-away = 登记外出务工
command-home = 我回家了
command-forget_location = 删除我的位置
command-poster = 我的学习海报

## 课程
lesson-header = 📖 { $course } · 第 { $seq } 课（共 { $total } 课）
audio-caption = 🔊 听一听：{ $title }
checkin-button = ✅ 学完打卡
checkin-done-button = ✅ 已打卡
checkin-recorded = ✅ 打卡成功！积分 +{ $points }，已连续学习 { $streak } 天。
checkin-already = 这一课已经打过卡了。
today-none = 还没有给您推送过课程。第一课将于{ $when }送达。
lesson-gone = 这一课已经下线了。
course-finished = 🎉 恭喜！您已学完<b>{ $course }</b>的全部课程。
when = { $time }（{ $tz }）
when-never = —（没有安排上课日）

## /me
me-header = 👤 <b>{ $name }</b> · { $branch }
me-course = 📚 { $course }：已打卡 { $done } 课，已收到 { $received } 课，共 { $total } 课
me-streak = 🔥 连续学习：{ $streak } 天
me-schedule = ⏰ 每天 { $time } 推送（{ $tz }）
me-next = ⏭ 下一课：{ $when }
me-paused = ⏸ 每日推送已暂停，发送 /resume 恢复。

## /pause、/resume
pause-done = ⏸ 已暂停每日课程。想继续时发送 /resume，连续记录会为您保留。
pause-already = 课程已经是暂停状态，发送 /resume 恢复。
resume-done = ▶️ 欢迎回来！下一课将于{ $when }送达。
resume-already = 您的课程没有暂停。

## /settings
settings-menu = ⚙️ <b>设置</b>
    名字：{ $name }
    支部：{ $branch }
    语言：{ $language }
    推送时间：{ $time }（{ $tz }）
    想修改哪一项？
settings-language = 语言
settings-name = 名字
settings-branch = 支部
settings-time = 推送时间
settings-timezone = 时区
settings-saved = ✅ 已保存。

## 终端演示（weike chat）
console-banner = 微课终端演示——在终端里体验完整的机器人。发送 /start 开始，回复数字点按钮，:help 查看终端命令。
console-help = 终端命令：
    :clock            查看机器人时钟
    :clock +1d        把时钟往后拨（也可 +3h、+30m、-1d）
    :clock 07:30      把时钟拨到您时区的下一个 07:30
    :location LAT LON 分享位置（如同手机发送位置）
    :quit             退出（数据都保存在数据库里）
    只回复一个数字，就是点最近一条消息的对应按钮。
console-clock = 🕰 机器人时钟：{ $time }（{ $tz }）
console-clock-invalid = “{ $input }”不是有效的时钟调整。试试 :clock +1d 或 :clock 07:30。
console-unknown = 没有终端命令“:{ $input }”。发送 :help 查看。

## 答题
quiz-test-question = （{ $n }/{ $total }）{ $question }
quiz-review-question = 🔁 复习：{ $question }
# 专题测验里来自其他专题的复习题。
quiz-test-review-question = （{ $n }/{ $total }）🔁 复习：{ $question }
quiz-right = ✅ 答对了！积分 +{ $points }
quiz-right-in-test = ✅ 答对了！
quiz-wrong = ❌ 答错了。正确答案是：<b>{ $answer }</b>
quiz-unknown = 这道题不是发给您的，或者已经不存在了。
quiz-already-answered = 这道题您已经答过了，以第一次作答为准。
quiz-closed = 这道题的作答时间已过，本次作答不计分。
quiz-timeout = ⏰ 上一题的作答时间到了。
quiz-test-intro = 📝 <b>专题测验：{ $topic }</b>
    共 { $count } 题，每题 { $seconds } 秒。加油！
quiz-test-result = 🏁 <b>测验结束：{ $topic }</b>
    成绩：答对 { $correct }/{ $total } 题，积分 +{ $points }
    支部排名：第 { $rank } 名（目前已完成 { $of } 人）

## 积分和排行
streak-bonus = 🔥 已连续学习 { $streak } 天！奖励积分 +{ $points }
rank-week = 🏆 <b>本周积分排行</b>
rank-season = 🏆 <b>赛季积分排行：{ $season }</b>
season-title-note = 🎖 赛季结束时，各支部和全组织积分前 { $top } 名获得“{ $title }”称号。
rank-all-time = 🏆 <b>累计积分排行</b>
rank-branch = 本支部：{ $branch }
rank-organization = 全体党员
rank-empty = 还没有积分。
rank-line = { $rank }. { $name } — { $points } 分
rank-line-me = 👉 { $rank }. <b>{ $name }</b> — { $points } 分
rank-mine = 我的名次：第 { $rank } 名（{ $points } 分）
rank-show-season = 看本赛季
rank-show-week = 看本周
rank-usage = 不认识“{ $input }”这个时段。请发送 /rank、/rank 本周 或 /rank 赛季。
season-title-given = 🎖 祝贺您，{ $name }！您获得了“<b>{ $title }</b>”称号：本赛季在{ $scope }排名第 { $rank }，积分 { $points }。
me-points = ⭐ 积分：{ $points }
me-points-season = ⭐ 积分：{ $points }（{ $season }：{ $season_points }）
me-answers = 📝 答题：答对 { $correct }/{ $answered } 题（正确率 { $percent }%）
me-title = 🎖 { $title } — { $scope } 第 { $rank } 名

## 阶段和海报
stage-complete = 🎉 您完成了<b>{ $stage }</b>！学习海报马上送到。
stage-number = 第 { $number } 阶段
poster-none = 您还没有学习海报：完成课程的第一个阶段后就会收到。
poster-title = 我的学习海报
poster-days = 累计打卡
poster-streak = 连续学习
poster-points = 积分
poster-date = { $date }
poster-footer = 天天学一点，常学常新
poster-caption = 🖼 这是您的学习海报！欢迎分享到群里，邀请大家一起学习。

## 管理员
me-away = 🧳 外出务工中（{ $since }起）：/nearby 查看附近活动，回家后发送 /home
me-id = 🆔 您的编号：<code>{ $id }</code>
admin-refused = 抱歉，这个命令只有管理员可以使用。如需权限，请联系机器人的负责人。
admin-owner-only = 抱歉，只有机器人的负责人可以授予或撤销管理员。
admin-out-of-scope = 抱歉，这个支部不在您管理的范围内。
admin-help-header = <b>管理员命令</b>
admin-help-footer = 成员的编号在其 /me 中显示。
help-admins = /admins — 查看负责人和管理员
help-grant = /grant 管理员 成员、/grant 支部管理员 成员 支部 — 设为全体管理员，或该支部及下属支部的管理员（负责人；成员写编号或姓名，支部写名称即可）
help-revoke = /revoke 管理员 成员、/revoke 支部管理员 成员 支部 — 撤销（负责人）
help-broadcast = /broadcast — 发送通知（文字、图片、音频或文件）
help-broadcasts = /broadcasts — 最近的通知及发送情况
help-tag = /tag 成员 标签 — 给成员加标签（如 老年、elderly），用于分组通知
help-untag = /untag 成员 标签 — 去掉成员的标签
help-quiztest = /quiztest 专题 [支部] — 立即发送专题测验
help-stats = /stats [支部] [周|赛季] — 参训率、课程完成率、答题正确率、积分；/stats chart 以图表显示
help-export = /export [支部] [周|赛季] — 导出成员学习情况（CSV 表格，Excel 可直接打开）
help-branches = /branches — 组织架构（支部编号）
help-branch_add = /branch_add 上级编号 新编号 名称 — 新增支部（上级写 - 表示顶级）
help-branch_rename = /branch_rename 编号 新名称 — 改支部名称
help-branch_remove = /branch_remove 编号 — 删除支部（其下无支部、无成员时）
help-venues = /venues — 驿站列表
help-venue_add = /venue_add 一行 — 新增驿站（一行与驿站 CSV 文件相同）
help-venue_edit = /venue_edit 一行 — 修改驿站
help-venue_remove = /venue_remove 编号 — 删除驿站
help-activity_add = /activity_add 一行 — 新增活动（一行与活动 CSV 文件相同）
help-activity_edit = /activity_edit 一行 — 修改活动
help-activity_cancel = /activity_cancel 编号 [原因] — 取消活动
help-venue_stats = /venue_stats [驿站] — 各活动和驿站的报名与签到
admins-header = <b>负责人和管理员</b>
admins-owner = 👑 { $name }（<code>{ $id }</code>）— 负责人
admins-admin = 🛡 { $name }（<code>{ $id }</code>）— 全体管理员
admins-branch-admin = 🛡 { $name }（<code>{ $id }</code>）— { $branch } 管理员
grant-usage = 用法：/grant 管理员 成员，或 /grant 支部管理员 成员 支部（撤销用 /revoke）。成员写姓名或编号（编号在成员的 /me 中显示），支部写名称，如 /grant 支部管理员 王小明 桃花村。
role-branch-admin = 支部管理员
role-admin = 全体管理员
admin-which = “{ $query }”对应多个，请选择：
branch-unknown-id = 没有名称或编号为“{ $branch }”的支部。
grant-no-member = 没有姓名或编号为“{ $id }”的成员。请对方先给机器人发送 /start。
grant-done = ✅ { $name } 已成为 { $role }（{ $scope }）。
grant-already = { $name } 已经是 { $role }（{ $scope }）。
revoke-done = ✅ 已撤销 { $name } 的 { $role }（{ $scope }）。
revoke-not-held = { $name } 并不是 { $role }（{ $scope }）。
quiztest-usage = 用法：/quiztest 专题 [支部]。专题：{ $topics }
quiztest-unknown-topic = 没有可测验的专题“{ $topic }”。专题：{ $topics }
quiztest-queued = 📝 专题测验“{ $topic }”正在发送给 { $count } 名成员（{ $scope }）。
quiztest-nobody = { $scope }还没有成员收到过专题“{ $topic }”的课程，测验没有发送。

## 通知
broadcast-ask-content = 📣 请发送通知内容：文字，或带说明的图片、音频、文件。发送 /cancel 放弃。
broadcast-empty = 通知内容是空的。请发送文字，或带说明的文件。
broadcast-too-long = 通知有 { $length } 个字符，最多 { $max } 个。请删减后再发。
broadcast-ask-audience = 发给谁？
broadcast-to-everyone = 全体成员
broadcast-to-my-branches = 我管理的支部的全体成员
broadcast-to-branch = 某个支部…
broadcast-to-migrant = 流动党员
broadcast-to-tag = 带某个标签的成员…
broadcast-to-inactive = 多日未学习的成员…
broadcast-drop = ✖ 放弃
broadcast-ask-branch = 哪个支部（含下属支部）？
broadcast-branch-all = ✅ 发给{ $branch }全体（含下属支部）
broadcast-branch-open = { $branch } ›
broadcast-ask-branch-in = { $branch }：发给哪个支部？（第 { $page }/{ $pages } 页）
page-previous = ‹ 上一页
page-next = 下一页 ›
page-of = （第 { $page }/{ $pages } 页）
broadcast-no-tags = 还没有成员有标签。管理员可用 /tag 成员 标签 添加，例如 /tag 王小明 老年。
broadcast-ask-tag = 哪个标签？
broadcast-ask-inactive = 多久没有打卡？
broadcast-inactive-label = { $days } 天未打卡
broadcast-tag-label = 标签“{ $tag }”
broadcast-no-recipients = “{ $audience }”目前没有成员，不会发送。请另选发送对象：
broadcast-preview-header = <b>预览</b> — 发给{ $audience }：共 <b>{ $count }</b> 人。内容如下：
broadcast-confirm = 确认发送给 { $count } 名成员吗？
broadcast-send-now = ✅ 立即发送
broadcast-send-later = 🕒 定时发送…
broadcast-ask-time = 什么时候发送？请发送日期和时间，例如“明天 8点”“周五 19:00”或“{ $example }”（{ $zone }）。
broadcast-dropped = 已放弃这条通知。
broadcast-time-past = 这个时间已经过去了。请发送将来的时间，例如“{ $example }”。
broadcast-time-invalid = 没看懂“{ $input }”这个时间。请发送日期和时间，例如“明天 8点”或“{ $example }”。
broadcast-time-no-time = “{ $input }”的几点发送？请加上时间，例如“明天 8点”或“{ $example }”。
broadcast-not-running = 这条通知不在发送中（已发完、已取消或已确认过）。
broadcast-queued = 📣 第 { $id } 号通知正在发送给 { $count } 名成员，进度随后显示。
broadcast-scheduled = 🕒 第 { $id } 号通知将于{ $when } 发送给 { $count } 名成员。
broadcast-cancelled = ✖ 第 { $id } 号通知：已取消 { $count } 条未发出的消息。
broadcast-cancel-button = ✖ 取消未发送部分
broadcast-progress = 📣 <b>第 { $id } 号通知</b> — { $status }
    已发送 { $sent } · 失败 { $failed } · 已屏蔽机器人 { $blocked } · 待发送 { $remaining } · 已取消 { $cancelled }（共 { $total }）
broadcast-eta = 预计还需 { $minutes } 分 { $seconds } 秒。
broadcast-status-sending = 发送中
broadcast-status-scheduled = 定时待发
broadcast-cancel-scheduled = ✖ 取消这条定时通知
broadcast-from = 📣 <b>{ $sender }</b>：
broadcast-status-done = 已完成
broadcast-status-cancelled = 已取消
broadcast-status-draft = 草稿
broadcasts-none = 还没有发过通知。
broadcasts-header = <b>最近的通知</b>
broadcasts-line = #{ $id } { $when } · { $audience } · { $status } · 已发送 { $sent }/{ $total }，失败 { $failed }，屏蔽 { $blocked }，取消 { $cancelled }
tag-usage = 用法：/tag 成员 标签 或 /untag 成员 标签。成员写姓名或编号；标签由文字、数字、- 或 _ 组成，最多 10 个汉字（如 老年、新兴领域、elderly）。
tag-done = ✅ 已给 { $name } 加上标签“{ $tag }”。
untag-done = ✅ 已去掉 { $name } 的标签“{ $tag }”。

## 统计
stats-usage = 不明白“{ $input }”。用法：/stats [支部] [周|赛季] [图]，支部写名称或其中几个字，例如 /stats 东湖镇 赛季、/stats 柳村 图
stats-no-season = 还没有配置赛季（points.toml 中的 [[season]]）。请用 /stats 周。
stats-no-branch = 未选支部
stats-period-week = 本周（{ $monday } 起）
stats-period-season = { $season }（{ $start } 至 { $end }）
stats-header = 📊 <b>学习统计</b> · { $scope } · { $period }
stats-row = { $n }. { $branch } — 参训率 { $rate }（{ $participants }/{ $active }）
stats-more-rows = ……另有 { $count } 个支部，完整数据请用 /export
stats-total = <b>{ $scope } 合计</b>
stats-organization = <b>全组织</b>
stats-figures = 参训率 { $rate }（{ $participants }/{ $active } 人）· 打卡 { $checkins } 次 · 答题正确率 { $accuracy } · 积分 { $points } · 流动党员参训率 { $migrant_rate }（{ $migrant_participants }/{ $migrant_active }）
stats-lessons-header = <b>课程完成率</b>（收到课程的成员中打卡的比例）
stats-lesson = 第 { $seq } 课 { $title } — { $rate }（{ $checked_in }/{ $assigned }）
stats-chart-title = 各支部参训率
export-caption = 📎 { $scope } · { $period } · { $count } 名成员的学习情况
export-col-id = 编号
export-col-name = 姓名
export-col-branch = 支部
export-col-status = 状态
export-col-away = 流动党员
export-col-checkins = 打卡次数
export-col-answered = 答题数
export-col-correct = 答对数
export-col-accuracy = 正确率(%)
export-col-points = 积分
export-col-lessons = 已收到课程
export-col-last-checkin = 最近打卡日期
export-yes = 是
export-no = 否
export-status-active = 正常
export-status-paused = 暂停
export-status-blocked = 已屏蔽机器人
export-status-left = 已退出
nudge = 👋 { $name }，好几天没见您来学习了。每天几分钟，积少成多——发送 /today 看看今天的微课吧！
rate-limited = ⏳ 这条消息没有执行：一分钟内最多 { $limit } 条，您发得太快了。请 { $seconds } 秒后再发一次。在此之前超出的消息也不会执行（此提醒每分钟最多一次）。
rate-limited-button = ⏳ 没有执行：操作太快了，请 { $seconds } 秒后再试。

## 组织架构
branches-header = <b>组织架构</b>（编号 名称）
branches-footer = 修改：/branch_add 上级编号 新编号 名称、/branch_rename 编号 新名称、/branch_remove 编号
branch-edit-usage = 用法：/branch_add 上级编号 新编号 名称（上级写 - 表示顶级支部）、/branch_rename 编号 新名称、/branch_remove 编号。编号见 /branches。
branch-bad-id = “{ $id }”不能作为支部编号：请用 1-40 个英文字母、数字或 - _ .，以字母或数字开头（如 qingshan.donghu.xincun）。
branch-bad-name = 支部名称须为 1-60 个字，且只占一行。
branch-name-hidden-characters = 支部名称里不能有看不见的字符（改变文字方向的控制符、字节顺序标记）。请重新输入名称。
branch-name-invisible = 这个支部名称里没有能看到的字（只有空格、零宽字符或组合符号）。
branch-exists = 已有编号为“{ $id }”的支部。
branch-has-branches = { $branch } 下面还有支部，请先删除或移走它们。
branch-has-members = { $branch } 还有 { $count } 名成员，不能删除。请成员先在 /settings 中更换支部。
branch-added = ✅ 已新增支部 { $branch }（编号 <code>{ $id }</code>）。
branch-renamed = ✅ 支部 <code>{ $id }</code> 现在叫 { $branch }。
branch-removed = ✅ 已删除支部 { $branch }。

## 流动党员：外出、附近活动、现场签到
away-started = 🧳 已登记为外出务工（流动党员）。您仍属于原支部（{ $branch }）：支部的课程、通知和排行照常推送。分享您的位置，即可查看附近红色驿站的学习活动。
away-already = 您已登记为外出。
home-already = 您目前没有登记外出。发送 /away 可登记外出。
home-done = 🏠 欢迎回家：已取消外出登记。{ $count ->
        [0] 没有保存您的位置。
       *[other] 已保存的 { $count } 个位置将在 { $days } 天后删除；发送 /forget_location 可立即删除。
    }
location-consent = 📍 为了向您推荐附近的活动，需要保存您分享的位置。位置只用于推荐活动和活动现场签到，{ $days } 天后自动删除（发送 /forget_location 可随时删除）。您同意吗？
location-consent-yes = ✅ 同意
location-consent-no = 不用了
location-consent-thanks = 谢谢！请点下面的按钮分享位置（也可以发送位置；共享实时位置时，到达活动现场会自动签到）。
location-consent-declined = 好的，不保存任何位置。学习照常进行；改变主意时再发送 /away 即可。
location-share = 📍 点下面的按钮分享位置，查看您附近的活动。
location-button = 📍 分享我的位置
location-invalid = 这个位置无效：纬度应在 -90 到 90 之间，经度应在 -180 到 180 之间。
location-saved = 📍 位置已保存。
location-forgotten = 🗑 { $count ->
        [0] 没有保存您的位置。
       *[other] 已删除您保存的 { $count } 个位置。
    }以后保存位置前会再征得您的同意。
nearby-usage = “{ $input }”不是距离。发送 /nearby 使用默认范围，或 /nearby 25 查看 25 公里内（最多 { $max } 公里）。
nearby-need-location = 还不知道您在哪里：请点下面的按钮分享位置，然后再发送 /nearby。
nearby-none = 未来 { $days } 天内，{ $km } 公里内没有活动。可以扩大范围，例如 /nearby 25。
nearby-header = <b>{ $km } 公里内、未来 { $days } 天的活动</b>
nearby-item = { $number }. <b>{ $title }</b> — { $venue }，{ $distance }
    🕒 { $time }
nearby-more = ……还有更多：缩小范围可只看更近的。
activity-time = { $start }–{ $end }
distance-m = { $m } 米
distance-km = { $km } 公里
button-going = { $number ->
        [0] ✋ 我去
       *[other] ✋ { $number } 我去
    }
button-not-going = { $number ->
        [0] ↩ 去不了了
       *[other] ↩ { $number } 不去了
    }
button-map = { $number ->
        [0] 🗺 查看地图
       *[other] 🗺 { $number } 地图
    }
rsvp-done = ✅ 已报名 <b>{ $title }</b>（{ $venue }，{ $time }）。活动前一天和前一小时会提醒您。
rsvp-already = 您已报名 <b>{ $title }</b>（{ $venue }，{ $time }）。
rsvp-withdrawn = ↩ 已取消报名 <b>{ $title }</b>，不再提醒。
rsvp-none = 您没有报名 <b>{ $title }</b>。
rsvp-cancelled-activity = 抱歉，<b>{ $title }</b> 已取消。{ $note }
rsvp-ended = <b>{ $title }</b> 已经结束了。
rsvp-full = 抱歉，<b>{ $title }</b> 名额已满（{ $capacity } 人）。
digest-header = 📅 <b>本周您附近的活动</b>
activity-new = 🆕 <b>您附近有新活动</b>
    <b>{ $title }</b> — { $venue }，{ $distance }
    🕒 { $time }
    { $description }
reminder-day = ⏰ 明天：<b>{ $title }</b>，地点 { $venue } { $address }
    🕒 { $time }
reminder-hour = ⏰ 一小时后：<b>{ $title }</b>，地点 { $venue } { $address }
    🕒 { $time }
    到达后分享位置即可签到。
activity-cancelled = ❌ <b>{ $title }</b>（{ $venue }，{ $time }）已取消。{ $note }
activity-changed = 🔁 <b>{ $title }</b> 有变动：现在在 { $venue }，{ $time }。提醒会按新时间发送。
attendance-recorded = ✅ 已在 <b>{ $title }</b>（{ $venue }）签到：+{ $points } 分。感谢参加！
attendance-already = 您已在 <b>{ $title }</b> 签到过了。
attendance-too-early = <b>{ $title }</b> 的签到将于{ $opens }开始，届时请再分享一次位置。
attendance-ended = <b>{ $title }</b> 已结束，签到已关闭。
attendance-too-far = 您距离 <b>{ $title }</b> 的场地 { $distance }，需在 { $max }以内才能签到。

## 红色驿站与活动（管理员）
venues-none = 还没有驿站。用 /venue_add 添加，或用 weike import venues 导入文件。
venues-header = <b>驿站（{ $count }）</b>（编号 · 名称 · 位置 · 推送范围 · 支部）
venues-line = <code>{ $id }</code> · { $name } · { $lat }, { $lon } · { $km } 公里 · { $branch }
list-more = ……还有 { $count } 项。
venue-usage = 用法：/venue_add 编号,名称,纬度,经度[,地址[,推送范围公里[,支部]]]——与驿站 CSV 文件的列相同，例如 /venue_add pd-01,浦东红色驿站,31.2304,121.4737,世纪大道 100 号,10,sh。/venue_edit 用同样的一行修改已有驿站。
activity-usage = 用法：/activity_add 编号,驿站,标题,开始,结束[,时区[,名额[,介绍]]]——与活动 CSV 文件的列相同；开始、结束可以写“明天 19:00”“周五晚上7点”“12月15日 19:00”，结束也可只写时间，例如 /activity_add pd-1203,pd-01,学习交流会,周五晚上7点,21:00。/activity_edit 用同样的一行修改已有活动。
row-invalid = 这一行有误：{ $problems }
venue-exists = 驿站 <code>{ $id }</code> 已存在：请用 /venue_edit 修改。
venue-unknown = 没有编号为 <code>{ $id }</code> 的驿站。发送 /venues 查看列表。
venue-added = ✅ 已添加驿站 <code>{ $id }</code>：{ $name }（{ $lat }, { $lon }），新活动将推送给 { $km } 公里内的流动党员。
venue-updated = ✅ 已更新驿站 <code>{ $id }</code>：{ $name }（{ $lat }, { $lon }），推送范围 { $km } 公里。
venue-has-activities = { $name } 还有 { $count } 场未结束的活动：请先取消（/activity_cancel）。
venue-removed = 🗑 已删除驿站 { $name }。
activity-exists = 活动 <code>{ $id }</code> 已存在：请用 /activity_edit 修改。
activity-unknown = 没有编号为 <code>{ $id }</code> 的活动。
activity-not-scheduled = 活动 <code>{ $id }</code> 已取消，不能再修改。
activity-in-past = 这个活动已经结束了：请检查结束时间。
activity-added = ✅ 已添加活动 <code>{ $id }</code>：<b>{ $title }</b>，{ $venue }，{ $time }。{ $count ->
        [0] 目前驿站附近没有流动党员。
       *[other] 正在通知附近的 { $count } 名流动党员。
    }
activity-updated = ✅ 已更新活动 <code>{ $id }</code>：<b>{ $title }</b>，{ $venue }，{ $time }。{ $count ->
        [0] 无需通知任何人。
       *[other] 正在通知已报名的 { $count } 人。
    }
activity-cancel-usage = 用法：/activity_cancel 编号 [原因]（原因最多 200 字）。
activity-cancel-done = ❌ 已取消 <b>{ $title }</b>。{ $count ->
        [0] 没有人报名。
       *[other] 正在通知已报名的 { $count } 人。
    }
venue-stats-none = 最近 { $days } 天及以后没有活动。
venue-stats-header = <b>驿站活动</b>（最近 { $days } 天及以后）：报名 / 签到
venue-stats-venue = 🏛 <b>{ $name }</b>（<code>{ $id }</code>）：{ $activities } 场活动，报名 { $rsvps }，签到 { $attended }
venue-stats-activity = · { $time } { $title }（<code>{ $id }</code>）：{ $rsvps } / { $attended }
venue-stats-cancelled = · { $time } <s>{ $title }</s>（<code>{ $id }</code>，已取消）：{ $rsvps } / { $attended }

## 驿站与活动行的问题（weike import、/venue_add、/activity_add 及其修改）
# 纯文本，不是 HTML：需要时由代码转义。它们跟在“文件:行号: ”或 row-invalid 之后。
# 引号里的值与行中所写相同，不可见字符已转义。
# Columns by name in words, for problems of a row written in a chat.
csv-field-id = 编号
csv-field-name = 名称
csv-field-lat = 纬度
csv-field-lon = 经度
csv-field-address = 地址
csv-field-radius-km = 推送半径
csv-field-branch = 支部
csv-field-venue = 驿站
csv-field-title = 标题
csv-field-start = 开始时间
csv-field-end = 结束时间
csv-field-timezone = 时区
csv-field-capacity = 人数上限
csv-field-description = 简介
csv-empty-file = 文件是空的：第一行应为表头，包含 { $required } 列（全部可用的列为 { $columns }）
csv-unreadable = 无法读取 CSV：{ $error }
csv-encoding = 文件从这一行起不是 UTF-8 文本：请另存为“CSV UTF-8”
csv-column-unnamed = 第 { $number } 列没有列名
csv-column-twice = 列“{ $column }”出现了两次
csv-column-unknown = 未知的列“{ $column }”：可用的列为 { $columns }
csv-column-missing = 缺少必需的列“{ $column }”
csv-field-count = 这一行有 { $fields } 个字段，而表头有 { $header } 个
csv-required = { $column } 为必填项
csv-id-invalid = { $column }“{ $value }”不是有效的编号：请用 1 到 { $max } 个字符，只能是 a-z、0-9、“-”、“_”和“.”
csv-id-duplicate = { $column }“{ $value }”重复：第 { $line } 行已经用过
csv-line-break = { $column } 含有换行符或其他控制字符
csv-control-character = { $column } 含有控制字符
csv-hidden-characters = { $column } 含有看不见的字符（改变文字方向的控制符或字节顺序标记）
csv-invisible = { $column } 没有能看到的字（只有空格、零宽字符或组合符号）
csv-too-long = { $column } 有 { $length } 个字，最多 { $max } 个字
csv-not-a-number = { $column }“{ $value }”不是数字
csv-latitude-not-finite = 纬度 { $value } 不是有限的数值
csv-longitude-not-finite = 经度 { $value } 不是有限的数值
csv-latitude-range = 纬度 { $value } 超出范围：应在 -90 到 90 之间
csv-longitude-range = 经度 { $value } 超出范围：应在 -180 到 180 之间
csv-radius-range = { $column } { $value } 超出范围：应在 { $min } 到 { $max } 之间
csv-branch-unknown = 没有编号为“{ $value }”的支部（见 /branches 或支部文件）
csv-venue-unknown = 没有编号为“{ $value }”的驿站
csv-timezone-unknown = 时区“{ $value }”不是 IANA 时区名称（例如 { $example }）
csv-time-invalid = { $column }“{ $value }”不是日期时间：格式应为 { $format }
csv-time-skipped = { $column } { $time } 在 { $timezone } 不存在（时钟跳过了这一时刻，例如夏令时）
csv-capacity-invalid = { $column }“{ $value }”不是正整数
csv-activity-too-long = 持续 { $hours } 小时：一个活动最长 { $max } 小时（更长的活动请每天写一行）
csv-end-at-start = 结束时间 { $end } 与开始时间相同：结束必须晚于开始
csv-end-before-start = 结束时间 { $end } 早于开始时间 { $start }
# row-invalid 中同一行各问题之间的分隔。
csv-problem-separator = ；

## 出错时

# 一条消息或一次按键多次处理都失败后发给成员（该消息已保留，管理员可重新处理）。
update-failed-apology = 抱歉，刚才的消息没能处理好，我们已记下这个问题。请稍后再试一次，或发送 /help 查看可用命令。
# 某条文字在任何语言里都缺失时显示（不应发生；测试会检查每个键）。
text-missing = 抱歉，这里的文字暂时缺失，我们会尽快补上。

# 企业微信不能用按钮请成员分享位置：在位置请求后告诉成员怎么分享。
wecom-location-howto = 📍 在企业微信里分享位置：点输入框旁的「＋」，选「位置」发送；也可以在本应用的设置里打开「上报地理位置」，每次进入应用时自动报告位置（同意保存位置后，到达活动现场会自动签到）。
# Dates and times as members read them (domain/when.rs, I18n::when): relative days
# with the weekday, a 24-hour clock, and the zone's name when it is not the member's own.
weekday-mon = 周一
weekday-tue = 周二
weekday-wed = 周三
weekday-thu = 周四
weekday-fri = 周五
weekday-sat = 周六
weekday-sun = 周日
month-1 = 1月
month-2 = 2月
month-3 = 3月
month-4 = 4月
month-5 = 5月
month-6 = 6月
month-7 = 7月
month-8 = 8月
month-9 = 9月
month-10 = 10月
month-11 = 11月
month-12 = 12月
# $hh and $mm: the hour (0-23) and the minute in two digits; $hour12 and $minute are
# numbers, $pm is 1 after noon (a language may use any of them).
clock = { $hh }:{ $mm }
when-yesterday = 昨天 { $clock }
when-today = 今天 { $clock }
when-tomorrow = 明天（{ $weekday }）{ $clock }
when-this-week = { $weekday } { $clock }
when-date = { $monthname }{ $day }日（{ $weekday }）{ $clock }
when-full-date = { $year }年{ $monthname }{ $day }日（{ $weekday }）{ $clock }
when-in-zone = { $when }（{ $zone }）
day-yesterday = 昨天
day-today = 今天
day-tomorrow = 明天（{ $weekday }）
day-this-week = { $weekday }
day-date = { $monthname }{ $day }日（{ $weekday }）
day-full-date = { $year }年{ $monthname }{ $day }日（{ $weekday }）
# Time zones people name by a city (domain/zone.rs); others show their IANA name.
zone-asia-shanghai = 北京时间
zone-asia-urumqi = 乌鲁木齐时间
zone-asia-hong-kong = 香港时间
zone-asia-macau = 澳门时间
zone-asia-taipei = 台北时间
zone-asia-singapore = 新加坡时间
zone-asia-tokyo = 东京时间
zone-asia-seoul = 首尔时间
zone-asia-dubai = 迪拜时间
zone-europe-london = 伦敦时间
zone-europe-paris = 巴黎时间
zone-europe-berlin = 柏林时间
zone-europe-moscow = 莫斯科时间
zone-america-new-york = 纽约时间
zone-america-los-angeles = 洛杉矶时间
zone-australia-sydney = 悉尼时间

# What members type when no question is open (domain/intent.rs): one phrase per line, matched
# after removing spaces and end punctuation, in lower case. Every language's tables are read,
# whatever the member's language. A check-in, greeting or thanks phrase must be the whole
# message; a listen phrase may be part of it ("请问怎么听？").
phrases-checkin =
    学完了
    学完
    学好了
    学习完了
    听完了
    看完了
    好了
    好
    打卡
    签到
    完成
    已学
    已学习
    已完成
    明白了
    懂了
phrases-listen =
    怎么听
    怎样听
    如何听
    听不了
    听不到
    没声音
    没有声音
    语音
    播放
    放不出
phrases-greeting =
    你好
    您好
    在吗
    在不在
    哈喽
    喂
phrases-thanks =
    谢谢
    多谢
    感谢
    谢谢你
    好的谢谢
    辛苦了

# Lesson times as typed (domain/time_input.rs): a reading to confirm first.
time-confirm = 您是说 <b>{ $time }</b> 吗？这个时间很早（或像是按钮的编号）。确认请点下面的按钮，不是的话请重新输入时间，例如 7:30 或 晚上8点。
time-confirm-yes = ✅ 是的，{ $time }
# The delivery forecast (domain/capacity.rs): the chosen time is overloaded.
time-slot-busy = ⏳ 选 { $time } 上课的人很多，这个时间的课预计要晚约 { $minutes } 分钟才能送到。选 { $better } 可以准时收到；也可以保持不变。
time-slot-take = 改为 { $better }
time-slot-busy-no-other = ⏳ 选 { $time } 上课的人很多，这个时间的课预计要晚约 { $minutes } 分钟才能送到。
# Several branches match what the member typed.
branch-matches = 有 { $count } 个组织名称包含“{ $input }”，请选择：

help-capacity = /capacity — 未来 24 小时各上课时段的人数、预计发完时间和会晚到的时段
# /capacity: the delivery forecast (domain/capacity.rs).
capacity-header = 📦 未来 24 小时的课程推送（每秒 { $rate } 条，每课约 { $per } 条消息，先到时间的先发）：
capacity-none = 未来 24 小时没有要推送的课程。
capacity-slot = { $when } · { $members } 人 · 预计 { $finish } 发完
capacity-slot-late = ⚠️ { $when } · { $members } 人 · 预计 { $finish } 发完（最晚的成员要等约 { $minutes } 分钟）
capacity-more = ……还有 { $count } 个时段
capacity-overloaded = ⚠️ { $count } 个时段有成员要等 30 分钟以上：可以请成员改选人少的时间（选时间时系统会提示），或开通付费广播提高发送速度。
capacity-on-time = ✅ 所有时段都能在 30 分钟内发完。

# Typed text when no question is open (conversation/router.rs, domain/intent.rs).
typed-checkin-which = 好的，为《{ $lesson }》打卡：
typed-checkin-none = 最近的课程都已经打过卡了，明天见！
typed-listen = 🔊 课程的语音在文字下面：点一下语音条就能播放；听不到的话，请把手机音量调大，或关闭静音模式。
typed-greeting = 您好！每天一堂小课会按时送到这里。发送 /today 再看今天的课，/me 看学习情况，/help 查看全部命令。
typed-thanks = 不客气！坚持每天学一点，我们明天见。
typed-media = 收到了，谢谢！我还看不懂图片、语音和表情。学完课程后请按“学完打卡”，或直接发送“打卡”；发送 /help 查看我能做什么。
not-understood-suggest = 没看懂您的意思。您是不是想：
    （发送 /help 查看全部命令）
quiz-pick-number = 请回复选项的编号，从 1 到 { $count }。
day-closed = 🌙 今天的学习完成了！今日积分 +{ $points }，已连续学习 { $streak } 天。下一课：{ $when }。
