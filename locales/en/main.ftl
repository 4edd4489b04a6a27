# weike: English messages. Text is sent with Telegram's HTML subset: only <b>, <i>, <u>,
# <s>, <code>, <pre>, <a>, <blockquote>; write &lt; &gt; &amp; for < > &.

language-name = English

## Onboarding
welcome = 👋 Welcome to <b>Weike</b> — one short lesson a day, right here in your chat.
    A few quick questions first.
ask-language = Which language would you like?
language-invalid = Please choose one of the languages with the buttons (or send 1, 2 or 3).
ask-name = What should we call you? Send your name (at most { $max } { $max ->
        [one] character
       *[other] characters
    }).
name-empty = The name is empty. Please send your name as text.
name-too-long = That is too long: at most { $max } { $max ->
        [one] character
       *[other] characters
    }, please.
name-invalid = A name cannot start with “/” or contain control characters. Please send your name as plain text.
name-formula = A name cannot start with = + - or @ (a spreadsheet would read it as a formula). Please send your name as people know it, for example Wang Xiaoming.
name-hidden-characters = A name cannot contain invisible characters that turn the text around or come from a file (direction marks, a byte-order mark). Please type your name again, for example Wang Xiaoming.
name-invisible = That name has nothing others could see (only spaces, zero-width or combining characters). Please send your name in letters, for example Wang Xiaoming.
ask-branch = Which branch do you belong to? Choose with the buttons, or send the number or the name.
ask-branch-in = { $parent }: choose your branch.
branch-this = ✔ { $branch } itself
branch-up = ⬅ Back
branch-not-found = There is no branch “{ $input }” here. Choose one of the buttons, or send its number.
branch-chosen = Branch: <b>{ $branch }</b>
ask-time = Lessons arrive every day at <b>{ $time }</b>. Keep that, or send another time such as 6:45 am, 8 pm or 20:00.
keep-time = Keep { $time }
time-invalid = “{ $input }” is not a time of day. Try another way of writing it, such as 7:30, 3 pm or 20:00.
ask-timezone = Your time zone is <b>{ $tz }</b>. Keep it, choose another, or type a city or zone, such as Urumqi, Beijing time, Berlin or UTC+8.
keep-timezone = Keep { $tz }
timezone-invalid = “{ $input }” is not a time zone we know. Type a city or zone, such as Beijing time, Hong Kong or UTC+8, or choose a button.
onboarding-done = ✅ All set, { $name }!
    Branch: { $branch }
    Course: <b>{ $course }</b>
    Your first lesson arrives { $when }.
    After reading, press “✅ Done — check in”. /help lists everything I can do.
finish-onboarding-first = Let's finish setting up first.
start-again = Welcome back, { $name }! Here is where you are:

## Commands
help-header = <b>What I can do</b>
help-today = /today — today's lesson again
help-me = /me — your lessons, streak and progress
help-rank = /rank [week|season] — leaderboards of your branch and everyone
help-poster = /poster — your latest learning poster
help-nearby = /nearby [km] — study activities at venues near you
help-away = /away — I'm working away from home
help-home = /home — I'm back home
help-forget_location = /forget_location — delete the locations you shared
help-settings = /settings — language, name, branch, lesson time, time zone
help-pause = /pause — stop the daily lessons for now
help-resume = /resume — start them again
help-help = /help — this list
unknown-command = I don't know the command { $command }. /help lists what I can do.
not-understood = I didn't understand that. Use the buttons, or /help to see the commands.
button-expired = That button is out of date.
command-start = Start or see your status
command-today = Today's lesson again
command-me = Your progress and streak
command-settings = Change language, branch, time
command-pause = Pause the daily lessons
command-resume = Resume the daily lessons
command-help = What the bot can do
command-rank = Leaderboards
command-nearby = Activities near you
command-away = I'm working away from home
command-home = I'm back home
command-forget_location = Delete my locations
command-poster = Your learning poster

## Lessons
lesson-header = 📖 { $course } · Lesson { $seq } of { $total }
audio-caption = 🔊 Listen: { $title }
checkin-button = ✅ Done — check in
checkin-done-button = ✅ Checked in
checkin-recorded = ✅ Checked in! +{ $points } { $points ->
        [one] point
       *[other] points
    }. Streak: { $streak } { $streak ->
        [one] day
       *[other] days
    }.
checkin-already = You have already checked in for this lesson.
today-none = No lesson has been sent to you yet. Your first one arrives { $when }.
lesson-gone = That lesson is no longer available.
course-finished = 🎉 Congratulations! You have finished every lesson of <b>{ $course }</b>.
when = on { $time } ({ $tz })
when-never = — (no lesson day is scheduled)

## /me
me-header = 👤 <b>{ $name }</b> · { $branch }
me-course = 📚 { $course }: { $done } checked in, { $received } received, { $total } { $total ->
        [one] lesson
       *[other] lessons
    } in all
me-streak = 🔥 Streak: { $streak } { $streak ->
        [one] day
       *[other] days
    }
me-schedule = ⏰ Lessons at { $time } ({ $tz })
me-next = ⏭ Next lesson { $when }
me-paused = ⏸ Lessons are paused. /resume starts them again.

