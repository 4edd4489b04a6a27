//! `weike import venues|activities FILE.csv`: bulk loading of venues and their activities.
//!
//! Every row is checked first (the formats of `domain::venue_csv`, plus: a venue's branch
//! must exist, an activity's venue must be an open venue in the database); one problem
//! anywhere and nothing is written.
//!
//! Then the rows are written in short transactions of [`BATCH_ROWS`] rows with a pause of
//! [`BATCH_PAUSE`](crate::store::BATCH_PAUSE) between them (`Store::upsert_venues_reporting`,
//! `Store::upsert_activities_reporting`), so that a service working on the same database
//! goes on answering its members during a long import: SQLite has one writer at a time,
//! and one transaction for a whole file of 200,000 rows held its lock for many seconds.
//! Progress goes to `progress` every [`PROGRESS_ROWS`] rows written, every
//! [`PROGRESS_ANNOUNCED`] activities announced, and at least every [`PROGRESS_EVERY`].
//!
//! **An interrupted import is completed by running it again.** A kill, a crash or a
//! database error between two batches leaves the batches committed before it: each row is
//! written by an upsert keyed by its id, and every row was checked on its own before any was
//! written, so what is there is a consistent part of the file, and writing the same file
//! again gives the state of a clean import (only `updated_at` differs, and the rows of the
//! first run are counted as updated, not new). This was chosen over a staging table, which
//! would hold a second copy of the file and still have to move it into place in batches
//! that a kill can interrupt.
//!
//! `--notify`: a new activity is marked `announce_pending` in the transaction that writes
//! it; after the last batch every marked activity is announced to the migrant members near
//! its venue (`Conversation::announce_activity`) and unmarked. A rerun after a kill
//! announces what the interrupted run wrote and did not announce; a member is never told
//! twice about one activity, since the outbox refuses a second `activity-new:<activity>:<member>`
//! dedup key.

use std::fmt;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::domain::venue_csv::{self, CsvProblem};
use crate::service::App;
use crate::store::{BATCH_ROWS, NewActivity, NewVenue, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Venues,
    Activities,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: String },
    /// Every problem found, in file order (shown as `file:line: problem`, the problem put
    /// into words through Fluent).
    #[error("{} problem(s) found", .0.len())]
    Invalid(Vec<CsvProblem>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Conversation(#[from] crate::conversation::ConversationError),
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub kind: ImportKind,
    pub file: String,
    pub rows: usize,
    pub new: usize,
    /// Members told about new activities (`--notify`).
    pub notified: u64,
}

impl ImportKind {
    /// What its rows are, in the plural: `venues`, `activities`.
    fn rows(self) -> &'static str {
        match self {
            ImportKind::Venues => "venues",
            ImportKind::Activities => "activities",
        }
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = self.kind.rows();
        write!(
            f,
            "{}: {} {what} imported ({} new, {} updated)",
            self.file,
            self.rows,
            self.new,
            self.rows - self.new
        )?;
        if self.kind == ImportKind::Activities && self.notified > 0 {
            write!(f, "; {} migrant member(s) told", self.notified)?;
        }
        Ok(())
    }
}

/// Progress is shown after this many rows written (ten batches) ...
pub const PROGRESS_ROWS: usize = 10 * BATCH_ROWS;
/// ... or this many activities announced (a search of the members near each; they are
/// announced [`BATCH_ROWS`] at a time) ...
pub const PROGRESS_ANNOUNCED: usize = BATCH_ROWS;
/// ... or when this long has passed since it was last shown.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// Shows `line(n)` when `n` is the last, or `every` more or [`PROGRESS_EVERY`] have passed
/// since the last line shown.
struct Throttle<'a> {
    show: &'a (dyn Fn(&str) + Sync),
    every: usize,
    last: Mutex<(Instant, usize)>,
}

impl<'a> Throttle<'a> {
    fn new(show: &'a (dyn Fn(&str) + Sync), every: usize) -> Self {
        Throttle {
            show,
            every,
            last: Mutex::new((Instant::now(), 0)),
        }
    }

