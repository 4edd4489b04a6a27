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
name-formula = 名字不能以 = + - @ 開頭（試算表軟體會把它當成公式）。請傳送大家平時稱呼您的名字，例如：王小明。
name-hidden-characters = 名字裡不能有看不見的字元（改變文字方向的控制字元、檔案開頭的位元組順序標記）。請重新輸入您的名字，例如：王小明。
name-invisible = 這個名字裡沒有別人看得到的字（只有空格、零寬字元或組合符號）。請用文字傳送您的名字，例如：王小明。
ask-branch = 您屬於哪個支部？請點按鈕，或回覆序號或名稱。
ask-branch-in = { $parent }：請選擇您的支部。
branch-this = ✔ 就選{ $branch }
branch-up = ⬅ 返回上一層
branch-not-found = 這裡沒有「{ $input }」這個支部。請點下面的按鈕，或回覆它的序號。
branch-chosen = 支部：<b>{ $branch }</b>
ask-time = 每天 <b>{ $time }</b> 推送課程。保持不變，或傳送別的時間，例如 早上6點45、晚上8點 或 20:00。
keep-time = 保持 { $time }
time-invalid = 「{ $input }」不是有效的時間。請換個寫法，例如 7點半、下午3點、晚上8點 或 07:30。
ask-timezone = 您的時區是 <b>{ $tz }</b>。保持不變、選擇其他時區，或傳送城市或時區，例如 烏魯木齊、北京時間、UTC+8。
keep-timezone = 保持 { $tz }
timezone-invalid = 「{ $input }」不是已知的時區。請傳送城市或時區，例如 北京時間、香港、UTC+8，或點按鈕選擇。
onboarding-done = ✅ 設定完成，{ $name }！
    支部：{ $branch }
    課程：<b>{ $course }</b>
    第一課將於{ $when }送達。
    學完後請點「✅ 學完打卡」。傳送 /help 查看全部功能。
finish-onboarding-first = 請先完成設定。
start-again = 歡迎回來，{ $name }！您的學習情況：

## 命令
help-header = <b>我能做什麼</b>
help-today = /today — 再看一遍今天的課
help-me = /me — 我的學習紀錄、連續打卡和進度
help-rank = /rank [週|賽季] — 本支部和全體的積分排行
help-poster = /poster — 我最新的學習海報
help-nearby = /nearby [公里] — 附近紅色驛站的學習活動
help-away = /away — 登記外出務工
help-home = /home — 回到家鄉
help-forget_location = /forget_location — 刪除您分享過的位置
help-settings = /settings — 語言、名字、支部、推送時間、時區
help-pause = /pause — 暫停每日推送
help-resume = /resume — 恢復每日推送
help-help = /help — 顯示本列表
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
command-rank = 積分排行
command-nearby = 附近的活動
command-away = 登記外出務工
command-home = 我回家了
command-forget_location = 刪除我的位置
command-poster = 我的學習海報

## 課程
lesson-header = 📖 { $course } · 第 { $seq } 課（共 { $total } 課）
audio-caption = 🔊 聽一聽：{ $title }
checkin-button = ✅ 學完打卡
checkin-done-button = ✅ 已打卡
checkin-recorded = ✅ 打卡成功！積分 +{ $points }，已連續學習 { $streak } 天。
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
    :location LAT LON 分享位置（如同手機傳送位置）
    :quit             離開（資料都保存在資料庫裡）
    只回覆一個數字，就是點最近一則訊息的對應按鈕。
console-clock = 🕰 機器人時鐘：{ $time }（{ $tz }）
console-clock-invalid = 「{ $input }」不是有效的時鐘調整。試試 :clock +1d 或 :clock 07:30。
console-unknown = 沒有終端命令「:{ $input }」。傳送 :help 查看。

## 答題
quiz-test-question = （{ $n }/{ $total }）{ $question }
quiz-review-question = 🔁 複習：{ $question }
# 專題測驗裡來自其他專題的複習題。
quiz-test-review-question = （{ $n }/{ $total }）🔁 複習：{ $question }
quiz-right = ✅ 答對了！積分 +{ $points }
quiz-right-in-test = ✅ 答對了！
quiz-wrong = ❌ 答錯了。正確答案是：<b>{ $answer }</b>
quiz-unknown = 這道題不是發給您的，或者已經不存在了。
quiz-already-answered = 這道題您已經答過了，以第一次作答為準。
quiz-closed = 這道題的作答時間已過，本次作答不計分。
quiz-timeout = ⏰ 上一題的作答時間到了。
quiz-test-intro = 📝 <b>專題測驗：{ $topic }</b>
    共 { $count } 題，每題 { $seconds } 秒。加油！