## /pause, /resume
pause-done = ⏸ Daily lessons are paused. Send /resume when you want them back; your streak waits for you.
pause-already = Lessons are already paused. /resume starts them again.
resume-done = ▶️ Welcome back! The next lesson arrives { $when }.
resume-already = Your lessons are not paused.

## /settings
settings-menu = ⚙️ <b>Settings</b>
    Name: { $name }
    Branch: { $branch }
    Language: { $language }
    Lesson time: { $time } ({ $tz })
    What would you like to change?
settings-language = Language
settings-name = Name
settings-branch = Branch
settings-time = Lesson time
settings-timezone = Time zone
settings-saved = ✅ Saved.

## Console demo (weike chat)
console-banner = weike console — the whole bot in this terminal. Type /start to begin, a number to press a button, :help for console commands.
console-help = Console commands:
    :clock            show the bot's clock
    :clock +1d        move the clock forward (also +3h, +30m, -1d)
    :clock 07:30      move the clock to the next 07:30 in your time zone
    :location LAT LON share a location (as a phone would)
    :quit             leave (everything is kept in the database)
    A bare number presses that button of the latest message with buttons.
console-clock = 🕰 Bot clock: { $time } ({ $tz })
console-clock-invalid = “{ $input }” is not a clock change. Try :clock +1d or :clock 07:30.
console-unknown = Unknown console command “:{ $input }”. :help lists them.

## Quizzes
quiz-test-question = ({ $n }/{ $total }) { $question }
quiz-review-question = 🔁 Review: { $question }
# A review question from another topic in a topic test.
quiz-test-review-question = ({ $n }/{ $total }) 🔁 Review: { $question }
quiz-right = ✅ Right! +{ $points } { $points ->
        [one] point
       *[other] points
    }
quiz-right-in-test = ✅ Right!
quiz-wrong = ❌ Not quite. The answer is: <b>{ $answer }</b>
quiz-unknown = That quiz is not one of yours, or no longer exists.
quiz-already-answered = You have already answered this question; the first answer counts.
quiz-closed = Time is up for this question, so the answer was not counted.
quiz-timeout = ⏰ Time is up for that question.
quiz-test-intro = 📝 <b>Topic test: { $topic }</b>
    { $count } { $count ->
        [one] question
       *[other] questions
    }, { $seconds } { $seconds ->
        [one] second
       *[other] seconds
    } each. Good luck!
quiz-test-result = 🏁 <b>Test finished: { $topic }</b>
    Score: { $correct } of { $total } right, +{ $points } { $points ->
        [one] point
       *[other] points
    }
    Rank in your branch: { $rank } of { $of } who finished so far

## Points and leaderboards
streak-bonus = 🔥 { $streak } { $streak ->
        [one] day
       *[other] days
    } in a row! Bonus: +{ $points } { $points ->
        [one] point
       *[other] points
    }
rank-week = 🏆 <b>Leaderboard — this week</b>
rank-season = 🏆 <b>Leaderboard — season: { $season }</b>
season-title-note = 🎖 When the season ends, the top { $top } of each branch and of the whole organization earn the title “{ $title }”.
rank-all-time = 🏆 <b>Leaderboard — all time</b>
rank-branch = Your branch: { $branch }
rank-organization = Everyone
rank-empty = No points yet.
rank-line = { $rank }. { $name } — { $points }
rank-line-me = 👉 { $rank }. <b>{ $name }</b> — { $points }
rank-mine = Your place: { $rank } ({ $points } { $points ->
        [one] point
       *[other] points
    })
rank-show-season = Show the season
rank-show-week = Show this week
rank-usage = I don't know the period “{ $input }”. Use /rank, /rank week or /rank season.
season-title-given = 🎖 Congratulations, { $name }! You are a <b>{ $title }</b>: place { $rank } in { $scope } with { $points } { $points ->
        [one] point
       *[other] points
    } this season.
me-points = ⭐ Points: { $points }
me-points-season = ⭐ Points: { $points } (this season, { $season }: { $season_points })
me-answers = 📝 Quiz answers: { $correct } of { $answered } right ({ $percent }%)
me-title = 🎖 { $title } — { $scope }, place { $rank }

## Stages and posters
stage-complete = 🎉 You have completed <b>{ $stage }</b>! Your learning poster is on its way.
stage-number = Stage { $number }
poster-none = You have no poster yet: one comes when you complete the first stage of your course.
poster-title = My learning poster
poster-days = Lessons done
poster-streak = Day streak
poster-points = Points
poster-date = { $date }
poster-footer = Learning every day, a little at a time
poster-caption = 🖼 Your learning poster. Share it in your group chats to invite others to learn too!

