use std::sync::LazyLock;

use super::fonts::Metrics;
use super::wrap::{Measure, is_closing};
use super::*;

static RENDERER: LazyLock<PosterRenderer> =
    LazyLock::new(|| PosterRenderer::new().expect("embedded fonts load"));

pub(crate) fn sample(script: Script) -> PosterText {
    let s = |v: &str| v.to_string();
    match script {
        Script::Simplified => PosterText {
            script,
            title: s("我的学习海报"),
            display_name: s("张晓梅"),
            course_title: s("平安生活每日一课"),
            stage_title: s("第一阶段：出行与户外"),
            figures: vec![
                (s("累计打卡"), s("15")),
                (s("连续学习"), s("7")),
                (s("积分"), s("320")),
            ],
            quote: s("防溺水：野外水域不下水，遇人落水会呼救"),
            branch: s("青山市 · 东湖镇 · 柳村党支部"),
            date: s("2025-06-01"),
            footer: s("天天学一点，常学常新"),
        },
        Script::Traditional => PosterText {
            script,
            title: s("我的學習海報"),
            display_name: s("陳志豪"),
            course_title: s("平安生活每日一課"),
            stage_title: s("第二階段：防騙"),
            figures: vec![
                (s("累計打卡"), s("30")),
                (s("連續學習"), s("12")),
                (s("積分"), s("1,280")),
            ],
            quote: s("電信詐騙：陌生來電要轉帳，先掛斷再核實"),
            branch: s("青山市 · 東湖鎮 · 桃花村黨支部"),
            date: s("2025-06-01"),
            footer: s("天天學一點，常學常新"),
        },
        Script::Latin => PosterText {
            script,
            title: s("My learning poster"),
            display_name: s("Margaret Okonkwo-Smith"),
            course_title: s("Safe Living: One Lesson a Day"),
            stage_title: s("Stage 1: Out and about"),
            figures: vec![
                (s("Lessons done"), s("15")),
                (s("Day streak"), s("7")),
                (s("Points"), s("320")),
            ],
            quote: s("Drowning prevention: never swim alone in open water, and call for help"),
            branch: s("Qingshan City · Donghu Town · Liucun Village Branch"),
            date: s("2025-06-01"),
            footer: s("Learning every day, a little at a time"),
        },
    }
}

fn script_name(script: Script) -> &'static str {
    match script {
        Script::Simplified => "zh-cn",
        Script::Traditional => "zh-tw",
        Script::Latin => "en",
    }
}

const ALL_SCRIPTS: [Script; 3] = [Script::Simplified, Script::Traditional, Script::Latin];

fn measure(script: Script, max_width: f32) -> Measure {
    Measure {
        metrics: Metrics::new(script, false),
        letter_spacing: 0.0,
        max_width,
        balance: false,
    }
}

// ----- rendering ----------------------------------------------------------------------

#[test]
fn renderer_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<PosterRenderer>();
}

#[test]
fn png_decodes_at_full_size() {
    for script in ALL_SCRIPTS {
        let png_bytes = RENDERER.render_png(&sample(script)).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT), "{script:?}");
    }
}

#[test]
fn writes_samples_to_tmp() {
    // For a look at the design: /tmp/poster-sample-zh.png and -en.png (and -tw).
    for (script, name) in [
        (Script::Simplified, "zh"),
        (Script::Traditional, "tw"),
        (Script::Latin, "en"),
    ] {
        let png_bytes = RENDERER.render_png(&sample(script)).unwrap();
        assert!(png_bytes.starts_with(b"\x89PNG"));
        std::fs::write(format!("/tmp/poster-sample-{name}.png"), png_bytes).unwrap();
    }
    let mut long = sample(Script::Simplified);
    long.display_name = "欧阳".repeat(32);
    long.stage_title = "第三阶段：居家安全与急救知识综合提升训练营结业".into();
    long.quote = "一氧化碳中毒：".to_string() + &"冬季取暖要通风，煤炉不放卧室，".repeat(6);
    long.branch = "青山市 · 东湖镇 · 桃花村党支部第二党小组".repeat(3);
    long.figures.push(("测验正确率".into(), "98%".into()));
    let png_bytes = RENDERER.render_png(&long).unwrap();
    std::fs::write("/tmp/poster-sample-zh-long.png", png_bytes).unwrap();
}

