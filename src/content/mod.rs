//! Lessons as files: loading and validating `lessons/<course>/`.
//!
//! ```text
//! lessons/safety/course.toml
//! lessons/safety/01-road-safety.zh-CN.md     +++ TOML front matter +++ then Markdown
//! lessons/safety/01-road-safety.zh-TW.md
//! lessons/safety/01-road-safety.en.md
//! lessons/safety/audio/01-road-safety.zh-CN.ogg
//! ```
//! Every problem is reported as `file:line: problem`; loading collects all of them.
//! Warnings (a lesson longer than one message) are reported the same way but do not refuse
//! the lessons ([`Library::check`]). Every file read must resolve, links followed, inside
//! the lessons folder, and is refused by its size before it is read ([`limits`]).

pub mod markdown;
pub mod structure;

pub use structure::{Stage, TestSettings, Topic};

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::domain::Locale;
use crate::domain::branch::line_of;
use crate::domain::schedule::DaySchedule;
use crate::domain::text::{excerpt, excerpt_quotes};

/// Telegram's limits that lesson content must respect, and the size of a micro-lesson.
pub mod limits {
    pub const LESSON_ID: usize = 40;
    pub const COURSE_ID: usize = 20;
    pub const TITLE: usize = 100;
    pub const QUIZ_ID: usize = 20;
    pub const QUESTION: usize = 300;
    pub const OPTIONS_MIN: usize = 2;
    pub const OPTIONS_MAX: usize = 10;
    pub const OPTION: usize = 100;
    pub const EXPLANATION: usize = 200;
    pub const EXPLANATION_LINE_FEEDS: usize = 2;
    /// Bots may upload files up to 50 MB; keep lessons far below.
    pub const AUDIO_BYTES: u64 = 20 * 1024 * 1024;
    /// Telegram's longest text message: 4,096 characters (UTF-16 units) of visible text.
    pub const MESSAGE_CHARS: usize = 4096;
    /// Room kept at the start of a lesson's first message for the header the bot puts
    /// there (`📖 <course title> · 第 3 课（共 15 课）`), when its messages are counted.
    pub const HEADER_ROOM: usize = 160;
    /// A micro-lesson is read in one sitting of a few minutes: one message of 4,096
    /// characters is already some 8 minutes of Chinese (about 500 characters a minute) or
    /// 3 of English. A lesson in more messages than this is a warning: it arrives in
    /// pieces, and the check-in button sits under the last one only.
    pub const LESSON_MESSAGES_WARN: usize = 1;
    /// More messages than this (16,384 characters, half an hour of Chinese) is not a
    /// micro-lesson, and more than the courier's per-chat burst of 3 messages plus the
    /// audio: it is refused. (A 50 MB file would be some 12,800 messages per member.)
    pub const LESSON_MESSAGES_MAX: usize = 4;
    /// The largest lesson file or `course.toml` that is read at all (refused by its size,
    /// before it is read). A lesson within [`LESSON_MESSAGES_MAX`] is at most 16,384
    /// characters of text, 48 KiB of UTF-8 Chinese, plus Markdown, links and up to ten quiz
    /// questions in the front matter (about 45 KiB more at most): 256 KiB holds any lesson
    /// that can pass, and keeps a huge file from being read and rendered.
    pub const FILE_BYTES: u64 = 256 * 1024;
}

/// One problem in a content file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    pub file: PathBuf,
    pub line: usize,
    pub problem: String,
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.problem)
    }
}

/// All the problems found; loading fails if there is at least one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ContentErrors(pub Vec<ContentError>);