quiz-test-result = 🏁 <b>測驗結束：{ $topic }</b>
    成績：答對 { $correct }/{ $total } 題，積分 +{ $points }
    支部排名：第 { $rank } 名（目前已完成 { $of } 人）

## 積分和排行
streak-bonus = 🔥 已連續學習 { $streak } 天！獎勵積分 +{ $points }
rank-week = 🏆 <b>本週積分排行</b>
rank-season = 🏆 <b>賽季積分排行：{ $season }</b>
season-title-note = 🎖 賽季結束時，各支部和全組織積分前 { $top } 名獲得「{ $title }」稱號。
rank-all-time = 🏆 <b>累計積分排行</b>
rank-branch = 本支部：{ $branch }
rank-organization = 全體黨員
rank-empty = 還沒有積分。
rank-line = { $rank }. { $name } — { $points } 分
rank-line-me = 👉 { $rank }. <b>{ $name }</b> — { $points } 分
rank-mine = 我的名次：第 { $rank } 名（{ $points } 分）
rank-show-season = 看本賽季
rank-show-week = 看本週
rank-usage = 不認識「{ $input }」這個時段。請傳送 /rank、/rank 本週 或 /rank 賽季。
season-title-given = 🎖 祝賀您，{ $name }！您獲得了「<b>{ $title }</b>」稱號：本賽季在{ $scope }排名第 { $rank }，積分 { $points }。
me-points = ⭐ 積分：{ $points }
me-points-season = ⭐ 積分：{ $points }（{ $season }：{ $season_points }）
me-answers = 📝 答題：答對 { $correct }/{ $answered } 題（正確率 { $percent }%）
me-title = 🎖 { $title } — { $scope } 第 { $rank } 名

## 階段和海報
stage-complete = 🎉 您完成了<b>{ $stage }</b>！學習海報馬上送到。
stage-number = 第 { $number } 階段
poster-none = 您還沒有學習海報：完成課程的第一個階段後就會收到。
poster-title = 我的學習海報
poster-days = 累計打卡
poster-streak = 連續學習
poster-points = 積分
poster-date = { $date }
poster-footer = 天天學一點，常學常新
poster-caption = 🖼 這是您的學習海報！歡迎分享到群裡，邀請大家一起學習。

## 管理員
me-away = 🧳 外出務工中（{ $since }起）：/nearby 查看附近活動，回家後傳送 /home
me-id = 🆔 您的編號：<code>{ $id }</code>
admin-refused = 抱歉，這個命令只有管理員可以使用。如需權限，請聯繫機器人的負責人。
admin-owner-only = 抱歉，只有機器人的負責人可以授予或撤銷管理員。
admin-out-of-scope = 抱歉，這個支部不在您管理的範圍內。
admin-help-header = <b>管理員命令</b>
admin-help-footer = 成員的編號在其 /me 中顯示。
help-admins = /admins — 查看負責人和管理員
help-grant = /grant 管理員 成員、/grant 支部管理員 成員 支部 — 設為全體管理員，或該支部及下屬支部的管理員（負責人；成員寫編號或姓名，支部寫名稱即可）
help-revoke = /revoke 管理員 成員、/revoke 支部管理員 成員 支部 — 撤銷（負責人）
help-broadcast = /broadcast — 發送通知（文字、圖片、音訊或檔案）
help-broadcasts = /broadcasts — 最近的通知及發送情況
help-tag = /tag 成員 標籤 — 給成員加標籤（如 老年、elderly），用於分組通知
help-untag = /untag 成員 標籤 — 去掉成員的標籤
help-quiztest = /quiztest 專題 [支部] — 立即發送專題測驗
help-stats = /stats [支部] [週|賽季] — 參訓率、課程完成率、答題正確率、積分；/stats chart 以圖表顯示
help-export = /export [支部] [週|賽季] — 匯出成員學習情況（CSV 表格，Excel 可直接開啟）
help-branches = /branches — 組織架構（支部編號）
help-branch_add = /branch_add 上級編號 新編號 名稱 — 新增支部（上級寫 - 表示頂級）
help-branch_rename = /branch_rename 編號 新名稱 — 改支部名稱
help-branch_remove = /branch_remove 編號 — 刪除支部（其下無支部、無成員時）
help-venues = /venues — 驛站列表
help-venue_add = /venue_add 一行 — 新增驛站（一行與驛站 CSV 檔案相同）
help-venue_edit = /venue_edit 一行 — 修改驛站
help-venue_remove = /venue_remove 編號 — 刪除驛站
help-activity_add = /activity_add 一行 — 新增活動（一行與活動 CSV 檔案相同）
help-activity_edit = /activity_edit 一行 — 修改活動
help-activity_cancel = /activity_cancel 編號 [原因] — 取消活動
help-venue_stats = /venue_stats [驛站] — 各活動和驛站的報名與簽到
admins-header = <b>負責人和管理員</b>
admins-owner = 👑 { $name }（<code>{ $id }</code>）— 負責人
admins-admin = 🛡 { $name }（<code>{ $id }</code>）— 全體管理員
admins-branch-admin = 🛡 { $name }（<code>{ $id }</code>）— { $branch } 管理員
grant-usage = 用法：/grant 管理員 成員，或 /grant 支部管理員 成員 支部（撤銷用 /revoke）。成員寫姓名或編號（編號在成員的 /me 中顯示），支部寫名稱，如 /grant 支部管理員 王小明 桃花村。
role-branch-admin = 支部管理員
role-admin = 全體管理員
admin-which = 「{ $query }」對應多個，請選擇：
branch-unknown-id = 沒有名稱或編號為「{ $branch }」的支部。
grant-no-member = 沒有姓名或編號為「{ $id }」的成員。請對方先給機器人傳送 /start。
grant-done = ✅ { $name } 已成為 { $role }（{ $scope }）。
grant-already = { $name } 已經是 { $role }（{ $scope }）。
revoke-done = ✅ 已撤銷 { $name } 的 { $role }（{ $scope }）。
revoke-not-held = { $name } 並不是 { $role }（{ $scope }）。
quiztest-usage = 用法：/quiztest 專題 [支部]。專題：{ $topics }
quiztest-unknown-topic = 沒有可測驗的專題「{ $topic }」。專題：{ $topics }
quiztest-queued = 📝 專題測驗「{ $topic }」正在發送給 { $count } 名成員（{ $scope }）。
quiztest-nobody = { $scope }還沒有成員收到過專題「{ $topic }」的課程，測驗沒有發送。