## Admins
me-away = 🧳 Working away from home since { $since } (/nearby: activities near you; /home when you are back)
me-id = 🆔 Your id: <code>{ $id }</code>
admin-refused = Sorry, this command is for admins. If you should have access, ask an owner of the bot.
admin-owner-only = Sorry, only the bot's owners can grant or revoke admin roles.
admin-out-of-scope = Sorry, that branch is outside the branches you administer.
admin-help-header = <b>Admin commands</b>
admin-help-footer = A member's ID is shown in their /me.
help-admins = /admins — who the owners and admins are
help-grant = /grant admin MEMBER, /grant branch_admin MEMBER BRANCH — make a member an admin of the whole organization, or of BRANCH and the branches under it (owners; a member by name or ID, a branch by name)
help-revoke = /revoke admin MEMBER, /revoke branch_admin MEMBER BRANCH — take a role back (owners)
help-broadcast = /broadcast — send an announcement (text, photo, audio or document)
help-broadcasts = /broadcasts — recent announcements and their counts
help-tag = /tag MEMBER TAG — put a member in a segment for announcements (e.g. elderly, rural)
help-untag = /untag MEMBER TAG — take a member out of a segment
help-quiztest = /quiztest TOPIC [BRANCH] — send a topic test now
help-stats = /stats [BRANCH] [week|season] — participation, lesson completion, quiz accuracy, points; /stats chart as a picture
help-export = /export [BRANCH] [week|season] — members' progress as a CSV table (opens in Excel)
help-branches = /branches — the organization tree with branch ids
help-branch_add = /branch_add PARENT NEW_ID NAME — add a branch (PARENT - for a top-level one)
help-branch_rename = /branch_rename ID NAME — rename a branch
help-branch_remove = /branch_remove ID — remove a branch with no branches or members under it
help-venues = /venues — the venues
help-venue_add = /venue_add ROW — add a venue (a row as in the venues CSV file)
help-venue_edit = /venue_edit ROW — change a venue
help-venue_remove = /venue_remove ID — remove a venue
help-activity_add = /activity_add ROW — add an activity (a row as in the activities CSV file)
help-activity_edit = /activity_edit ROW — change an activity
help-activity_cancel = /activity_cancel ID [reason] — cancel an activity
help-venue_stats = /venue_stats [VENUE] — RSVPs and attendance per activity and venue
admins-header = <b>Owners and admins</b>
admins-owner = 👑 { $name } (<code>{ $id }</code>) — owner
admins-admin = 🛡 { $name } (<code>{ $id }</code>) — admin of the whole organization
admins-branch-admin = 🛡 { $name } (<code>{ $id }</code>) — admin of { $branch }
grant-usage = Use: /grant admin MEMBER, or /grant branch_admin MEMBER BRANCH (and the same with /revoke). A member by name or ID (the ID is shown in their /me), a branch by name, e.g. /grant branch_admin Wang Taohua.
role-branch-admin = branch admin
role-admin = admin of the whole organization
admin-which = “{ $query }” fits several. Which one?
branch-unknown-id = There is no branch named or with the id “{ $branch }”.
grant-no-member = No member is named or has the id “{ $id }”. They need to send /start to the bot first.
grant-done = ✅ { $name } is now { $role } ({ $scope }).
grant-already = { $name } already is { $role } ({ $scope }).
revoke-done = ✅ { $name } is no longer { $role } ({ $scope }).
revoke-not-held = { $name } was not { $role } ({ $scope }).
quiztest-usage = Use: /quiztest TOPIC [BRANCH]. Topics: { $topics }
quiztest-unknown-topic = There is no topic “{ $topic }” with tests. Topics: { $topics }
quiztest-queued = 📝 The topic test “{ $topic }” is on its way to { $count } { $count ->
        [one] member
       *[other] members
    } ({ $scope }).
quiztest-nobody = No member in { $scope } has received a lesson of “{ $topic }” yet, so the test was not sent.

## Broadcasts
broadcast-ask-content = 📣 Send the announcement: a text, or a photo, audio file or document with a caption. /cancel stops.
broadcast-empty = The announcement is empty. Send a text, or a file with a caption.
broadcast-too-long = The announcement has { $length } { $length ->
        [one] character
       *[other] characters
    }; at most { $max } fit. Please shorten it.
broadcast-ask-audience = Who should receive it?
broadcast-to-everyone = Everyone
broadcast-to-my-branches = Everyone in my branches
broadcast-to-branch = A branch…
broadcast-to-migrant = Members working away from home
broadcast-to-tag = Members with a tag…
broadcast-to-inactive = Members inactive for…
broadcast-drop = ✖ Discard
broadcast-ask-branch = Which branch (with the branches under it)?
broadcast-branch-all = ✅ All of { $branch } (with the branches under it)
broadcast-branch-open = { $branch } ›
broadcast-ask-branch-in = { $branch }: which branch? (page { $page } of { $pages })
page-previous = ‹ Previous
page-next = Next ›
page-of = Page { $page } of { $pages }
broadcast-no-tags = No member has a tag yet. Admins add tags with /tag MEMBER TAG, e.g. /tag Wang elderly.
broadcast-ask-tag = Which tag?
broadcast-ask-inactive = Inactive (no check-in) for how long?
broadcast-inactive-label = no check-in for { $days } { $days ->
        [one] day
       *[other] days
    }
