use super::*;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let f = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        f.write(
            "course.toml",
            "id = \"demo\"\nschedule = \"* * *\"\n[title]\nzh-CN = \"演示\"\nen = \"Demo\"\n",
        );
        f
    }
    fn write(&self, name: &str, text: &str) {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    fn load(&self) -> Result<Library, ContentErrors> {
        Library::load(self.dir.path())
    }
    fn errors(&self) -> Vec<String> {
        let root = format!("{}/", self.dir.path().display());
        self.load()
            .unwrap_err()
            .0
            .iter()
            .map(|e| e.to_string().replace(&root, ""))
            .collect()
    }
}

const GOOD: &str = "+++\nid = \"one\"\ntitle = \"第一课\"\n\n[[quiz]]\nid = \"q1\"\nquestion = \"对吗？\"\noptions = [\"对\", \"错\"]\nanswer = 1\nexplanation = \"因为。\"\n+++\n\n**正文**\n";

#[test]
fn loads_a_valid_course_in_file_order() {
    let f = Fixture::new();
    f.write("01-one.zh-CN.md", GOOD);
    f.write("01-one.en.md", &GOOD.replace("第一课", "Lesson one"));
    f.write(
        "02-two.zh-CN.md",
        "+++\nid = \"two\"\ntitle = \"第二课\"\n+++\n正文二\n",
    );
    let lib = f.load().unwrap();
    let course = lib.course("demo").unwrap();
    assert_eq!(course.lessons.len(), 2);
    assert_eq!(course.lessons[0].id, "one");
    assert_eq!(course.lessons[1].seq, 2);
    let v = course.lessons[0].version(Locale::En, Locale::ZhCn);
    assert_eq!(v.title, "Lesson one");
    assert_eq!(v.body_html, "<b>正文</b>");
    assert_eq!(v.quiz[0].answer, 0);
    // zh-TW falls back to the default locale.
    assert_eq!(
        course.lessons[1].version(Locale::ZhTw, Locale::ZhCn).title,
        "第二课"
    );
    assert_eq!(course.title(Locale::ZhTw), "演示");
}

#[test]
fn toml_syntax_error_points_at_the_line() {
    let f = Fixture::new();
    f.write(
        "01-one.zh-CN.md",
        "+++\nid = \"one\"\ntitle = \"x\nanswer = 3\n+++\nbody\n",
    );
    let errors = f.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("01-one.zh-CN.md:3: "), "{errors:?}");
}

#[test]
fn semantic_errors_point_at_their_lines() {
    let f = Fixture::new();
    let bad = GOOD
        .replace("answer = 1", "answer = 3")
        .replace("id = \"one\"", "id = \"One!\"");
    f.write("01-one.zh-CN.md", &bad);
    let errors = f.errors();
    assert_eq!(
        errors,
        vec![
            "01-one.zh-CN.md:2: lesson id \"One!\" must be 1-40 lowercase ASCII letters, digits and '-'",
            "01-one.zh-CN.md:9: answer 3 is not an option number: use 1 to 2 (the number of the correct option)",
        ]
    );
}

#[test]
fn missing_front_matter_audio_and_bad_names_are_reported() {
    let f = Fixture::new();
    f.write("01-one.zh-CN.md", "no front matter here\n");
    f.write(
        "02-two.zh-CN.md",
        "+++\nid = \"two\"\ntitle = \"t\"\naudio = \"audio/missing.ogg\"\n+++\nbody\n",
    );
    f.write(
        "three.md",
        "+++\nid = \"three\"\ntitle = \"t\"\n+++\nbody\n",
    );
    f.write(
        "04-four.zh-CN.md",
        "+++\nid = \"four\"\ntitle = \"t\"\ncolour = \"red\"\n+++\nbody\n",
    );
    let errors = f.errors();
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("01-one.zh-CN.md:1: missing front matter"))
    );
    assert!(errors.iter().any(|e| e.starts_with("02-two.zh-CN.md:4: audio file") && e.contains("cannot be read")));
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("three.md:0: lesson file name must be"))
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("04-four.zh-CN.md:4: ") && e.contains("colour")),
        "{errors:?}"
    );
}

