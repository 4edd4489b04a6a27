//! The `weike` binary as an operator and a newcomer use it: `lessons check`, `migrate`,
//! refusing to start on bad lessons, and the console demo.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

mod support;

fn weike() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weike"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    for var in weike::config::ENV_VARS {
        cmd.env_remove(var);
    }
    cmd.env_remove("WEIKE_CONFIG").env("WEIKE_LOG", "warn");
    cmd
}

/// Runs `command`: its exit code, standard output and standard error.
fn outcome(command: &mut Command) -> (Option<i32>, String, String) {
    let out = command.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// Runs `command`, which must succeed (its output shown if not); its standard output.
fn stdout_of(command: &mut Command) -> String {
    let (code, stdout, stderr) = outcome(command);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    stdout
}

/// Runs `command`, which must exit with `code` (its output shown if not); its standard
/// error.
fn stderr_of(command: &mut Command, code: i32) -> String {
    let (got, stdout, stderr) = outcome(command);
    assert_eq!(got, Some(code), "{stdout}{stderr}");
    stderr
}

/// `weike lessons check dir`: its exit code, standard output with `dir` written `DIR`, and
/// standard error.
fn lessons_check(dir: &Path) -> (Option<i32>, String, String) {
    let (code, stdout, stderr) = outcome(weike().args(["lessons", "check"]).arg(dir));
    (
        code,
        stdout.replace(&dir.display().to_string(), "DIR"),
        stderr,
    )
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// The `course.toml` of a course `demo`.
const DEMO_COURSE: &str = "id = \"demo\"\n[title]\nzh-CN = \"演示\"\n";

/// A course with one good lesson and two broken ones.
fn broken_course() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "course.toml", DEMO_COURSE);
    write(
        d,
        "01-good.zh-CN.md",
        "+++\nid = \"good\"\ntitle = \"好\"\n+++\n正文\n",
    );
    write(
        d,
        "02-bad.zh-CN.md",
        "+++\nid = \"bad\"\ntitle = \"坏\"\naudio = \"nope.ogg\"\n+++\n正文\n",
    );
    write(
        d,
        "03-quiz.zh-CN.md",
        "+++\nid = \"quiz\"\ntitle = \"题\"\n[[quiz]]\nid = \"q\"\nquestion = \"?\"\noptions = [\"a\", \"b\"]\nanswer = 5\n+++\n正文\n",
    );
    dir
}

#[test]
fn lessons_check_accepts_the_shipped_course() {
    let stdout = stdout_of(weike().args(["lessons", "check"]));
    assert!(
        stdout.contains("1 course(s), 15 lessons, 45 language versions: all valid"),
        "{stdout}"
    );
}

#[test]
fn lessons_check_reports_file_line_problem_and_exits_1() {
    let dir = broken_course();
    let (code, stdout, stderr) = lessons_check(dir.path());
    assert_eq!(code, Some(1));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "DIR/02-bad.zh-CN.md:4: audio file DIR/nope.ogg cannot be read: No such file or directory (os error 2)",
            "DIR/03-quiz.zh-CN.md:8: answer 5 is not an option number: use 1 to 2 (the number of the correct option)",
        ]
    );
    assert!(stderr.contains("2 problem(s) found"));
}

