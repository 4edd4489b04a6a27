# weike: English messages. Text is sent with Telegram's HTML subset: only <b>, <i>, <u>,
# <s>, <code>, <pre>, <a>, <blockquote>; write &lt; &gt; &amp; for < > &.

language-name = English

## Onboarding
welcome = 👋 Welcome to <b>Weike</b> — one short lesson a day, right here in your chat.
    A few quick questions first.
ask-language = Which language would you like?
language-invalid = Please choose one of the languages with the buttons (or send 1, 2 or 3).
ask-name = What should we call you? Send your name (at most { $max } characters).
name-empty = The name is empty. Please send your name as text.
name-too-long = That is too long: at most { $max } characters, please.
name-invalid = A name cannot start with “/” or contain control characters. Please send your name as plain text.
ask-branch = Which branch do you belong to? Choose with the buttons, or send the number or the name.
ask-branch-in = { $parent }: choose your branch.
branch-this = ✔ { $branch } itself
branch-up = ⬅ Back
branch-not-found = There is no branch “{ $input }” here. Choose one of the buttons, or send its number.
branch-chosen = Branch: <b>{ $branch }</b>
ask-time = Lessons arrive every day at <b>{ $time }</b>. Keep that, or send another time such as 06:45 or 20:00.
keep-time = Keep { $time }
time-invalid = “{ $input }” is not a time of day. Send hours and minutes from 00:00 to 23:59, for example 07:30.
ask-timezone = Your time zone is <b>{ $tz }</b>. Keep it, choose another, or send a time zone name such as Asia/Urumqi or Europe/Berlin.
keep-timezone = Keep { $tz }
timezone-invalid = “{ $input }” is not a time zone name. Send one like Asia/Shanghai, or choose a button.
onboarding-done = ✅ All set, { $name }!
    Branch: { $branch }
    Course: <b>{ $course }</b>
    Your first lesson arrives { $when }.
    After reading, press “✅ Done — check in”. /help lists everything I can do.
finish-onboarding-first = Let's finish setting up first.
start-again = Welcome back, { $name }! Here is where you are:

## Commands
help = <b>What I can do</b>
    /today — today's lesson again
    /me — your lessons, streak and progress
    /settings — language, name, branch, lesson time, time zone
    /pause — stop the daily lessons for now
    /resume — start them again
    /help — this list
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

## Lessons
lesson-header = 📖 { $course } · Lesson { $seq } of { $total }
audio-caption = 🔊 Listen: { $title }
checkin-button = ✅ Done — check in
checkin-done-button = ✅ Checked in
checkin-recorded = ✅ Checked in! Streak: { $streak } { $streak ->
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
me-course = 📚 { $course }: { $done } checked in, { $received } received, { $total } lessons in all
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
    :quit             leave (everything is kept in the database)
    A bare number presses that button of the latest message with buttons.
console-clock = 🕰 Bot clock: { $time } ({ $tz })
console-clock-invalid = “{ $input }” is not a clock change. Try :clock +1d or :clock 07:30.
console-unknown = Unknown console command “:{ $input }”. :help lists them.