#[test]
fn ids_must_be_unique_and_versions_consistent() {
    let f = Fixture::new();
    f.write("01-one.zh-CN.md", GOOD);
    f.write("02-again.zh-CN.md", GOOD);
    f.write(
        "03-x.zh-CN.md",
        "+++\nid = \"x\"\ntitle = \"t\"\n+++\nbody\n",
    );
    f.write("03-x.en.md", "+++\nid = \"y\"\ntitle = \"t\"\n+++\nbody\n");
    f.write("04-q.zh-CN.md", &GOOD.replace("\"one\"", "\"q\""));
    f.write(
        "04-q.en.md",
        &GOOD
            .replace("\"one\"", "\"q\"")
            .replace("answer = 1", "answer = 2"),
    );
    f.write(
        "05-only-en.en.md",
        "+++\nid = \"only-en\"\ntitle = \"t\"\n+++\nbody\n",
    );
    let errors = f.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("lesson id \"one\" is already used")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("id \"x\" differs from \"y\"")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("04-q.en.md:1: quiz questions differ")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("lesson 05 has no zh-CN version")),
        "{errors:?}"
    );
}

#[test]
fn quiz_limits_follow_telegram() {
    let f = Fixture::new();
    let long_q = "问".repeat(301);
    let text = format!(
        "+++\nid = \"one\"\ntitle = \"t\"\n[[quiz]]\nid = \"q\"\nquestion = \"{long_q}\"\noptions = [\"only\"]\nanswer = 1\nexplanation = \"{}\"\n+++\nbody\n",
        "解".repeat(201)
    );
    f.write("01-one.zh-CN.md", &text);
    let errors = f.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains(":6: question must be 1-300 characters (has 301)")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains(":7: a question needs 2-10 options (has 1)")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains(":9: explanation is longer than 200")),
        "{errors:?}"
    );
}

#[test]
fn bad_course_file_is_reported() {
    let f = Fixture::new();
    f.write(
        "course.toml",
        "id = \"demo\"\nschedule = \"* * FUNDAY\"\n[title]\nen = \"Demo\"\n",
    );
    f.write("01-one.zh-CN.md", GOOD);
    let errors = f.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("course.toml:2: invalid schedule")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("[title] needs a zh-CN title")),
        "{errors:?}"
    );
}

#[test]
fn the_shipped_lessons_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let lib = Library::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let course = lib.course("safety").expect("the sample course");
    assert!(course.lessons.len() >= 14);
    for lesson in &course.lessons {
        for locale in Locale::ALL {
            assert!(
                lesson.versions.contains_key(&locale),
                "{} lacks {locale}",
                lesson.id
            );
        }
    }
    assert!(
        course
            .lessons
            .iter()
            .filter(|l| l.versions[&Locale::ZhCn].audio.is_some())
            .count()
            >= 3
    );
}

/// A course of three lessons (the first with a question) and the given course.toml tail.
fn structured(tail: &str) -> Fixture {
    let f = Fixture::new();
    f.write(
        "course.toml",
        &format!("id = \"demo\"\n{tail}\n[title]\nzh-CN = \"演示\"\n"),
    );
    f.write("01-one.zh-CN.md", GOOD);
    f.write(
        "02-two.zh-CN.md",
        "+++\nid = \"two\"\ntitle = \"二\"\n+++\n二\n",
    );
    f.write(
        "03-three.zh-CN.md",
        "+++\nid = \"three\"\ntitle = \"三\"\n+++\n三\n",
    );
    f
}

#[test]
fn stages_come_from_a_size_or_a_list() {
    let lib = structured("stage_size = 2").load().unwrap();
    let stages = &lib.course("demo").unwrap().stages;
    let spans: Vec<_> = stages
        .iter()
        .map(|s| (s.number, s.first_seq, s.last_seq))
        .collect();
    assert_eq!(spans, vec![(1, 1, 2), (2, 3, 3)]);

    let f = structured(
        "[[stage]]\nlast = \"one\"\ntitle = { zh-CN = \"起步\" }\n[[stage]]\nlast = \"three\"\n",
    );
    let lib = f.load().unwrap();
    let course = lib.course("demo").unwrap();
    assert_eq!(
        course.stage_ending_at(1).unwrap().title(Locale::En),
        Some("起步")
    );
    assert_eq!(course.stage_ending_at(3).unwrap().number, 2);
    assert!(course.stage_ending_at(2).is_none());
}