impl fmt::Display for ContentErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AudioKind {
    /// Ogg/Opus: sent as a voice message, played inline.
    Voice,
    /// MP3 or M4A: sent as an audio file.
    Audio,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioFile {
    pub path: PathBuf,
    pub kind: AudioKind,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: String,
    pub question: String,
    pub options: Vec<String>,
    /// 0-based index of the correct option.
    pub answer: usize,
    pub explanation: String,
}

/// A lesson in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonVersion {
    pub file: PathBuf,
    pub title: String,
    pub body_markdown: String,
    /// The body rendered to Telegram's HTML subset.
    pub body_html: String,
    pub audio: Option<AudioFile>,
    pub quiz: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lesson {
    pub id: String,
    /// 1-based position in the course.
    pub seq: u32,
    pub versions: BTreeMap<Locale, LessonVersion>,
    /// Hash of all versions' content, to notice edited lessons.
    pub version_hash: String,
}

impl Lesson {
    /// The version in `locale`, or the course's default one.
    pub fn version(&self, locale: Locale, default: Locale) -> &LessonVersion {
        self.versions
            .get(&locale)
            .or_else(|| self.versions.get(&default))
            .or_else(|| self.versions.values().next())
            .expect("a loaded lesson has at least its default version")
    }
}

#[derive(Debug, Clone)]
pub struct Course {
    pub id: String,
    pub dir: PathBuf,
    pub default_locale: Locale,
    pub titles: BTreeMap<Locale, String>,
    pub schedule: DaySchedule,
    pub lessons: Vec<Lesson>,
    /// Stages (a poster after each); empty when the course defines none.
    pub stages: Vec<Stage>,
    /// Topics (专题) whose questions make up topic tests.
    pub topics: Vec<Topic>,
    /// When topic tests are sent, if they are scheduled.
    pub test: Option<TestSettings>,
}

impl Course {
    pub fn title(&self, locale: Locale) -> &str {
        self.titles
            .get(&locale)
            .or_else(|| self.titles.get(&self.default_locale))
            .map(String::as_str)
            .unwrap_or(&self.id)
    }

    /// The lesson at 1-based position `seq`.
    pub fn lesson(&self, seq: u32) -> Option<&Lesson> {
        self.lessons.get(usize::try_from(seq).ok()?.checked_sub(1)?)
    }

    pub fn lesson_by_id(&self, id: &str) -> Option<&Lesson> {
        self.lessons.iter().find(|l| l.id == id)
    }

    /// The stage that ends with lesson `seq`, if one does.
    pub fn stage_ending_at(&self, seq: u32) -> Option<&Stage> {
        self.stages.iter().find(|s| s.last_seq == seq)
    }

    pub fn stage(&self, number: u32) -> Option<&Stage> {
        self.stages.iter().find(|s| s.number == number)
    }

    pub fn topic(&self, id: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.id == id)
    }

    /// The (first) topic a lesson belongs to.
    pub fn topic_of(&self, lesson_id: &str) -> Option<&Topic> {
        self.topics
            .iter()
            .find(|t| t.lessons.iter().any(|l| l == lesson_id))
    }

    /// The keys of a lesson's quiz questions.
    pub fn question_keys(&self, lesson: &Lesson) -> Vec<String> {
        lesson
            .version(self.default_locale, self.default_locale)
            .quiz
            .iter()
            .map(|q| question_key(&self.id, &lesson.id, &q.id))
            .collect()
    }
}

/// A question's key in the store: `course:lesson:question`.
pub fn question_key(course: &str, lesson: &str, question: &str) -> String {
    format!("{course}:{lesson}:{question}")
}

/// A question found by its key, in one language.
#[derive(Debug, Clone, Copy)]
pub struct FoundQuestion<'a> {
    pub course: &'a Course,
    pub lesson: &'a Lesson,
    pub question: &'a Question,
}

/// A value from a file as a problem quotes it: an excerpt ([`excerpt`]), in `{:?}` form.
pub(crate) fn quote(text: &str) -> String {
    format!("{:?}", excerpt(text))
}

/// A lesson's text as the bot sends it (before splitting into messages): the header line,
/// the title in bold, a blank line, the body.
pub fn lesson_html(header_html: &str, version: &LessonVersion) -> String {
    format!(
        "{header_html}\n<b>{}</b>\n\n{}",
        markdown::escape_html(&version.title),
        version.body_html
    )
}

