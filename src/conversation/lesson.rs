//! A lesson as the messages a member receives.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::channel::{AudioRef, Keyboard, Outbound};
use crate::content::markdown::escape_html;
use crate::content::{Course, Lesson, lesson_html};
use crate::domain::Locale;
use crate::i18n::I18n;
use crate::t;

pub fn checkin_keyboard(
    i18n: &I18n,
    locale: Locale,
    course: &str,
    lesson: &str,
    done: bool,
) -> Keyboard {
    let label = if done {
        t!(i18n, locale, "checkin-done-button")
    } else {
        t!(i18n, locale, "checkin-button")
    };
    // At most 64 bytes: the id limits of `weike lessons check` guarantee it.
    let action = super::action::Action::CheckIn {
        course: course.to_string(),
        lesson: lesson.to_string(),
    };
    vec![vec![action.button(label)]]
}

/// The messages of one lesson: the text (header, title, body) and the audio if the lesson
/// has one (without the channel's file id: sending adds the one the channel gave before).
/// The check-in button goes under the last message.
pub fn lesson_messages(
    i18n: &I18n,
    locale: Locale,
    course: &Course,
    lesson: &Lesson,
    checked_in: bool,
) -> Vec<Outbound> {
    let version = lesson.version(locale, course.default_locale);
    let header = t!(
        i18n,
        locale,
        "lesson-header",
        course = escape_html(course.title(locale)),
        seq = lesson.seq,
        total = course.lessons.len()
    );
    let html = lesson_html(&header, version);
    let keyboard = checkin_keyboard(i18n, locale, &course.id, &lesson.id, checked_in);
    match &version.audio {
        None => vec![Outbound::with_buttons(html, keyboard)],
        Some(audio) => vec![
            Outbound::text(html),
            Outbound::Audio {
                audio: AudioRef {
                    path: audio.path.clone(),
                    sha256: audio.sha256.clone(),
                    kind: audio.kind,
                    file_id: None,
                },
                caption_html: t!(
                    i18n,
                    locale,
                    "audio-caption",
                    title = escape_html(&version.title)
                ),
                buttons: keyboard,
            },
        ],
    }
}

/// `2026-11-25 07:30` in the member's zone.
pub fn local_time_label(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}