/// A lesson of two messages is a warning (shown, exit 0); a 50 MB file, a lesson of more
/// than four messages and a file linked from outside the folder are problems (exit 1).
#[test]
fn lessons_check_warns_on_long_lessons_and_refuses_huge_or_outside_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "course.toml", DEMO_COURSE);
    let lesson = |id: &str, paragraphs: usize| {
        let body = vec!["过马路要看红绿灯，走人行横道。".repeat(10); paragraphs].join("\n\n");
        format!("+++\nid = \"{id}\"\ntitle = \"课\"\n+++\n{body}\n")
    };
    write(d, "01-long.zh-CN.md", &lesson("long", 40)); // 6,000 characters
    let (code, stdout, stderr) = lessons_check(d);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout,
        "DIR/01-long.zh-CN.md:5: warning: the lesson takes 2 messages of 4096 characters (a micro-lesson fits in 1): members get it in pieces, the check-in button under the last\n\
         DIR: 1 course(s), 1 lessons, 1 language versions: all valid\n"
    );
    assert!(stderr.contains("1 warning(s)"), "{stderr}");

    write(d, "02-longer.zh-CN.md", &lesson("longer", 120)); // 18,000 characters
    std::fs::File::create(d.join("03-huge.zh-CN.md"))
        .unwrap()
        .set_len(50 * 1024 * 1024)
        .unwrap();
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "private.md", &lesson("private", 1));
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        outside.path().join("private.md"),
        d.join("04-private.zh-CN.md"),
    )
    .unwrap();
    let (code, stdout, stderr) = lessons_check(d);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "DIR/01-long.zh-CN.md:5: warning: the lesson takes 2 messages of 4096 characters (a micro-lesson fits in 1): members get it in pieces, the check-in button under the last",
            "DIR/02-longer.zh-CN.md:5: the lesson takes 5 messages of 4096 characters (at most 4 are allowed): a micro-lesson is read in a few minutes; split it into several lessons",
            "DIR/03-huge.zh-CN.md:1: the file has 52428800 bytes, more than 256 KiB: a lesson is at most 4 messages of 4096 characters",
        ]
    );
    #[cfg(unix)]
    {
        assert_eq!(lines.len(), 4, "{stdout}");
        assert!(
            lines[3].starts_with("DIR/04-private.zh-CN.md:1: DIR/04-private.zh-CN.md resolves to ")
                && lines[3].contains("outside the lessons folder"),
            "{stdout}"
        );
    }
    assert!(
        stderr.contains("problem(s) found, 1 warning(s)"),
        "{stderr}"
    );
}

#[test]
fn the_service_refuses_to_start_on_invalid_lessons() {
    let dir = broken_course();
    let db = tempfile::tempdir().unwrap();
    for command in ["run", "chat"] {
        let stderr = stderr_of(
            weike()
                .arg(command)
                .env("WEIKE_LESSONS_DIR", dir.path())
                .env("WEIKE_TELEGRAM_TOKEN", "1:x")
                .env(
                    "WEIKE_DATABASE_URL",
                    format!("sqlite://{}/w.db", db.path().display()),
                )
                .stdin(Stdio::null()),
            1,
        );
        assert!(stderr.contains("are invalid"), "{stderr}");
        assert!(stderr.contains("02-bad.zh-CN.md:4: audio file"), "{stderr}");
        assert!(stderr.contains("03-quiz.zh-CN.md:8: answer 5"), "{stderr}");
        assert!(
            !db.path().join("w.db").exists(),
            "nothing was created before validation"
        );
    }
}

#[test]
fn run_without_a_token_says_what_to_do() {
    let db = tempfile::tempdir().unwrap();
    let stderr = stderr_of(
        weike().arg("run").env(
            "WEIKE_DATABASE_URL",
            format!("sqlite://{}/w.db", db.path().display()),
        ),
        1,
    );
    assert!(stderr.contains("set WEIKE_TELEGRAM_TOKEN"));
}

#[test]
fn migrate_creates_the_sqlite_database() {
    let db = tempfile::tempdir().unwrap();
    let path = db.path().join("new.db");
    stdout_of(
        weike()
            .arg("migrate")
            .env("WEIKE_DATABASE_URL", format!("sqlite://{}", path.display())),
    );
    assert!(path.exists());
    let stderr = stderr_of(
        weike()
            .arg("migrate")
            .env("WEIKE_DATABASE_URL", "mysql://x"),
        1,
    );
    assert!(stderr.contains("use sqlite://FILE or postgres://"));
}

/// The benchmarks are not part of the service: without `--features bench` the binary has
/// no `weike bench`.
#[cfg(not(feature = "bench"))]
#[test]
fn bench_is_not_a_command_of_the_service() {
    let stderr = stderr_of(weike().args(["bench", "poster"]), 2);
    assert!(stderr.contains("unrecognized subcommand 'bench'"));
}

/// A benchmark on PostgreSQL runs only on a server given for it: never on the service's
/// (or the tests') database server.
#[cfg(feature = "bench")]
#[test]
fn bench_on_postgres_needs_its_own_server() {
    let stderr = stderr_of(
        weike()
            .args(["bench", "delivery", "--members", "1", "--db", "postgres"])
            .env("WEIKE_DATABASE_URL", "postgres://weike@127.0.0.1:1/weike")
            .env(
                "WEIKE_TEST_POSTGRES_URL",
                "postgres://weike@127.0.0.1:1/tests",
            )
            .env_remove("WEIKE_BENCH_POSTGRES_URL"),
        1,
    );
    assert!(
        stderr.contains("set --postgres-url postgres://... or WEIKE_BENCH_POSTGRES_URL"),
        "{stderr}"
    );
}