/// How many text messages a lesson version takes: [`lesson_html`] with a header of
/// [`limits::HEADER_ROOM`] characters, split as the Telegram channel splits it.
pub fn message_count(version: &LessonVersion) -> usize {
    let header = "-".repeat(limits::HEADER_ROOM);
    markdown::split_html(&lesson_html(&header, version), limits::MESSAGE_CHARS).len()
}

/// Messages a lesson takes on average (text parts, and the audio when there is one), over
/// every lesson in the default language; 1 for an empty library.
pub fn messages_per_lesson(library: &Library) -> f64 {
    let counts: Vec<usize> = library
        .courses
        .iter()
        .flat_map(|c| &c.lessons)
        .filter_map(|l| {
            l.versions
                .get(&Locale::DEFAULT)
                .or(l.versions.values().next())
        })
        .map(|v| message_count(v) + usize::from(v.audio.is_some()))
        .collect();
    if counts.is_empty() {
        return 1.0;
    }
    counts.iter().sum::<usize>() as f64 / counts.len() as f64
}

/// Every course under the lessons folder.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub courses: Vec<Course>,
}

impl Library {
    pub fn course(&self, id: &str) -> Option<&Course> {
        self.courses.iter().find(|c| c.id == id)
    }

    /// The question with key `course:lesson:question`, in `locale` (or the course's default).
    pub fn question(&self, key: &str, locale: Locale) -> Option<FoundQuestion<'_>> {
        let mut parts = key.splitn(3, ':');
        let (c, l, q) = (parts.next()?, parts.next()?, parts.next()?);
        let course = self.course(c)?;
        let lesson = course.lesson_by_id(l)?;
        let question = lesson
            .version(locale, course.default_locale)
            .quiz
            .iter()
            .find(|x| x.id == q)?;
        Some(FoundQuestion {
            course,
            lesson,
            question,
        })
    }

    pub fn lesson_count(&self) -> usize {
        self.courses.iter().map(|c| c.lessons.len()).sum()
    }

    /// Loads and validates every course folder under `dir` (a folder holding a
    /// `course.toml`), or `dir` itself if it is a course folder. Warnings are logged.
    pub fn load(dir: &Path) -> Result<Library, ContentErrors> {
        let (library, warnings) = Library::check(dir);
        for w in &warnings {
            tracing::warn!("{w}");
        }
        library
    }

    /// [`Library::load`] with the warnings returned (`weike lessons check` prints them):
    /// things to look at that do not refuse the lessons, whether or not there are problems.
    pub fn check(dir: &Path) -> (Result<Library, ContentErrors>, Vec<ContentError>) {
        let mut warnings = Vec::new();
        let library = Library::check_into(dir, &mut warnings);
        (library, warnings)
    }

    fn check_into(dir: &Path, warnings: &mut Vec<ContentError>) -> Result<Library, ContentErrors> {
        let mut errors = Vec::new();
        let mut courses = Vec::new();
        // Files are read only if they resolve inside this folder.
        let root = dir.canonicalize().map_err(|e| {
            ContentErrors(vec![ContentError {
                file: dir.to_path_buf(),
                line: 0,
                problem: format!("cannot read the lessons folder: {e}"),
            }])
        })?;
        let course_dirs = if dir.join("course.toml").is_file() {
            vec![dir.to_path_buf()]
        } else {
            match std::fs::read_dir(dir) {
                Ok(entries) => {
                    let mut dirs: Vec<PathBuf> = entries
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| p.join("course.toml").is_file())
                        .collect();
                    dirs.sort();
                    dirs
                }
                Err(e) => {
                    return Err(ContentErrors(vec![ContentError {
                        file: dir.to_path_buf(),
                        line: 0,
                        problem: format!("cannot read the lessons folder: {e}"),
                    }]));
                }
            }
        };
        if course_dirs.is_empty() {
            errors.push(ContentError {
                file: dir.to_path_buf(),
                line: 0,
                problem: "no course found: expected folders with a course.toml".into(),
            });
        }
        for course_dir in course_dirs {
            if let Some(course) = load_course(&course_dir, &root, &mut errors, warnings) {
                if courses.iter().any(|c: &Course| c.id == course.id) {
                    errors.push(ContentError {
                        file: course_dir.join("course.toml"),
                        line: 1,
                        problem: format!(
                            "course id {:?} is used by another course folder",
                            course.id
                        ),
                    });
                }
                courses.push(course);
            }
        }
        if errors.is_empty() {
            Ok(Library { courses })
        } else {
            Err(ContentErrors(errors))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseFile {
    id: Spanned<String>,
    #[serde(default)]
    default_locale: Option<Spanned<String>>,
    #[serde(default)]
    schedule: Option<Spanned<String>>,
    #[serde(default)]
    title: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    stage_size: Option<Spanned<i64>>,
    #[serde(default)]
    stage: Vec<Spanned<structure::StageFile>>,
    #[serde(default)]
    topic: Vec<Spanned<structure::TopicFile>>,
    #[serde(default)]
    test: Option<Spanned<structure::TestFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    audio: Option<Spanned<String>>,
    #[serde(default)]
    quiz: Vec<Spanned<QuizFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuizFile {
    id: Spanned<String>,
    question: Spanned<String>,
    options: Spanned<Vec<String>>,
    answer: Spanned<i64>,
    #[serde(default)]
    explanation: Option<Spanned<String>>,
}

/// Collects problems for one file.
struct FileErrors<'a> {
    file: PathBuf,
    text: &'a str,
    /// Line of the text's first byte in the file (front matter starts after `+++`).
    first_line: usize,
    out: &'a mut Vec<ContentError>,
}

impl FileErrors<'_> {
    fn at(&mut self, offset: usize, problem: impl Into<String>) {
        self.out.push(ContentError {
            file: self.file.clone(),
            line: self.first_line + line_of(self.text, offset) - 1,
            problem: problem.into(),
        });
    }
}

