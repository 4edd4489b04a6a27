//! Bulk import of venues and their activities from CSV files, validated row by row.
//!
//! Both formats share these rules:
//! - UTF-8 text, with or without a byte-order mark ([`decode`] finds the line of the first
//!   byte that is not); fields may be quoted (`"a, b"`, `""` for
//!   a quote inside), and whitespace around fields is ignored.
//! - The first row is a header naming the columns, in any order and any letter case.
//!   Required columns must be present, optional ones may be left out, and a column this
//!   module does not know is an error naming it (so a typo such as `adress` is not silently
//!   ignored).
//! - Every data row must have as many fields as the header. Blank lines and rows whose
//!   fields are all empty (as spreadsheets sometimes export) are skipped.
//! - Import is all-or-nothing: the parsers either return every row, or every problem they
//!   found ([`CsvErrors`]), each with its file and the physical line the row starts on (the
//!   header is line 1), to be shown as `file:line: problem`. If the header itself is wrong,
//!   only the header problems are reported.
//! - A problem is not text but a message key and the values of its placeholders
//!   ([`ProblemText`]; every key is in [`PROBLEM_KEYS`]), which the caller puts into words
//!   in the reader's language (the `csv-*` messages of `locales/*/main.ftl`). A value
//!   quoted from the file is an excerpt of at most 40 characters
//!   ([`super::text::excerpt`]), so a huge field is never echoed whole.
//! - Venue names and activity titles are shown to members as written: no direction control,
//!   no byte-order mark, something visible ([`super::text::check_shown_text`]).
//! - Ids are 1 to 40 characters of `a-z`, `0-9`, `-`, `_` and `.`, and must be unique
//!   within the file.
//!
//! Venues (`id,name,lat,lon,address,radius_km,branch`): see [`parse_venues`].
//! Activities (`id,venue,title,start,end,timezone,capacity,description`): see
//! [`parse_activities`].

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::geo::{GeoError, LatLon};
use super::text::{ShownTextProblem, check_shown_text, excerpt};

/// Time zone of an activity whose `timezone` column is absent or empty.
pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";
/// How far, in km, migrant members are told about a venue's new activities when its
/// `radius_km` is absent or empty.
pub const DEFAULT_RADIUS_KM: f64 = 10.0;
/// The longest an activity may last (a longer event is one row per day): this bounds how
/// far back a search for activities still going on has to look.
pub const MAX_ACTIVITY_HOURS: i64 = 24;
/// Smallest accepted `radius_km`.
pub const MIN_RADIUS_KM: f64 = 0.1;
/// Largest accepted `radius_km`.
pub const MAX_RADIUS_KM: f64 = 100.0;

const MAX_ID_CHARS: usize = 40;
const MAX_NAME_CHARS: usize = 100;
const MAX_ADDRESS_CHARS: usize = 200;
const MAX_DESCRIPTION_CHARS: usize = 500;
/// The format of `start` and `end`, as accepted by chrono, and as shown to users.
pub const TIME_FORMAT: &str = "%Y-%m-%d %H:%M";
const TIME_FORMAT_HELP: &str = "YYYY-MM-DD HH:MM";

/// One venue from a venues file.
#[derive(Debug, Clone, PartialEq)]
pub struct VenueRow {
    /// The line of the file the row starts on.
    pub line: u64,
    pub id: String,
    pub name: String,
    pub location: LatLon,
    pub address: Option<String>,
    /// How far, in km, migrant members are told about this venue's new activities.
    pub radius_km: f64,
    /// The branch the venue belongs to, as written (not checked here).
    pub branch: Option<String>,
}

/// One activity from an activities file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRow {
    /// The line of the file the row starts on.
    pub line: u64,
    pub id: String,
    /// The id of the venue it takes place at.
    pub venue: String,
    pub title: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The IANA name of the time zone `start` and `end` were written in.
    pub timezone: String,
    pub capacity: Option<u32>,
    pub description: Option<String>,
}

/// Every message key a [`ProblemText`] can have, with the names of its placeholders (all
/// given, in this order, by every problem of that key). Each is a message of
/// `locales/*/main.ftl`; the messages are plain text (no HTML) and may use any subset of
/// the placeholders.
pub const PROBLEM_KEYS: &[(&str, &[&str])] = &[
    // The file and its header.
    ("csv-empty-file", &["required", "columns"]),
    ("csv-unreadable", &["error"]),
    ("csv-encoding", &[]),
    ("csv-column-unnamed", &["number"]),
    ("csv-column-twice", &["column"]),
    ("csv-column-unknown", &["column", "columns"]),
    ("csv-column-missing", &["column"]),
    ("csv-field-count", &["fields", "header"]),
    // Fields of both formats.
    ("csv-required", &["column"]),
    ("csv-id-invalid", &["column", "value", "max"]),
    ("csv-id-duplicate", &["column", "value", "line"]),
    ("csv-line-break", &["column"]),
    ("csv-control-character", &["column"]),
    ("csv-hidden-characters", &["column"]),
    ("csv-invisible", &["column"]),
    ("csv-too-long", &["column", "length", "max"]),
    ("csv-not-a-number", &["column", "value"]),
    // Venues.
    ("csv-latitude-not-finite", &["value"]),
    ("csv-longitude-not-finite", &["value"]),
    ("csv-latitude-range", &["value"]),
    ("csv-longitude-range", &["value"]),
    ("csv-radius-range", &["column", "value", "min", "max"]),
    ("csv-branch-unknown", &["value"]),
    // Activities.
    ("csv-venue-unknown", &["value"]),
    ("csv-timezone-unknown", &["value", "example"]),
    ("csv-time-invalid", &["column", "value", "format"]),
    ("csv-time-skipped", &["column", "time", "timezone"]),
    ("csv-capacity-invalid", &["column", "value"]),
    ("csv-activity-too-long", &["hours", "max"]),
    ("csv-end-at-start", &["end"]),
    ("csv-end-before-start", &["end", "start"]),
];

/// What is wrong, to be put into words by the caller: a message key of [`PROBLEM_KEYS`]
/// and the values of its placeholders, as text. Values taken from the file are shown as
/// Rust's `{:?}` shows them but without the surrounding quotes (line breaks and other
/// invisible characters escaped: `multi\nline`, `\u{feff}id`), cut to an excerpt of at
/// most 40 characters and `…`; the messages quote them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemText {
    pub key: &'static str,
    /// Placeholder name and value, in the order of [`PROBLEM_KEYS`].
    pub args: Vec<(&'static str, String)>,
}

impl ProblemText {
    fn new<const N: usize>(key: &'static str, args: [(&'static str, String); N]) -> ProblemText {
        debug_assert!(
            PROBLEM_KEYS
                .iter()
                .any(|(k, names)| *k == key && names.iter().eq(args.iter().map(|(n, _)| n))),
            "{key} with {args:?} does not match PROBLEM_KEYS"
        );
        ProblemText {
            key,
            args: args.into(),
        }
    }

    /// The value of placeholder `name`.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Not words for people (render the key through Fluent for that) but a precise form for