## 通知
broadcast-ask-content = 📣 請傳送通知內容：文字，或帶說明的圖片、音訊、檔案。傳送 /cancel 放棄。
broadcast-empty = 通知內容是空的。請傳送文字，或帶說明的檔案。
broadcast-too-long = 通知有 { $length } 個字元，最多 { $max } 個。請刪減後再發。
broadcast-ask-audience = 發給誰？
broadcast-to-everyone = 全體成員
broadcast-to-my-branches = 我管理的支部的全體成員
broadcast-to-branch = 某個支部…
broadcast-to-migrant = 流動黨員
broadcast-to-tag = 帶某個標籤的成員…
broadcast-to-inactive = 多日未學習的成員…
broadcast-drop = ✖ 放棄
broadcast-ask-branch = 哪個支部（含下屬支部）？
broadcast-branch-all = ✅ 發給{ $branch }全體（含下屬支部）
broadcast-branch-open = { $branch } ›
broadcast-ask-branch-in = { $branch }：發給哪個支部？（第 { $page }/{ $pages } 頁）
page-previous = ‹ 上一頁
page-next = 下一頁 ›
page-of = （第 { $page }/{ $pages } 頁）
broadcast-no-tags = 還沒有成員有標籤。管理員可用 /tag 成員 標籤 新增，例如 /tag 王小明 老年。
broadcast-ask-tag = 哪個標籤？
broadcast-ask-inactive = 多久沒有打卡？
broadcast-inactive-label = { $days } 天未打卡
broadcast-tag-label = 標籤「{ $tag }」
broadcast-no-recipients = 「{ $audience }」目前沒有成員，不會發送。請另選發送對象：
broadcast-preview-header = <b>預覽</b> — 發給{ $audience }：共 <b>{ $count }</b> 人。內容如下：
broadcast-confirm = 確認發送給 { $count } 名成員嗎？
broadcast-send-now = ✅ 立即發送
broadcast-send-later = 🕒 定時發送…
broadcast-ask-time = 什麼時候發送？請傳送日期和時間，例如「明天 8點」「週五 19:00」或「{ $example }」（{ $zone }）。
broadcast-dropped = 已放棄這條通知。
broadcast-time-past = 這個時間已經過去了。請傳送將來的時間，例如「{ $example }」。
broadcast-time-invalid = 沒看懂「{ $input }」這個時間。請傳送日期和時間，例如「明天 8點」或「{ $example }」。
broadcast-time-no-time = 「{ $input }」的幾點發送？請加上時間，例如「明天 8點」或「{ $example }」。
broadcast-not-running = 這條通知不在發送中（已發完、已取消或已確認過）。
broadcast-queued = 📣 第 { $id } 號通知正在發送給 { $count } 名成員，進度隨後顯示。
broadcast-scheduled = 🕒 第 { $id } 號通知將於{ $when } 發送給 { $count } 名成員。
broadcast-cancelled = ✖ 第 { $id } 號通知：已取消 { $count } 條未發出的訊息。
broadcast-cancel-button = ✖ 取消未發送部分
broadcast-progress = 📣 <b>第 { $id } 號通知</b> — { $status }
    已發送 { $sent } · 失敗 { $failed } · 已封鎖機器人 { $blocked } · 待發送 { $remaining } · 已取消 { $cancelled }（共 { $total }）