broadcast-tag-label = tag “{ $tag }”
broadcast-no-recipients = Nobody is in “{ $audience }” right now, so nothing would be sent. Choose another audience:
broadcast-preview-header = <b>Preview</b> — to { $audience }: <b>{ $count }</b> { $count ->
        [one] recipient
       *[other] recipients
    }. The message:
broadcast-confirm = Send it to { $count } { $count ->
        [one] member
       *[other] members
    }?
broadcast-send-now = ✅ Send now
broadcast-send-later = 🕒 Send later…
broadcast-ask-time = When? Send a date and time like “tomorrow 8 am”, “Friday 7 pm” or “{ $example }” ({ $zone }).
broadcast-dropped = The announcement was discarded.
broadcast-time-past = That time has passed. Send a time in the future, like “{ $example }”.
broadcast-time-invalid = I could not read “{ $input }” as a date and time. Try “tomorrow 8 am” or “{ $example }”.
broadcast-time-no-time = At what time on “{ $input }”? Add a time, like “tomorrow 8 am” or “{ $example }”.
broadcast-not-running = That announcement is not being sent (it is finished, cancelled or already confirmed).
broadcast-queued = 📣 Announcement #{ $id } is being sent to { $count } { $count ->
        [one] member
       *[other] members
    }. Progress follows.
broadcast-scheduled = 🕒 Announcement #{ $id } will be sent to { $count } { $count ->
        [one] member
       *[other] members
    } { $when }.
broadcast-cancelled = ✖ Announcement #{ $id }: { $count } unsent { $count ->
        [one] message was
       *[other] messages were
    } cancelled.
broadcast-cancel-button = ✖ Cancel the rest
broadcast-progress = 📣 <b>Announcement #{ $id }</b> — { $status }
    Sent: { $sent } · failed: { $failed } · blocked the bot: { $blocked } · remaining: { $remaining } · cancelled: { $cancelled } (of { $total })
broadcast-eta = About { $minutes } min { $seconds } s to go.
broadcast-status-sending = sending
broadcast-status-scheduled = scheduled
broadcast-cancel-scheduled = ✖ Cancel this scheduled announcement
broadcast-from = 📣 <b>{ $sender }</b>:{" "}
broadcast-status-done = finished
broadcast-status-cancelled = cancelled
broadcast-status-draft = draft
broadcasts-none = No announcements yet.
broadcasts-header = <b>Recent announcements</b>
broadcasts-line = #{ $id } { $when } · { $audience } · { $status } · sent { $sent }/{ $total }, failed { $failed }, blocked { $blocked }, cancelled { $cancelled }
tag-usage = Use: /tag MEMBER TAG or /untag MEMBER TAG, a member by name or ID. A tag is letters, digits, - or _, up to 30 bytes (e.g. elderly, rural, 老年).
tag-done = ✅ { $name } now has the tag “{ $tag }”.
untag-done = ✅ { $name } no longer has the tag “{ $tag }”.

## Statistics
stats-usage = I don't understand “{ $input }”. Usage: /stats [branch] [week|season] [chart], a branch by its name or part of it, e.g. /stats Donghu season or /stats Liucun chart
stats-no-season = No season is configured ([[season]] in points.toml). Try /stats week.
stats-no-branch = no branch
stats-period-week = this week (from { $monday })
stats-period-season = { $season } ({ $start } to { $end })
stats-header = 📊 <b>Study statistics</b> · { $scope } · { $period }
stats-row = { $n }. { $branch } — participation { $rate } ({ $participants }/{ $active })
stats-more-rows = …and { $count } more { $count ->
        [one] branch
       *[other] branches
    }; /export has them all
stats-total = <b>{ $scope }, total</b>
stats-organization = <b>Whole organization</b>
stats-figures = participation { $rate } ({ $participants }/{ $active } { $active ->
        [one] member
       *[other] members
    }) · { $checkins } { $checkins ->
        [one] check-in
       *[other] check-ins
    } · quiz accuracy { $accuracy } · { $points } { $points ->
        [one] point
       *[other] points
    } · members away { $migrant_rate } ({ $migrant_participants }/{ $migrant_active })
stats-lessons-header = <b>Lesson completion</b> (share of the members who received a lesson and checked in)
stats-lesson = Lesson { $seq } { $title } — { $rate } ({ $checked_in }/{ $assigned })
stats-chart-title = Participation by branch
export-caption = 📎 { $scope } · { $period } · progress of { $count } { $count ->
        [one] member
       *[other] members
    }
export-col-id = id
export-col-name = name
export-col-branch = branch
export-col-status = status
export-col-away = away from home
export-col-checkins = check-ins
export-col-answered = answers
export-col-correct = right answers
export-col-accuracy = accuracy (%)
export-col-points = points
export-col-lessons = lessons received
export-col-last-checkin = last check-in
export-yes = Yes
export-no = No
export-status-active = active
export-status-paused = paused
export-status-blocked = blocked the bot
export-status-left = left
nudge = 👋 { $name }, we haven't seen you studying for a few days. A few minutes a day add up — send /today for today's lesson!
rate-limited = ⏳ That was not carried out: you sent more than { $limit } { $limit ->
        [one] message
       *[other] messages
    } within a minute. Send it again in { $seconds } { $seconds ->
        [one] second
       *[other] seconds
    }. Until then, messages over the limit are not carried out either (this notice comes at most once a minute).