/// logs: the key, then `name="value"` for each placeholder.
impl fmt::Display for ProblemText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key)?;
        for (name, value) in &self.args {
            write!(f, " {name}={value:?}")?;
        }
        Ok(())
    }
}

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvProblem {
    pub file: String,
    /// Physical line number, the header being line 1.
    pub line: u64,
    pub text: ProblemText,
}

impl CsvProblem {
    /// The problem of a venue row whose `branch` is not a branch of the organization (this
    /// module does not know the branches: the caller checks them).
    pub fn unknown_branch(file: &str, line: u64, branch: &str) -> CsvProblem {
        CsvProblem {
            file: file.to_string(),
            line,
            text: ProblemText::new("csv-branch-unknown", [("value", shown(branch))]),
        }
    }
}

/// `file:line: ` and the [`ProblemText`] in its form for logs.
impl fmt::Display for CsvProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.text)
    }
}

/// Every problem found in a file, in file order; displayed (for logs) one
/// `file:line: problem` per line. Never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", join_lines(.problems))]
pub struct CsvErrors {
    pub problems: Vec<CsvProblem>,
}

fn join_lines(problems: &[CsvProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------
// Venues
// ---------------------------------------------------------------------------------------

/// Every column of the venues and activities files.
pub fn column_names() -> impl Iterator<Item = &'static str> {
    VENUE_COLUMNS
        .iter()
        .chain(ACTIVITY_COLUMNS.iter())
        .map(|c| c.name)
}

/// The message key of a column's name in words (`csv-field-radius-km`), for problems told
/// in a chat, where the admin wrote a row without the file's header.
pub fn field_key(column: &str) -> String {
    format!("csv-field-{}", column.replace('_', "-"))
}

const VENUE_COLUMNS: &[Column; 7] = &[
    Column::required("id"),
    Column::required("name"),
    Column::required("lat"),
    Column::required("lon"),
    Column::optional("address"),
    Column::optional("radius_km"),
    Column::optional("branch"),
];

/// Parses a venues file (`file` is its name, used in messages).
///
/// Columns: `id` (required, see the module rules), `name` (required, 1 to 100 characters),
/// `lat` and `lon` (required, decimal degrees, -90 to 90 and -180 to 180), `address`
/// (optional, at most 200 characters), `radius_km` (optional, 0.1 to 100, default 10: how
/// far migrant members are told about the venue's new activities) and `branch` (optional,
/// a branch id of at most 40 characters, not checked against the branches here).
pub fn parse_venues(file: &str, text: &str) -> Result<Vec<VenueRow>, CsvErrors> {
    let (table, mut problems) = read_table(file, text, VENUE_COLUMNS)?;
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    let mut venues = Vec::new();
    for row in &table {
        let mut errs = Vec::new();
        let [id, name, lat, lon, address, radius_km, branch] = &row.fields;
        let id = check_id("id", id, row.line, &mut first_line_of).map_err(|e| errs.push(e));
        let name = shown_name("name", name).map_err(|e| errs.push(e));
        let location = location(lat, lon).map_err(|e| errs.push(e));
        let address = single_line_text("address", address, MAX_ADDRESS_CHARS, false)
            .map_err(|e| errs.push(e));
        let radius_km = radius(radius_km).map_err(|e| errs.push(e));
        let branch =
            single_line_text("branch", branch, MAX_ID_CHARS, false).map_err(|e| errs.push(e));
        match (id, name, location, address, radius_km, branch) {
            (Ok(id), Ok(name), Ok(location), Ok(address), Ok(radius_km), Ok(branch))
                if errs.is_empty() =>
            {
                venues.push(VenueRow {
                    line: row.line,
                    id,
                    name,
                    location,
                    address: non_empty(address),
                    radius_km,
                    branch: non_empty(branch),
                });
            }
            _ => problems.extend(row.line, errs),
        }
    }
    problems.finish(venues)
}

fn location(lat: &str, lon: &str) -> Result<LatLon, ProblemText> {
    let lat = number("lat", lat)?;
    let lon = number("lon", lon)?;
    let problem = |key, value: f64| ProblemText::new(key, [("value", value.to_string())]);
    match LatLon::new(lat, lon) {
        Ok(location) => Ok(location),
        Err(GeoError::LatitudeOutOfRange(value)) => Err(problem("csv-latitude-range", value)),
        Err(GeoError::LongitudeOutOfRange(value)) => Err(problem("csv-longitude-range", value)),
        // Not a finite number (NaN, inf): the latitude is checked first.
        Err(_) if !lat.is_finite() => Err(problem("csv-latitude-not-finite", lat)),
        Err(_) => Err(problem("csv-longitude-not-finite", lon)),
    }
}

fn radius(text: &str) -> Result<f64, ProblemText> {
    if text.is_empty() {
        return Ok(DEFAULT_RADIUS_KM);
    }
    let km = number("radius_km", text)?;
    if (MIN_RADIUS_KM..=MAX_RADIUS_KM).contains(&km) {
        Ok(km)
    } else {
        Err(ProblemText::new(
            "csv-radius-range",
            [
                ("column", "radius_km".to_string()),
                ("value", km.to_string()),
                ("min", MIN_RADIUS_KM.to_string()),
                ("max", MAX_RADIUS_KM.to_string()),
            ],
        ))
    }
}

// ---------------------------------------------------------------------------------------
// Activities
// ---------------------------------------------------------------------------------------

const ACTIVITY_COLUMNS: &[Column; 8] = &[
    Column::required("id"),
    Column::required("venue"),
    Column::required("title"),
    Column::required("start"),
    Column::required("end"),
    Column::optional("timezone"),
    Column::optional("capacity"),
    Column::optional("description"),
];

/// Parses an activities file (`file` is its name, used in messages).
///
/// Columns: `id` (required, see the module rules), `venue` (required: an id for which
/// `known_venue` returns true; pass e.g. `&|v| ids.contains(v)` for a set of ids, or a
/// closure that also accepts the venues of a venues file imported at the same time),
/// `title` (required, 1 to 100 characters), `start` and `end` (required, `YYYY-MM-DD HH:MM`
/// in the activity's time zone; the end must be after the start, at most 24 hours later),
/// `timezone` (optional, an IANA name such as `Europe/Berlin`, default `Asia/Shanghai`),
/// `capacity` (optional,
/// a positive whole number) and `description` (optional, at most 500 characters, may span
/// lines).
///
/// A local time that does not exist because the clocks jump forward (daylight saving time)
/// is an error; one that happens twice because they fall back is taken as the earlier.
pub fn parse_activities(
    file: &str,
    text: &str,
    known_venue: &dyn Fn(&str) -> bool,
) -> Result<Vec<ActivityRow>, CsvErrors> {
    let (table, mut problems) = read_table(file, text, ACTIVITY_COLUMNS)?;
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    let mut activities = Vec::new();
    for row in &table {
        let mut errs = Vec::new();
        let [
            id,
            venue,
            title,
            start,
            end,
            timezone,
            capacity,
            description,
        ] = &row.fields;
        let id = check_id("id", id, row.line, &mut first_line_of).map_err(|e| errs.push(e));
        let venue = check_venue(venue, known_venue).map_err(|e| errs.push(e));
        let title = shown_name("title", title).map_err(|e| errs.push(e));
        let tz = time_zone(timezone).map_err(|e| errs.push(e));
        let start_local = local_time("start", start).map_err(|e| errs.push(e));
        let end_local = local_time("end", end).map_err(|e| errs.push(e));
        let capacity = capacity_of(capacity).map_err(|e| errs.push(e));
        let description = multi_line_text("description", description, MAX_DESCRIPTION_CHARS)
            .map_err(|e| errs.push(e));
        // Instants, once the time zone and the local times are known.
        let mut times = Err(());
        if let (Ok(tz), Ok(start_local), Ok(end_local)) = (tz, start_local, end_local) {
            let start = to_instant("start", start_local, tz).map_err(|e| errs.push(e));
            let end = to_instant("end", end_local, tz).map_err(|e| errs.push(e));
            if let (Ok(start), Ok(end)) = (start, end) {
                if end > start && end - start > chrono::Duration::hours(MAX_ACTIVITY_HOURS) {
                    let hours = (end - start).num_minutes().saturating_add(59) / 60;
                    errs.push(ProblemText::new(
                        "csv-activity-too-long",
                        [
                            ("hours", hours.to_string()),
                            ("max", MAX_ACTIVITY_HOURS.to_string()),
                        ],
                    ));
                } else if end > start {
                    times = Ok((start, end));
                } else if end == start {
                    errs.push(ProblemText::new(
                        "csv-end-at-start",
                        [("end", end_local.format(TIME_FORMAT).to_string())],
                    ));
                } else {
                    errs.push(ProblemText::new(
                        "csv-end-before-start",
                        [
                            ("end", end_local.format(TIME_FORMAT).to_string()),
                            ("start", start_local.format(TIME_FORMAT).to_string()),
                        ],
                    ));
                }
            }
        }
        match (id, venue, title, tz, times, capacity, description) {
            (
                Ok(id),
                Ok(venue),
                Ok(title),
                Ok(tz),
                Ok((start, end)),
                Ok(capacity),
                Ok(description),
            ) if errs.is_empty() => {
                activities.push(ActivityRow {
                    line: row.line,
                    id,
                    venue,
                    title,
                    start,
                    end,
                    timezone: tz.name().to_string(),
                    capacity,
                    description: non_empty(description),
                });
            }
            _ => problems.extend(row.line, errs),
        }
    }
    problems.finish(activities)
}

fn check_venue(text: &str, known_venue: &dyn Fn(&str) -> bool) -> Result<String, ProblemText> {
    if text.is_empty() {
        Err(required("venue"))
    } else if known_venue(text) {
        Ok(text.to_string())
    } else {
        Err(ProblemText::new(
            "csv-venue-unknown",
            [("value", shown(text))],
        ))
    }
}

fn time_zone(text: &str) -> Result<Tz, ProblemText> {
    let name = if text.is_empty() {
        DEFAULT_TIMEZONE
    } else {
        text
    };
    name.parse::<Tz>().map_err(|_| {
        ProblemText::new(
            "csv-timezone-unknown",
            [
                ("value", shown(name)),
                ("example", DEFAULT_TIMEZONE.to_string()),
            ],
        )
    })
}

fn local_time(column: &'static str, text: &str) -> Result<NaiveDateTime, ProblemText> {
    if text.is_empty() {
        return Err(required(column));
    }
    NaiveDateTime::parse_from_str(text, TIME_FORMAT).map_err(|_| {
        ProblemText::new(
            "csv-time-invalid",
            [
                ("column", column.to_string()),
                ("value", shown(text)),
                ("format", TIME_FORMAT_HELP.to_string()),
            ],
        )
    })
}

/// The instant a wall-clock time in `tz` names: an error in a gap (clocks jumping
/// forward), the earlier of the two in an overlap (clocks falling back).
fn to_instant(
    column: &'static str,
    local: NaiveDateTime,
    tz: Tz,
) -> Result<DateTime<Utc>, ProblemText> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, later) => Ok(earlier.min(later).with_timezone(&Utc)),
        LocalResult::None => Err(ProblemText::new(
            "csv-time-skipped",
            [
                ("column", column.to_string()),
                ("time", local.format(TIME_FORMAT).to_string()),
                ("timezone", tz.name().to_string()),
            ],
        )),
    }
}