    fn step(&self, n: usize, last: bool, line: impl FnOnce() -> String) {
        let Ok(mut shown) = self.last.lock() else {
            return;
        };
        if last || n >= shown.1 + self.every || shown.0.elapsed() >= PROGRESS_EVERY {
            *shown = (Instant::now(), n);
            (self.show)(&line());
        }
    }
}

/// The progress of writing the `total` rows of a file: a line before the first batch, then
/// how many are written, throttled.
struct Writing<'a> {
    throttle: Throttle<'a>,
    total: usize,
    what: &'static str,
}

impl<'a> Writing<'a> {
    fn start(show: &'a (dyn Fn(&str) + Sync), file: &str, kind: ImportKind, total: usize) -> Self {
        let what = kind.rows();
        show(&format!(
            "{file}: writing {total} {what} in transactions of {BATCH_ROWS} ..."
        ));
        Writing {
            throttle: Throttle::new(show, PROGRESS_ROWS),
            total,
            what,
        }
    }

    /// `n` rows are written.
    fn written(&self, n: usize) {
        let (total, what) = (self.total, self.what);
        self.throttle
            .step(n, n == total, || format!("{n}/{total} {what} written ..."));
    }
}

pub async fn import(
    app: &App,
    kind: ImportKind,
    path: &Path,
    notify: bool,
    progress: impl Fn(&str) + Sync,
) -> Result<ImportReport, ImportError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ImportError::Read {
        path: file.clone(),
        error: e.to_string(),
    })?;
    // Not UTF-8: a problem on the line of the first bad byte, like any other.
    let text = venue_csv::decode(&file, &bytes).map_err(|e| ImportError::Invalid(e.problems))?;
    let now = Utc::now();
    let store = &app.store;
    match kind {
        ImportKind::Venues => {
            let rows = venue_csv::parse_venues(&file, text)
                .map_err(|e| ImportError::Invalid(e.problems))?;
            let tree = app.conversation.tree();
            let problems: Vec<CsvProblem> = rows
                .iter()
                .filter_map(|r| {
                    let b = r.branch.as_deref()?;
                    tree.get(b)
                        .is_none()
                        .then(|| CsvProblem::unknown_branch(&file, r.line, b))
                })
                .collect();
            if !problems.is_empty() {
                return Err(ImportError::Invalid(problems));
            }
            let venues: Vec<NewVenue> = rows.into_iter().map(NewVenue::from).collect();
            let writing = Writing::start(&progress, &file, kind, venues.len());
            let new = store
                .upsert_venues_reporting(&venues, now, &|n| writing.written(n))
                .await?;
            Ok(ImportReport {
                kind,
                file,
                rows: venues.len(),
                new: new as usize,
                notified: 0,
            })
        }
        ImportKind::Activities => {
            let known: std::collections::HashSet<String> =
                store.venue_ids().await?.into_iter().collect();
            let rows = venue_csv::parse_activities(&file, text, &|v| known.contains(v))
                .map_err(|e| ImportError::Invalid(e.problems))?;
            let activities: Vec<NewActivity> = rows.into_iter().map(NewActivity::from).collect();
            let writing = Writing::start(&progress, &file, kind, activities.len());
            let before = store
                .upsert_activities_reporting(&activities, now, notify, &|n| writing.written(n))
                .await?;
            let new = before.iter().filter(|old| old.is_none()).count();
            let mut notified = 0;
            if notify {
                // The new activities of this run, and any a killed run left unannounced.
                let throttle = Throttle::new(&progress, PROGRESS_ANNOUNCED);
                let mut announced = 0;
                loop {
                    let ids = store.pending_announcements(BATCH_ROWS).await?;
                    if ids.is_empty() {
                        break;
                    }
                    let found = store.activities_with_venues(&ids).await?;
                    notified += app.conversation.announce_activities(&found).await?;
                    if store.announced(&ids).await? == 0 {
                        break; // another import announced them meanwhile
                    }
                    announced += ids.len();
                    throttle.step(announced, false, || {
                        format!(
                            "{announced} new activities announced to the migrant members near them ..."
                        )
                    });
                    store.between_batches().await;
                }
            }
            Ok(ImportReport {
                kind,
                file,
                rows: activities.len(),
                new,
                notified,
            })
        }
    }
}