fn is_slug(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// One lesson number's versions, with the id and where the first version declared it.
type LessonSlot = (
    Option<(String, PathBuf, usize)>,
    BTreeMap<Locale, LessonVersion>,
);

/// The problem if `path` exists and, links followed, resolves outside `root` (the lessons
/// folder, canonical): such a file would be read, and its content uploaded, from anywhere.
fn outside_problem(path: &Path, root: &Path) -> Option<String> {
    let real = path.canonicalize().ok()?;
    (!real.starts_with(root)).then(|| {
        format!(
            "{} resolves to {}, outside the lessons folder {}: files (and the links to them) must stay inside it",
            path.display(),
            real.display(),
            root.display()
        )
    })
}

/// Reads a lesson file or `course.toml` as text. Refused on line 1 if it resolves outside
/// `root` or is larger than [`limits::FILE_BYTES`] (by its size, before it is read), on the
/// line of the first bad byte if it is not UTF-8.
fn read_text(path: &Path, root: &Path) -> Result<String, ContentError> {
    let problem = |line: usize, problem: String| ContentError {
        file: path.to_path_buf(),
        line,
        problem,
    };
    if let Some(p) = outside_problem(path, root) {
        return Err(problem(1, p));
    }
    let too_large = |bytes: u64| {
        problem(
            1,
            format!(
                "the file has {bytes} bytes, more than {} KiB: a lesson is at most {} messages of {} characters",
                limits::FILE_BYTES / 1024,
                limits::LESSON_MESSAGES_MAX,
                limits::MESSAGE_CHARS
            ),
        )
    };
    let cannot_read = |e: std::io::Error| problem(1, format!("cannot read: {e}"));
    let file = std::fs::File::open(path).map_err(cannot_read)?;
    let size = file.metadata().map_err(cannot_read)?.len();
    if size > limits::FILE_BYTES {
        return Err(too_large(size));
    }
    let mut bytes = Vec::new();
    // At most one byte more than allowed, should the file have grown since.
    file.take(limits::FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > limits::FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        problem(
            line,
            "not UTF-8 text from this line on: save the file as UTF-8".into(),
        )
    })
}