/// Pixels of `pixmap` in the box that differ clearly from what is drawn under the text.
fn ink(pixmap: &tiny_skia::Pixmap, under: &tiny_skia::Pixmap, b: (f32, f32, f32, f32)) -> usize {
    let (x0, y0, w, h) = b;
    let x_start = x0.floor().max(0.0) as u32;
    let y_start = y0.floor().max(0.0) as u32;
    let x_end = ((x0 + w).ceil() as u32).min(pixmap.width());
    let y_end = ((y0 + h).ceil() as u32).min(pixmap.height());
    let mut count = 0;
    for y in y_start..y_end {
        for x in x_start..x_end {
            let a = pixmap.pixel(x, y).unwrap();
            let b = under.pixel(x, y).unwrap();
            let diff = (i32::from(a.red()) - i32::from(b.red())).abs()
                + (i32::from(a.green()) - i32::from(b.green())).abs()
                + (i32::from(a.blue()) - i32::from(b.blue())).abs();
            if diff > 60 {
                count += 1;
            }
        }
    }
    count
}

/// The poster without its text, to compare with.
fn without_text(layout: &Layout) -> tiny_skia::Pixmap {
    let mut bare = layout.clone();
    bare.texts.clear();
    let tree = usvg::Tree::from_str(&svg(&bare), &usvg::Options::default()).unwrap();
    let mut pixmap = tiny_skia::Pixmap::new(WIDTH, HEIGHT).unwrap();
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap
}

#[test]
fn every_text_item_has_ink() {
    for script in ALL_SCRIPTS {
        let t = sample(script);
        let layout = layout(&t);
        let pixmap = RENDERER.render_pixmap(&t).unwrap();
        let bare = without_text(&layout);
        for item in &layout.texts {
            let count = ink(&pixmap, &bare, item.bounds());
            // Roughly: a glyph covers well over 3% of its em square.
            let chars = item.text.chars().filter(|c| !c.is_whitespace()).count();
            let expected = chars as f32 * item.size * item.size * 0.03;
            assert!(
                count as f32 > expected,
                "{script:?} {} {:?}: {count} ink pixels, expected over {expected}",
                item.role,
                item.text
            );
        }
    }
}

#[test]
fn cjk_name_is_drawn_with_cjk_glyphs() {
    for script in [Script::Simplified, Script::Traditional] {
        let t = sample(script);
        let layout = layout(&t);
        let name = layout.texts.iter().find(|i| i.role == "name").unwrap();
        assert!(
            name.text.chars().all(super::fonts::is_wide),
            "{:?}",
            name.text
        );
        let pixmap = RENDERER.render_pixmap(&t).unwrap();
        let bare = without_text(&layout);
        // Each ideograph leaves a good deal of ink: a missing glyph would leave none (or
        // an empty box, far less).
        let count = ink(&pixmap, &bare, name.bounds());
        let per_char = count as f32 / name.text.chars().count() as f32;
        assert!(
            per_char > 0.12 * name.size * name.size,
            "{script:?}: {per_char} ink pixels per character of the name"
        );
    }
}

#[test]
fn every_character_shown_is_in_the_font() {
    let mut texts: Vec<PosterText> = ALL_SCRIPTS.into_iter().map(sample).collect();
    let mut odd = sample(Script::Simplified);
    odd.display_name = "小明😀🎉\u{200B}\u{7}".into();
    texts.push(odd);
    for t in texts {
        let layout = layout(&t);
        for weight in [false, true] {
            let metrics = Metrics::new(t.script, weight);
            for item in &layout.texts {
                for c in item.text.chars() {
                    assert!(
                        metrics.covers(c),
                        "{:?} {}: {c:?} (U+{:04X}) not in the font",
                        t.script,
                        item.role,
                        c as u32
                    );
                }
            }
        }
    }
}

#[test]
fn uncovered_characters_are_left_out() {
    let mut t = sample(Script::Simplified);
    t.display_name = "小明😀 <b>&".into();
    let layout = layout(&t);
    let name = layout.texts.iter().find(|i| i.role == "name").unwrap();
    assert_eq!(name.text, "小明 <b>&");
    // And the markup-like text is escaped in the SVG.
    assert!(svg(&layout).contains("小明 &lt;b&gt;&amp;</text>"));
    assert!(RENDERER.render_png(&t).is_ok());
}

