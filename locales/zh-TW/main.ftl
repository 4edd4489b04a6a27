# weike：繁體中文訊息。文字按 Telegram 的 HTML 子集傳送：只用 <b> <i> <u> <s> <code> <pre> <a> <blockquote>；
# 寫 < > & 時請寫成 &lt; &gt; &amp;。

language-name = 繁體中文

## 註冊引導
welcome = 👋 歡迎來到<b>微課</b>——每天一堂小課，就在聊天裡學。
    先回答幾個簡單問題。
ask-language = 請選擇語言：
language-invalid = 請用按鈕選擇語言（或回覆 1、2、3）。
ask-name = 怎麼稱呼您？請傳送您的名字（不超過 { $max } 個字）。
name-empty = 名字是空的，請用文字傳送您的名字。
name-too-long = 名字太長了，請不超過 { $max } 個字。
name-invalid = 名字不能以「/」開頭，也不能含控制字元。請直接傳送您的名字。
ask-branch = 您屬於哪個支部？請點按鈕，或回覆序號或名稱。
ask-branch-in = { $parent }：請選擇您的支部。
branch-this = ✔ 就選{ $branch }
branch-up = ⬅ 返回上一層
branch-not-found = 這裡沒有「{ $input }」這個支部。請點下面的按鈕，或回覆它的序號。
branch-chosen = 支部：<b>{ $branch }</b>
ask-time = 每天 <b>{ $time }</b> 推送課程。保持不變，或傳送別的時間，例如 06:45 或 20:00。
keep-time = 保持 { $time }
time-invalid = 「{ $input }」不是有效的時間。請傳送 00:00 到 23:59 之間的時和分，例如 07:30。
ask-timezone = 您的時區是 <b>{ $tz }</b>。保持不變、選擇其他時區，或傳送時區名稱，例如 Asia/Urumqi。
keep-timezone = 保持 { $tz }
timezone-invalid = 「{ $input }」不是時區名稱。請傳送類似 Asia/Shanghai 的名稱，或點按鈕選擇。
onboarding-done = ✅ 設定完成，{ $name }！
    支部：{ $branch }
    課程：<b>{ $course }</b>
    第一課將於{ $when }送達。
    學完後請點「✅ 學完打卡」。傳送 /help 查看全部功能。
finish-onboarding-first = 請先完成設定。
start-again = 歡迎回來，{ $name }！您的學習情況：

## 命令
help = <b>我能做什麼</b>
    /today — 再看一遍今天的課
    /me — 我的學習紀錄、連續打卡和進度
    /settings — 語言、名字、支部、推送時間、時區
    /pause — 暫停每日推送
    /resume — 恢復每日推送
    /help — 顯示本列表
unknown-command = 我不認識命令 { $command }。傳送 /help 查看可用命令。
not-understood = 沒看懂您的意思。請用按鈕，或傳送 /help 查看命令。
button-expired = 這個按鈕已失效。
command-start = 開始或查看狀態
command-today = 再看今天的課
command-me = 我的進度和連續打卡
command-settings = 修改語言、支部、時間
command-pause = 暫停每日課程
command-resume = 恢復每日課程
command-help = 查看全部功能

## 課程
lesson-header = 📖 { $course } · 第 { $seq } 課（共 { $total } 課）
audio-caption = 🔊 聽一聽：{ $title }
checkin-button = ✅ 學完打卡
checkin-done-button = ✅ 已打卡
checkin-recorded = ✅ 打卡成功！已連續學習 { $streak } 天。
checkin-already = 這一課已經打過卡了。
today-none = 還沒有給您推送過課程。第一課將於{ $when }送達。
lesson-gone = 這一課已經下線了。
course-finished = 🎉 恭喜！您已學完<b>{ $course }</b>的全部課程。
when = { $time }（{ $tz }）
when-never = —（沒有安排上課日）

## /me
me-header = 👤 <b>{ $name }</b> · { $branch }
me-course = 📚 { $course }：已打卡 { $done } 課，已收到 { $received } 課，共 { $total } 課
me-streak = 🔥 連續學習：{ $streak } 天
me-schedule = ⏰ 每天 { $time } 推送（{ $tz }）
me-next = ⏭ 下一課：{ $when }
me-paused = ⏸ 每日推送已暫停，傳送 /resume 恢復。

## /pause、/resume
pause-done = ⏸ 已暫停每日課程。想繼續時傳送 /resume，連續紀錄會為您保留。
pause-already = 課程已經是暫停狀態，傳送 /resume 恢復。
resume-done = ▶️ 歡迎回來！下一課將於{ $when }送達。
resume-already = 您的課程沒有暫停。

## /settings
settings-menu = ⚙️ <b>設定</b>
    名字：{ $name }
    支部：{ $branch }
    語言：{ $language }
    推送時間：{ $time }（{ $tz }）
    想修改哪一項？
settings-language = 語言
settings-name = 名字
settings-branch = 支部
settings-time = 推送時間
settings-timezone = 時區
settings-saved = ✅ 已儲存。

## 終端示範（weike chat）
console-banner = 微課終端示範——在終端裡體驗完整的機器人。傳送 /start 開始，回覆數字點按鈕，:help 查看終端命令。
console-help = 終端命令：
    :clock            查看機器人時鐘
    :clock +1d        把時鐘往後撥（也可 +3h、+30m、-1d）
    :clock 07:30      把時鐘撥到您時區的下一個 07:30
    :quit             離開（資料都保存在資料庫裡）
    只回覆一個數字，就是點最近一則訊息的對應按鈕。
console-clock = 🕰 機器人時鐘：{ $time }（{ $tz }）
console-clock-invalid = 「{ $input }」不是有效的時鐘調整。試試 :clock +1d 或 :clock 07:30。
console-unknown = 沒有終端命令「:{ $input }」。傳送 :help 查看。