broadcast-eta = 預計還需 { $minutes } 分 { $seconds } 秒。
broadcast-status-sending = 發送中
broadcast-status-scheduled = 定時待發
broadcast-cancel-scheduled = ✖ 取消這條定時通知
broadcast-from = 📣 <b>{ $sender }</b>：
broadcast-status-done = 已完成
broadcast-status-cancelled = 已取消
broadcast-status-draft = 草稿
broadcasts-none = 還沒有發過通知。
broadcasts-header = <b>最近的通知</b>
broadcasts-line = #{ $id } { $when } · { $audience } · { $status } · 已發送 { $sent }/{ $total }，失敗 { $failed }，封鎖 { $blocked }，取消 { $cancelled }
tag-usage = 用法：/tag 成員 標籤 或 /untag 成員 標籤。成員寫姓名或編號；標籤由文字、數字、- 或 _ 組成，最多 10 個漢字（如 老年、新興領域、elderly）。
tag-done = ✅ 已給 { $name } 加上標籤「{ $tag }」。
untag-done = ✅ 已去掉 { $name } 的標籤「{ $tag }」。

## 統計
stats-usage = 不明白「{ $input }」。用法：/stats [支部] [週|賽季] [圖]，支部寫名稱或其中幾個字，例如 /stats 東湖鎮 賽季、/stats 柳村 圖
stats-no-season = 還沒有設定賽季（points.toml 中的 [[season]]）。請用 /stats 週。
stats-no-branch = 未選支部
stats-period-week = 本週（{ $monday } 起）
stats-period-season = { $season }（{ $start } 至 { $end }）
stats-header = 📊 <b>學習統計</b> · { $scope } · { $period }
stats-row = { $n }. { $branch } — 參訓率 { $rate }（{ $participants }/{ $active }）
stats-more-rows = ……另有 { $count } 個支部，完整資料請用 /export
stats-total = <b>{ $scope } 合計</b>
stats-organization = <b>全組織</b>
stats-figures = 參訓率 { $rate }（{ $participants }/{ $active } 人）· 打卡 { $checkins } 次 · 答題正確率 { $accuracy } · 積分 { $points } · 流動黨員參訓率 { $migrant_rate }（{ $migrant_participants }/{ $migrant_active }）
stats-lessons-header = <b>課程完成率</b>（收到課程的成員中打卡的比例）
stats-lesson = 第 { $seq } 課 { $title } — { $rate }（{ $checked_in }/{ $assigned }）
stats-chart-title = 各支部參訓率
export-caption = 📎 { $scope } · { $period } · { $count } 名成員的學習情況
export-col-id = 編號
export-col-name = 姓名
export-col-branch = 支部
export-col-status = 狀態
export-col-away = 流動黨員
export-col-checkins = 打卡次數
export-col-answered = 答題數
export-col-correct = 答對數
export-col-accuracy = 正確率(%)
export-col-points = 積分
export-col-lessons = 已收到課程
export-col-last-checkin = 最近打卡日期
export-yes = 是
export-no = 否
export-status-active = 正常
export-status-paused = 暫停
export-status-blocked = 已封鎖機器人
export-status-left = 已退出
nudge = 👋 { $name }，好幾天沒見您來學習了。每天幾分鐘，積少成多——傳送 /today 看看今天的微課吧！
rate-limited = ⏳ 這則訊息沒有執行：一分鐘內最多 { $limit } 則，您傳得太快了。請 { $seconds } 秒後再傳一次。在此之前超出的訊息也不會執行（此提醒每分鐘最多一次）。
rate-limited-button = ⏳ 沒有執行：操作太快了，請 { $seconds } 秒後再試。