fn load_course(
    dir: &Path,
    root: &Path,
    errors: &mut Vec<ContentError>,
    warnings: &mut Vec<ContentError>,
) -> Option<Course> {
    let course_path = dir.join("course.toml");
    let text = match read_text(&course_path, root) {
        Ok(t) => t,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    let before = errors.len();
    let mut fe = FileErrors {
        file: course_path.clone(),
        text: &text,
        first_line: 1,
        out: errors,
    };
    let parsed: CourseFile = match toml::from_str(&text) {
        Ok(p) => p,
        Err(e) => {
            fe.at(
                e.span().map(|s| s.start).unwrap_or(0),
                excerpt_quotes(e.message().trim()),
            );
            return None;
        }
    };
    let id = parsed.id.get_ref().clone();
    if !is_slug(&id, limits::COURSE_ID) {
        fe.at(
            parsed.id.span().start,
            format!(
                "course id {} must be 1-{} lowercase ASCII letters, digits and '-'",
                quote(&id),
                limits::COURSE_ID
            ),
        );
    }
    let default_locale = match &parsed.default_locale {
        None => Locale::DEFAULT,
        Some(s) => match Locale::from_code(s.get_ref()) {
            Some(l) => l,
            None => {
                fe.at(
                    s.span().start,
                    format!(
                        "unknown default_locale {}: use zh-CN, zh-TW or en",
                        quote(s.get_ref())
                    ),
                );
                Locale::DEFAULT
            }
        },
    };
    let schedule = match &parsed.schedule {
        None => DaySchedule::every_day(),
        Some(s) => match DaySchedule::parse(s.get_ref()) {
            Ok(d) => d,
            Err(e) => {
                fe.at(s.span().start, e.to_string());
                DaySchedule::every_day()
            }
        },
    };
    let mut titles = BTreeMap::new();
    for (code, title) in &parsed.title {
        match Locale::from_code(code) {
            Some(l) if !title.get_ref().trim().is_empty() => {
                titles.insert(l, title.get_ref().trim().to_string());
            }
            Some(_) => fe.at(title.span().start, format!("title for {code} is empty")),
            None => fe.at(
                title.span().start,
                format!(
                    "unknown locale {} in [title]: use zh-CN, zh-TW or en",
                    quote(code)
                ),
            ),
        }
    }
    if !titles.contains_key(&default_locale) {
        fe.at(
            0,
            format!(
                "[title] needs a {} title (the default locale)",
                default_locale.code()
            ),
        );
    }

    // Lesson files.
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "md") && p.is_file())
            .collect(),
        Err(e) => {
            fe.at(0, format!("cannot list the course folder: {e}"));
            Vec::new()
        }
    };
    files.sort();
    // seq -> (id and where it was declared, versions)
    let mut by_number: BTreeMap<u32, LessonSlot> = BTreeMap::new();
    let mut saw_lesson_file = false;
    for file in files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if name.eq_ignore_ascii_case("README.md") {
            continue;
        }
        saw_lesson_file = true;
        let Some((number, locale)) = parse_lesson_file_name(&name) else {
            errors.push(ContentError {
                file: file.clone(),
                line: 0,
                problem: "lesson file name must be NN-name.LOCALE.md (e.g. 01-road-safety.zh-CN.md, LOCALE one of zh-CN, zh-TW, en)".into(),
            });
            continue;
        };
        let Some((id, id_line, version)) = load_lesson_file(dir, root, &file, errors, warnings)
        else {
            continue;
        };
        let entry = by_number.entry(number).or_default();
        match &entry.0 {
            None => entry.0 = Some((id, file.clone(), id_line)),
            Some((other_id, other_file, _)) if *other_id != id => errors.push(ContentError {
                file: file.clone(),
                line: id_line,
                problem: format!(
                    "id {id:?} differs from {other_id:?} in {}: all language versions of lesson {number:02} share one id",
                    other_file.display()
                ),
            }),
            Some(_) => {}
        }
        entry.1.insert(locale, version);
    }
    if by_number.is_empty() && !saw_lesson_file {
        errors.push(ContentError {
            file: dir.to_path_buf(),
            line: 0,
            problem: "the course has no lessons (NN-name.LOCALE.md files)".into(),
        });
    }
    let mut lessons = Vec::new();
    let mut ids: HashMap<String, PathBuf> = HashMap::new();
    for (seq, (number, (decl, versions))) in (1u32..).zip(by_number) {
        let Some((id, file, line)) = decl else {
            continue;
        };
        if let Some(other) = ids.insert(id.clone(), file.clone()) {
            errors.push(ContentError {
                file: file.clone(),
                line,
                problem: format!("lesson id {id:?} is already used by {}", other.display()),
            });
        }
        let Some(default_version) = versions.get(&default_locale) else {
            errors.push(ContentError {
                file: file.clone(),
                line: 0,
                problem: format!(
                    "lesson {number:02} has no {} version (the course's default_locale)",
                    default_locale.code()
                ),
            });
            continue;
        };
        for (locale, v) in &versions {
            if *locale == default_locale {
                continue;
            }
            check_quiz_matches(default_version, v, errors);
        }
        let mut hasher = Sha256::new();
        for (locale, v) in &versions {
            hasher.update(locale.code());
            hasher.update(&v.title);
            hasher.update(&v.body_markdown);
            if let Some(a) = &v.audio {
                hasher.update(&a.sha256);
            }
            for q in &v.quiz {
                hasher.update(format!("{q:?}"));
            }
        }
        lessons.push(Lesson {
            id,
            seq,
            versions,
            version_hash: hex::encode(hasher.finalize()),
        });
    }
    let mut fe = FileErrors {
        file: course_path.clone(),
        text: &text,
        first_line: 1,
        out: errors,
    };
    let stages = structure::stages(&mut fe, parsed.stage_size.as_ref(), &parsed.stage, &lessons);
    let topics = structure::topics(&mut fe, &parsed.topic, &lessons);
    let test = parsed
        .test
        .as_ref()
        .and_then(|t| structure::test_settings(&mut fe, t, &topics));
    if errors.len() > before {
        return None;
    }
    Some(Course {
        id,
        dir: dir.to_path_buf(),
        default_locale,
        titles,
        schedule,
        lessons,
        stages,
        topics,
        test,
    })
}