fn capacity_of(text: &str) -> Result<Option<u32>, ProblemText> {
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(ProblemText::new(
            "csv-capacity-invalid",
            [("column", "capacity".to_string()), ("value", shown(text))],
        )),
    }
}

// ---------------------------------------------------------------------------------------
// Field checks shared by both formats
// ---------------------------------------------------------------------------------------

/// An id (see the module rules), not used before in this file.
fn check_id(
    column: &'static str,
    text: &str,
    line: u64,
    first_line_of: &mut HashMap<String, u64>,
) -> Result<String, ProblemText> {
    if text.is_empty() {
        return Err(required(column));
    }
    let valid_chars = text
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if !valid_chars || text.chars().count() > MAX_ID_CHARS {
        return Err(ProblemText::new(
            "csv-id-invalid",
            [
                ("column", column.to_string()),
                ("value", shown(text)),
                ("max", MAX_ID_CHARS.to_string()),
            ],
        ));
    }
    if let Some(first) = first_line_of.get(text) {
        return Err(ProblemText::new(
            "csv-id-duplicate",
            [
                ("column", column.to_string()),
                ("value", shown(text)),
                ("line", first.to_string()),
            ],
        ));
    }
    first_line_of.insert(text.to_string(), line);
    Ok(text.to_string())
}

/// Text of at most `max` characters without line breaks or other control characters;
/// empty is an error when `required`.
fn single_line_text(
    column: &'static str,
    text: &str,
    max: usize,
    required: bool,
) -> Result<String, ProblemText> {
    if text.chars().any(char::is_control) {
        return Err(ProblemText::new(
            "csv-line-break",
            [("column", column.to_string())],
        ));
    }
    text_len(column, text, max, required)
}