rate-limited-button = ⏳ Not carried out: too fast. Try again in { $seconds } { $seconds ->
        [one] second
       *[other] seconds
    }.

## The organization tree
branches-header = <b>The organization</b> (id name)
branches-footer = Change it: /branch_add PARENT NEW_ID NAME, /branch_rename ID NAME, /branch_remove ID
branch-edit-usage = Usage: /branch_add PARENT NEW_ID NAME (PARENT - for a top-level branch), /branch_rename ID NAME, /branch_remove ID. /branches shows the ids.
branch-bad-id = “{ $id }” cannot be a branch id: use 1-40 ASCII letters, digits, - _ or ., starting with a letter or a digit (e.g. qingshan.donghu.xincun).
branch-bad-name = A branch name is 1-60 characters on one line.
branch-name-hidden-characters = A branch name cannot contain invisible characters that turn the text around or come from a file (direction marks, a byte-order mark). Type the name again.
branch-name-invisible = That branch name has nothing one could see (only spaces, zero-width or combining characters).
branch-exists = There is a branch with the id “{ $id }” already.
branch-has-branches = There are branches under { $branch }: remove or move them first.
branch-has-members = { $branch } still has { $count } { $count ->
        [one] member
       *[other] members
    } and cannot be removed. They can choose another branch in /settings.
branch-added = ✅ Branch { $branch } added (id <code>{ $id }</code>).
branch-renamed = ✅ Branch <code>{ $id }</code> is now { $branch }.
branch-removed = ✅ Branch { $branch } removed.

## Migrant members: away from home, nearby activities, attendance
away-started = 🧳 You are now marked as working away from home. You stay in your home branch ({ $branch }): its lessons, announcements and rankings keep coming. Share where you are to find study activities at venues near you.
away-already = You are already marked as working away from home.
home-already = You are not marked as away from home. /away marks you as working away.
home-done = 🏠 Welcome home: you are no longer marked as away. { $count ->
        [0] No location of yours is stored.
        [one] One stored location is deleted after { $days } { $days ->
            [one] day
           *[other] days
        }; /forget_location deletes it now.
       *[other] { $count } stored locations are deleted after { $days } { $days ->
            [one] day
           *[other] days
        }; /forget_location deletes them now.
    }
location-consent = 📍 To show activities near you, I need to store the locations you share. They are used only for that and for checking you in at activities, and are deleted after { $days } { $days ->
        [one] day
       *[other] days
    } (or at once with /forget_location). Do you agree?
location-consent-yes = ✅ I agree
location-consent-no = No, thanks
location-consent-thanks = Thank you. Now share your location with the button below (or attach a location; a live location checks you in at activities automatically).
location-consent-declined = All right: nothing is stored. Your lessons go on as before; /away asks again if you change your mind.
location-share = 📍 Share your location with the button below to see activities near you.
location-button = 📍 Share my location
location-invalid = That location is not valid: the latitude must be -90 to 90 and the longitude -180 to 180.
location-saved = 📍 Location saved.
location-forgotten = 🗑 { $count ->
        [0] No location of yours was stored.
        [one] Your one stored location was deleted.
       *[other] Your { $count } stored locations were deleted.
    } I will ask before storing one again.
nearby-usage = “{ $input }” is not a distance. Use /nearby for the default, or /nearby 25 for 25 km (at most { $max } km).
nearby-need-location = I don't know where you are yet: share your location with the button below, then send /nearby again.
nearby-none = No activities within { $km } km in the next { $days } { $days ->
        [one] day
       *[other] days
    }. Try a wider search, e.g. /nearby 25.
nearby-header = <b>Activities within { $km } km in the next { $days } { $days ->
        [one] day
       *[other] days
    }</b>
nearby-item = { $number }. <b>{ $title }</b> — { $venue }, { $distance }
    🕒 { $time }
nearby-more = … and more: use a smaller radius to see only the nearest.
activity-time = { $start }–{ $end }
distance-m = { $m } m
distance-km = { $km } km
button-going = { $number ->
        [0] ✋ I'll go
       *[other] ✋ { $number } I'll go
    }
button-not-going = { $number ->
        [0] ↩ I can't go
       *[other] ↩ { $number } can't go
    }
button-map = { $number ->
        [0] 🗺 Show on map
       *[other] 🗺 { $number } map
    }
rsvp-done = ✅ You're on the list for <b>{ $title }</b> at { $venue }, { $time }. I'll remind you the day before and one hour before.
rsvp-already = You are already on the list for <b>{ $title }</b> at { $venue }, { $time }.
rsvp-withdrawn = ↩ You are no longer on the list for <b>{ $title }</b>; its reminders are off.
rsvp-none = You were not on the list for <b>{ $title }</b>.
rsvp-cancelled-activity = Sorry, <b>{ $title }</b> was cancelled. { $note }
rsvp-ended = <b>{ $title }</b> is already over.
rsvp-full = Sorry, <b>{ $title }</b> is full ({ $capacity } { $capacity ->
        [one] place
       *[other] places
    }).