## 組織架構
branches-header = <b>組織架構</b>（編號 名稱）
branches-footer = 修改：/branch_add 上級編號 新編號 名稱、/branch_rename 編號 新名稱、/branch_remove 編號
branch-edit-usage = 用法：/branch_add 上級編號 新編號 名稱（上級寫 - 表示頂級支部）、/branch_rename 編號 新名稱、/branch_remove 編號。編號見 /branches。
branch-bad-id = 「{ $id }」不能作為支部編號：請用 1-40 個英文字母、數字或 - _ .，以字母或數字開頭（如 qingshan.donghu.xincun）。
branch-bad-name = 支部名稱須為 1-60 個字，且只佔一行。
branch-name-hidden-characters = 支部名稱裡不能有看不見的字元（改變文字方向的控制字元、位元組順序標記）。請重新輸入名稱。
branch-name-invisible = 這個支部名稱裡沒有看得到的字（只有空格、零寬字元或組合符號）。
branch-exists = 已有編號為「{ $id }」的支部。
branch-has-branches = { $branch } 下面還有支部，請先刪除或移走它們。
branch-has-members = { $branch } 還有 { $count } 名成員，不能刪除。請成員先在 /settings 中更換支部。
branch-added = ✅ 已新增支部 { $branch }（編號 <code>{ $id }</code>）。
branch-renamed = ✅ 支部 <code>{ $id }</code> 現在叫 { $branch }。
branch-removed = ✅ 已刪除支部 { $branch }。

## 流動黨員：外出、附近活動、現場簽到
away-started = 🧳 已登記為外出務工（流動黨員）。您仍屬於原支部（{ $branch }）：支部的課程、通知和排行照常推送。分享您的位置，即可查看附近紅色驛站的學習活動。
away-already = 您已登記為外出。
home-already = 您目前沒有登記外出。傳送 /away 可登記外出。
home-done = 🏠 歡迎回家：已取消外出登記。{ $count ->
        [0] 沒有儲存您的位置。
       *[other] 已儲存的 { $count } 個位置將在 { $days } 天後刪除；傳送 /forget_location 可立即刪除。
    }
location-consent = 📍 為了向您推薦附近的活動，需要儲存您分享的位置。位置只用於推薦活動和活動現場簽到，{ $days } 天後自動刪除（傳送 /forget_location 可隨時刪除）。您同意嗎？
location-consent-yes = ✅ 同意
location-consent-no = 不用了
location-consent-thanks = 謝謝！請點下面的按鈕分享位置（也可以傳送位置；共享即時位置時，到達活動現場會自動簽到）。
location-consent-declined = 好的，不儲存任何位置。學習照常進行；改變主意時再傳送 /away 即可。
location-share = 📍 點下面的按鈕分享位置，查看您附近的活動。
location-button = 📍 分享我的位置
location-invalid = 這個位置無效：緯度應在 -90 到 90 之間，經度應在 -180 到 180 之間。
location-saved = 📍 位置已儲存。
location-forgotten = 🗑 { $count ->
        [0] 沒有儲存您的位置。
       *[other] 已刪除您儲存的 { $count } 個位置。
    }以後儲存位置前會再徵得您的同意。
nearby-usage = “{ $input }”不是距離。傳送 /nearby 使用預設範圍，或 /nearby 25 查看 25 公里內（最多 { $max } 公里）。
nearby-need-location = 還不知道您在哪裡：請點下面的按鈕分享位置，然後再傳送 /nearby。
nearby-none = 未來 { $days } 天內，{ $km } 公里內沒有活動。可以擴大範圍，例如 /nearby 25。
nearby-header = <b>{ $km } 公里內、未來 { $days } 天的活動</b>
nearby-item = { $number }. <b>{ $title }</b> — { $venue }，{ $distance }
    🕒 { $time }
nearby-more = ……還有更多：縮小範圍可只看更近的。
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
        [0] 🗺 查看地圖
       *[other] 🗺 { $number } 地圖
    }
rsvp-done = ✅ 已報名 <b>{ $title }</b>（{ $venue }，{ $time }）。活動前一天和前一小時會提醒您。
rsvp-already = 您已報名 <b>{ $title }</b>（{ $venue }，{ $time }）。
rsvp-withdrawn = ↩ 已取消報名 <b>{ $title }</b>，不再提醒。
rsvp-none = 您沒有報名 <b>{ $title }</b>。
rsvp-cancelled-activity = 抱歉，<b>{ $title }</b> 已取消。{ $note }
rsvp-ended = <b>{ $title }</b> 已經結束了。
rsvp-full = 抱歉，<b>{ $title }</b> 名額已滿（{ $capacity } 人）。
digest-header = 📅 <b>本週您附近的活動</b>
activity-new = 🆕 <b>您附近有新活動</b>
    <b>{ $title }</b> — { $venue }，{ $distance }
    🕒 { $time }
    { $description }
reminder-day = ⏰ 明天：<b>{ $title }</b>，地點 { $venue } { $address }
    🕒 { $time }
reminder-hour = ⏰ 一小時後：<b>{ $title }</b>，地點 { $venue } { $address }
    🕒 { $time }
    到達後分享位置即可簽到。