/// A newcomer's first session in the console: onboarding by numbers, moving the clock to
/// 07:30, the lesson with its numbered button, the check-in, /me.
#[test]
fn console_demo_walks_through_a_day() {
    let db = tempfile::tempdir().unwrap();
    let mut child = weike()
        .arg("chat")
        .env(
            "WEIKE_DATABASE_URL",
            format!("sqlite://{}/chat.db", db.path().display()),
        )
        .env("LANG", "en_US.UTF-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let script = [
        ":help",
        "/start",
        "3",
        "=1+1", // a name a spreadsheet would run
        "Ann",
        "2",
        "1",
        "1",
        "25:99",
        "1",
        "1",
        "/me",
        ":clock 07:30",
        ":clock +1m",
        "1", // check in
        "1", // the first quiz question: a wrong answer
        "3", // the second: right
        "/me",
        "/rank",
        "/poster",
        "/stats",
        "/away",
        "1", // agree to storing locations
        ":location 95 10",
        ":location 31.2304, 121.4737",
        "/venue_add pd-01,Pudong Station,31.2304,121.4737,Century Avenue 100,10",
        "/nearby 5",
        ":clock soon",
        ":quit",
    ];
    let mut stdin = child.stdin.take().unwrap();
    for line in script {
        writeln!(stdin, "{line}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expect_in_order = [
        ":clock +1d",                     // :help
        "Which language would you like?", // /start (zh-CN welcome first)
        "[3] English",
        "What should we call you?",
        "A name cannot start with = + - or @",
        "Which branch do you belong to?",
        "Hexi District: choose your branch.",
        "Hexi District / Jiefang Subdistrict: choose your branch.",
        "Branch: Hexi District / Jiefang Subdistrict / Xinyuan Community Branch",
        "“25:99” is not a time of day",
        "Your time zone is Beijing time",
        "All set, Ann!",
        "0 checked in, 0 received, 15 lessons in all",
        "Bot clock:",
        "Safe Living: One Lesson a Day · Lesson 1 of 15",
        "[1] ✅ Done — check in",
        "✅ Checked in! +1 point. Streak: 1 day.",
        "? Which of these is right when riding an e-bike?",
        "[2] Wear a helmet and fasten the chin strap",
        "❌ Not quite. The answer is: Wear a helmet and fasten the chin strap",
        "A helmet protects your head",
        "? When you walk out after dark",
        "✅ Right! +1 point",
        "1 checked in, 1 received, 15 lessons in all",
        "⭐ Points: 2",
        "📝 Quiz answers: 1 of 2 right (50%)",
        "🏆 Leaderboard — this week",
        "👉 1. Ann — 2",
        "Your place: 1 (2 points)",
        "You have no poster yet",
        // The console user is the owner: the statistics of this week.
        "📊 Study statistics · Everyone",
        "Lesson 1 Crossing Roads and Riding E-bikes: Safety First — 100% (1/1)",
        "You are now marked as working away from home",
        "Do you agree?",
        "[:location LAT LON]",
        "That location is not valid",
        "📍 Location saved.",
        "Venue pd-01 added",
        "No activities within 5 km in the next 7 days",
        "“soon” is not a clock change",
    ];
    let mut at = 0;
    for needle in expect_in_order {
        match stdout[at..].find(needle) {
            Some(i) => at += i + needle.len(),
            None => panic!("expected {needle:?} after position {at} in:\n{stdout}"),
        }
    }

    // The operator's view of the same database: one lesson sent, nothing waiting.
    let url = format!("sqlite://{}/chat.db", db.path().display());
    let report = stdout_of(weike().arg("outbox").env("WEIKE_DATABASE_URL", &url));
    let rows: Vec<Vec<&str>> = report
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["status", "kind", "rows"]);
    assert_eq!(rows[1], ["sent", "lesson", "1"], "{report}");
    assert!(report.contains("nothing is waiting"), "{report}");
    let (_, stdout, _) = outcome(
        weike()
            .args(["outbox", "retry", "--dead"])
            .env("WEIKE_DATABASE_URL", &url),
    );
    assert_eq!(stdout.trim(), "0 row(s) requeued");

    // The same statistics on the command line, and the members' progress as CSV, where a
    // name an older version could have stored is neutralized.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let changed =
            sqlx::query("UPDATE members SET display_name = $1 WHERE display_name = 'Ann'")
                .bind("=HYPERLINK(\"http://x\",\"Ann\")")
                .execute(&mut c)
                .await
                .unwrap()
                .rows_affected();
        assert_eq!(changed, 1);
    });
    let csv = db.path().join("progress.csv");
    let report = stdout_of(
        weike()
            .args(["report", "--locale", "en", "--csv"])
            .arg(&csv)
            .env("WEIKE_DATABASE_URL", &url),
    );
    assert!(
        report.contains("Hexi District — participation 100% (1/1)"),
        "{report}"
    );
    assert!(!report.contains("<b>"), "plain text: {report}");
    let bytes = std::fs::read(&csv).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("id,name,branch,status"), "{text}");
    // Away (Yes), one lesson received, one check-in on its day, 2 answers, 1 right, 50.0%.
    assert!(lines[1].contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"Ann\"\")\",Hexi District / Jiefang Subdistrict / Xinyuan Community Branch,active,Yes,1,1,20"), "{text}");
    assert!(lines[1].contains(",2,1,50.0,"), "{text}");
    let (code, _, stderr) = outcome(
        weike()
            .args(["report", "--branch", "nowhere"])
            .env("WEIKE_DATABASE_URL", &url),
    );
    assert_ne!(code, Some(0));
    assert!(stderr.contains("--branch \"nowhere\": there is no such branch"));
}