digest-header = 📅 <b>This week near you</b>
activity-new = 🆕 <b>New activity near you</b>
    <b>{ $title }</b> — { $venue }, { $distance }
    🕒 { $time }
    { $description }
reminder-day = ⏰ Tomorrow: <b>{ $title }</b> at { $venue } { $address }
    🕒 { $time }
reminder-hour = ⏰ In one hour: <b>{ $title }</b> at { $venue } { $address }
    🕒 { $time }
    Share your location when you arrive to be checked in.
activity-cancelled = ❌ <b>{ $title }</b> at { $venue } ({ $time }) was cancelled. { $note }
activity-changed = 🔁 <b>{ $title }</b> has changed: now at { $venue }, { $time }. Your reminders follow the new time.
attendance-recorded = ✅ Checked in at <b>{ $title }</b> ({ $venue }): +{ $points } { $points ->
        [one] point
       *[other] points
    }. Thank you for coming!
attendance-already = You are already checked in at <b>{ $title }</b>.
attendance-too-early = Check-in for <b>{ $title }</b> opens { $opens }. Share your location again then.
attendance-ended = <b>{ $title }</b> is over: check-in has closed.
attendance-too-far = You are { $distance } from the venue of <b>{ $title }</b>: check-in needs you within { $max }.

## Venues and activities (admins)
venues-none = No venues yet. Add one with /venue_add or import a file with weike import venues.
venues-header = <b>Venues ({ $count })</b> (id · name · position · push radius · branch)
venues-line = <code>{ $id }</code> · { $name } · { $lat }, { $lon } · { $km } km · { $branch }
list-more = … and { $count } more.
venue-usage = Use: /venue_add ID,NAME,LAT,LON[,ADDRESS[,RADIUS_KM[,BRANCH]]] — the columns of the venues CSV file, e.g. /venue_add pd-01,浦东红色驿站,31.2304,121.4737,世纪大道 100 号,10,sh. /venue_edit takes the same row for an existing venue.
activity-usage = Use: /activity_add ID,VENUE,TITLE,START,END[,TIMEZONE[,CAPACITY[,DESCRIPTION]]] — the columns of the activities CSV file; START and END as people write them (“tomorrow 19:00”, “Friday 7 pm”, “Dec 15 19:00”; END may be a time alone), e.g. /activity_add pd-1203,pd-01,Study session,Friday 7 pm,21:00. /activity_edit takes the same row for an existing activity.
row-invalid = That row is not valid: { $problems }
venue-exists = There already is a venue <code>{ $id }</code>: use /venue_edit to change it.
venue-unknown = There is no venue <code>{ $id }</code>. /venues lists them.
venue-added = ✅ Venue <code>{ $id }</code> added: { $name } ({ $lat }, { $lon }), new activities are pushed to migrant members within { $km } km.
venue-updated = ✅ Venue <code>{ $id }</code> updated: { $name } ({ $lat }, { $lon }), push radius { $km } km.
venue-has-activities = { $name } still has { $count } upcoming { $count ->
        [one] activity
       *[other] activities
    }: cancel them first (/activity_cancel).
venue-removed = 🗑 Venue { $name } removed.
activity-exists = There already is an activity <code>{ $id }</code>: use /activity_edit to change it.
activity-unknown = There is no activity <code>{ $id }</code>.
activity-not-scheduled = The activity <code>{ $id }</code> was cancelled: it can no longer be changed.
activity-in-past = That activity would already be over: check its end time.
activity-added = ✅ Activity <code>{ $id }</code> added: <b>{ $title }</b> at { $venue }, { $time }. { $count ->
        [0] No migrant member is near the venue right now.
        [one] One migrant member nearby is being told.
       *[other] { $count } migrant members nearby are being told.
    }
activity-updated = ✅ Activity <code>{ $id }</code> updated: <b>{ $title }</b> at { $venue }, { $time }. { $count ->
        [0] Nobody needed to be told.
        [one] One member who said they'd go is being told.
       *[other] { $count } members who said they'd go are being told.
    }
activity-cancel-usage = Use: /activity_cancel ID [reason] (the reason at most 200 characters).
activity-cancel-done = ❌ <b>{ $title }</b> cancelled. { $count ->
        [0] Nobody had said they'd go.
        [one] The one member who said they'd go is being told.
       *[other] The { $count } members who said they'd go are being told.
    }
venue-stats-none = No activities in the last { $days } { $days ->
        [one] day
       *[other] days
    } or ahead.
venue-stats-header = <b>Venue activities</b> (the last { $days } { $days ->
        [one] day
       *[other] days
    } and ahead): RSVPs / attended
venue-stats-venue = 🏛 <b>{ $name }</b> (<code>{ $id }</code>): { $activities } { $activities ->
        [one] activity
       *[other] activities
    }, { $rsvps } { $rsvps ->
        [one] RSVP
       *[other] RSVPs
    }, { $attended } attended
venue-stats-activity = · { $time } { $title } (<code>{ $id }</code>): { $rsvps } / { $attended }
venue-stats-cancelled = · { $time } <s>{ $title }</s> (<code>{ $id }</code>, cancelled): { $rsvps } / { $attended }