activity-cancelled = ❌ <b>{ $title }</b>（{ $venue }，{ $time }）已取消。{ $note }
activity-changed = 🔁 <b>{ $title }</b> 有變動：現在在 { $venue }，{ $time }。提醒會按新時間傳送。
attendance-recorded = ✅ 已在 <b>{ $title }</b>（{ $venue }）簽到：+{ $points } 分。感謝參加！
attendance-already = 您已在 <b>{ $title }</b> 簽到過了。
attendance-too-early = <b>{ $title }</b> 的簽到將於{ $opens }開始，屆時請再分享一次位置。
attendance-ended = <b>{ $title }</b> 已結束，簽到已關閉。
attendance-too-far = 您距離 <b>{ $title }</b> 的場地 { $distance }，需在 { $max }以內才能簽到。

## 紅色驛站與活動（管理員）
venues-none = 還沒有驛站。用 /venue_add 添加，或用 weike import venues 導入檔案。
venues-header = <b>驛站（{ $count }）</b>（編號 · 名稱 · 位置 · 推送範圍 · 支部）
venues-line = <code>{ $id }</code> · { $name } · { $lat }, { $lon } · { $km } 公里 · { $branch }
list-more = ……還有 { $count } 項。
venue-usage = 用法：/venue_add 編號,名稱,緯度,經度[,地址[,推送範圍公里[,支部]]]——與驛站 CSV 檔案的列相同，例如 /venue_add pd-01,浦東紅色驛站,31.2304,121.4737,世紀大道 100 號,10,sh。/venue_edit 用同樣的一行修改已有驛站。
activity-usage = 用法：/activity_add 編號,驛站,標題,開始,結束[,時區[,名額[,介紹]]]——與活動 CSV 檔案的列相同；開始、結束可以寫「明天 19:00」「週五晚上7點」「12月15日 19:00」，結束也可只寫時間，例如 /activity_add pd-1203,pd-01,學習交流會,週五晚上7點,21:00。/activity_edit 用同樣的一行修改已有活動。
row-invalid = 這一行有誤：{ $problems }
venue-exists = 驛站 <code>{ $id }</code> 已存在：請用 /venue_edit 修改。
venue-unknown = 沒有編號為 <code>{ $id }</code> 的驛站。傳送 /venues 查看列表。
venue-added = ✅ 已添加驛站 <code>{ $id }</code>：{ $name }（{ $lat }, { $lon }），新活動將推送給 { $km } 公里內的流動黨員。
venue-updated = ✅ 已更新驛站 <code>{ $id }</code>：{ $name }（{ $lat }, { $lon }），推送範圍 { $km } 公里。
venue-has-activities = { $name } 還有 { $count } 場未結束的活動：請先取消（/activity_cancel）。
venue-removed = 🗑 已刪除驛站 { $name }。
activity-exists = 活動 <code>{ $id }</code> 已存在：請用 /activity_edit 修改。
activity-unknown = 沒有編號為 <code>{ $id }</code> 的活動。
activity-not-scheduled = 活動 <code>{ $id }</code> 已取消，不能再修改。
activity-in-past = 這個活動已經結束了：請檢查結束時間。
activity-added = ✅ 已添加活動 <code>{ $id }</code>：<b>{ $title }</b>，{ $venue }，{ $time }。{ $count ->
        [0] 目前驛站附近沒有流動黨員。
       *[other] 正在通知附近的 { $count } 名流動黨員。
    }
activity-updated = ✅ 已更新活動 <code>{ $id }</code>：<b>{ $title }</b>，{ $venue }，{ $time }。{ $count ->
        [0] 無需通知任何人。
       *[other] 正在通知已報名的 { $count } 人。
    }
activity-cancel-usage = 用法：/activity_cancel 編號 [原因]（原因最多 200 字）。
activity-cancel-done = ❌ 已取消 <b>{ $title }</b>。{ $count ->
        [0] 沒有人報名。
       *[other] 正在通知已報名的 { $count } 人。
    }
venue-stats-none = 最近 { $days } 天及以後沒有活動。
venue-stats-header = <b>驛站活動</b>（最近 { $days } 天及以後）：報名 / 簽到
venue-stats-venue = 🏛 <b>{ $name }</b>（<code>{ $id }</code>）：{ $activities } 場活動，報名 { $rsvps }，簽到 { $attended }
venue-stats-activity = · { $time } { $title }（<code>{ $id }</code>）：{ $rsvps } / { $attended }
venue-stats-cancelled = · { $time } <s>{ $title }</s>（<code>{ $id }</code>，已取消）：{ $rsvps } / { $attended }