/// `weike import venues|activities`: every bad row reported as `file:line: problem` (in
/// the language of `--locale`, zh-CN by default) and nothing written; then a good file
/// imported, and imported again as updates.
#[test]
fn import_checks_every_row_and_is_all_or_nothing_on_sqlite() {
    let db = support::db::TestDb::sqlite();
    import_scenario(&db.url);
}

#[tokio::test]
async fn import_checks_every_row_and_is_all_or_nothing_on_postgres() {
    if let Some(db) = support::db::TestDb::postgres("cli_import").await {
        tokio::task::spawn_blocking(move || import_scenario(&db.url))
            .await
            .unwrap();
    }
}

fn import_scenario(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let import_in = |locale: Option<&str>, what: &str, file: &str| {
        let mut cmd = weike();
        cmd.args(["import", what]).arg(d.join(file));
        if let Some(locale) = locale {
            cmd.args(["--locale", locale]);
        }
        outcome(cmd.env("WEIKE_DATABASE_URL", url))
    };
    let import = |what: &str, file: &str| import_in(Some("en"), what, file);
    write(
        d,
        "bad-venues.csv",
        "id,name,lat,lon,address,radius_km,branch\n\
         pd-01,浦东红色驿站,31.2304,121.4737,\"世纪大道 100 号, 1 楼\",10,qingshan\n\
         pd-02,坏驿站,95,121.5,,,\n\
         pd-03,无支部驿站,31.1,121.3,,5,nowhere\n",
    );
    let (code, stdout, stderr) = import("venues", "bad-venues.csv");
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("bad-venues.csv:3: latitude 95 is out of range: use -90 to 90\n"),
        "{stdout}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    // The default locale, zh-CN; the option may also come before the subcommand.
    for args in [None, Some("zh-CN")] {
        let (code, stdout, _) = import_in(args, "venues", "bad-venues.csv");
        assert_eq!(code, Some(1), "{stdout}");
        assert!(
            stdout.contains("bad-venues.csv:3: 纬度 95 超出范围：应在 -90 到 90 之间\n"),
            "{stdout}"
        );
    }
    let (_, stdout, _) = outcome(
        weike()
            .args(["import", "--locale", "zh-TW", "venues"])
            .arg(d.join("bad-venues.csv"))
            .env("WEIKE_DATABASE_URL", url),
    );
    assert!(
        stdout.contains("bad-venues.csv:3: 緯度 95 超出範圍：應在 -90 到 90 之間\n"),
        "{stdout}"
    );
    let (code, _, stderr) = import_in(Some("fr"), "venues", "bad-venues.csv");
    assert_ne!(code, Some(0));
    assert!(
        stderr.contains("--locale \"fr\": use zh-CN, zh-TW or en"),
        "{stderr}"
    );
    // A file saved as GBK: the line of the first byte that is not UTF-8. A 10 MB field:
    // quoted as an excerpt.
    let mut gbk = b"id,name,lat,lon\npd-01,ok,31.2,121.4\npd-02,".to_vec();
    gbk.extend([0xC6, 0xD6, 0xB6, 0xAB]); // 浦东
    gbk.extend(b",31.2,121.4\n");
    std::fs::write(d.join("gbk.csv"), gbk).unwrap();
    let (code, stdout, stderr) = import("venues", "gbk.csv");
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("gbk.csv:3: the file is not UTF-8 text from this line on"),
        "{stdout}"
    );
    write(
        d,
        "huge.csv",
        &format!("id,name,lat,lon\n{},x,1,1\n", "h".repeat(10 << 20)),
    );
    let (code, stdout, stderr) = import("venues", "huge.csv");
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "{}: id \"{}…\" is not a valid id: use 1 to 40 characters from a-z, 0-9, '-', '_' and '.'\n",
            d.join("huge.csv:2").display(),
            "h".repeat(40)
        )
    );
    // The branch is checked once the rows are well-formed.
    write(
        d,
        "venues.csv",
        "id,name,lat,lon,address,radius_km,branch\n\
         pd-01,浦东红色驿站,31.2304,121.4737,\"世纪大道 100 号, 1 楼\",10,qingshan\n\
         pd-03,无支部驿站,31.1,121.3,,5,nowhere\n",
    );
    let (code, stdout, _) = import("venues", "venues.csv");
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "venues.csv:3: branch \"nowhere\" is not a branch id (see /branches or the branches file)"
        ),
        "{stdout}"
    );
    let (_, stdout, _) = import_in(None, "venues", "venues.csv");
    assert!(
        stdout.contains("venues.csv:3: 没有编号为“nowhere”的支部（见 /branches 或支部文件）"),
        "{stdout}"
    );
    write(
        d,
        "venues.csv",
        "id,name,lat,lon,address,radius_km,branch\n\
         pd-01,浦东红色驿站,31.2304,121.4737,\"世纪大道 100 号, 1 楼\",10,qingshan\n\
         hk-01,红磡驿站,22.3049,114.1846,,,\n",
    );
    let (code, stdout, stderr) = import("venues", "venues.csv");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("2 venues imported (2 new, 0 updated)"),
        "{stdout}"
    );
    let (_, stdout, _) = import("venues", "venues.csv");
    assert!(
        stdout.contains("2 venues imported (0 new, 2 updated)"),
        "{stdout}"
    );

    write(
        d,
        "bad-activities.csv",
        "id,venue,title,start,end,timezone,capacity,description\n\
         a1,pd-01,学习交流会,2030-12-03 19:00,2030-12-03 21:00,,30,\n\
         a2,nowhere,读书会,2030-12-04 19:00,2030-12-04 21:00,,,\n\
         a3,hk-01,故事会,2030-12-05 19:00,2030-12-05 18:00,Asia/Hong_Kong,,\n",
    );
    let (code, stdout, _) = import("activities", "bad-activities.csv");
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("bad-activities.csv:3: venue \"nowhere\" is not a known venue id"),
        "{stdout}"
    );
    assert!(
        stdout.contains("bad-activities.csv:4: ends at 2030-12-05 18:00 before it starts"),
        "{stdout}"
    );
    write(
        d,
        "activities.csv",
        "id,venue,title,start,end,timezone,capacity,description\n\
         a1,pd-01,学习交流会,2030-12-03 19:00,2030-12-03 21:00,,30,\"学习\n两行说明\"\n\
         a3,hk-01,故事会,2030-12-05 19:00,2030-12-05 20:00,Asia/Hong_Kong,,\n",
    );
    let (code, stdout, stderr) = import("activities", "activities.csv");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("2 activities imported (2 new, 0 updated)"),
        "{stdout}"
    );
    let (code, stdout, stderr) = outcome(
        weike()
            .args(["import", "activities", "--notify", "--locale", "en"])
            .arg(d.join("activities.csv"))
            .env("WEIKE_DATABASE_URL", url),
    );
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("2 activities imported (0 new, 2 updated)"),
        "{stdout}"
    );
    let (code, _, stderr) = import("activities", "missing.csv");
    assert_ne!(code, Some(0));
    assert!(stderr.contains("missing.csv"), "{stderr}");
}