## Problems in venue and activity rows (weike import, /venue_add, /activity_add and their edits)
# Plain text, not HTML: the code escapes them where needed. They follow "file:line: " or
# row-invalid. Quoted values are as written in the row, with invisible characters escaped.
# Columns by name in words, for problems of a row written in a chat.
csv-field-id = id
csv-field-name = name
csv-field-lat = latitude
csv-field-lon = longitude
csv-field-address = address
csv-field-radius-km = push radius
csv-field-branch = branch
csv-field-venue = venue
csv-field-title = title
csv-field-start = start
csv-field-end = end
csv-field-timezone = time zone
csv-field-capacity = capacity
csv-field-description = description
csv-empty-file = the file is empty: expected a header row with the columns { $required } (and optionally the others of { $columns })
csv-unreadable = unreadable CSV: { $error }
csv-encoding = the file is not UTF-8 text from this line on: save it as "CSV UTF-8"
csv-column-unnamed = column { $number } has no name
csv-column-twice = column "{ $column }" appears twice
csv-column-unknown = unknown column "{ $column }": the columns are { $columns }
csv-column-missing = missing required column "{ $column }"
csv-field-count = the row has { $fields } { $fields ->
        [one] field
       *[other] fields
    } but the header has { $header }
csv-required = { $column } is required
csv-id-invalid = { $column } "{ $value }" is not a valid id: use 1 to { $max } { $max ->
        [one] character
       *[other] characters
    } from a-z, 0-9, '-', '_' and '.'
csv-id-duplicate = duplicate { $column } "{ $value }": already used on line { $line }
csv-line-break = { $column } contains a line break or other control character
csv-control-character = { $column } contains a control character
csv-hidden-characters = { $column } contains an invisible character that turns the text around or comes from a file (a direction control or a byte-order mark)
csv-invisible = { $column } has no visible character (only spaces, zero-width or combining characters)
csv-too-long = { $column } is { $length } { $length ->
        [one] character
       *[other] characters
    } long: use at most { $max }
csv-not-a-number = { $column } "{ $value }" is not a number
csv-latitude-not-finite = latitude { $value } is not a finite number
csv-longitude-not-finite = longitude { $value } is not a finite number
csv-latitude-range = latitude { $value } is out of range: use -90 to 90
csv-longitude-range = longitude { $value } is out of range: use -180 to 180
csv-radius-range = { $column } { $value } is out of range: use { $min } to { $max }
csv-branch-unknown = branch "{ $value }" is not a branch id (see /branches or the branches file)
csv-venue-unknown = venue "{ $value }" is not a known venue id
csv-timezone-unknown = timezone "{ $value }" is not an IANA time zone name (e.g. { $example })
csv-time-invalid = { $column } "{ $value }" is not a date and time: use { $format }
csv-time-skipped = { $column } { $time } does not exist in { $timezone } (the clocks skip it, e.g. for daylight saving time)
csv-capacity-invalid = { $column } "{ $value }" is not a positive whole number
csv-activity-too-long = lasts { $hours } { $hours ->
        [one] hour
       *[other] hours
    }: an activity lasts at most { $max } { $max ->
        [one] hour
       *[other] hours
    } (make one row per day for a longer event)
csv-end-at-start = ends at { $end } when it starts: the end must be after the start
csv-end-before-start = ends at { $end } before it starts at { $start }
# Between the problems of one row in row-invalid.
csv-problem-separator = {"; "}

## When something goes wrong

# Sent to a member after their message or button press failed every attempt (it is kept,
# and an admin can have it handled again).
update-failed-apology = Sorry, I couldn't handle your last message, and the problem has been noted. Please try again in a moment, or send /help to see what I can do.
# Shown when a text is missing in every language (should never happen: tests check every key).
text-missing = Sorry, a text is missing here; we will add it soon.

# WeCom cannot ask for a member's location with a button: after a location request, how to share it.
wecom-location-howto = 📍 To share your position in WeCom: tap "+" next to the input box and choose "Location"; or turn on "Report location" in this app's settings, and your position is reported each time you open the app (once you agreed to keeping locations, arriving at an activity checks you in).
# Dates and times as members read them (domain/when.rs, I18n::when): relative days
# with the weekday, a 12-hour clock, and the zone's name when it is not the member's own.
weekday-mon = Monday
weekday-tue = Tuesday
weekday-wed = Wednesday
weekday-thu = Thursday
weekday-fri = Friday
weekday-sat = Saturday
weekday-sun = Sunday
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
# $hh and $mm: the hour (0-23) and the minute in two digits; $hour12 and $minute are
# numbers, $pm is 1 after noon (a language may use any of them).
clock = { $minute ->
        [0] { $hour12 }
       *[other] { $hour12 }:{ $mm }
    } { $pm ->
        [1] pm
       *[0] am
    }
