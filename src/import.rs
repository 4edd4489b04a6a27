//! `weike import venues|activities FILE.csv`: bulk loading of venues and their activities.
//! Every row is checked first (the formats of `domain::venue_csv`, plus: a venue's branch
//! must exist, an activity's venue must be an open venue in the database); one problem
//! anywhere and nothing is written. Existing ids are updated, in one transaction.

use std::fmt;
use std::path::Path;

use chrono::Utc;

use crate::domain::venue_csv::{self, CsvProblem};
use crate::service::App;
use crate::store::{NewActivity, NewVenue, StoreError};

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

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ImportKind::Venues => "venues",
            ImportKind::Activities => "activities",
        };
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

/// Rows written per transaction, with progress shown between them.
const CHUNK: usize = 5_000;

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
            let venues: Vec<NewVenue> = rows
                .into_iter()
                .map(|r| NewVenue {
                    id: r.id,
                    name: r.name,
                    location: r.location,
                    address: r.address,
                    radius_km: r.radius_km,
                    branch_id: r.branch,
                })
                .collect();
            // One transaction for the whole file: all or nothing.
            progress(&format!("{file}: writing {} venues ...", venues.len()));
            let total = venues.len();
            let new = store
                .upsert_venues_reporting(&venues, now, &|n| {
                    progress(&format!("{n}/{total} venues written ..."))
                })
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
            let activities: Vec<NewActivity> = rows
                .into_iter()
                .map(|r| NewActivity {
                    id: r.id,
                    venue_id: r.venue,
                    title: r.title,
                    description: r.description,
                    starts_at: r.start,
                    ends_at: r.end,
                    timezone: r.timezone,
                    capacity: r.capacity.map(i64::from),
                })
                .collect();
            progress(&format!(
                "{file}: writing {} activities ...",
                activities.len()
            ));
            // One transaction for the whole file: all or nothing.
            let total = activities.len();
            let before = store
                .upsert_activities_reporting(&activities, now, &|n| {
                    progress(&format!("{n}/{total} activities written ..."))
                })
                .await?;
            let new_ids: Vec<&str> = activities
                .iter()
                .zip(&before)
                .filter(|(_, old)| old.is_none())
                .map(|(a, _)| a.id.as_str())
                .collect();
            let mut notified = 0;
            if notify {
                for (i, id) in new_ids.iter().enumerate() {
                    if let Some((activity, venue)) = store.activity_with_venue(id).await? {
                        notified += app
                            .conversation
                            .announce_activity(&activity, &venue)
                            .await?;
                    }
                    if (i + 1) % CHUNK == 0 {
                        progress(&format!(
                            "told migrant members about {}/{} new activities ...",
                            i + 1,
                            new_ids.len()
                        ));
                    }
                }
            }
            Ok(ImportReport {
                kind,
                file,
                rows: activities.len(),
                new: new_ids.len(),
                notified,
            })
        }
    }
}
