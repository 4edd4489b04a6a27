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
ask-branch = 您属于哪个支部？请点按钮，或回复序号或名称。
ask-branch-in = { $parent }：请选择您的支部。
branch-this = ✔ 就选{ $branch }
branch-up = ⬅ 返回上一级
branch-not-found = 这里没有“{ $input }”这个支部。请点下面的按钮，或回复它的序号。
branch-chosen = 支部：<b>{ $branch }</b>
ask-time = 每天 <b>{ $time }</b> 推送课程。保持不变，或发送别的时间，例如 06:45 或 20:00。
keep-time = 保持 { $time }
time-invalid = “{ $input }”不是有效的时间。请发送 00:00 到 23:59 之间的时和分，例如 07:30。
ask-timezone = 您的时区是 <b>{ $tz }</b>。保持不变、选择其他时区，或发送时区名称，例如 Asia/Urumqi。
keep-timezone = 保持 { $tz }
timezone-invalid = “{ $input }”不是时区名称。请发送类似 Asia/Shanghai 的名称，或点按钮选择。
onboarding-done = ✅ 设置完成，{ $name }！
    支部：{ $branch }
    课程：<b>{ $course }</b>
    第一课将于{ $when }送达。
    学完后请点“✅ 学完打卡”。发送 /help 查看全部功能。
finish-onboarding-first = 请先完成设置。
start-again = 欢迎回来，{ $name }！您的学习情况：

## 命令
help = <b>我能做什么</b>
    /today — 再看一遍今天的课
    /me — 我的学习记录、连续打卡和进度
    /settings — 语言、名字、支部、推送时间、时区
    /pause — 暂停每日推送
    /resume — 恢复每日推送
    /help — 显示本列表
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

## 课程
lesson-header = 📖 { $course } · 第 { $seq } 课（共 { $total } 课）
audio-caption = 🔊 听一听：{ $title }
checkin-button = ✅ 学完打卡
checkin-done-button = ✅ 已打卡
checkin-recorded = ✅ 打卡成功！已连续学习 { $streak } 天。
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
    :quit             退出（数据都保存在数据库里）
    只回复一个数字，就是点最近一条消息的对应按钮。
console-clock = 🕰 机器人时钟：{ $time }（{ $tz }）
console-clock-invalid = “{ $input }”不是有效的时钟调整。试试 :clock +1d 或 :clock 07:30。
console-unknown = 没有终端命令“:{ $input }”。发送 :help 查看。
