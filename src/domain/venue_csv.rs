//! Bulk import of venues and their activities from CSV files, validated row by row.
//!
//! Both formats share these rules:
//! - UTF-8 text, with or without a byte-order mark; fields may be quoted (`"a, b"`, `""` for
//!   a quote inside), and whitespace around fields is ignored.
//! - The first row is a header naming the columns, in any order and any letter case.
//!   Required columns must be present, optional ones may be left out, and a column this
//!   module does not know is an error naming it (so a typo such as `adress` is not silently
//!   ignored).
//! - Every data row must have as many fields as the header. Blank lines and rows whose
//!   fields are all empty (as spreadsheets sometimes export) are skipped.
//! - Import is all-or-nothing: the parsers either return every row, or every problem they
//!   found ([`CsvErrors`]), each as `file:line: problem` where `line` is the physical line
//!   the row starts on (the header is line 1). If the header itself is wrong, only the
//!   header problems are reported.
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

use super::geo::LatLon;

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
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M";
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

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvProblem {
    pub file: String,
    /// Physical line number, the header being line 1.
    pub line: u64,
    pub message: String,
}

impl fmt::Display for CsvProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Every problem found in a file, in file order; displayed one `file:line: problem` per
/// line. Never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", join_lines(.problems))]
pub struct CsvErrors {
    pub problems: Vec<CsvProblem>,
}

impl CsvErrors {
    /// The problems as `file:line: problem` strings.
    pub fn lines(&self) -> Vec<String> {
        self.problems.iter().map(ToString::to_string).collect()
    }
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
        let name = single_line_text("name", name, MAX_NAME_CHARS, true).map_err(|e| errs.push(e));
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

fn location(lat: &str, lon: &str) -> Result<LatLon, String> {
    let lat = number("lat", lat)?;
    let lon = number("lon", lon)?;
    LatLon::new(lat, lon).map_err(|e| e.to_string())
}

fn radius(text: &str) -> Result<f64, String> {
    if text.is_empty() {
        return Ok(DEFAULT_RADIUS_KM);
    }
    let km = number("radius_km", text)?;
    if (MIN_RADIUS_KM..=MAX_RADIUS_KM).contains(&km) {
        Ok(km)
    } else {
        Err(format!(
            "radius_km {km} is out of range: use {MIN_RADIUS_KM} to {MAX_RADIUS_KM}"
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
        let title =
            single_line_text("title", title, MAX_NAME_CHARS, true).map_err(|e| errs.push(e));
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
                    errs.push(format!(
                        "lasts {} hours: an activity lasts at most {MAX_ACTIVITY_HOURS} hours \
                         (make one row per day for a longer event)",
                        (end - start).num_minutes().saturating_add(59) / 60
                    ));
                } else if end > start {
                    times = Ok((start, end));
                } else if end == start {
                    errs.push(format!(
                        "ends at {} when it starts: the end must be after the start",
                        end_local.format(TIME_FORMAT)
                    ));
                } else {
                    errs.push(format!(
                        "ends at {} before it starts at {}",
                        end_local.format(TIME_FORMAT),
                        start_local.format(TIME_FORMAT)
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

fn check_venue(text: &str, known_venue: &dyn Fn(&str) -> bool) -> Result<String, String> {
    if text.is_empty() {
        Err("venue is required".to_string())
    } else if known_venue(text) {
        Ok(text.to_string())
    } else {
        Err(format!("venue {text:?} is not a known venue id"))
    }
}

fn time_zone(text: &str) -> Result<Tz, String> {
    let name = if text.is_empty() {
        DEFAULT_TIMEZONE
    } else {
        text
    };
    name.parse::<Tz>().map_err(|_| {
        format!("timezone {name:?} is not an IANA time zone name (e.g. {DEFAULT_TIMEZONE})")
    })
}

fn local_time(column: &str, text: &str) -> Result<NaiveDateTime, String> {
    if text.is_empty() {
        return Err(format!("{column} is required"));
    }
    NaiveDateTime::parse_from_str(text, TIME_FORMAT)
        .map_err(|_| format!("{column} {text:?} is not a date and time: use {TIME_FORMAT_HELP}"))
}

/// The instant a wall-clock time in `tz` names: an error in a gap (clocks jumping
/// forward), the earlier of the two in an overlap (clocks falling back).
fn to_instant(column: &str, local: NaiveDateTime, tz: Tz) -> Result<DateTime<Utc>, String> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, later) => Ok(earlier.min(later).with_timezone(&Utc)),
        LocalResult::None => Err(format!(
            "{column} {} does not exist in {} (the clocks skip it, e.g. for daylight saving time)",
            local.format(TIME_FORMAT),
            tz.name()
        )),
    }
}

fn capacity_of(text: &str) -> Result<Option<u32>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(format!("capacity {text:?} is not a positive whole number")),
    }
}

// ---------------------------------------------------------------------------------------
// Field checks shared by both formats
// ---------------------------------------------------------------------------------------

/// An id (see the module rules), not used before in this file.
fn check_id(
    column: &str,
    text: &str,
    line: u64,
    first_line_of: &mut HashMap<String, u64>,
) -> Result<String, String> {
    if text.is_empty() {
        return Err(format!("{column} is required"));
    }
    let valid_chars = text
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if !valid_chars || text.chars().count() > MAX_ID_CHARS {
        return Err(format!(
            "{column} {text:?} is not a valid id: use 1 to {MAX_ID_CHARS} characters \
             from a-z, 0-9, '-', '_' and '.'"
        ));
    }
    if let Some(first) = first_line_of.get(text) {
        return Err(format!(
            "duplicate {column} {text:?}: already used on line {first}"
        ));
    }
    first_line_of.insert(text.to_string(), line);
    Ok(text.to_string())
}

/// Text of at most `max` characters without line breaks or other control characters;
/// empty is an error when `required`.
fn single_line_text(
    column: &str,
    text: &str,
    max: usize,
    required: bool,
) -> Result<String, String> {
    if text.chars().any(char::is_control) {
        return Err(format!(
            "{column} contains a line break or other control character"
        ));
    }
    text_len(column, text, max, required)
}

/// Text of at most `max` characters that may contain line breaks and tabs, but no other
/// control characters; empty is fine.
fn multi_line_text(column: &str, text: &str, max: usize) -> Result<String, String> {
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(format!("{column} contains a control character"));
    }
    text_len(column, text, max, false)
}

fn text_len(column: &str, text: &str, max: usize, required: bool) -> Result<String, String> {
    let len = text.chars().count();
    if required && len == 0 {
        return Err(format!("{column} is required"));
    }
    if len > max {
        return Err(format!(
            "{column} is {len} characters long: use at most {max}"
        ));
    }
    Ok(text.to_string())
}

fn number(column: &str, text: &str) -> Result<f64, String> {
    if text.is_empty() {
        return Err(format!("{column} is required"));
    }
    text.parse::<f64>()
        .map_err(|_| format!("{column} {text:?} is not a number"))
}

fn non_empty(text: String) -> Option<String> {
    if text.is_empty() { None } else { Some(text) }
}

// ---------------------------------------------------------------------------------------
// Reading the table
// ---------------------------------------------------------------------------------------

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