## 驛站與活動行的問題（weike import、/venue_add、/activity_add 及其修改）
# 純文字，不是 HTML：需要時由程式轉義。它們跟在「檔案:行號: 」或 row-invalid 之後。
# 引號裡的值與行中所寫相同，不可見字元已轉義。
# Columns by name in words, for problems of a row written in a chat.
csv-field-id = 編號
csv-field-name = 名稱
csv-field-lat = 緯度
csv-field-lon = 經度
csv-field-address = 地址
csv-field-radius-km = 推送半徑
csv-field-branch = 支部
csv-field-venue = 驛站
csv-field-title = 標題
csv-field-start = 開始時間
csv-field-end = 結束時間
csv-field-timezone = 時區
csv-field-capacity = 人數上限
csv-field-description = 簡介
csv-empty-file = 檔案是空的：第一行應為表頭，包含 { $required } 欄（全部可用的欄位為 { $columns }）
csv-unreadable = 無法讀取 CSV：{ $error }
csv-encoding = 檔案從這一行起不是 UTF-8 文字：請另存為「CSV UTF-8」
csv-column-unnamed = 第 { $number } 欄沒有欄名
csv-column-twice = 欄位「{ $column }」出現了兩次
csv-column-unknown = 未知的欄位「{ $column }」：可用的欄位為 { $columns }
csv-column-missing = 缺少必要的欄位「{ $column }」
csv-field-count = 這一行有 { $fields } 個欄位，而表頭有 { $header } 個
csv-required = { $column } 為必填
csv-id-invalid = { $column }「{ $value }」不是有效的編號：請用 1 到 { $max } 個字元，只能是 a-z、0-9、「-」、「_」和「.」
csv-id-duplicate = { $column }「{ $value }」重複：第 { $line } 行已經用過
csv-line-break = { $column } 含有換行符號或其他控制字元
csv-control-character = { $column } 含有控制字元
csv-hidden-characters = { $column } 含有看不見的字元（改變文字方向的控制字元或位元組順序標記）
csv-invisible = { $column } 沒有看得到的字（只有空格、零寬字元或組合符號）
csv-too-long = { $column } 有 { $length } 個字，最多 { $max } 個字
csv-not-a-number = { $column }「{ $value }」不是數字
csv-latitude-not-finite = 緯度 { $value } 不是有限的數值
csv-longitude-not-finite = 經度 { $value } 不是有限的數值
csv-latitude-range = 緯度 { $value } 超出範圍：應在 -90 到 90 之間
csv-longitude-range = 經度 { $value } 超出範圍：應在 -180 到 180 之間
csv-radius-range = { $column } { $value } 超出範圍：應在 { $min } 到 { $max } 之間
csv-branch-unknown = 沒有編號為「{ $value }」的支部（見 /branches 或支部檔案）
csv-venue-unknown = 沒有編號為「{ $value }」的驛站
csv-timezone-unknown = 時區「{ $value }」不是 IANA 時區名稱（例如 { $example }）
csv-time-invalid = { $column }「{ $value }」不是日期時間：格式應為 { $format }
csv-time-skipped = { $column } { $time } 在 { $timezone } 不存在（時鐘跳過了這個時刻，例如夏令時間）
csv-capacity-invalid = { $column }「{ $value }」不是正整數
csv-activity-too-long = 持續 { $hours } 小時：一個活動最長 { $max } 小時（更長的活動請每天寫一行）
csv-end-at-start = 結束時間 { $end } 與開始時間相同：結束必須晚於開始
csv-end-before-start = 結束時間 { $end } 早於開始時間 { $start }
# row-invalid 中同一行各問題之間的分隔。
csv-problem-separator = ；

## 出錯時

# 一則訊息或一次按鍵多次處理都失敗後發給成員（該訊息已保留，管理員可重新處理）。
update-failed-apology = 抱歉，剛才的訊息沒能處理好，我們已記下這個問題。請稍後再試一次，或傳送 /help 查看可用指令。
# 某段文字在任何語言裡都缺少時顯示（不應發生；測試會檢查每個鍵）。
text-missing = 抱歉，這裡的文字暫時缺少，我們會盡快補上。