#[test]
fn bad_structure_is_reported_with_lines() {
    let errors = structured("stage_size = 0").errors();
    assert_eq!(
        errors,
        ["course.toml:2: stage_size = 0: use 1 to the number of lessons (3)"]
    );
    let errors = structured("[[stage]]\nlast = \"three\"\n[[stage]]\nlast = \"one\"\n").errors();
    assert_eq!(
        errors,
        [
            "course.toml:5: stage 2: lesson \"one\" is not after the previous stage's last lesson; list stages in course order"
        ]
    );
    let errors = structured(
        "[[topic]]\nid = \"t\"\nlessons = [\"two\", \"nope\"]\n[test]\nschedule = \"every sunday\"\nseconds_per_question = 5\n",
    )
    .errors();
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert!(
        errors[0].starts_with("course.toml:4: topic \"t\": no lesson with id \"nope\""),
        "{errors:#?}"
    );
    assert!(
        errors[1].starts_with("course.toml:4: topic \"t\": its lessons have no quiz questions"),
        "{errors:#?}"
    );
    assert!(
        errors[2].starts_with(
            "course.toml:6: [test] schedule \"every sunday\" is not a cron expression"
        ),
        "{errors:#?}"
    );
    assert!(
        errors[3].starts_with("course.toml:7: [test] seconds_per_question = 5: use 10 to 600"),
        "{errors:#?}"
    );
}

#[test]
fn topic_tests_follow_their_cron_schedule_in_their_zone() {
    use chrono::TimeZone;
    let f = structured(
        "[[topic]]\nid = \"t\"\nlessons = [\"one\"]\n[test]\nschedule = \"0 0 20 * * Sun\"\ntimezone = \"Asia/Shanghai\"\n",
    );
    let lib = f.load().unwrap();
    let course = lib.course("demo").unwrap();
    let test = course.test.as_ref().unwrap();
    assert_eq!((test.questions, test.seconds_per_question), (5, 60));
    assert_eq!(course.topic_of("one").unwrap().id, "t");
    assert!(course.topic_of("two").is_none());
    let sunday_20 = chrono::Utc
        .with_ymd_and_hms(2026, 11, 29, 12, 0, 0)
        .unwrap();
    let tue = chrono::Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .unwrap();
    assert_eq!(test.next_after(tue), Some(sunday_20));
    assert_eq!(test.latest_at_or_before(sunday_20, tue), Some(sunday_20));
    assert_eq!(
        test.latest_at_or_before(sunday_20 - chrono::Duration::seconds(1), tue),
        None
    );
    assert_eq!(
        lib.question("demo:one:q1", Locale::En)
            .unwrap()
            .question
            .options,
        ["对", "错"]
    );
    assert!(lib.question("demo:one:nope", Locale::En).is_none());
    assert!(lib.question("garbage", Locale::En).is_none());
}

/// A lesson whose body is `chars` characters of Chinese in paragraphs of 200.
fn lesson_of(chars: usize) -> String {
    let paragraph = "过马路要看红绿灯，走人行横道。".repeat(14);
    let paragraph: String = paragraph.chars().take(200).collect();
    let mut body = String::new();
    while body.chars().count() < chars {
        body.push_str(&paragraph);
        body.push_str("\n\n");
    }
    let body: String = body.chars().take(chars).collect();
    format!("+++\nid = \"long\"\ntitle = \"长课\"\n+++\n\n{body}\n")
}

#[test]
fn a_lesson_of_several_messages_is_a_warning_and_of_more_than_four_refused() {
    let f = Fixture::new();
    f.write("01-long.zh-CN.md", &lesson_of(3_500));
    let (lib, warnings) = Library::check(f.dir.path());
    let lesson = &lib.unwrap().courses[0].lessons[0];
    assert_eq!(message_count(&lesson.versions[&Locale::ZhCn]), 1);
    assert!(warnings.is_empty(), "{warnings:?}");

    f.write("01-long.zh-CN.md", &lesson_of(6_000));
    let (lib, warnings) = Library::check(f.dir.path());
    assert!(lib.is_ok(), "a warning does not refuse the lessons");
    let root = format!("{}/", f.dir.path().display());
    let warnings: Vec<String> = warnings
        .iter()
        .map(|w| w.to_string().replace(&root, ""))
        .collect();
    assert_eq!(
        warnings,
        [
            "01-long.zh-CN.md:5: the lesson takes 2 messages of 4096 characters (a micro-lesson fits in 1): members get it in pieces, the check-in button under the last"
        ]
    );

    // Four messages pass, five do not.
    f.write("01-long.zh-CN.md", &lesson_of(15_000));
    let (lib, warnings) = Library::check(f.dir.path());
    let lesson = &lib.unwrap().courses[0].lessons[0];
    assert_eq!(message_count(&lesson.versions[&Locale::ZhCn]), 4);
    assert_eq!(warnings.len(), 1);
    f.write("01-long.zh-CN.md", &lesson_of(17_000));
    assert_eq!(
        f.errors(),
        [
            "01-long.zh-CN.md:5: the lesson takes 5 messages of 4096 characters (at most 4 are allowed): a micro-lesson is read in a few minutes; split it into several lessons"
        ]
    );
}