#[test]
fn escape_xml_escapes_markup_and_drops_controls() {
    assert_eq!(
        escape_xml("a<b>&\"c'\u{1}\n"),
        "a&lt;b&gt;&amp;&quot;c&apos;\n"
    );
}

#[test]
fn long_texts_stay_on_the_canvas() {
    for script in ALL_SCRIPTS {
        let mut t = sample(script);
        let long_word = "Supercalifragilisticexpialidocious".repeat(2);
        let cjk = "欧阳".repeat(32);
        let name: String = match script {
            Script::Latin => long_word.chars().take(64).collect(),
            _ => cjk,
        };
        assert_eq!(name.chars().count(), 64);
        t.display_name = name;
        t.title = t.title.repeat(8);
        t.course_title = t.course_title.repeat(8);
        t.stage_title = t.stage_title.repeat(8);
        t.quote = t.quote.repeat(10);
        t.branch = t.branch.repeat(6);
        t.date = t.date.repeat(10);
        t.footer = t.footer.repeat(8);
        t.figures = (0..10)
            .map(|i| (format!("{}{i}", "Label ".repeat(5)), "1234567890".repeat(3)))
            .collect();
        let layout = layout(&t);
        assert!(!layout.texts.is_empty());
        for item in &layout.texts {
            let (x, y, w, h) = item.bounds();
            assert!(
                x >= 40.0 && x + w <= WIDTH as f32 - 40.0 && y >= 0.0 && y + h <= HEIGHT as f32,
                "{script:?} {} {:?} out of the canvas at {:?}",
                item.role,
                item.text,
                item.bounds()
            );
        }
        // Text boxes do not overlap one another.
        for (i, a) in layout.texts.iter().enumerate() {
            for b in &layout.texts[i + 1..] {
                let (ax, ay, aw, ah) = a.bounds();
                let (bx, by, bw, bh) = b.bounds();
                let apart = ax + aw <= bx || bx + bw <= ax || ay + ah <= by || by + bh <= ay;
                assert!(apart, "{script:?}: {:?} overlaps {:?}", a.text, b.text);
            }
        }
        // Figure values stay within their cards.
        let cards: Vec<&Rect> = layout
            .rects
            .iter()
            .filter(|r| r.role == "figure-card")
            .collect();
        assert_eq!(cards.len(), 8, "at most 8 figures");
        for item in layout
            .texts
            .iter()
            .filter(|i| i.role.starts_with("figure-"))
        {
            let (x, y, w, h) = item.bounds();
            assert!(
                cards
                    .iter()
                    .any(|c| x >= c.x && x + w <= c.x + c.w && y >= c.y && y + h <= c.y + c.h),
                "{script:?} {:?} outside every card",
                item.text
            );
        }
        assert!(RENDERER.render_png(&t).is_ok());
    }
}

#[test]
fn empty_text_gives_a_poster_without_text_items() {
    let t = PosterText {
        script: Script::Latin,
        title: String::new(),
        display_name: String::new(),
        course_title: String::new(),
        stage_title: String::new(),
        figures: vec![(String::new(), String::new())],
        quote: String::new(),
        branch: String::new(),
        date: String::new(),
        footer: String::new(),
    };
    let layout = layout(&t);
    assert!(layout.texts.is_empty(), "{:?}", layout.texts);
    let png_bytes = RENDERER.render_png(&t).unwrap();
    assert!(png_bytes.starts_with(b"\x89PNG"));
}

// ----- wrapping -----------------------------------------------------------------------

#[test]
fn long_english_breaks_at_spaces() {
    let m = measure(Script::Latin, 300.0);
    let f = m.fit(
        "Drowning prevention: never swim alone in open water",
        &[(32.0, 10)],
        "",
    );
    assert!(f.lines.len() > 1, "{:?}", f.lines);
    assert!(!f.truncated);
    // Every word whole, no spaces at line ends, and each line fits.
    let words: Vec<&str> = f.lines.iter().flat_map(|l| l.split(' ')).collect();
    assert_eq!(
        words.join(" "),
        "Drowning prevention: never swim alone in open water"
    );
    for (line, width) in f.lines.iter().zip(&f.widths) {
        assert_eq!(line.trim(), line);
        assert!(*width <= 300.0, "{line:?} is {width} wide");
    }
}