/// `weike inbox` lists the dead updates with their errors; `weike inbox retry` queues them
/// again for the running service.
#[tokio::test]
async fn inbox_lists_dead_updates_and_retry_queues_them() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/inbox.db", dir.path().display());
    let store = weike::store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let now = chrono::Utc::now();
    for (id, chat) in [(41, "9001"), (42, "9002")] {
        store
            .save_update("telegram", id, chat, r#"{"update_id": 0}"#, now)
            .await
            .unwrap();
    }
    let claimed = store
        .claim_updates(
            "telegram",
            "w",
            now,
            now + chrono::Duration::seconds(60),
            10,
        )
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    store
        .kill_update(
            "telegram",
            41,
            "w",
            "cannot read the update: message: bad",
            None,
            now,
        )
        .await
        .unwrap();
    store.finish_update("telegram", 42, "w").await.unwrap();
    store.close().await;

    let report = stdout_of(weike().arg("inbox").env("WEIKE_DATABASE_URL", &url));
    let rows: Vec<Vec<&str>> = report
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["status", "updates"]);
    assert_eq!(rows[1], ["dead", "1"], "{report}");
    assert_eq!(rows[2], ["done", "1"], "{report}");
    assert!(report.contains("oldest dead update: received"), "{report}");
    assert!(
        report.contains("#41 chat 9001, 1 attempt(s)")
            && report.contains("cannot read the update: message: bad"),
        "{report}"
    );

    let (_, stdout, _) = outcome(
        weike()
            .args(["inbox", "retry"])
            .env("WEIKE_DATABASE_URL", &url),
    );
    assert!(
        stdout.starts_with("1 dead update(s) queued again"),
        "{stdout}"
    );
    let (_, report, _) = outcome(weike().arg("inbox").env("WEIKE_DATABASE_URL", &url));
    assert!(report.contains("no dead updates"), "{report}");
    assert!(report.contains("pending"), "{report}");
}