when-yesterday = yesterday at { $clock }
when-today = today at { $clock }
when-tomorrow = tomorrow ({ $weekday }) at { $clock }
when-this-week = { $weekday } at { $clock }
when-date = { $weekday } { $day } { $monthname } at { $clock }
when-full-date = { $weekday } { $day } { $monthname } { $year } at { $clock }
when-in-zone = { $when } ({ $zone })
day-yesterday = yesterday
day-today = today
day-tomorrow = tomorrow ({ $weekday })
day-this-week = { $weekday }
day-date = { $weekday } { $day } { $monthname }
day-full-date = { $weekday } { $day } { $monthname } { $year }
# Time zones people name by a city (domain/zone.rs); others show their IANA name.
zone-asia-shanghai = Beijing time
zone-asia-urumqi = Urumqi time
zone-asia-hong-kong = Hong Kong time
zone-asia-macau = Macau time
zone-asia-taipei = Taipei time
zone-asia-singapore = Singapore time
zone-asia-tokyo = Tokyo time
zone-asia-seoul = Seoul time
zone-asia-dubai = Dubai time
zone-europe-london = London time
zone-europe-paris = Paris time
zone-europe-berlin = Berlin time
zone-europe-moscow = Moscow time
zone-america-new-york = New York time
zone-america-los-angeles = Los Angeles time
zone-australia-sydney = Sydney time

# What members type when no question is open (domain/intent.rs): one phrase per line, matched
# after removing spaces and end punctuation, in lower case. Every language's tables are read,
# whatever the member's language. A check-in, greeting or thanks phrase must be the whole
# message; a listen phrase may be part of it ("请问怎么听？").
phrases-checkin =
    done
    ok
    okay
    finished
    i'm done
    im done
    check in
    checkin
    read it
    listened
    got it
phrases-listen =
    how to listen
    how do i listen
    can't hear
    cant hear
    no sound
    audio
    voice message
phrases-greeting =
    hello
    hi
    hey
    good morning
    good evening
phrases-thanks =
    thanks
    thank you
    thx
    many thanks

# Lesson times as typed (domain/time_input.rs): a reading to confirm first.
time-confirm = Did you mean <b>{ $time }</b>? That is very early (or looks like a button's number). Press the button to confirm, or type the time again, e.g. 7:30 or 8 pm.
time-confirm-yes = ✅ Yes, { $time }
# The delivery forecast (domain/capacity.rs): the chosen time is overloaded.
time-slot-busy = ⏳ Many members chose { $time }: lessons at that time are expected to arrive about { $minutes } { $minutes ->
        [one] minute
       *[other] minutes
    } late. At { $better } you would get yours on time; or keep your choice.
time-slot-take = Change to { $better }
time-slot-busy-no-other = ⏳ Many members chose { $time }: lessons at that time are expected to arrive about { $minutes } { $minutes ->
        [one] minute
       *[other] minutes
    } late.
# Several branches match what the member typed.
branch-matches = { $count } { $count ->
        [one] branch matches
       *[other] branches match
    } “{ $input }”; please choose:

help-capacity = /capacity — members per lesson-time slot in the next 24 hours, when each slot's lessons finish going out, and the slots that run late
# /capacity: the delivery forecast (domain/capacity.rs).
capacity-header = 📦 Lessons going out in the next 24 hours ({ $rate } messages a second, about { $per } messages a lesson, earliest due first):
capacity-none = No lessons to send in the next 24 hours.
capacity-slot = { $when } · { $members } { $members ->
        [one] member
       *[other] members
    } · done { $finish }
capacity-slot-late = ⚠️ { $when } · { $members } { $members ->
        [one] member
       *[other] members
    } · done { $finish } (the last wait about { $minutes } { $minutes ->
        [one] minute
       *[other] minutes
    })
capacity-more = …and { $count } more { $count ->
        [one] slot
       *[other] slots
    }
capacity-overloaded = ⚠️ In { $count } { $count ->
        [one] slot
       *[other] slots
    } members wait more than 30 minutes: members can move to quieter times (they are offered one when they choose), or paid broadcasts raise the rate.
capacity-on-time = ✅ Every slot goes out within 30 minutes.

# Typed text when no question is open (conversation/router.rs, domain/intent.rs).
typed-checkin-which = All right, checking you in to “{ $lesson }”:
typed-checkin-none = You have checked in to every recent lesson. See you tomorrow!
typed-listen = 🔊 The lesson's voice message is under its text: tap it to play. If you hear nothing, turn the volume up or switch silent mode off.
typed-greeting = Hello! A short lesson arrives here every day. Send /today to see today's lesson again, /me for your progress, /help for everything I can do.
typed-thanks = You're welcome! A little every day — see you tomorrow.
typed-media = Got it, thank you! I can't read pictures, voice messages or stickers yet. After a lesson, press “Done — check in” or just send “done”; send /help to see what I can do.
not-understood-suggest = I didn't understand that. Did you mean one of these?
    (Send /help to see every command.)
quiz-pick-number = Please reply with the number of an option, from 1 to { $count }.
day-closed = 🌙 That's today's learning done! Today: +{ $points } { $points ->
        [one] point
       *[other] points
    }, streak { $streak } { $streak ->
        [one] day
       *[other] days
    }. Next lesson: { $when }.