#[test]
fn the_counted_messages_are_the_messages_sent() {
    // The header the bot really puts first is shorter than the room kept for it, so the
    // lesson never takes more messages than counted.
    let f = Fixture::new();
    for chars in [4_000, 8_000, 12_100, 16_000] {
        f.write("01-long.zh-CN.md", &lesson_of(chars));
        let (lib, _) = Library::check(f.dir.path());
        let lib = lib.unwrap();
        let version = &lib.courses[0].lessons[0].versions[&Locale::ZhCn];
        let header = "📖 演示 · 第 1 课（共 1 课）";
        let sent = markdown::split_html(&lesson_html(header, version), limits::MESSAGE_CHARS);
        assert!(sent.len() <= message_count(version), "{chars}");
    }
}

#[test]
fn a_huge_file_is_refused_by_its_size() {
    let f = Fixture::new();
    f.write("01-one.zh-CN.md", GOOD);
    // 50 MB that are never written (a sparse file): only its size is looked at.
    let huge = std::fs::File::create(f.dir.path().join("02-huge.zh-CN.md")).unwrap();
    huge.set_len(50 * 1024 * 1024).unwrap();
    // Just over the limit, with a valid start.
    let mut over = lesson_of(100).into_bytes();
    over.resize(limits::FILE_BYTES as usize + 1, b'x');
    std::fs::write(f.dir.path().join("03-over.zh-CN.md"), over).unwrap();
    assert_eq!(
        f.errors(),
        [
            "02-huge.zh-CN.md:1: the file has 52428800 bytes, more than 256 KiB: a lesson is at most 4 messages of 4096 characters",
            "03-over.zh-CN.md:1: the file has 262145 bytes, more than 256 KiB: a lesson is at most 4 messages of 4096 characters",
        ]
    );
    // course.toml too.
    let f = Fixture::new();
    f.write("01-one.zh-CN.md", GOOD);
    let course = std::fs::OpenOptions::new()
        .append(true)
        .open(f.dir.path().join("course.toml"))
        .unwrap();
    course.set_len(limits::FILE_BYTES + 10).unwrap();
    let errors = f.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("course.toml:1: the file has 262154 bytes"),
        "{errors:?}"
    );
}

#[test]
fn a_file_that_is_not_utf8_is_refused_on_the_line_of_its_first_bad_byte() {
    let f = Fixture::new();
    let mut bytes = b"+++\nid = \"one\"\ntitle = \"".to_vec();
    bytes.extend([0xB5, 0xDA, 0xD2, 0xBB]); // GBK
    bytes.extend(b"\"\n+++\nbody\n");
    std::fs::write(f.dir.path().join("01-one.zh-CN.md"), bytes).unwrap();
    assert_eq!(
        f.errors(),
        ["01-one.zh-CN.md:3: not UTF-8 text from this line on: save the file as UTF-8"]
    );
}

