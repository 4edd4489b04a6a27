//! `weike bench poster`: how long rendering one learning poster takes, per script.

use std::fmt;
use std::time::{Duration, Instant};

use crate::poster::{PosterError, PosterRenderer, PosterText, Script, encode_png, rasterize};

/// Timings of one script's posters.
#[derive(Debug, Clone)]
pub struct ScriptTimings {
    pub script: Script,
    pub count: usize,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Mean milliseconds of each stage: layout, SVG and parsing (text to outlines),
    /// drawing, PNG encoding.
    pub parse_ms: f64,
    pub draw_ms: f64,
    pub encode_ms: f64,
    /// PNG size of the last poster rendered, in bytes.
    pub png_bytes: usize,
}

/// What [`run`] measured.
#[derive(Debug, Clone)]
pub struct PosterBenchReport {
    /// Loading the embedded fonts (once per process).
    pub font_load_ms: f64,
    pub scripts: Vec<ScriptTimings>,
}

impl fmt::Display for PosterBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "poster fonts loaded in {:.1} ms", self.font_load_ms)?;
        writeln!(
            f,
            "{:<12} {:>6} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>10} {:>8}",
            "script",
            "count",
            "mean ms",
            "p50 ms",
            "p99 ms",
            "max ms",
            "parse ms",
            "draw ms",
            "encode ms",
            "png KiB"
        )?;
        for s in &self.scripts {
            writeln!(
                f,
                "{:<12} {:>6} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>9.1} {:>8.1} {:>10.1} {:>8.1}",
                format!("{:?}", s.script),
                s.count,
                s.mean_ms,
                s.p50_ms,
                s.p99_ms,
                s.max_ms,
                s.parse_ms,
                s.draw_ms,
                s.encode_ms,
                s.png_bytes as f64 / 1024.0
            )?;
        }
        Ok(())
    }
}

/// Renders `count` posters (at least one) for each script, one after another on this
/// thread, each with a different name and figures.
pub fn run(count: usize) -> Result<PosterBenchReport, PosterError> {
    let count = count.max(1);
    let started = Instant::now();
    let renderer = PosterRenderer::new()?;
    let font_load_ms = ms(started.elapsed());
    let mut scripts = Vec::new();
    for script in [Script::Simplified, Script::Traditional, Script::Latin] {
        let mut times = Vec::with_capacity(count);
        let mut stages = [0.0f64; 3];
        let mut png_bytes = 0;
        for i in 0..count {
            let text = sample(script, i);
            // The same steps as `render_png`, timed one by one.
            let started = Instant::now();
            let tree = renderer.tree(&text)?;
            let parsed = Instant::now();
            let pixmap = rasterize(&tree)?;
            let drawn = Instant::now();
            let png = encode_png(&pixmap)?;
            let encoded = Instant::now();
            times.push(ms(encoded - started));
            stages[0] += ms(parsed - started);
            stages[1] += ms(drawn - parsed);
            stages[2] += ms(encoded - drawn);
            png_bytes = png.len();
        }
        times.sort_by(f64::total_cmp);
        let mean_ms = times.iter().sum::<f64>() / times.len() as f64;
        scripts.push(ScriptTimings {
            script,
            count,
            mean_ms,
            p50_ms: percentile(&times, 0.50),
            p99_ms: percentile(&times, 0.99),
            max_ms: times.last().copied().unwrap_or(0.0),
            parse_ms: stages[0] / count as f64,
            draw_ms: stages[1] / count as f64,
            encode_ms: stages[2] / count as f64,
            png_bytes,
        });
    }
    Ok(PosterBenchReport {
        font_load_ms,
        scripts,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `q` quantile of sorted `times` (nearest rank).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A typical poster's text, varied by `i`.
fn sample(script: Script, i: usize) -> PosterText {
    let figures = |labels: [&str; 3]| {
        vec![
            (labels[0].to_string(), (5 + i % 300).to_string()),
            (labels[1].to_string(), (1 + i % 30).to_string()),
            (labels[2].to_string(), (100 + i * 7 % 5000).to_string()),
        ]
    };
    match script {
        Script::Simplified => PosterText {
            script,
            title: "我的学习海报".into(),
            display_name: ["张晓梅", "欧阳建国", "李娜", "王志强"][i % 4].into(),
            course_title: "平安生活每日一课".into(),
            stage_title: format!("第{}阶段：出行与户外", 1 + i % 9),
            figures: figures(["累计打卡", "连续学习", "积分"]),
            quote: "防溺水：野外水域不下水，遇人落水会呼救".into(),
            branch: "青山市 · 东湖镇 · 柳村党支部".into(),
            date: "2025-06-01".into(),
            footer: "天天学一点，常学常新".into(),
        },
        Script::Traditional => PosterText {
            script,
            title: "我的學習海報".into(),
            display_name: ["陳志豪", "林美玲", "黃國華", "張雅婷"][i % 4].into(),
            course_title: "平安生活每日一課".into(),
            stage_title: format!("第{}階段：防騙", 1 + i % 9),
            figures: figures(["累計打卡", "連續學習", "積分"]),
            quote: "電信詐騙：陌生來電要轉帳，先掛斷再核實".into(),
            branch: "青山市 · 東湖鎮 · 桃花村黨支部".into(),
            date: "2025-06-01".into(),
            footer: "天天學一點，常學常新".into(),
        },
        Script::Latin => PosterText {
            script,
            title: "My learning poster".into(),
            display_name: ["Margaret Okonkwo", "Li Wei", "John Smith", "Ana García"][i % 4].into(),
            course_title: "Safe Living: One Lesson a Day".into(),
            stage_title: format!("Stage {}: Out and about", 1 + i % 9),
            figures: figures(["Lessons done", "Day streak", "Points"]),
            quote: "Drowning prevention: never swim alone in open water".into(),
            branch: "Qingshan City · Donghu Town · Liucun Village Branch".into(),
            date: "2025-06-01".into(),
            footer: "Learning every day, a little at a time".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_nearest_rank() {
        let times: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&times, 0.5), 50.0);
        assert_eq!(percentile(&times, 0.99), 99.0);
        assert_eq!(percentile(&[3.0], 0.99), 3.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn bench_reports_every_script() {
        let report = run(1).unwrap();
        assert_eq!(report.scripts.len(), 3);
        assert!(
            report
                .scripts
                .iter()
                .all(|s| s.png_bytes > 0 && s.count == 1)
        );
        let shown = report.to_string();
        assert!(
            shown.contains("Traditional") && shown.contains("p99 ms"),
            "{shown}"
        );
    }

    /// `cargo test --release --lib bench::poster -- --ignored --nocapture`
    #[test]
    #[ignore = "a benchmark: run with --release"]
    fn poster_bench_release() {
        let report = run(50).unwrap();
        println!("{report}");
    }
}