/// `01-road-safety.zh-CN.md` -> (1, zh-CN)
fn parse_lesson_file_name(name: &str) -> Option<(u32, Locale)> {
    let stem = name.strip_suffix(".md")?;
    let (rest, locale) = stem.rsplit_once('.')?;
    let locale = Locale::from_code(locale)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || !rest[digits.len()..].starts_with('-') || rest.len() <= digits.len() + 1
    {
        return None;
    }
    let number = digits.parse().ok().filter(|&n: &u32| n > 0)?;
    Some((number, locale))
}

/// Splits `+++\n toml \n+++\n body`, returning (toml, body, line of the toml's first line).
fn split_front_matter(text: &str) -> Option<(&str, &str, usize)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut offset = 0;
    let mut lines = text.split_inclusive('\n');
    let first = lines.next()?;
    if first.trim_end() != "+++" {
        return None;
    }
    offset += first.len();
    let start = offset;
    for line in lines {
        if line.trim_end() == "+++" {
            let toml = &text[start..offset];
            let body = &text[offset + line.len()..];
            return Some((toml, body, 2));
        }
        offset += line.len();
    }
    None
}

fn load_lesson_file(
    dir: &Path,
    root: &Path,
    file: &Path,
    errors: &mut Vec<ContentError>,
    warnings: &mut Vec<ContentError>,
) -> Option<(String, usize, LessonVersion)> {
    let text = match read_text(file, root) {
        Ok(t) => t,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    let Some((front, body, first_line)) = split_front_matter(&text) else {
        errors.push(ContentError {
            file: file.to_path_buf(),
            line: 1,
            problem: "missing front matter: the file must start with a line `+++`, then TOML (id, title, ...), then a line `+++`".into(),
        });
        return None;
    };
    let before = errors.len();
    let mut fe = FileErrors {
        file: file.to_path_buf(),
        text: front,
        first_line,
        out: errors,
    };
    let fm: FrontMatter = match toml::from_str(front) {
        Ok(fm) => fm,
        Err(e) => {
            fe.at(
                e.span().map(|s| s.start).unwrap_or(0),
                excerpt_quotes(e.message().trim()),
            );
            return None;
        }
    };
    let id = fm.id.get_ref().trim().to_string();
    let id_line = first_line + line_of(front, fm.id.span().start) - 1;
    if !is_slug(&id, limits::LESSON_ID) {
        fe.at(
            fm.id.span().start,
            format!(
                "lesson id {} must be 1-{} lowercase ASCII letters, digits and '-'",
                quote(&id),
                limits::LESSON_ID
            ),
        );
    }
    let title = fm.title.get_ref().trim().to_string();
    if title.is_empty() {
        fe.at(fm.title.span().start, "title is empty");
    } else if title.chars().count() > limits::TITLE {
        fe.at(
            fm.title.span().start,
            format!("title is longer than {} characters", limits::TITLE),
        );
    }
    let audio = fm.audio.as_ref().and_then(|a| {
        let rel = a.get_ref();
        let path = dir.join(rel);
        let kind = match Path::new(rel)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("ogg" | "oga" | "opus") => AudioKind::Voice,
            Some("mp3" | "m4a") => AudioKind::Audio,
            _ => {
                fe.at(
                    a.span().start,
                    format!(
                        "audio {}: use an .ogg (Opus, sent as a voice message), .mp3 or .m4a file",
                        quote(rel)
                    ),
                );
                return None;
            }
        };
        if rel.contains("..") || Path::new(rel).is_absolute() {
            fe.at(
                a.span().start,
                format!(
                    "audio {} must be a path inside the course folder",
                    quote(rel)
                ),
            );
            return None;
        }
        if let Some(problem) = outside_problem(&path, root) {
            fe.at(a.span().start, problem);
            return None;
        }
        // By its size first: a huge file is not read.
        let read = match std::fs::metadata(&path) {
            Ok(m) if m.len() > limits::AUDIO_BYTES => Ok(None),
            Ok(_) => std::fs::read(&path).map(Some),
            Err(e) => Err(e),
        };
        match read {
            Ok(None) => {
                fe.at(
                    a.span().start,
                    format!(
                        "audio file {} is larger than {} MB",
                        path.display(),
                        limits::AUDIO_BYTES / 1024 / 1024
                    ),
                );
                None
            }
            Ok(Some(bytes)) if bytes.is_empty() => {
                fe.at(
                    a.span().start,
                    format!("audio file {} is empty", path.display()),
                );
                None
            }
            Ok(Some(bytes)) => Some(AudioFile {
                sha256: hex::encode(Sha256::digest(&bytes)),
                bytes: bytes.len() as u64,
                path,
                kind,
            }),
            Err(e) => {
                fe.at(
                    a.span().start,
                    format!("audio file {} cannot be read: {e}", path.display()),
                );
                None
            }
        }
    });
    let mut quiz = Vec::new();
    let mut quiz_ids = Vec::new();
    for q in &fm.quiz {
        let start = q.span().start;
        let q = q.get_ref();
        let qid = q.id.get_ref().trim().to_string();
        if !is_slug(&qid, limits::QUIZ_ID) {
            fe.at(
                q.id.span().start,
                format!(
                    "quiz id {} must be 1-{} lowercase ASCII letters, digits and '-'",
                    quote(&qid),
                    limits::QUIZ_ID
                ),
            );
        }
        if quiz_ids.contains(&qid) {
            fe.at(
                q.id.span().start,
                format!("quiz id {qid:?} is used twice in this lesson"),
            );
        }
        quiz_ids.push(qid.clone());
        let question = q.question.get_ref().trim().to_string();
        let qlen = question.chars().count();
        if qlen == 0 || qlen > limits::QUESTION {
            fe.at(
                q.question.span().start,
                format!(
                    "question must be 1-{} characters (has {qlen})",
                    limits::QUESTION
                ),
            );
        }
        let options = q.options.get_ref();
        if options.len() < limits::OPTIONS_MIN || options.len() > limits::OPTIONS_MAX {
            fe.at(
                q.options.span().start,
                format!(
                    "a question needs {}-{} options (has {})",
                    limits::OPTIONS_MIN,
                    limits::OPTIONS_MAX,
                    options.len()
                ),
            );
        }
        for (i, o) in options.iter().enumerate() {
            let n = o.trim().chars().count();
            if n == 0 || n > limits::OPTION {
                fe.at(
                    q.options.span().start,
                    format!(
                        "option {} must be 1-{} characters (has {n})",
                        i + 1,
                        limits::OPTION
                    ),
                );
            }
        }
        let answer = *q.answer.get_ref();
        if answer < 1 || answer as usize > options.len() {
            fe.at(q.answer.span().start, format!(
                "answer {answer} is not an option number: use 1 to {} (the number of the correct option)",
                options.len()
            ));
        }
        let explanation = q
            .explanation
            .as_ref()
            .map(|e| e.get_ref().trim().to_string())
            .unwrap_or_default();
        let explanation_at = q.explanation.as_ref().map_or(start, |e| e.span().start);
        if explanation.chars().count() > limits::EXPLANATION {
            fe.at(
                explanation_at,
                format!(
                    "explanation is longer than {} characters",
                    limits::EXPLANATION
                ),
            );
        }
        if explanation.matches('\n').count() > limits::EXPLANATION_LINE_FEEDS {
            fe.at(
                explanation_at,
                format!(
                    "explanation has more than {} line breaks",
                    limits::EXPLANATION_LINE_FEEDS
                ),
            );
        }
        quiz.push(Question {
            id: qid,
            question,
            options: options.iter().map(|o| o.trim().to_string()).collect(),
            answer: usize::try_from(answer.max(1) - 1).unwrap_or(0),
            explanation,
        });
    }
    let body_markdown = body.trim().to_string();
    let body_line = first_line + front.lines().count() + 1;
    if body_markdown.is_empty() {
        errors.push(ContentError {
            file: file.to_path_buf(),
            line: body_line,
            problem: "the lesson body (Markdown after the front matter) is empty".into(),
        });
    }
    if errors.len() > before {
        return None;
    }
    let body_html = markdown::markdown_to_telegram_html(&body_markdown);
    let version = LessonVersion {
        file: file.to_path_buf(),
        title,
        body_markdown,
        body_html,
        audio,
        quiz,
    };
    let messages = message_count(&version);
    let size = |what: &str| ContentError {
        file: file.to_path_buf(),
        line: body_line,
        problem: format!(
            "the lesson takes {messages} messages of {} characters {what}",
            limits::MESSAGE_CHARS
        ),
    };
    if messages > limits::LESSON_MESSAGES_MAX {
        errors.push(size(&format!(
            "(at most {} are allowed): a micro-lesson is read in a few minutes; split it into several lessons",
            limits::LESSON_MESSAGES_MAX
        )));
        return None;
    }
    if messages > limits::LESSON_MESSAGES_WARN {
        warnings.push(size(&format!(
            "(a micro-lesson fits in {}): members get it in pieces, the check-in button under the last",
            limits::LESSON_MESSAGES_WARN
        )));
    }
    Some((id, id_line, version))
}

fn check_quiz_matches(
    default: &LessonVersion,
    other: &LessonVersion,
    errors: &mut Vec<ContentError>,
) {
    let shape = |v: &LessonVersion| -> Vec<(String, usize, usize)> {
        v.quiz
            .iter()
            .map(|q| (q.id.clone(), q.options.len(), q.answer))
            .collect()
    };
    if shape(default) != shape(other) {
        errors.push(ContentError {
            file: other.file.clone(),
            line: 1,
            problem: format!(
                "quiz questions differ from {}: every language version needs the same quiz ids, option counts and answers",
                default.file.display()
            ),
        });
    }
}

#[cfg(test)]
mod tests;
