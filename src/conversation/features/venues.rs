//! Admin commands for venues (红色驿站) and their activities: add, edit, remove or cancel,
//! list, and RSVP/attendance figures. A row is written like a line of the import CSV files
//! (same columns, same order, same checks), so what works in a file works in a command.
//!
//! Scope: a venue may belong to a branch; a branch admin manages the venues of their
//! branches (and those venues' activities), admins and owners all of them.

use std::sync::Arc;

use chrono::Duration;

use super::admin::{Admin, AdminRequest, Authority};
use super::migrants::{Migrants, km_label};
use crate::channel::Outbound;
use crate::content::markdown::{escape_excerpt, escape_html};
use crate::conversation::command::Command;
use crate::conversation::ctx::Ctx;
use crate::conversation::{Replies, Result};
use crate::domain::Locale;
use crate::domain::venue_csv::{self, CsvErrors, field_key};
use crate::i18n::I18n;
use crate::store::{NewActivity, NewVenue, Venue};
use crate::t;

/// The venue columns in file order (required first).
const VENUE_COLUMNS: [&str; 7] = ["id", "name", "lat", "lon", "address", "radius_km", "branch"];
const VENUE_REQUIRED: usize = 4;
/// The activity columns in file order (required first).
const ACTIVITY_COLUMNS: [&str; 8] = [
    "id",
    "venue",
    "title",
    "start",
    "end",
    "timezone",
    "capacity",
    "description",
];
const ACTIVITY_REQUIRED: usize = 5;
/// Lines of `/venues` and `/venue_stats` at most.
const LIST_MAX: usize = 40;
/// `/venue_stats` covers activities that started this many days ago or later.
const STATS_DAYS: i64 = 30;

/// An activity row typed in a chat with its start and end as people write them
/// (`明天 19:00`, `周五晚上7点`, `Dec 15 7 pm`; the end may be a time alone, on the start's
/// day), rewritten with the file format's `2026-12-15 19:00`; fields that are not read so
/// are left for the row's own checks.
fn natural_times(row: &str, today: chrono::NaiveDate) -> String {
    use crate::domain::date_input::read_date_time;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(row.as_bytes());
    let Some(Ok(record)) = reader.records().next() else {
        return row.to_string();
    };
    let mut fields: Vec<String> = record.iter().map(str::to_string).collect();
    let format = venue_csv::TIME_FORMAT;
    let machine = |v: &str| chrono::NaiveDateTime::parse_from_str(v.trim(), format).is_ok();
    let mut start_day = None;
    for i in [3, 4] {
        let Some(value) = fields.get(i).cloned() else {
            continue;
        };
        if machine(&value) {
            start_day = start_day.or(chrono::NaiveDateTime::parse_from_str(value.trim(), format)
                .ok()
                .map(|t| t.date()));
            continue;
        }
        let read = read_date_time(&value, today).ok().or_else(|| {
            // The end as a time alone: on the start's day.
            let day = start_day.filter(|_| i == 4)?;
            Some(day.and_time(crate::domain::time_input::read_time(&value)?.time()))
        });
        if let Some(at) = read {
            if i == 3 {
                start_day = Some(at.date());
            }
            fields[i] = at.format(format).to_string();
        }
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    if writer.write_record(&fields).is_err() {
        return row.to_string();
    }
    match writer.into_inner().map(String::from_utf8) {
        Ok(Ok(text)) => text.trim_end_matches('\n').to_string(),
        _ => row.to_string(),
    }
}

/// `row` (one CSV line) under a header of as many of `columns` as it has fields; None if
/// it has fewer than `required` or more than all of them.
fn with_header(columns: &[&str], required: usize, row: &str) -> Option<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(row.as_bytes());
    let record = reader.records().next()?.ok()?;
    let n = record.len();
    (required..=columns.len())
        .contains(&n)
        .then(|| format!("{}\n{row}", columns[..n].join(",")))
}

/// The problems of a one-row "file" in `locale`, without the file and line, as HTML.
fn problems(i18n: &I18n, locale: Locale, e: &CsvErrors) -> String {
    e.problems
        .iter()
        .map(|p| {
            // The column by its name in words: the row was written without the header.
            let args: Vec<(&str, String)> = p
                .text
                .args
                .iter()
                .map(|(name, value)| match *name {
                    "column" => (*name, i18n.text(locale, &field_key(value), &[])),
                    _ => (*name, value.clone()),
                })
                .collect();
            escape_html(&i18n.text_with_strings(locale, p.text.key, &args))
        })
        .collect::<Vec<_>>()
        .join(&t!(i18n, locale, "csv-problem-separator"))
}