#[test]
fn a_word_longer_than_a_line_breaks_inside() {
    let m = measure(Script::Latin, 200.0);
    let word = "Pneumonoultramicroscopicsilicovolcanoconiosis";
    let f = m.fit(word, &[(32.0, 10)], "");
    assert!(f.lines.len() > 1);
    assert_eq!(f.lines.concat(), word);
    assert!(f.widths.iter().all(|w| *w <= 200.0));
}

#[test]
fn long_chinese_breaks_between_characters() {
    let m = measure(Script::Simplified, 400.0);
    let text = "野外水域不下水遇人落水会呼救不盲目施救";
    let f = m.fit(text, &[(40.0, 10)], "");
    // 400 px at 40 px per character: 10 characters a line.
    assert_eq!(f.lines, vec!["野外水域不下水遇人落", "水会呼救不盲目施救"]);
    assert_eq!(f.lines.concat(), text);
}

#[test]
fn closing_punctuation_never_starts_a_line() {
    for script in [Script::Simplified, Script::Traditional] {
        let m = measure(script, 400.0);
        // The 11th character is a comma, which would start the second line.
        for text in [
            "野外水域不下水遇人落水，会呼救不盲目施救。",
            "野外水域不下水遇人落水。」会呼救不盲目施救",
            "野外水域不下水遇人落水」，会呼救",
        ] {
            let f = m.fit(text, &[(40.0, 10)], "");
            assert_eq!(f.lines.concat(), text);
            for line in &f.lines[1..] {
                let first = line.chars().next().unwrap();
                assert!(
                    !is_closing(first),
                    "{script:?}: line starts with {first:?}: {f:?}"
                );
            }
            assert!(f.widths.iter().all(|w| *w <= 400.0), "{f:?}");
        }
    }
    // Every cut position across a long text with much punctuation.
    let m = measure(Script::Simplified, 1000.0);
    let text = "一、二，三。四！五？六；七：八“九”十（十一）《十二》「十三」『十四』".repeat(3);
    for width in (200..600).step_by(40) {
        let m = Measure {
            max_width: width as f32,
            ..m
        };
        let f = m.fit(&text, &[(40.0, 100)], "");
        assert_eq!(f.lines.concat(), text);
        for line in &f.lines[1..] {
            assert!(!is_closing(line.chars().next().unwrap()), "{width}: {f:?}");
        }
    }
}

#[test]
fn opening_punctuation_never_ends_a_line() {
    let m = measure(Script::Simplified, 400.0);
    // The 10th character is an opening quote.
    let text = "野外水域不下水遇人“落水”会呼救";
    let f = m.fit(text, &[(40.0, 10)], "");
    assert_eq!(f.lines.concat(), text);
    assert!(!f.lines[0].ends_with('“'), "{f:?}");
}

#[test]
fn too_long_text_ends_with_an_ellipsis() {
    let m = measure(Script::Simplified, 400.0);
    let f = m.fit(&"安全".repeat(30), &[(40.0, 1), (32.0, 2)], "");
    assert!(f.truncated);
    assert_eq!(f.size, 32.0);
    assert_eq!(f.lines.len(), 2);
    assert!(f.lines[1].ends_with('…'), "{f:?}");
    assert!(f.widths.iter().all(|w| *w <= 400.0), "{f:?}");
    // The suffix (a closing quote) follows the ellipsis.
    let f = m.fit(&format!("“{}”", "安全".repeat(30)), &[(40.0, 2)], "”");
    assert!(f.lines[1].ends_with("…”"), "{f:?}");
    assert!(f.widths.iter().all(|w| *w <= 400.0), "{f:?}");
    // English.
    let m = measure(Script::Latin, 300.0);
    let f = m.fit(&"Stay safe at home. ".repeat(10), &[(32.0, 2)], "");
    assert!(f.truncated && f.lines[1].ends_with('…'), "{f:?}");
    assert!(f.widths.iter().all(|w| *w <= 300.0), "{f:?}");
}