/// A venue's name or an activity's title: required single-line text of at most 100
/// characters that members see as it is written ([`check_shown_text`]).
fn shown_name(column: &'static str, text: &str) -> Result<String, ProblemText> {
    let name = single_line_text(column, text, MAX_NAME_CHARS, true)?;
    check_shown_text(&name).map_err(|problem| {
        let key = match problem {
            ShownTextProblem::NothingVisible => "csv-invisible",
            ShownTextProblem::DirectionControl | ShownTextProblem::ByteOrderMark => {
                "csv-hidden-characters"
            }
        };
        ProblemText::new(key, [("column", column.to_string())])
    })?;
    Ok(name)
}

/// Text of at most `max` characters that may contain line breaks and tabs, but no other
/// control characters; empty is fine.
fn multi_line_text(column: &'static str, text: &str, max: usize) -> Result<String, ProblemText> {
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ProblemText::new(
            "csv-control-character",
            [("column", column.to_string())],
        ));
    }
    text_len(column, text, max, false)
}

fn text_len(
    column: &'static str,
    text: &str,
    max: usize,
    is_required: bool,
) -> Result<String, ProblemText> {
    let len = text.chars().count();
    if is_required && len == 0 {
        return Err(required(column));
    }
    if len > max {
        return Err(ProblemText::new(
            "csv-too-long",
            [
                ("column", column.to_string()),
                ("length", len.to_string()),
                ("max", max.to_string()),
            ],
        ));
    }
    Ok(text.to_string())
}

fn number(column: &'static str, text: &str) -> Result<f64, ProblemText> {
    if text.is_empty() {
        return Err(required(column));
    }
    text.parse::<f64>().map_err(|_| {
        ProblemText::new(
            "csv-not-a-number",
            [("column", column.to_string()), ("value", shown(text))],
        )
    })
}

/// An empty required field.
fn required(column: &'static str) -> ProblemText {
    ProblemText::new("csv-required", [("column", column.to_string())])
}

/// An excerpt of `text` as `{:?}` shows it, without the surrounding quotes (see
/// [`ProblemText`]).
fn shown(text: &str) -> String {
    let quoted = format!("{:?}", excerpt(text));
    quoted[1..quoted.len() - 1].to_string()
}

fn non_empty(text: String) -> Option<String> {
    if text.is_empty() { None } else { Some(text) }
}

// ---------------------------------------------------------------------------------------
// Reading the table
// ---------------------------------------------------------------------------------------

/// A file's bytes as text, or the problem `csv-encoding` on the line of the first byte that
/// is not UTF-8 (lines counted as the parsers count them).
pub fn decode<'b>(file: &str, bytes: &'b [u8]) -> Result<&'b str, CsvErrors> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = LineCounter::new(bytes).line_at(e.valid_up_to());
        let mut problems = Problems::new(file);
        problems.push(line, ProblemText::new("csv-encoding", []));
        problems.into_errors()
    })
}

/// A column a format knows.
struct Column {
    name: &'static str,
    required: bool,
}

impl Column {
    const fn required(name: &'static str) -> Column {
        Column {
            name,
            required: true,
        }
    }
    const fn optional(name: &'static str) -> Column {
        Column {
            name,
            required: false,
        }
    }
}

/// A data row, with one (trimmed) field per known column, in the order of the format's
/// column list; a column absent from the file gives empty fields.
struct Row<const N: usize> {
    line: u64,
    fields: [String; N],
}

/// Problems collected so far for one file.
struct Problems<'a> {
    file: &'a str,
    list: Vec<CsvProblem>,
}

impl<'a> Problems<'a> {
    fn new(file: &'a str) -> Problems<'a> {
        Problems {
            file,
            list: Vec::new(),
        }
    }

    fn push(&mut self, line: u64, text: ProblemText) {
        self.list.push(CsvProblem {
            file: self.file.to_string(),
            line,
            text,
        });
    }

    fn extend(&mut self, line: u64, texts: Vec<ProblemText>) {
        for text in texts {
            self.push(line, text);
        }
    }

    /// All the problems, in line order (a row's own problems keep their order).
    fn into_errors(mut self) -> CsvErrors {
        self.list.sort_by_key(|p| p.line);
        CsvErrors {
            problems: self.list,
        }
    }

    /// `value` if there were no problems, else all of them.
    fn finish<T>(self, value: T) -> Result<T, CsvErrors> {
        if self.list.is_empty() {
            Ok(value)
        } else {
            Err(self.into_errors())
        }
    }
}

/// A record the csv crate could not read (its own words, in English, are the only detail).
fn unreadable(e: &csv::Error) -> ProblemText {
    ProblemText::new("csv-unreadable", [("error", e.to_string())])
}

fn column_list(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the header and the data rows, checking the header and the number of fields in
/// each row. Problems in the header are returned as the error; the rows that have the right
/// number of fields are returned with the problems of those that do not.
fn read_table<'a, const N: usize>(
    file: &'a str,
    text: &str,
    columns: &[Column; N],
) -> Result<(Vec<Row<N>>, Problems<'a>), CsvErrors> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = LineCounter::new(text.as_bytes());
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut problems = Problems::new(file);
    let mut records = reader.records();

    // The header: which known column each field is.
    let header = loop {
        match records.next() {
            None => {
                let required: Vec<_> = columns
                    .iter()
                    .filter(|c| c.required)
                    .map(|c| c.name)
                    .collect();
                problems.push(
                    1,
                    ProblemText::new(
                        "csv-empty-file",
                        [
                            ("required", required.join(", ")),
                            ("columns", column_list(columns)),
                        ],
                    ),
                );
                return Err(problems.into_errors());
            }
            Some(Err(e)) => {
                problems.push(lines.error_line(&e), unreadable(&e));
                return Err(problems.into_errors());
            }
            Some(Ok(record)) if record.iter().all(str::is_empty) => continue,
            Some(Ok(record)) => break record,
        }
    };
    let header_line = lines.record_line(&header);
    // For each column of the format, the index of its field in the file's rows.
    let mut index_of: [Option<usize>; N] = [None; N];
    for (i, name) in header.iter().enumerate() {
        let lower = name.to_lowercase();
        if lower.is_empty() {
            problems.push(
                header_line,
                ProblemText::new("csv-column-unnamed", [("number", (i + 1).to_string())]),
            );
        } else if let Some(k) = columns.iter().position(|c| c.name == lower) {
            if index_of[k].is_some() {
                problems.push(
                    header_line,
                    ProblemText::new("csv-column-twice", [("column", shown(&lower))]),
                );
            } else {
                index_of[k] = Some(i);
            }
        } else {
            problems.push(
                header_line,
                ProblemText::new(
                    "csv-column-unknown",
                    [("column", shown(name)), ("columns", column_list(columns))],
                ),
            );
        }
    }
    for (column, index) in columns.iter().zip(&index_of) {
        if column.required && index.is_none() {
            problems.push(
                header_line,
                ProblemText::new("csv-column-missing", [("column", shown(column.name))]),
            );
        }
    }
    if !problems.list.is_empty() {
        return Err(problems.into_errors());
    }

    let mut rows = Vec::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                // The reader cannot be trusted to find the next row after this.
                problems.push(lines.error_line(&e), unreadable(&e));
                break;
            }
        };
        let line = lines.record_line(&record);
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != header.len() {
            problems.push(
                line,
                ProblemText::new(
                    "csv-field-count",
                    [
                        ("fields", record.len().to_string()),
                        ("header", header.len().to_string()),
                    ],
                ),
            );
            continue;
        }
        let fields = std::array::from_fn(|k| {
            index_of[k]
                .and_then(|i| record.get(i))
                .unwrap_or_default()
                .to_string()
        });
        rows.push(Row { line, fields });
    }
    Ok((rows, problems))
}