    fn push(&mut self, line: u64, message: String) {
        self.list.push(CsvProblem {
            file: self.file.to_string(),
            line,
            message,
        });
    }

    fn extend(&mut self, line: u64, messages: Vec<String>) {
        for message in messages {
            self.push(line, message);
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
    let mut lines = LineCounter::new(text);
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
                    format!(
                        "the file is empty: expected a header row with the columns {} \
                         (and optionally the others of {})",
                        required.join(", "),
                        column_list(columns)
                    ),
                );
                return Err(problems.into_errors());
            }
            Some(Err(e)) => {
                problems.push(lines.error_line(&e), format!("unreadable CSV: {e}"));
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
            problems.push(header_line, format!("column {} has no name", i + 1));
        } else if let Some(k) = columns.iter().position(|c| c.name == lower) {
            if index_of[k].is_some() {
                problems.push(header_line, format!("column {lower:?} appears twice"));
            } else {
                index_of[k] = Some(i);
            }
        } else {
            problems.push(
                header_line,
                format!(
                    "unknown column {name:?}: the columns are {}",
                    column_list(columns)
                ),
            );
        }
    }
    for (column, index) in columns.iter().zip(&index_of) {
        if column.required && index.is_none() {
            problems.push(
                header_line,
                format!("missing required column {:?}", column.name),
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
                problems.push(lines.error_line(&e), format!("unreadable CSV: {e}"));
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
                format!(
                    "the row has {} fields but the header has {}",
                    record.len(),
                    header.len()
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
    fn new(text: &'t str) -> LineCounter<'t> {
        LineCounter {
            text: text.as_bytes(),
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
    use std::collections::HashSet;

    fn errors<T: fmt::Debug>(result: Result<T, CsvErrors>) -> Vec<String> {
        result.unwrap_err().lines()
    }

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
        assert_eq!(
            errors(parse_venues("venues.csv", text)),
            vec![
                "venues.csv:3: latitude 91 is out of range: use -90 to 90",
                "venues.csv:4: lat \"abc\" is not a number",
                "venues.csv:5: duplicate id \"ok\": already used on line 2",
                "venues.csv:6: name is required",
                "venues.csv:7: id \"Bad Id\" is not a valid id: use 1 to 40 characters from a-z, \
                 0-9, '-', '_' and '.'",
                "venues.csv:7: longitude 181 is out of range: use -180 to 180",
                "venues.csv:7: radius_km 0.05 is out of range: use 0.1 to 100",
                "venues.csv:8: id \"multi\\nline\" is not a valid id: use 1 to 40 characters \
                 from a-z, 0-9, '-', '_' and '.'",
                "venues.csv:8: name contains a line break or other control character",
                "venues.csv:11: the row has 3 fields but the header has 7",
                "venues.csv:12: radius_km \"abc\" is not a number",
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
                format!(
                    "v.csv:2: id \"{long_id}\" is not a valid id: use 1 to 40 characters from \
                     a-z, 0-9, '-', '_' and '.'"
                ),
                "v.csv:3: name is 101 characters long: use at most 100".to_string(),
                "v.csv:3: address is 201 characters long: use at most 200".to_string(),
            ]
        );
    }

    #[test]
    fn venue_header_problems() {
        assert_eq!(
            errors(parse_venues("v.csv", "id,name,lon,adress\nx,y,1,\n")),
            vec![
                "v.csv:1: unknown column \"adress\": the columns are id, name, lat, lon, \
                 address, radius_km, branch",
                "v.csv:1: missing required column \"lat\"",
            ]
        );
        assert_eq!(
            errors(parse_venues("v.csv", "id,NAME,lat,lon,Name,\n")),
            vec![
                "v.csv:1: column \"name\" appears twice",
                "v.csv:1: column 6 has no name",
            ]
        );
        assert_eq!(
            errors(parse_venues("v.csv", "\u{feff}")),
            vec![
                "v.csv:1: the file is empty: expected a header row with the columns id, name, \
                 lat, lon (and optionally the others of id, name, lat, lon, address, radius_km, \
                 branch)"
            ]
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
                "v.csv:2: unknown column \"\\u{feff}id\": the columns are id, name, lat, lon, \
                  address, radius_km, branch",
                "v.csv:2: missing required column \"id\""
            ]
        );
        let text = text.replacen("\u{feff}", "", 1);
        assert_eq!(
            errors(parse_venues("v.csv", &text)),
            vec![
                "v.csv:4: name contains a line break or other control character",
                "v.csv:4: latitude 91 is out of range: use -90 to 90",
                "v.csv:8: longitude 181 is out of range: use -180 to 180",
                "v.csv:9: the row has 3 fields but the header has 4",
            ]
        );
    }

    #[test]
    fn errors_display_one_per_line() {
        let e = parse_venues("v.csv", "id,name,lat,lon\na,b,91,0\nb,c,0,-181\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "v.csv:2: latitude 91 is out of range: use -90 to 90\n\
             v.csv:3: longitude -181 is out of range: use -180 to 180"
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
                "acts.csv:3: ends at 2026-05-01 09:00 before it starts at 2026-05-01 10:00",
                "acts.csv:4: start 2026-03-08 02:30 does not exist in America/New_York (the \
                 clocks skip it, e.g. for daylight saving time)",
                "acts.csv:5: venue \"nowhere\" is not a known venue id",
                "acts.csv:6: duplicate id \"ok\": already used on line 2",
                "acts.csv:7: venue is required",
                "acts.csv:7: title is required",
                "acts.csv:7: start is required",
                "acts.csv:8: timezone \"Mars/Base\" is not an IANA time zone name (e.g. \
                 Asia/Shanghai)",
                "acts.csv:8: start \"2026/05/01 9:00\" is not a date and time: use YYYY-MM-DD \
                 HH:MM",
                "acts.csv:8: capacity \"0\" is not a positive whole number",
                "acts.csv:9: capacity \"-3\" is not a positive whole number",
                "acts.csv:9: ends at 2026-05-01 10:00 when it starts: the end must be after the \
                 start",
                "acts.csv:10: lasts 25 hours: an activity lasts at most 24 hours (make one row \
                 per day for a longer event)",
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
                vec![format!(
                    "a.csv:2: start \"{bad}\" is not a date and time: use YYYY-MM-DD HH:MM"
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
                "a.csv:1: unknown column \"finish\": the columns are id, venue, title, start, \
                 end, timezone, capacity, description",
                "a.csv:1: unknown column \"room\": the columns are id, venue, title, start, end, \
                 timezone, capacity, description",
                "a.csv:1: missing required column \"end\"",
            ]
        );
    }

    #[test]
    fn activity_description_length() {
        let set = venues();
        let text = format!(
            "id,venue,title,start,end,description\n\
             d,bj-1,x,2026-05-01 09:00,2026-05-01 10:00,{}\n",
            "字".repeat(501)
        );
        assert_eq!(
            errors(parse_activities("a.csv", &text, &known(&set))),
            vec!["a.csv:2: description is 501 characters long: use at most 500"]
        );
    }
}