#[test]
fn balanced_lines_are_about_as_long() {
    let m = Measure {
        balance: true,
        ..measure(Script::Simplified, 400.0)
    };
    // Greedy: 10 characters and then 1; balanced: 6 and 5.
    let text = "野外水域不下水遇人落水";
    let f = m.fit(text, &[(40.0, 2)], "");
    assert_eq!(f.lines, vec!["野外水域不下", "水遇人落水"]);
    // After a comma rather than exactly in the middle.
    let text = "野外水域不下水，遇人落水会呼救";
    let f = m.fit(text, &[(40.0, 2)], "");
    assert_eq!(f.lines, vec!["野外水域不下水，", "遇人落水会呼救"]);
    let m = Measure {
        balance: true,
        ..measure(Script::Latin, 500.0)
    };
    let f = m.fit(
        "never swim alone in open water, and call for help",
        &[(40.0, 3)],
        "",
    );
    let (shortest, longest) = f
        .widths
        .iter()
        .fold((f32::MAX, 0.0f32), |(lo, hi), w| (lo.min(*w), hi.max(*w)));
    assert!(f.lines.len() >= 2 && longest - shortest < 150.0, "{f:?}");
    assert_eq!(
        f.lines.join(" "),
        "never swim alone in open water, and call for help"
    );
}

#[test]
fn the_first_size_that_fits_is_chosen() {
    let m = measure(Script::Simplified, 400.0);
    // 12 characters: too wide for one line at 40 px, fits at 32 px.
    let f = m.fit(
        "平安生活每日一课平安生活",
        &[(40.0, 1), (32.0, 1), (24.0, 1)],
        "",
    );
    assert_eq!(f.size, 32.0);
    assert_eq!(f.lines.len(), 1);
    assert!(!f.truncated);
}

// ----- snapshot -----------------------------------------------------------------------

#[test]
fn layout_snapshots() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/poster/snapshots");
    let update = std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for script in ALL_SCRIPTS {
        let path = dir.join(format!("layout-{}.json", script_name(script)));
        let json = serde_json::to_string_pretty(&layout(&sample(script))).unwrap() + "\n";
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &json).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_SNAPSHOTS=1)", path.display()));
        if committed != json {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "layout changed: {stale:?}; check the change and run with UPDATE_SNAPSHOTS=1"
    );
}

#[test]
fn rays_are_cut_to_the_band() {
    let cut = super::svg::clip_to_rect(
        &[(540.0, 96.0), (2140.0, 96.0), (2130.0, 300.0)],
        1080.0,
        362.0,
    );
    assert!(cut.len() >= 3, "{cut:?}");
    assert!(
        cut.iter()
            .all(|&(x, y)| (0.0..=1080.0).contains(&x) && (0.0..=362.0).contains(&y))
    );
    assert!(cut.contains(&(540.0, 96.0)));
    // A triangle wholly below the band leaves nothing.
    assert!(
        super::svg::clip_to_rect(
            &[(0.0, 500.0), (100.0, 600.0), (50.0, 700.0)],
            1080.0,
            362.0
        )
        .is_empty()
    );
}

#[test]
fn odd_inputs_never_leave_the_canvas() {
    // Deterministic pseudo-random strings from a pool of awkward characters.
    let pool: Vec<char> = "安全，。！？、；：“”（）《》「」… abc W-/ 😀\t\n\u{3000}&<>'\"Ä1"
        .chars()
        .collect();
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for round in 0..60 {
        let mut text = |max: usize| -> String {
            let len = next(max);
            (0..len).map(|_| pool[next(pool.len())]).collect()
        };
        let t = PosterText {
            script: ALL_SCRIPTS[round % 3],
            title: text(30),
            display_name: text(70),
            course_title: text(80),
            stage_title: text(80),
            figures: (0..round % 6).map(|_| (text(20), text(12))).collect(),
            quote: text(300),
            branch: text(120),
            date: text(20),
            footer: text(60),
        };
        let layout = layout(&t);
        for item in &layout.texts {
            let (x, y, w, h) = item.bounds();
            assert!(
                x >= 40.0 && x + w <= WIDTH as f32 - 40.0 && y >= 0.0 && y + h <= HEIGHT as f32,
                "round {round}: {} {:?} at {:?}",
                item.role,
                item.text,
                item.bounds()
            );
            assert!(!item.text.starts_with(' ') && !item.text.ends_with(' '));
        }
        for line in layout.texts.windows(2) {
            if line[0].role == line[1].role && line[0].x == line[1].x && line[1].y > line[0].y {
                let first = line[1].text.chars().next().unwrap();
                assert!(!is_closing(first), "round {round}: {:?}", line[1].text);
            }
        }
    }
}