/// `weike report` ends with the delivery capacity `/capacity` shows: the members of each
/// lesson-time slot in the next 24 hours, when the slot finishes going out and whether
/// members wait more than 30 minutes, read from the store.
fn report_shows_capacity(url: &str, members: usize) {
    // One message a second: the 07:30 slot runs late.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "weike.toml", "messages_per_second = 1.0\n");
    let report = stdout_of(
        weike()
            .args(["report", "--locale", "en"])
            .env("WEIKE_DATABASE_URL", url)
            .env("WEIKE_CONFIG", dir.path().join("weike.toml")),
    );
    assert!(
        report.contains("Lessons going out in the next 24 hours (1.0 messages a second"),
        "{report}"
    );
    let slot = report
        .lines()
        .find(|l| l.contains(&format!("{members} members · done")))
        .unwrap_or_else(|| panic!("no slot of {members} members in {report}"));
    assert!(slot.contains("the last wait about"), "{slot}");
    assert!(
        report.contains("In 1 slot members wait more than 30 minutes"),
        "{report}"
    );
}

async fn seed_members(url: &str, members: usize) {
    let config = weike::config::Config::from_sources(None, |k| match k {
        "WEIKE_DATABASE_URL" => Some(url.to_string()),
        _ => None,
    })
    .unwrap();
    let app = weike::service::App::start(config, std::sync::Arc::new(weike::clock::SystemClock))
        .await
        .unwrap();
    support::harness::add_members(&app, members, 880_000, chrono::Utc::now()).await;
    app.store.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn report_shows_delivery_capacity_on_sqlite() {
    let db = support::db::TestDb::sqlite();
    seed_members(&db.url, 2_000).await;
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || report_shows_capacity(&url, 2_000))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn report_shows_delivery_capacity_on_postgres() {
    if let Some(db) = support::db::TestDb::postgres("cli_capacity").await {
        seed_members(&db.url, 2_000).await;
        let url = db.url.clone();
        tokio::task::spawn_blocking(move || report_shows_capacity(&url, 2_000))
            .await
            .unwrap();
    }
}