/// Venues and activities managed by admins.
pub struct Venues {
    ctx: Arc<Ctx>,
    admin: Arc<Admin>,
    /// Tells members about new, changed and cancelled activities.
    migrants: Arc<Migrants>,
}

impl Venues {
    pub fn new(ctx: Arc<Ctx>, admin: Arc<Admin>, migrants: Arc<Migrants>) -> Self {
        Self {
            ctx,
            admin,
            migrants,
        }
    }

    /// Whether the admin may manage a venue of `branch` (None: of the whole organization).
    fn reaches_venue(&self, authority: &Authority, branch: Option<&str>) -> bool {
        match branch {
            Some(b) => self.admin.reaches(authority, b),
            None => authority.whole_organization(),
        }
    }

    /// The answer to adding (`adding`) what exists or editing what does not, with the
    /// keys `(exists, unknown)`; None when neither is the case.
    fn add_or_edit_problem(
        &self,
        l: crate::domain::Locale,
        adding: bool,
        exists: bool,
        (exists_key, unknown_key): (&str, &str),
        id: &str,
    ) -> Option<Replies> {
        let key = match (adding, exists) {
            (true, true) => exists_key,
            (false, false) => unknown_key,
            _ => return None,
        };
        Some(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            key,
            id = escape_html(id)
        ))])
    }

    /// A row typed in a command (one CSV line of `columns`, the first `required` of them
    /// required) read by `parse` as a one-row file under the header of its length, or the
    /// answer: the text of `usage` when it is not one row of that many fields, its problems
    /// when it is invalid.
    fn read_row<T>(
        &self,
        l: Locale,
        usage: &str,
        columns: &[&str],
        required: usize,
        row: &str,
        parse: impl FnOnce(&str) -> std::result::Result<Vec<T>, CsvErrors>,
    ) -> std::result::Result<T, Replies> {
        let usage = || self.ctx.reply(l, usage);
        let Some(text) = with_header(columns, required, row) else {
            return Err(usage());
        };
        match parse(&text) {
            Ok(mut rows) if rows.len() == 1 => Ok(rows.remove(0)),
            Ok(_) => Err(usage()),
            Err(e) => Err(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "row-invalid",
                problems = problems(&self.ctx.i18n, l, &e)
            ))]),
        }
    }

    /// The open venue `id`, or the answer that there is none.
    async fn open_venue(&self, l: Locale, id: &str) -> Result<std::result::Result<Venue, Replies>> {
        Ok(self.open_venue_or_none(id).await?.ok_or_else(|| {
            vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "venue-unknown",
                id = escape_excerpt(id)
            ))]
        }))
    }

    /// The venue `id` if it is open.
    async fn open_venue_or_none(&self, id: &str) -> Result<Option<Venue>> {
        Ok(self
            .ctx
            .store
            .venue(id)
            .await?
            .filter(|v| v.status == crate::store::VENUE_OPEN))
    }

    /// The venue and activity commands, for an admin.
    pub async fn command(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        match request.command {
            Command::Venues => self.list_venues(request).await,
            Command::VenueAdd | Command::VenueEdit => self.save_venue(request).await,
            Command::VenueRemove => self.remove_venue(request).await,
            Command::ActivityAdd | Command::ActivityEdit => self.save_activity(request).await,
            Command::ActivityCancel => self.cancel_activity(request).await,
            Command::VenueStats => self.venue_stats(request).await,
            _ => Ok(Vec::new()),
        }
    }

    async fn list_venues(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        let (l, authority) = (request.locale(), request.authority);
        let venues: Vec<Venue> = self
            .ctx
            .store
            .venues()
            .await?
            .into_iter()
            .filter(|v| self.reaches_venue(authority, v.branch_id.as_deref()))
            .collect();
        if venues.is_empty() {
            return Ok(self.ctx.reply(l, "venues-none"));
        }
        let tree = self.ctx.tree();
        let mut lines = vec![t!(self.ctx.i18n, l, "venues-header", count = venues.len())];
        for v in venues.iter().take(LIST_MAX) {
            let branch = v
                .branch_id
                .as_deref()
                .map(|b| tree.path(b, l))
                .unwrap_or_else(|| "—".into());
            lines.push(t!(
                self.ctx.i18n,
                l,
                "venues-line",
                id = escape_html(&v.id),
                name = escape_html(&v.name),
                lat = format!("{:.5}", v.lat),
                lon = format!("{:.5}", v.lon),
                km = km_label(v.radius_km),
                branch = escape_html(&branch)
            ));
        }
        if venues.len() > LIST_MAX {
            lines.push(t!(
                self.ctx.i18n,
                l,
                "list-more",
                count = venues.len() - LIST_MAX
            ));
        }
        Ok(vec![Outbound::text(lines.join("\n"))])
    }

    async fn save_venue(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        let (l, authority) = (request.locale(), request.authority);
        let read = self.read_row(
            l,
            "venue-usage",
            &VENUE_COLUMNS,
            VENUE_REQUIRED,
            request.args,
            |text| venue_csv::parse_venues("", text),
        );
        let row = match read {
            Ok(row) => row,
            Err(answer) => return Ok(answer),
        };
        if let Some(b) = &row.branch
            && self.ctx.tree().get(b).is_none()
        {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "branch-unknown-id",
                branch = escape_excerpt(b)
            ))]);
        }
        if !self.reaches_venue(authority, row.branch.as_deref()) {
            return self.admin.out_of_scope(request).await;
        }
        let existing = self.open_venue_or_none(&row.id).await?;
        if let Some(answer) = self.add_or_edit_problem(
            l,
            request.command == Command::VenueAdd,
            existing.is_some(),
            ("venue-exists", "venue-unknown"),
            &row.id,
        ) {
            return Ok(answer);
        }
        if let Some(old) = &existing
            && !self.reaches_venue(authority, old.branch_id.as_deref())
        {
            return self.admin.out_of_scope(request).await;
        }
        self.ctx
            .store
            .upsert_venues(&[NewVenue::from(row.clone())], self.ctx.now())
            .await?;
        self.admin.request_done(request, &row.id).await?;
        let key = if existing.is_some() {
            "venue-updated"
        } else {
            "venue-added"
        };
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            key,
            id = escape_html(&row.id),
            name = escape_html(&row.name),
            lat = format!("{:.5}", row.location.lat),
            lon = format!("{:.5}", row.location.lon),
            km = km_label(row.radius_km)
        ))])
    }

    async fn remove_venue(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        let l = request.locale();
        let id = request.args.trim();
        let venue = match self.open_venue(l, id).await? {
            Ok(venue) => venue,
            Err(answer) => return Ok(answer),
        };
        if !self.reaches_venue(request.authority, venue.branch_id.as_deref()) {
            return self.admin.out_of_scope(request).await;
        }
        let now = self.ctx.now();
        let upcoming = self.ctx.store.upcoming_at_venue(&venue.id, now).await?;
        if upcoming > 0 {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "venue-has-activities",
                name = escape_html(&venue.name),
                count = upcoming
            ))]);
        }
        self.ctx.store.remove_venue(&venue.id, now).await?;
        self.admin.request_done(request, &venue.id).await?;
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            "venue-removed",
            name = escape_html(&venue.name)
        ))])
    }

    async fn save_activity(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        let (member, authority) = (request.member, request.authority);
        let l = member.locale;
        let usage = || self.ctx.reply(l, "activity-usage");
        let today = self.ctx.now().with_timezone(&member.timezone).date_naive();
        let row = natural_times(request.args, today);
        // The venue is checked below, against the database.
        let read = self.read_row(
            l,
            "activity-usage",
            &ACTIVITY_COLUMNS,
            ACTIVITY_REQUIRED,
            &row,
            |text| venue_csv::parse_activities("", text, &|_| true),
        );
        let row = match read {
            Ok(row) => row,
            Err(answer) => return Ok(answer),
        };
        let venue = match self.open_venue(l, &row.venue).await? {
            Ok(venue) => venue,
            Err(answer) => return Ok(answer),
        };
        if !self.reaches_venue(authority, venue.branch_id.as_deref()) {
            return self.admin.out_of_scope(request).await;
        }
        let now = self.ctx.now();
        let existing = self.ctx.store.activity_with_venue(&row.id).await?;
        if let Some(answer) = self.add_or_edit_problem(
            l,
            request.command == Command::ActivityAdd,
            existing.is_some(),
            ("activity-exists", "activity-unknown"),
            &row.id,
        ) {
            return Ok(answer);
        }
        if let Some((old, old_venue)) = &existing {
            if !self.reaches_venue(authority, old_venue.branch_id.as_deref()) {
                return self.admin.out_of_scope(request).await;
            }
            if !old.is_scheduled() {
                return Ok(vec![Outbound::text(t!(
                    self.ctx.i18n,
                    l,
                    "activity-not-scheduled",
                    id = escape_html(&row.id)
                ))]);
            }
        }
        if row.end <= now {
            return Ok(self.ctx.reply(l, "activity-in-past"));
        }
        self.ctx
            .store
            .upsert_activities(
                &[NewActivity {
                    venue_id: venue.id.clone(),
                    ..NewActivity::from(row.clone())
                }],
                now,
            )
            .await?;
        let Some((activity, venue)) = self.ctx.store.activity_with_venue(&row.id).await? else {
            return Ok(usage());
        };
        let time = self.migrants.activity_time_label(member, &activity);
        let (key, told) = match existing {
            None => (
                "activity-added",
                self.migrants.announce_activity(&activity, &venue).await?,
            ),
            Some((old, _)) => {
                let moved = old.starts_at != activity.starts_at
                    || old.ends_at != activity.ends_at
                    || old.venue_id != activity.venue_id;
                let told = if moved {
                    self.migrants.announce_change(&old, &activity).await?
                } else {
                    0
                };
                ("activity-updated", told)
            }
        };
        self.admin
            .request_done(request, &format!("{} told {told}", activity.id))
            .await?;
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            key,
            id = escape_html(&activity.id),
            title = escape_html(&activity.title),
            venue = escape_html(&venue.name),
            time = time,
            count = told
        ))])
    }

    async fn cancel_activity(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        let (l, args) = (request.locale(), request.args);
        let (id, note) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        let note = note.trim();
        if id.is_empty() {
            return Ok(self.ctx.reply(l, "activity-cancel-usage"));
        }
        let Some((activity, venue)) = self.ctx.store.activity_with_venue(id).await? else {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "activity-unknown",
                id = escape_excerpt(id)
            ))]);
        };
        if !self.reaches_venue(request.authority, venue.branch_id.as_deref()) {
            return self.admin.out_of_scope(request).await;
        }
        if note.chars().count() > 200 {
            return Ok(self.ctx.reply(l, "activity-cancel-usage"));
        }
        let now = self.ctx.now();
        if !self
            .ctx
            .store
            .cancel_activity(&activity.id, (!note.is_empty()).then_some(note), now)
            .await?
        {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "activity-not-scheduled",
                id = escape_excerpt(id)
            ))]);
        }
        let told = self.migrants.announce_cancellation(&activity).await?;
        self.admin
            .request_done(request, &format!("{} told {told}", activity.id))
            .await?;
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            "activity-cancel-done",
            title = escape_html(&activity.title),
            count = told
        ))])
    }

    /// `/venue_stats [VENUE]`: RSVPs and attendance per activity (the last 30 days and
    /// what is ahead) and per venue.
    async fn venue_stats(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        let (member, authority, args) = (request.member, request.authority, request.args);
        let l = member.locale;
        let wanted = args.trim();
        let since = self.ctx.now() - Duration::days(STATS_DAYS);
        let rows: Vec<_> = self
            .ctx
            .store
            .activity_figures(since, 10_000)
            .await?
            .into_iter()
            .filter(|r| wanted.is_empty() || r.venue_id == wanted)
            .filter(|r| self.reaches_venue(authority, r.branch_id.as_deref()))
            .collect();
        if rows.is_empty() {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "venue-stats-none",
                days = STATS_DAYS
            ))]);
        }
        let mut lines = vec![t!(
            self.ctx.i18n,
            l,
            "venue-stats-header",
            days = STATS_DAYS
        )];
        let mut shown = 0;
        let mut i = 0;
        while i < rows.len() {
            let venue = &rows[i].venue_id;
            let group: Vec<_> = rows[i..]
                .iter()
                .take_while(|r| &r.venue_id == venue)
                .collect();
            i += group.len();
            let rsvps: i64 = group.iter().map(|r| r.rsvps).sum();
            let attended: i64 = group.iter().map(|r| r.attended).sum();
            lines.push(t!(
                self.ctx.i18n,
                l,
                "venue-stats-venue",
                name = escape_html(&group[0].venue_name),
                id = escape_html(venue),
                activities = group.len(),
                rsvps = rsvps,
                attended = attended
            ));
            for r in group {
                if shown >= LIST_MAX {
                    continue;
                }
                shown += 1;
                let key = if r.status == crate::store::ACTIVITY_CANCELLED {
                    "venue-stats-cancelled"
                } else {
                    "venue-stats-activity"
                };
                lines.push(t!(
                    self.ctx.i18n,
                    l,
                    key,
                    time = self.ctx.when_label(member, Some(r.starts_at)),
                    title = escape_html(&r.title),
                    id = escape_html(&r.activity_id),
                    rsvps = r.rsvps,
                    attended = r.attended
                ));
            }
        }
        if shown < rows.len() {
            lines.push(t!(
                self.ctx.i18n,
                l,
                "list-more",
                count = rows.len() - shown
            ));
        }
        Ok(vec![Outbound::text(lines.join("\n"))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_times_are_read_as_people_write_them() {
        // Monday 7 December 2026.
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        for (row, expected) in [
            (
                "a1,v1,学习会,明天 19:00,21:00",
                "a1,v1,学习会,2026-12-08 19:00,2026-12-08 21:00",
            ),
            (
                "a1,v1,学习会,周五晚上7点,周五晚上9点",
                "a1,v1,学习会,2026-12-11 19:00,2026-12-11 21:00",
            ),
            (
                "a1,v1,Study,Dec 15 7 pm,9 pm,Asia/Shanghai,30",
                "a1,v1,Study,2026-12-15 19:00,2026-12-15 21:00,Asia/Shanghai,30",
            ),
            // The file format, and what is not a time, stay as they were.
            (
                "a1,v1,学习会,2026-12-03 19:00,2026-12-03 21:00",
                "a1,v1,学习会,2026-12-03 19:00,2026-12-03 21:00",
            ),
            ("a1,v1,学习会,过几天,21:00", "a1,v1,学习会,过几天,21:00"),
            (
                "a1,v1,\"学习会, 第二期\",明天 19:00,21:00",
                "a1,v1,\"学习会, 第二期\",2026-12-08 19:00,2026-12-08 21:00",
            ),
        ] {
            assert_eq!(natural_times(row, today), expected, "{row}");
        }
    }

    #[test]
    fn rows_get_the_header_of_their_length() {
        assert_eq!(
            with_header(&VENUE_COLUMNS, VENUE_REQUIRED, "a,b,1,2").as_deref(),
            Some("id,name,lat,lon\na,b,1,2")
        );
        assert_eq!(
            with_header(&VENUE_COLUMNS, VENUE_REQUIRED, r#"a,"b, c",1,2,"x, y",5"#).as_deref(),
            Some("id,name,lat,lon,address,radius_km\na,\"b, c\",1,2,\"x, y\",5")
        );
        assert_eq!(with_header(&VENUE_COLUMNS, VENUE_REQUIRED, "a,b,1"), None);
        assert_eq!(
            with_header(&VENUE_COLUMNS, VENUE_REQUIRED, "1,2,3,4,5,6,7,8"),
            None
        );
        assert_eq!(with_header(&VENUE_COLUMNS, VENUE_REQUIRED, ""), None);
    }

    #[test]
    fn a_command_row_is_checked_like_a_file_row() {
        let text = with_header(
            &ACTIVITY_COLUMNS,
            ACTIVITY_REQUIRED,
            "a1,v1,Study,2026-12-03 19:00,2026-12-03 18:00",
        )
        .unwrap();
        let i18n = I18n::new().unwrap();
        let venue = with_header(&VENUE_COLUMNS, VENUE_REQUIRED, "v1,,95,10").unwrap();
        for (e, in_words) in [
            (
                venue_csv::parse_activities("", &text, &|_| true).unwrap_err(),
                [
                    "ends at 2026-12-03 18:00 before it starts at 2026-12-03 19:00",
                    "结束时间 2026-12-03 18:00 早于开始时间 2026-12-03 19:00",
                ],
            ),
            (
                venue_csv::parse_venues("", &venue).unwrap_err(),
                [
                    "name is required; latitude 95 is out of range: use -90 to 90",
                    "名称 为必填项；纬度 95 超出范围：应在 -90 到 90 之间",
                ],
            ),
        ] {
            assert_eq!(problems(&i18n, Locale::En, &e), in_words[0]);
            assert_eq!(problems(&i18n, Locale::ZhCn, &e), in_words[1]);
        }
        // Each problem in the admin's language, the values from the row escaped.
        let text = with_header(&VENUE_COLUMNS, VENUE_REQUIRED, "<b>,S,30,120").unwrap();
        let e = venue_csv::parse_venues("", &text).unwrap_err();
        assert_eq!(
            problems(&i18n, Locale::ZhTw, &e),
            "編號「&lt;b&gt;」不是有效的編號：請用 1 到 40 個字元，只能是 a-z、0-9、「-」、「_」和「.」"
        );
    }
}