# 企業微信不能用按鈕請成員分享位置：在位置請求後告訴成員怎麼分享。
wecom-location-howto = 📍 在企業微信裡分享位置：點輸入框旁的「＋」，選「位置」傳送；也可以在本應用的設定裡開啟「上報地理位置」，每次進入應用時自動回報位置（同意保存位置後，到達活動現場會自動簽到）。
# Dates and times as members read them (domain/when.rs, I18n::when): relative days
# with the weekday, a 24-hour clock, and the zone's name when it is not the member's own.
weekday-mon = 週一
weekday-tue = 週二
weekday-wed = 週三
weekday-thu = 週四
weekday-fri = 週五
weekday-sat = 週六
weekday-sun = 週日
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
zone-asia-shanghai = 北京時間
zone-asia-urumqi = 烏魯木齊時間
zone-asia-hong-kong = 香港時間
zone-asia-macau = 澳門時間
zone-asia-taipei = 台北時間
zone-asia-singapore = 新加坡時間
zone-asia-tokyo = 東京時間
zone-asia-seoul = 首爾時間
zone-asia-dubai = 杜拜時間
zone-europe-london = 倫敦時間
zone-europe-paris = 巴黎時間
zone-europe-berlin = 柏林時間
zone-europe-moscow = 莫斯科時間
zone-america-new-york = 紐約時間
zone-america-los-angeles = 洛杉磯時間
zone-australia-sydney = 雪梨時間

# What members type when no question is open (domain/intent.rs): one phrase per line, matched
# after removing spaces and end punctuation, in lower case. Every language's tables are read,
# whatever the member's language. A check-in, greeting or thanks phrase must be the whole
# message; a listen phrase may be part of it ("请问怎么听？").
phrases-checkin =
    學完了
    學完
    學好了
    學習完了
    聽完了
    看完了
    好了
    好
    打卡
    簽到
    完成
    已學
    已學習
    已完成
    明白了
    懂了
phrases-listen =
    怎麼聽
    怎樣聽
    如何聽
    聽不了
    聽不到
    沒聲音
    沒有聲音
    語音
    播放
    放不出
phrases-greeting =
    你好
    您好
    在嗎
    在不在
    哈囉
    喂
phrases-thanks =
    謝謝
    多謝
    感謝
    謝謝你
    好的謝謝
    辛苦了

# Lesson times as typed (domain/time_input.rs): a reading to confirm first.
time-confirm = 您是說 <b>{ $time }</b> 嗎？這個時間很早（或像是按鈕的編號）。確認請點下面的按鈕，不是的話請重新輸入時間，例如 7:30 或 晚上8點。
time-confirm-yes = ✅ 是的，{ $time }
# The delivery forecast (domain/capacity.rs): the chosen time is overloaded.
time-slot-busy = ⏳ 選 { $time } 上課的人很多，這個時間的課預計要晚約 { $minutes } 分鐘才能送到。選 { $better } 可以準時收到；也可以保持不變。
time-slot-take = 改為 { $better }
time-slot-busy-no-other = ⏳ 選 { $time } 上課的人很多，這個時間的課預計要晚約 { $minutes } 分鐘才能送到。
# Several branches match what the member typed.
branch-matches = 有 { $count } 個組織名稱包含「{ $input }」，請選擇：

help-capacity = /capacity — 未來 24 小時各上課時段的人數、預計發完時間和會晚到的時段
# /capacity: the delivery forecast (domain/capacity.rs).
capacity-header = 📦 未來 24 小時的課程推送（每秒 { $rate } 則，每課約 { $per } 則訊息，先到時間的先發）：
capacity-none = 未來 24 小時沒有要推送的課程。
capacity-slot = { $when } · { $members } 人 · 預計 { $finish } 發完
capacity-slot-late = ⚠️ { $when } · { $members } 人 · 預計 { $finish } 發完（最晚的成員要等約 { $minutes } 分鐘）
capacity-more = ……還有 { $count } 個時段
capacity-overloaded = ⚠️ { $count } 個時段有成員要等 30 分鐘以上：可以請成員改選人少的時間（選時間時系統會提示），或開通付費廣播提高發送速度。
capacity-on-time = ✅ 所有時段都能在 30 分鐘內發完。

# Typed text when no question is open (conversation/router.rs, domain/intent.rs).
typed-checkin-which = 好的，為《{ $lesson }》打卡：
typed-checkin-none = 最近的課程都已經打過卡了，明天見！
typed-listen = 🔊 課程的語音在文字下面：點一下語音條就能播放；聽不到的話，請把手機音量調大，或關閉靜音模式。
typed-greeting = 您好！每天一堂小課會按時送到這裡。傳送 /today 再看今天的課，/me 看學習情況，/help 查看全部指令。
typed-thanks = 不客氣！堅持每天學一點，我們明天見。
typed-media = 收到了，謝謝！我還看不懂圖片、語音和貼圖。學完課程後請按「學完打卡」，或直接傳送「打卡」；傳送 /help 查看我能做什麼。
not-understood-suggest = 沒看懂您的意思。您是不是想：
    （傳送 /help 查看全部命令）
quiz-pick-number = 請回覆選項的編號，從 1 到 { $count }。
day-closed = 🌙 今天的學習完成了！今日積分 +{ $points }，已連續學習 { $streak } 天。下一課：{ $when }。