#[test]
fn problems_quote_long_values_as_excerpts() {
    let f = Fixture::new();
    let long_id = format!("Long{}", "x".repeat(10_000));
    f.write(
        "01-one.zh-CN.md",
        &GOOD
            .replace("id = \"one\"", &format!("id = \"{long_id}\""))
            .replace("id = \"q1\"", &format!("id = \"{long_id}\"")),
    );
    let cut = format!("\"Long{}…\"", "x".repeat(36));
    assert_eq!(
        f.errors(),
        [
            format!(
                "01-one.zh-CN.md:2: lesson id {cut} must be 1-40 lowercase ASCII letters, digits and '-'"
            ),
            format!(
                "01-one.zh-CN.md:6: quiz id {cut} must be 1-20 lowercase ASCII letters, digits and '-'"
            ),
        ]
    );
    // The TOML reader's own messages too.
    f.write(
        "01-one.zh-CN.md",
        &GOOD.replace("answer = 1", &format!("answer = \"{long_id}\"")),
    );
    f.write(
        "02-two.zh-CN.md",
        &format!("+++\nid = \"two\"\ntitle = \"t\"\n{long_id} = 1\n+++\nbody\n"),
    );
    assert_eq!(
        f.errors(),
        [
            format!("01-one.zh-CN.md:9: invalid type: string {cut}, expected i64"),
            format!(
                "02-two.zh-CN.md:4: unknown field `Long{}…`, expected one of `id`, `title`, `audio`, `quiz`",
                "x".repeat(36)
            ),
        ]
    );
    let errors = structured(&format!(
        "[[topic]]\nid = \"t\"\nlessons = [\"{long_id}\"]\n"
    ))
    .errors();
    assert!(
        errors[0].starts_with(&format!(
            "course.toml:4: topic \"t\": no lesson with id {cut}"
        )),
        "{errors:?}"
    );
}

#[cfg(unix)]
mod links {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_inside_the_lessons_folder_are_followed() {
        let f = Fixture::new();
        f.write("01-one.zh-CN.md", GOOD);
        f.write("audio/one.ogg", "OggS");
        symlink(
            f.dir.path().join("01-one.zh-CN.md"),
            f.dir.path().join("01-one.zh-TW.md"),
        )
        .unwrap();
        symlink(
            f.dir.path().join("audio/one.ogg"),
            f.dir.path().join("audio/link.ogg"),
        )
        .unwrap();
        f.write(
            "02-two.zh-CN.md",
            "+++\nid = \"two\"\ntitle = \"t\"\naudio = \"audio/link.ogg\"\n+++\nbody\n",
        );
        let lib = f.load().unwrap();
        let course = lib.course("demo").unwrap();
        assert_eq!(course.lessons[0].versions.len(), 2);
        assert!(course.lessons[1].versions[&Locale::ZhCn].audio.is_some());
    }

    #[test]
    fn a_lesson_audio_or_course_file_linked_outside_is_refused() {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret.ogg");
        std::fs::write(&secret, "OggS private").unwrap();
        std::fs::write(outside.path().join("lesson.md"), GOOD).unwrap();
        let f = Fixture::new();
        f.write("01-one.zh-CN.md", GOOD);
        symlink(
            outside.path().join("lesson.md"),
            f.dir.path().join("02-two.zh-CN.md"),
        )
        .unwrap();
        std::fs::create_dir(f.dir.path().join("audio")).unwrap();
        symlink(&secret, f.dir.path().join("audio/voice.ogg")).unwrap();
        f.write(
            "03-three.zh-CN.md",
            "+++\nid = \"three\"\ntitle = \"t\"\naudio = \"audio/voice.ogg\"\n+++\nbody\n",
        );
        let errors = f.errors();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].starts_with("02-two.zh-CN.md:1: ")
                && errors[0].contains("outside the lessons folder"),
            "{errors:?}"
        );
        assert!(
            errors[1].starts_with("03-three.zh-CN.md:4: ")
                && errors[1].contains("secret.ogg, outside the lessons folder"),
            "{errors:?}"
        );

        // course.toml linked from elsewhere, and a whole course folder linked in.
        let f = Fixture::new();
        f.write("01-one.zh-CN.md", GOOD);
        std::fs::rename(
            f.dir.path().join("course.toml"),
            outside.path().join("course.toml"),
        )
        .unwrap();
        symlink(
            outside.path().join("course.toml"),
            f.dir.path().join("course.toml"),
        )
        .unwrap();
        let errors = f.errors();
        assert!(
            errors.len() == 1
                && errors[0].starts_with("course.toml:1: ")
                && errors[0].contains("outside the lessons folder"),
            "{errors:?}"
        );
        let lessons = tempfile::tempdir().unwrap();
        symlink(f.dir.path(), lessons.path().join("demo")).unwrap();
        let errors = Library::load(lessons.path()).unwrap_err().0;
        assert!(
            errors
                .iter()
                .all(|e| e.line == 1 && e.problem.contains("outside the lessons folder")),
            "{errors:?}"
        );
        assert_eq!(errors[0].file, lessons.path().join("demo/course.toml"));
    }
}