/// Physical line numbers of byte offsets, for messages. (The csv crate's own line count
/// skips blank lines and miscounts `\r\n`, so lines are counted here: a line ends at
/// `\n`, `\r\n` or a lone `\r`, as csv reads them.)
struct LineCounter<'t> {
    text: &'t [u8],
    /// Offsets below `pos` have been counted...
    pos: usize,
    /// ...and `pos` is on this line.
    line: u64,
}

impl<'t> LineCounter<'t> {
    fn new(text: &'t [u8]) -> LineCounter<'t> {
        LineCounter {
            text,
            pos: 0,
            line: 1,
        }
    }

    /// The line of byte offset `offset` (offsets must not decrease between calls).
    fn line_at(&mut self, offset: usize) -> u64 {
        let end = offset.min(self.text.len());
        for i in self.pos..end {
            match self.text[i] {
                b'\n' => self.line += 1,
                b'\r' if self.text.get(i + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
        }
        self.pos = self.pos.max(end);
        self.line
    }

    /// The line a record's first character is on. csv reports as the record's start the
    /// end of the previous one, before any line breaks and blank lines, so skip those.
    fn record_line(&mut self, record: &csv::StringRecord) -> u64 {
        let mut start = record.position().map_or(0, |p| p.byte() as usize);
        while matches!(self.text.get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        self.line_at(start)
    }

    fn error_line(&mut self, e: &csv::Error) -> u64 {
        let start = e.position().map_or(self.pos, |p| p.byte() as usize);
        self.line_at(start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashSet};

    /// A problem as `file:line`, its key and its placeholder values, for comparing.
    type Seen = (String, &'static str, Vec<(&'static str, String)>);

    fn errors<T: fmt::Debug>(result: Result<T, CsvErrors>) -> Vec<Seen> {
        result
            .unwrap_err()
            .problems
            .into_iter()
            .map(|p| (format!("{}:{}", p.file, p.line), p.text.key, p.text.args))
            .collect()
    }

    /// The expected problem at `at` (`file:line`).
    fn p(at: &str, key: &'static str, args: &[(&'static str, &str)]) -> Seen {
        let args = args.iter().map(|(n, v)| (*n, v.to_string())).collect();
        (at.to_string(), key, args)
    }

    const ID_MAX: (&str, &str) = ("max", "40");
    const VENUE_COLUMN_LIST: (&str, &str) =
        ("columns", "id, name, lat, lon, address, radius_km, branch");
    const ACTIVITY_COLUMN_LIST: (&str, &str) = (
        "columns",
        "id, venue, title, start, end, timezone, capacity, description",
    );

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    // ---- venues ----

    #[test]
    fn valid_venues_file() {
        let text = "\u{feff}ID,Name,Lat,Lon,Address,Radius_KM,Branch\n\
                    bj-1,北京活动中心,39.9042,116.4074,\"北京市东城区, 1号\",,bj\n\
                    sh.2,\"上海 \"\"家\"\"\",31.2304,121.4737,,25.5,\n\
                    \n\
                    edge_3,Edge, -90 ,180,,0.1,\n\
                    ,,,,,,\n";
        let venues = parse_venues("venues.csv", text).unwrap();
        assert_eq!(venues.len(), 3);
        let v = &venues[0];
        assert_eq!(v.line, 2);
        assert_eq!(v.id, "bj-1");
        assert_eq!(v.name, "北京活动中心");
        assert_eq!(v.location, LatLon::new(39.9042, 116.4074).unwrap());
        assert_eq!(v.address.as_deref(), Some("北京市东城区, 1号"));
        assert_eq!(v.radius_km, DEFAULT_RADIUS_KM);
        assert_eq!(v.branch.as_deref(), Some("bj"));
        let v = &venues[1];
        assert_eq!((v.line, v.name.as_str()), (3, "上海 \"家\""));
        assert_eq!(
            (v.address.clone(), v.radius_km, v.branch.clone()),
            (None, 25.5, None)
        );
        let v = &venues[2];
        assert_eq!(v.line, 5);
        assert_eq!(
            (v.location.lat, v.location.lon, v.radius_km),
            (-90.0, 180.0, 0.1)
        );
    }

    #[test]
    fn venues_columns_in_any_order_and_optional_ones_absent() {
        let text = "lon,lat,name,id\n121.5,31.2,外滩,bund\n";
        let venues = parse_venues("v.csv", text).unwrap();
        assert_eq!(venues[0].id, "bund");
        assert_eq!(venues[0].location, LatLon::new(31.2, 121.5).unwrap());
        assert_eq!(venues[0].radius_km, 10.0);
        assert_eq!(parse_venues("v.csv", "id,name,lat,lon\n").unwrap(), vec![]);
    }

    #[test]
    fn bad_venue_rows_all_reported() {
        let text = "id,name,lat,lon,address,radius_km,branch\n\
                    ok,好,30,120,,,\n\
                    north,北极,91,0,,,\n\
                    nan,x,abc,0,,,\n\
                    ok,重复,30,120,,,\n\
                    empty,,30,120,,,\n\
                    Bad Id,名字,30,181,,0.05,\n\
                    \"multi\nline\",\"名\n字\",30,120,,,\n\
                    short,x,1\n\
                    far,x,1,2,,abc,\n";
        let f = "venues.csv";
        assert_eq!(
            errors(parse_venues(f, text)),
            vec![
                p("venues.csv:3", "csv-latitude-range", &[("value", "91")]),
                p(
                    "venues.csv:4",
                    "csv-not-a-number",
                    &[("column", "lat"), ("value", "abc")]
                ),
                p(
                    "venues.csv:5",
                    "csv-id-duplicate",
                    &[("column", "id"), ("value", "ok"), ("line", "2")]
                ),
                p("venues.csv:6", "csv-required", &[("column", "name")]),
                p(
                    "venues.csv:7",
                    "csv-id-invalid",
                    &[("column", "id"), ("value", "Bad Id"), ID_MAX]
                ),
                p("venues.csv:7", "csv-longitude-range", &[("value", "181")]),
                p(
                    "venues.csv:7",
                    "csv-radius-range",
                    &[
                        ("column", "radius_km"),
                        ("value", "0.05"),
                        ("min", "0.1"),
                        ("max", "100")
                    ]
                ),
                p(
                    "venues.csv:8",
                    "csv-id-invalid",
                    &[("column", "id"), ("value", "multi\\nline"), ID_MAX]
                ),
                p("venues.csv:8", "csv-line-break", &[("column", "name")]),
                p(
                    "venues.csv:11",
                    "csv-field-count",
                    &[("fields", "3"), ("header", "7")]
                ),
                p(
                    "venues.csv:12",
                    "csv-not-a-number",
                    &[("column", "radius_km"), ("value", "abc")]
                ),
            ]
        );
    }

    #[test]
    fn coordinates_that_are_not_finite() {
        let text =
            "id,name,lat,lon,radius_km\na,x,NaN,0,\nb,x,0,-inf,\nc,x,inf,NaN,\nd,x,1,1,NaN\n";
        assert_eq!(
            errors(parse_venues("v.csv", text)),
            vec![
                p("v.csv:2", "csv-latitude-not-finite", &[("value", "NaN")]),
                p("v.csv:3", "csv-longitude-not-finite", &[("value", "-inf")]),
                p("v.csv:4", "csv-latitude-not-finite", &[("value", "inf")]),
                p(
                    "v.csv:5",
                    "csv-radius-range",
                    &[
                        ("column", "radius_km"),
                        ("value", "NaN"),
                        ("min", "0.1"),
                        ("max", "100")
                    ]
                ),
            ]
        );
    }

    #[test]
    fn venue_text_lengths() {
        let long_name = "名".repeat(101);
        let long_id = "a".repeat(41);
        let text = format!(
            "id,name,lat,lon,address\n{long_id},{},1,1,\nb,{long_name},1,1,{}\n",
            "名".repeat(100),
            "a".repeat(201)
        );
        assert_eq!(
            errors(parse_venues("v.csv", &text)),
            vec![
                p(
                    "v.csv:2",
                    "csv-id-invalid",
                    &[
                        ("column", "id"),
                        ("value", &format!("{}…", "a".repeat(40))),
                        ID_MAX
                    ]
                ),
                p(
                    "v.csv:3",
                    "csv-too-long",
                    &[("column", "name"), ("length", "101"), ("max", "100")]
                ),
                p(
                    "v.csv:3",
                    "csv-too-long",
                    &[("column", "address"), ("length", "201"), ("max", "200")]
                ),
            ]
        );
    }

    #[test]
    fn a_huge_field_is_quoted_as_a_short_excerpt() {
        let huge = "x".repeat(10 * 1024 * 1024);
        let text = format!("id,name,lat,lon,{huge}\n{huge},n,{huge},1,\n");
        let e = parse_venues("v.csv", &text).unwrap_err();
        let cut = format!("{}…", "x".repeat(40));
        assert_eq!(
            errors(Err::<(), _>(e.clone())),
            vec![p(
                "v.csv:1",
                "csv-column-unknown",
                &[("column", &cut), VENUE_COLUMN_LIST]
            )]
        );
        let text = format!("id,name,lat,lon\n{huge},\u{202E}{huge},{huge},1\n");
        let e = parse_venues("v.csv", &text).unwrap_err();
        assert_eq!(
            errors(Err::<(), _>(e.clone())),
            vec![
                p(
                    "v.csv:2",
                    "csv-id-invalid",
                    &[("column", "id"), ("value", &cut), ID_MAX]
                ),
                p(
                    "v.csv:2",
                    "csv-too-long",
                    &[
                        ("column", "name"),
                        ("length", &(huge.len() + 1).to_string()),
                        ("max", "100")
                    ]
                ),
                p(
                    "v.csv:2",
                    "csv-not-a-number",
                    &[("column", "lat"), ("value", &cut)]
                ),
            ]
        );
        assert!(e.to_string().len() < 400, "{}", e.to_string().len());
    }

    #[test]
    fn invalid_utf8_is_reported_on_its_line() {
        let f = "v.csv";
        assert_eq!(decode(f, "id,名\n".as_bytes()), Ok("id,名\n"));
        let bad = |text: &[u8]| errors(decode(f, text));
        let not_utf8 = |line: &str| vec![p(&format!("v.csv:{line}"), "csv-encoding", &[])];
        assert_eq!(bad(b"\xff,id\n"), not_utf8("1"));
        assert_eq!(bad(b"id,name\r\na,b\r\n\r\nc,\xe5\x90\n"), not_utf8("4"));
        assert_eq!(bad(b"id,name\n\"a\nb\",x\rc,\xc3\x28\n"), not_utf8("4"));
        // GBK, as a spreadsheet saves Chinese without "CSV UTF-8": the first name's line.
        let mut gbk = b"id,name,lat,lon\nbj,".to_vec();
        gbk.extend([0xB1, 0xB1, 0xBE, 0xA9]);
        gbk.extend(b",39.9,116.4\n");
        assert_eq!(bad(&gbk), not_utf8("2"));
    }

    #[test]
    fn names_and_titles_that_hide_or_turn_text_are_refused() {
        let text = "id,name,lat,lon,address\n\
                    a,\u{202E}心中动活,1,1,\n\
                    b,\u{FEFF}中心,1,1,\n\
                    c,\u{200B}\u{200D},1,1,\n\
                    d,\u{0301},1,1,\n\
                    e,活动中心 \u{1F3E2},1,1,\n";
        assert_eq!(
            errors(parse_venues("v.csv", text)),
            vec![
                p("v.csv:2", "csv-hidden-characters", &[("column", "name")]),
                p("v.csv:3", "csv-hidden-characters", &[("column", "name")]),
                p("v.csv:4", "csv-invisible", &[("column", "name")]),
                p("v.csv:5", "csv-invisible", &[("column", "name")]),
            ]
        );
        let set = venues();
        let text = "id,venue,title,start,end\n\
                    a,bj-1,\u{2066}讲座,2026-05-01 09:00,2026-05-01 10:00\n\
                    b,bj-1,\u{3164},2026-05-01 09:00,2026-05-01 10:00\n";
        assert_eq!(
            errors(parse_activities("a.csv", text, &known(&set))),
            vec![
                p("a.csv:2", "csv-hidden-characters", &[("column", "title")]),
                p("a.csv:3", "csv-invisible", &[("column", "title")]),
            ]
        );
    }

    #[test]
    fn venue_header_problems() {
        assert_eq!(
            errors(parse_venues("v.csv", "id,name,lon,adress\nx,y,1,\n")),
            vec![
                p(
                    "v.csv:1",
                    "csv-column-unknown",
                    &[("column", "adress"), VENUE_COLUMN_LIST]
                ),
                p("v.csv:1", "csv-column-missing", &[("column", "lat")]),
            ]
        );
        assert_eq!(
            errors(parse_venues("v.csv", "id,NAME,lat,lon,Name,\n")),
            vec![
                p("v.csv:1", "csv-column-twice", &[("column", "name")]),
                p("v.csv:1", "csv-column-unnamed", &[("number", "6")]),
            ]
        );
        assert_eq!(
            errors(parse_venues("v.csv", "\u{feff}")),
            vec![p(
                "v.csv:1",
                "csv-empty-file",
                &[("required", "id, name, lat, lon"), VENUE_COLUMN_LIST]
            )]
        );
    }

    #[test]
    fn line_numbers_count_blank_lines_crlf_and_quoted_line_breaks() {
        let text =
            "\r\n\u{feff}id,name,lat,lon\r\n\r\na,\"x\r\ny\",91,0\r\n\r\n\r\nb,B,0,181\rc,C,1\n";
        // (A BOM after a blank line is not a BOM: the header is then wrong.)
        assert_eq!(
            errors(parse_venues("v.csv", text)),
            vec![
                p(
                    "v.csv:2",
                    "csv-column-unknown",
                    &[("column", "\\u{feff}id"), VENUE_COLUMN_LIST]
                ),
                p("v.csv:2", "csv-column-missing", &[("column", "id")]),
            ]
        );
        let text = text.replacen("\u{feff}", "", 1);
        assert_eq!(
            errors(parse_venues("v.csv", &text)),
            vec![
                p("v.csv:4", "csv-line-break", &[("column", "name")]),
                p("v.csv:4", "csv-latitude-range", &[("value", "91")]),
                p("v.csv:8", "csv-longitude-range", &[("value", "181")]),
                p(
                    "v.csv:9",
                    "csv-field-count",
                    &[("fields", "3"), ("header", "4")]
                ),
            ]
        );
    }

    #[test]
    fn errors_display_one_per_line_for_logs() {
        let e = parse_venues("v.csv", "id,name,lat,lon\na,b,91,0\nb,c,0,-181\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "v.csv:2: csv-latitude-range value=\"91\"\n\
             v.csv:3: csv-longitude-range value=\"-181\""
        );
        assert_eq!(e.problems[1].text.arg("value"), Some("-181"));
        assert_eq!(e.problems[1].text.arg("nothing"), None);
    }

    #[test]
    fn unknown_branch_problem() {
        let problem = CsvProblem::unknown_branch("v.csv", 3, "no\twhere");
        assert_eq!(
            (problem.line, problem.text.key, problem.text.arg("value")),
            (3, "csv-branch-unknown", Some("no\\twhere"))
        );
        assert_eq!(
            problem.to_string(),
            "v.csv:3: csv-branch-unknown value=\"no\\\\twhere\""
        );
    }

    // ---- activities ----

    fn known(set: &HashSet<String>) -> impl Fn(&str) -> bool + '_ {
        |v| set.contains(v)
    }

    fn venues() -> HashSet<String> {
        ["bj-1", "nyc"].iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn valid_activities_file() {
        let set = venues();
        let text = "\u{feff}id,venue,title,start,end,timezone,capacity,description\n\
                    a1,bj-1,\"普法讲座, 第一期\",2026-05-01 09:30,2026-05-01 11:00,,30,\"欢迎参加\n带上身份证\"\n\
                    a2,nyc,Meetup,2026-11-01 01:30,2026-11-01 03:00,America/New_York,,\n";
        let rows = parse_activities("acts.csv", text, &known(&set)).unwrap();
        assert_eq!(rows.len(), 2);
        let a = &rows[0];
        assert_eq!((a.line, a.id.as_str(), a.venue.as_str()), (2, "a1", "bj-1"));
        assert_eq!(a.title, "普法讲座, 第一期");
        assert_eq!(a.start, utc("2026-05-01T01:30:00Z"));
        assert_eq!(a.end, utc("2026-05-01T03:00:00Z"));
        assert_eq!(a.timezone, "Asia/Shanghai");
        assert_eq!(a.capacity, Some(30));
        assert_eq!(a.description.as_deref(), Some("欢迎参加\n带上身份证"));
        let a = &rows[1];
        // The quoted description above spans two lines.
        assert_eq!(a.line, 4);
        // 01:30 happens twice on 2026-11-01 in New York: the earlier (EDT, -4) is taken.
        assert_eq!(a.start, utc("2026-11-01T05:30:00Z"));
        assert_eq!(a.end, utc("2026-11-01T08:00:00Z"));
        assert_eq!(a.timezone, "America/New_York");
        assert_eq!((a.capacity, a.description.clone()), (None, None));
    }

    #[test]
    fn activities_timezone_column_may_be_absent() {
        let set = venues();
        let text = "Title,ID,Venue,End,Start\n早操,m,bj-1,2026-01-01 08:00,2026-01-01 07:00\n";
        let rows = parse_activities("a.csv", text, &known(&set)).unwrap();
        assert_eq!(rows[0].start, utc("2025-12-31T23:00:00Z"));
        assert_eq!(rows[0].timezone, DEFAULT_TIMEZONE);
    }

    #[test]
    fn bad_activity_rows_all_reported() {
        let set = venues();
        let text = "id,venue,title,start,end,timezone,capacity,description\n\
                    ok,bj-1,好,2026-05-01 09:00,2026-05-01 10:00,,,\n\
                    back,bj-1,倒流,2026-05-01 10:00,2026-05-01 09:00,,,\n\
                    gap,nyc,Gap,2026-03-08 02:30,2026-03-08 04:00,America/New_York,,\n\
                    lost,nowhere,迷路,2026-05-01 09:00,2026-05-01 10:00,,,\n\
                    ok,bj-1,重复,2026-05-01 09:00,2026-05-01 10:00,,,\n\
                    empty,,,,2026-05-01 10:00,,,\n\
                    fmt,bj-1,x,2026/05/01 9:00,2026-05-01 10:00,Mars/Base,0,\n\
                    same,bj-1,x,2026-05-01 10:00,2026-05-01 10:00,,-3,\n\
                    long,bj-1,展览,2026-05-01 09:00,2026-05-02 09:01,,,\n";
        assert_eq!(
            errors(parse_activities("acts.csv", text, &known(&set))),
            vec![
                p(
                    "acts.csv:3",
                    "csv-end-before-start",
                    &[("end", "2026-05-01 09:00"), ("start", "2026-05-01 10:00")]
                ),
                p(
                    "acts.csv:4",
                    "csv-time-skipped",
                    &[
                        ("column", "start"),
                        ("time", "2026-03-08 02:30"),
                        ("timezone", "America/New_York")
                    ]
                ),
                p("acts.csv:5", "csv-venue-unknown", &[("value", "nowhere")]),
                p(
                    "acts.csv:6",
                    "csv-id-duplicate",
                    &[("column", "id"), ("value", "ok"), ("line", "2")]
                ),
                p("acts.csv:7", "csv-required", &[("column", "venue")]),
                p("acts.csv:7", "csv-required", &[("column", "title")]),
                p("acts.csv:7", "csv-required", &[("column", "start")]),
                p(
                    "acts.csv:8",
                    "csv-timezone-unknown",
                    &[("value", "Mars/Base"), ("example", "Asia/Shanghai")]
                ),
                p(
                    "acts.csv:8",
                    "csv-time-invalid",
                    &[
                        ("column", "start"),
                        ("value", "2026/05/01 9:00"),
                        ("format", "YYYY-MM-DD HH:MM")
                    ]
                ),
                p(
                    "acts.csv:8",
                    "csv-capacity-invalid",
                    &[("column", "capacity"), ("value", "0")]
                ),
                p(
                    "acts.csv:9",
                    "csv-capacity-invalid",
                    &[("column", "capacity"), ("value", "-3")]
                ),
                p(
                    "acts.csv:9",
                    "csv-end-at-start",
                    &[("end", "2026-05-01 10:00")]
                ),
                p(
                    "acts.csv:10",
                    "csv-activity-too-long",
                    &[("hours", "25"), ("max", "24")]
                ),
            ]
        );
    }

    #[test]
    fn activity_time_formats() {
        let set = venues();
        let row = |start: &str| {
            let text = format!("id,venue,title,start,end\nx,bj-1,t,{start},2026-05-01 23:00\n");
            parse_activities("a.csv", &text, &known(&set)).map(|rows| rows[0].start)
        };
        assert_eq!(row("2026-05-01 09:05"), Ok(utc("2026-05-01T01:05:00Z")));
        for bad in [
            "2026-02-30 10:00",
            "2026-05-01 24:00",
            "2026-05-01T09:00",
            "2026-05-01",
        ] {
            assert_eq!(
                errors(row(bad)),
                vec![p(
                    "a.csv:2",
                    "csv-time-invalid",
                    &[
                        ("column", "start"),
                        ("value", bad),
                        ("format", "YYYY-MM-DD HH:MM")
                    ]
                )],
            );
        }
    }

    #[test]
    fn activity_header_problems() {
        let set = venues();
        assert_eq!(
            errors(parse_activities(
                "a.csv",
                "id,venue,title,start,finish,room\n",
                &known(&set)
            )),
            vec![
                p(
                    "a.csv:1",
                    "csv-column-unknown",
                    &[("column", "finish"), ACTIVITY_COLUMN_LIST]
                ),
                p(
                    "a.csv:1",
                    "csv-column-unknown",
                    &[("column", "room"), ACTIVITY_COLUMN_LIST]
                ),
                p("a.csv:1", "csv-column-missing", &[("column", "end")]),
            ]
        );
    }

    #[test]
    fn activity_description_length() {
        let set = venues();
        let text = format!(
            "id,venue,title,start,end,description\n\
             d,bj-1,x,2026-05-01 09:00,2026-05-01 10:00,{}\n\
             e,bj-1,x,2026-05-01 09:00,2026-05-01 10:00,\"tab\tand\nbreak are fine, \u{7} is not\"\n",
            "字".repeat(501)
        );
        assert_eq!(
            errors(parse_activities("a.csv", &text, &known(&set))),
            vec![
                p(
                    "a.csv:2",
                    "csv-too-long",
                    &[("column", "description"), ("length", "501"), ("max", "500")]
                ),
                p(
                    "a.csv:3",
                    "csv-control-character",
                    &[("column", "description")]
                ),
            ]
        );
    }

    // ---- the keys ----

    /// Every key of PROBLEM_KEYS is reported for some input (so the list holds no stale
    /// key, and the placeholders of each were checked against it when it was made).
    #[test]
    fn every_problem_key_is_reported_somewhere() {
        let set = venues();
        let venue_files = [
            "",
            "id,id,x,\n",
            "id,name,lat,lon,address,radius_km,branch\n\
             Bad,\"a\nb\",x,1,,500,\n\
             Bad,,1,1,,,\n\
             a,b,NaN,1,,,\n\
             a,d,1,inf,,,\n\
             short,1\n\
             e,f,91,1,,,\n\
             g,h,1,181,,,\n\
             i,j,1,1,,0,\n",
            &format!("id,name,lat,lon\nk,{},1,1\n", "x".repeat(101)),
            "id,name,lat,lon\nl,\u{202E}x,1,1\nm,\u{200B},1,1\n",
        ];
        let activity_files = ["id,venue,title,start,end,timezone,capacity,description\n\
             a,nowhere,t,x,2026-05-01 10:00,Mars/Base,0,\"\u{7}\"\n\
             b,bj-1,t,2026-03-08 02:30,2026-03-08 04:00,America/New_York,,\n\
             c,bj-1,t,2026-05-01 10:00,2026-05-01 10:00,,,\n\
             d,bj-1,t,2026-05-01 10:00,2026-05-01 09:00,,,\n\
             e,bj-1,t,2026-05-01 10:00,2026-05-03 09:00,,,\n"];
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for text in venue_files {
            let e = parse_venues("v.csv", text).unwrap_err();
            seen.extend(e.problems.iter().map(|p| p.text.key));
        }
        for text in activity_files {
            let e = parse_activities("a.csv", text, &known(&set)).unwrap_err();
            seen.extend(e.problems.iter().map(|p| p.text.key));
        }
        seen.insert(CsvProblem::unknown_branch("v.csv", 2, "x").text.key);
        seen.extend(
            decode("v.csv", b"\xff")
                .unwrap_err()
                .problems
                .iter()
                .map(|p| p.text.key),
        );
        // The csv crate cannot fail on text that is already UTF-8 when rows may differ in
        // length, so an unreadable record is made up here.
        seen.insert(unreadable(&csv::Error::from(std::io::Error::other("broken"))).key);
        let all: BTreeSet<&str> = PROBLEM_KEYS.iter().map(|(k, _)| *k).collect();
        assert_eq!(seen, all);
    }

    #[test]
    fn problem_keys_are_unique_and_well_formed() {
        let mut keys = HashSet::new();
        for (key, names) in PROBLEM_KEYS {
            assert!(keys.insert(key), "{key} is listed twice");
            assert!(key.starts_with("csv-"), "{key}");
            assert!(
                key.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{key}"
            );
            let distinct: HashSet<_> = names.iter().collect();
            assert_eq!(distinct.len(), names.len(), "{key}: a placeholder twice");
        }
    }
}
