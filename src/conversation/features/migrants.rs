//! Members working away from home (流动党员, "离乡不离党、流动不流学"): away status, shared
//! locations (with consent, kept for a limited time), nearby venue activities, RSVPs and
//! their reminders, the weekly digest, and in-person attendance checked by location.
//!
//! Pushes go through the outbox, each with a dedup key, so every member hears of an
//! activity, a reminder or a cancellation once, whatever the number of processes.

use std::sync::Arc;

use chrono::{DateTime, Duration, Timelike, Utc};

use crate::channel::{Button, Keyboard, Outbound};
use crate::content::markdown::{escape_excerpt, escape_html};
use crate::conversation::action::Action;
use crate::conversation::ctx::Ctx;
use crate::conversation::{ConversationError, Replies, Result};
use crate::domain::geo::{self, AttendanceRefusal, LatLon};
use crate::domain::outbox::OutboxKind;
use crate::domain::points::PointsConfig;
use crate::domain::{Locale, Member};
use crate::store::{Activity, Award, NewDelivery, Venue};
use crate::t;

/// Activities listed in one `/nearby` answer or digest.
const LIST_MAX: usize = 10;
/// A live location is stored at most this often (it is sent every few seconds).
const LIVE_STORE_EVERY_SECONDS: i64 = 60;
/// Around a shared location, activities this close are considered for attendance (so
/// that a member a little too far is told how far).
const ATTENDANCE_SEARCH_M: f64 = 2_000.0;
/// At most this many activities around are considered for attendance (the soonest).
const ATTENDANCE_CANDIDATES: usize = 50;
/// Activities this many hours before or after now are considered for attendance.
const ATTENDANCE_SEARCH_HOURS: i64 = 12;

/// Which reminder of an RSVP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    DayBefore,
    HourBefore,
}

impl Reminder {
    const ALL: [Reminder; 2] = [Reminder::DayBefore, Reminder::HourBefore];

    fn code(self) -> &'static str {
        match self {
            Reminder::DayBefore => "day",
            Reminder::HourBefore => "hour",
        }
    }

    fn lead(self) -> Duration {
        match self {
            Reminder::DayBefore => Duration::hours(24),
            Reminder::HourBefore => Duration::hours(1),
        }
    }

    /// The outbox reference of this reminder for an activity starting at `start`.
    pub fn reference(self, activity_id: &str, start: DateTime<Utc>) -> String {
        format!("{activity_id}|{}|{}", self.code(), start.timestamp())
    }

    /// (activity id, reminder, start) from a reference.
    pub fn parse_reference(reference: &str) -> Option<(&str, Reminder, i64)> {
        let mut parts = reference.rsplitn(3, '|');
        let start = parts.next()?.parse().ok()?;
        let which = match parts.next()? {
            "day" => Reminder::DayBefore,
            "hour" => Reminder::HourBefore,
            _ => return None,
        };
        Some((parts.next()?, which, start))
    }
}

/// The radius asked for in `/nearby [km]`: empty for the default, else a number of
/// kilometres (`25`, `2.5`, `25km`) above 0 and at most `max_km`.
pub fn parse_radius_km(args: &str, default_km: f64, max_km: f64) -> Option<f64> {
    let text = args.trim();
    if text.is_empty() {
        return Some(default_km);
    }
    let lower = text.to_lowercase();
    let number = lower
        .strip_suffix("km")
        .or_else(|| lower.strip_suffix("公里"))
        .unwrap_or(&lower)
        .trim();
    let km: f64 = number.parse().ok()?;
    (km.is_finite() && km > 0.0 && km <= max_km).then_some(km)
}

/// Members away from home: away status, locations, nearby activities, RSVPs, attendance,
/// and the pushes about activities.
pub struct Migrants {
    ctx: Arc<Ctx>,
    points: Arc<PointsConfig>,
}

impl Migrants {
    pub fn new(ctx: Arc<Ctx>, points: Arc<PointsConfig>) -> Self {
        Self { ctx, points }
    }

    // ----- away, home, consent ----------------------------------------------------------

    /// `/away`: working away from home; the home branch stays.
    pub async fn away(&self, member: &Member) -> Result<Replies> {
        let l = member.locale;
        let now = self.ctx.now();
        let mut replies = Vec::new();
        if self.ctx.store.away_since(member.id).await?.is_some() {
            replies.push(Outbound::text(t!(self.ctx.i18n, l, "away-already")));
        } else {
            self.ctx.store.set_away(member.id, Some(now)).await?;
            replies.push(Outbound::text(t!(
                self.ctx.i18n,
                l,
                "away-started",
                branch = escape_html(&self.ctx.branch_label(member))
            )));
        }
        replies.push(self.location_request(member).await?);
        Ok(replies)
    }

    /// `/home`: back home; stored locations stay until they expire or are forgotten.
    pub async fn home(&self, member: &Member) -> Result<Replies> {
        let l = member.locale;
        if self.ctx.store.away_since(member.id).await?.is_none() {
            return Ok(self.ctx.reply(l, "home-already"));
        }
        self.ctx.store.set_away(member.id, None).await?;
        let stored = self.ctx.store.location_count(member.id).await?;
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            "home-done",
            count = stored,
            days = self.ctx.settings.migrants.retention_days
        ))])
    }

    /// `/forget_location`: every stored point is deleted, and consent withdrawn.
    pub async fn forget_location(&self, member: &Member) -> Result<Replies> {
        let deleted = self.ctx.store.forget_locations(member.id).await?;
        self.ctx.store.set_location_consent(member.id, None).await?;
        tracing::info!(member = member.id, deleted, "locations forgotten");
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            member.locale,
            "location-forgotten",
            count = deleted
        ))])
    }

    /// Asks for a location, or first for consent to store it.
    async fn location_request(&self, member: &Member) -> Result<Outbound> {
        if self.ctx.store.location_consent(member.id).await?.is_some() {
            return Ok(self.ask_location(member.locale, "location-share"));
        }
        Ok(self.consent_question(member.locale))
    }

    fn ask_location(&self, l: Locale, key: &str) -> Outbound {
        Outbound::AskLocation {
            html: t!(self.ctx.i18n, l, key),
            button_label: t!(self.ctx.i18n, l, "location-button"),
        }
    }

    fn consent_question(&self, l: Locale) -> Outbound {
        Outbound::with_buttons(
            t!(
                self.ctx.i18n,
                l,
                "location-consent",
                days = self.ctx.settings.migrants.retention_days
            ),
            vec![vec![
                Action::LocationConsent(true).button(t!(self.ctx.i18n, l, "location-consent-yes")),
                Action::LocationConsent(false).button(t!(self.ctx.i18n, l, "location-consent-no")),
            ]],
        )
    }

    /// The consent buttons.
    pub async fn consent_button(&self, member: &Member, yes: bool) -> Result<Replies> {
        let l = member.locale;
        match yes {
            true => {
                self.ctx
                    .store
                    .set_location_consent(member.id, Some(self.ctx.now()))
                    .await?;
                Ok(vec![self.ask_location(l, "location-consent-thanks")])
            }
            _ => Ok(self.ctx.reply(l, "location-consent-declined")),
        }
    }

    // ----- a shared location ------------------------------------------------------------

    /// A location an onboarded member shared (`live`: an update of a live location,
    /// answered only when it checks the member in).
    pub async fn location(
        &self,
        member: &Member,
        lat: f64,
        lon: f64,
        live: bool,
    ) -> Result<Replies> {
        let l = member.locale;
        let point = match LatLon::new(lat, lon) {
            Ok(p) => p,
            Err(e) => {
                tracing::info!(member = member.id, error = %e, "a shared location was refused");
                if live {
                    return Ok(Vec::new());
                }
                return Ok(self.ctx.reply(l, "location-invalid"));
            }
        };
        if self.ctx.store.location_consent(member.id).await?.is_none() {
            if live {
                return Ok(Vec::new());
            }
            return Ok(vec![self.consent_question(l)]);
        }
        let now = self.ctx.now();
        if live
            && let Some((_, at)) = self.ctx.store.last_location(member.id).await?
            && now - at < Duration::seconds(LIVE_STORE_EVERY_SECONDS)
        {
            return Ok(Vec::new());
        }
        self.ctx.store.save_location(member.id, point, now).await?;
        let attendance = self.attendance(member, point, live).await?;
        if live || !attendance.is_empty() {
            return Ok(attendance);
        }
        let mut replies = self.ctx.reply(l, "location-saved");
        let radius_km = self.ctx.settings.migrants.nearby_radius_km;
        replies.extend(self.nearby_list(member, point, radius_km).await?);
        Ok(replies)
    }

    /// Checks the member in to an activity going on where they are; or, when one is near
    /// in time or place, says why not (not for live updates). Empty: nothing to say.
    async fn attendance(&self, member: &Member, at: LatLon, live: bool) -> Result<Replies> {
        let l = member.locale;
        let now = self.ctx.now();
        let settings = &self.ctx.settings.migrants;
        let early = Duration::minutes(i64::from(settings.attendance_early_minutes));
        let from = now - Duration::hours(ATTENDANCE_SEARCH_HOURS);
        let until = now + Duration::hours(ATTENDANCE_SEARCH_HOURS);
        let search_m = ATTENDANCE_SEARCH_M.max(settings.attendance_radius_m);
        let mut candidates: Vec<(Activity, Venue, f64, bool)> = self
            .ctx
            .store
            .activities_near(at, search_m, from, until, ATTENDANCE_CANDIDATES)
            .await
            .map_err(near_error)?
            .found
            .into_iter()
            .map(|n| (n.activity, n.venue, n.distance_m, false))
            .collect();
        for (activity, venue) in self
            .ctx
            .store
            .rsvped_activities(member.id, from, until)
            .await?
        {
            match candidates.iter_mut().find(|c| c.0.id == activity.id) {
                Some(c) => c.3 = true,
                None => {
                    let d = geo::distance_m(at, venue.location());
                    candidates.push((activity, venue, d, true));
                }
            }
        }
        // RSVPed first, then the nearest.
        candidates.sort_by(|a, b| b.3.cmp(&a.3).then(a.2.total_cmp(&b.2)));
        let mut refusal = None;
        for (activity, venue, distance, _) in &candidates {
            match geo::check_attendance(
                now,
                activity.starts_at,
                activity.ends_at,
                early,
                *distance,
                settings.attendance_radius_m,
            ) {
                Ok(()) => {
                    let new = self
                        .ctx
                        .store
                        .record_attendance(&activity.id, member.id, *distance, now)
                        .await?;
                    if !new {
                        if live {
                            return Ok(Vec::new());
                        }
                        return Ok(vec![Outbound::text(t!(
                            self.ctx.i18n,
                            l,
                            "attendance-already",
                            title = escape_html(&activity.title)
                        ))]);
                    }
                    let award = Award {
                        amount: self.points.rules.attendance,
                        reason: "attendance",
                        reference: activity.id.clone(),
                    };
                    let points = self.ctx.store.award(member.id, &[award], now).await?;
                    tracing::info!(member = member.id, activity = %activity.id, distance = *distance as i64, "attendance recorded");
                    return Ok(vec![Outbound::text(t!(
                        self.ctx.i18n,
                        l,
                        "attendance-recorded",
                        title = escape_html(&activity.title),
                        venue = escape_html(&venue.name),
                        points = points
                    ))]);
                }
                Err(why) => {
                    if refusal.is_none() {
                        refusal = Some((activity, why));
                    }
                }
            }
        }
        if live {
            return Ok(Vec::new());
        }
        let Some((activity, why)) = refusal else {
            return Ok(Vec::new());
        };
        let title = escape_html(&activity.title);
        let text = match why {
            AttendanceRefusal::TooEarly { opens_at } => t!(
                self.ctx.i18n,
                l,
                "attendance-too-early",
                title = title,
                opens = self.ctx.when_label(member, Some(opens_at))
            ),
            AttendanceRefusal::Ended { .. } => {
                t!(self.ctx.i18n, l, "attendance-ended", title = title)
            }
            AttendanceRefusal::TooFar { distance_m, max_m } => t!(
                self.ctx.i18n,
                l,
                "attendance-too-far",
                title = title,
                distance = self.distance_label(l, distance_m),
                max = self.distance_label(l, max_m)
            ),
        };
        Ok(vec![Outbound::text(text)])
    }

    // ----- nearby -------------------------------------------------------------------------

    /// `/nearby [km]`.
    pub async fn nearby(&self, member: &Member, args: &str) -> Result<Replies> {
        let l = member.locale;
        let settings = &self.ctx.settings.migrants;
        let Some(radius_km) = parse_radius_km(
            args,
            settings.nearby_radius_km,
            crate::config::MigrantSettings::MAX_NEARBY_KM,
        ) else {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "nearby-usage",
                input = escape_excerpt(args),
                max = crate::config::MigrantSettings::MAX_NEARBY_KM as u32
            ))]);
        };
        let Some(point) = self.fresh_location(member.id).await? else {
            if self.ctx.store.location_consent(member.id).await?.is_some() {
                return Ok(vec![self.ask_location(l, "nearby-need-location")]);
            }
            return Ok(vec![self.consent_question(l)]);
        };
        let list = self.nearby_list(member, point, radius_km).await?;
        if list.is_empty() {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "nearby-none",
                km = km_label(radius_km),
                days = settings.nearby_days
            ))]);
        }
        Ok(list)
    }

    /// The member's latest location if it is within the retention period.
    async fn fresh_location(&self, member_id: i64) -> Result<Option<LatLon>> {
        let cutoff = self.ctx.now() - self.retention();
        Ok(self
            .ctx
            .store
            .last_location(member_id)
            .await?
            .filter(|(_, at)| *at >= cutoff)
            .map(|(p, _)| p))
    }

    fn retention(&self) -> Duration {
        Duration::days(i64::from(self.ctx.settings.migrants.retention_days))
    }

    /// The upcoming activities within `radius_km` of `point` as one message with buttons;
    /// empty when there are none.
    async fn nearby_list(&self, member: &Member, point: LatLon, radius_km: f64) -> Result<Replies> {
        let l = member.locale;
        let now = self.ctx.now();
        let days = self.ctx.settings.migrants.nearby_days;
        let page = self
            .ctx
            .store
            .activities_near(
                point,
                radius_km * 1000.0,
                now,
                now + Duration::days(i64::from(days)),
                LIST_MAX,
            )
            .await
            .map_err(near_error)?;
        if page.found.is_empty() {
            return Ok(Vec::new());
        }
        let mut lines = vec![t!(
            self.ctx.i18n,
            l,
            "nearby-header",
            km = km_label(radius_km),
            days = days
        )];
        let ids: Vec<&str> = page.found.iter().map(|n| n.activity.id.as_str()).collect();
        let going = self.ctx.store.rsvped_among(member.id, &ids).await?;
        let mut keyboard: Keyboard = Vec::new();
        for (i, n) in page.found.iter().enumerate() {
            let number = i + 1;
            lines.push(t!(
                self.ctx.i18n,
                l,
                "nearby-item",
                number = number,
                title = escape_html(&n.activity.title),
                venue = escape_html(&n.venue.name),
                distance = self.distance_label(l, n.distance_m),
                time = self.activity_time_label(member, &n.activity)
            ));
            let going = going.contains(&n.activity.id);
            keyboard.push(self.activity_buttons(l, number, &n.activity.id, &n.venue.id, going));
        }
        if page.more {
            lines.push(t!(self.ctx.i18n, l, "nearby-more"));
        }
        Ok(vec![Outbound::with_buttons(lines.join("\n"), keyboard)])
    }

    fn activity_buttons(
        &self,
        l: Locale,
        number: usize,
        activity_id: &str,
        venue_id: &str,
        going: bool,
    ) -> Vec<Button> {
        let rsvp = if going {
            Action::CancelRsvp(activity_id.to_string()).button(t!(
                self.ctx.i18n,
                l,
                "button-not-going",
                number = number
            ))
        } else {
            Action::Rsvp(activity_id.to_string()).button(t!(
                self.ctx.i18n,
                l,
                "button-going",
                number = number
            ))
        };
        let map = Action::Map(venue_id.to_string()).button(t!(
            self.ctx.i18n,
            l,
            "button-map",
            number = number
        ));
        vec![rsvp, map]
    }

    /// "明天（周四）19:00–21:00", "today at 7 pm–9 pm" in the member's zone (the end's day
    /// only when it is another day).
    pub fn activity_time_label(&self, member: &Member, a: &Activity) -> String {
        let tz = member.timezone;
        let (start, end) = (a.starts_at.with_timezone(&tz), a.ends_at.with_timezone(&tz));
        let end = if start.date_naive() == end.date_naive() {
            self.ctx.i18n.clock(
                member.locale,
                crate::domain::when::Clock::of(end.hour(), end.minute()),
            )
        } else {
            self.ctx.when_label(member, Some(a.ends_at))
        };
        t!(
            self.ctx.i18n,
            member.locale,
            "activity-time",
            start = self.ctx.when_label(member, Some(a.starts_at)),
            end = end
        )
    }

    fn distance_label(&self, l: Locale, metres: f64) -> String {
        if metres < 1000.0 {
            t!(
                self.ctx.i18n,
                l,
                "distance-m",
                m = format!("{:.0}", metres.max(0.0))
            )
        } else {
            t!(
                self.ctx.i18n,
                l,
                "distance-km",
                km = km_label(metres / 1000.0)
            )
        }
    }

    // ----- buttons: RSVP, map ------------------------------------------------------------

    /// RSVP, "not going", a venue's map. None: the button is out of date.
    pub async fn activity_button(
        &self,
        member: &Member,
        action: &Action,
    ) -> Result<Option<Replies>> {
        let l = member.locale;
        let now = self.ctx.now();
        let (activity_id, going) = match action {
            Action::Map(venue_id) => {
                let Some(venue) = self.ctx.store.venue(venue_id).await? else {
                    return Ok(None);
                };
                return Ok(Some(vec![venue_pin(&venue)]));
            }
            Action::Rsvp(id) => (id, true),
            Action::CancelRsvp(id) => (id, false),
            _ => return Ok(None),
        };
        let Some((activity, venue)) = self.ctx.store.activity_with_venue(activity_id).await? else {
            return Ok(None);
        };
        let title = escape_html(&activity.title);
        if !going {
            if !self.ctx.store.cancel_rsvp(&activity.id, member.id).await? {
                return Ok(Some(vec![Outbound::text(t!(
                    self.ctx.i18n,
                    l,
                    "rsvp-none",
                    title = title
                ))]));
            }
            self.ctx
                .store
                .cancel_deliveries(
                    OutboxKind::ActivityReminder,
                    &reminder_refs(&activity),
                    Some(member.id),
                    "RSVP withdrawn",
                )
                .await?;
            return Ok(Some(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "rsvp-withdrawn",
                title = title
            ))]));
        }
        if !activity.is_scheduled() {
            let note = activity.cancel_note.as_deref().map(escape_html);
            return Ok(Some(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "rsvp-cancelled-activity",
                title = title,
                note = note.unwrap_or_default()
            ))]));
        }
        if activity.ends_at <= now {
            return Ok(Some(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "rsvp-ended",
                title = title
            ))]));
        }
        if let Some(capacity) = activity.capacity
            && !self.ctx.store.has_rsvp(&activity.id, member.id).await?
            && self.ctx.store.rsvp_count(&activity.id).await? >= capacity
        {
            return Ok(Some(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "rsvp-full",
                title = title,
                capacity = capacity
            ))]));
        }
        let new = self.ctx.store.rsvp(&activity.id, member.id, now).await?;
        if new {
            self.queue_reminders(member.id, &activity, now).await?;
        }
        let key = if new { "rsvp-done" } else { "rsvp-already" };
        Ok(Some(vec![Outbound::with_buttons(
            t!(
                self.ctx.i18n,
                l,
                key,
                title = title,
                venue = escape_html(&venue.name),
                time = self.activity_time_label(member, &activity)
            ),
            vec![vec![
                Action::CancelRsvp(activity.id.clone()).button(t!(
                    self.ctx.i18n,
                    l,
                    "button-not-going",
                    number = 0usize
                )),
                Action::Map(venue.id.clone()).button(t!(
                    self.ctx.i18n,
                    l,
                    "button-map",
                    number = 0usize
                )),
            ]],
        )]))
    }

    /// Queues the reminders of an RSVP that are still ahead.
    async fn queue_reminders(
        &self,
        member_id: i64,
        activity: &Activity,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let deliveries: Vec<NewDelivery> = Reminder::ALL
            .into_iter()
            .filter_map(|r| {
                let due = activity.starts_at - r.lead();
                (due > now).then(|| {
                    let reference = r.reference(&activity.id, activity.starts_at);
                    NewDelivery {
                        member_id,
                        kind: OutboxKind::ActivityReminder,
                        dedup_key: OutboxKind::ActivityReminder
                            .dedup_key(format_args!("{member_id}:{reference}")),
                        reference,
                        due_at: due,
                    }
                })
            })
            .collect();
        Ok(self.ctx.store.enqueue_many(&deliveries, now).await?)
    }

    // ----- pushes -------------------------------------------------------------------------

    /// Tells the migrant members within the venue's radius about a new activity. Returns
    /// how many were queued.
    pub async fn announce_activity(&self, activity: &Activity, venue: &Venue) -> Result<u64> {
        let deliveries = self.announcement(activity, venue).await?;
        let queued = self
            .ctx
            .store
            .enqueue_many(&deliveries, self.ctx.now())
            .await?;
        tracing::info!(activity = %activity.id, near = deliveries.len(), queued, "new activity announced");
        Ok(queued)
    }

    /// [`Self::announce_activity`] for many activities at once (`weike import activities
    /// --notify`): a search for each, the deliveries queued together. Returns how many were
    /// queued.
    pub async fn announce_activities(&self, activities: &[(Activity, Venue)]) -> Result<u64> {
        let mut deliveries = Vec::new();
        for (activity, venue) in activities {
            deliveries.extend(self.announcement(activity, venue).await?);
        }
        let queued = self
            .ctx
            .store
            .enqueue_many(&deliveries, self.ctx.now())
            .await?;
        tracing::info!(
            activities = activities.len(),
            queued,
            "new activities announced"
        );
        Ok(queued)
    }

    /// The deliveries announcing a new activity to the migrant members near it (none for
    /// one cancelled or over); the dedup key `activity-new:<activity>:<member>` makes sure
    /// nobody is told twice.
    async fn announcement(&self, activity: &Activity, venue: &Venue) -> Result<Vec<NewDelivery>> {
        let now = self.ctx.now();
        if !activity.is_scheduled() || activity.ends_at <= now {
            return Ok(Vec::new());
        }
        let near = self
            .ctx
            .store
            .migrants_near(
                venue.location(),
                venue.radius_km * 1000.0,
                now - self.retention(),
            )
            .await
            .map_err(near_error)?;
        Ok(near
            .iter()
            .map(|m| NewDelivery {
                member_id: m.member_id,
                kind: OutboxKind::ActivityNew,
                reference: activity.id.clone(),
                dedup_key: OutboxKind::ActivityNew
                    .dedup_key(format_args!("{}:{}", activity.id, m.member_id)),
                due_at: now,
            })
            .collect())
    }

    /// Tells those who said they will go that an activity was cancelled, and drops their
    /// reminders.
    pub async fn announce_cancellation(&self, activity: &Activity) -> Result<u64> {
        let now = self.ctx.now();
        self.ctx
            .store
            .cancel_deliveries(
                OutboxKind::ActivityReminder,
                &reminder_refs(activity),
                None,
                "activity cancelled",
            )
            .await?;
        let deliveries: Vec<NewDelivery> = self
            .ctx
            .store
            .rsvp_members(&activity.id)
            .await?
            .into_iter()
            .map(|member_id| NewDelivery {
                member_id,
                kind: OutboxKind::ActivityCancelled,
                reference: activity.id.clone(),
                dedup_key: OutboxKind::ActivityCancelled
                    .dedup_key(format_args!("{}:{member_id}", activity.id)),
                due_at: now,
            })
            .collect();
        Ok(self.ctx.store.enqueue_many(&deliveries, now).await?)
    }

    /// After an activity's time or venue changed: those who said they will go are told,
    /// and their reminders follow the new time.
    pub async fn announce_change(&self, before: &Activity, after: &Activity) -> Result<u64> {
        let now = self.ctx.now();
        self.ctx
            .store
            .cancel_deliveries(
                OutboxKind::ActivityReminder,
                &reminder_refs(before),
                None,
                "activity moved",
            )
            .await?;
        let reference = format!("{}|{}", after.id, after.starts_at.timestamp());
        let mut deliveries = Vec::new();
        for member_id in self.ctx.store.rsvp_members(&after.id).await? {
            self.queue_reminders(member_id, after, now).await?;
            deliveries.push(NewDelivery {
                member_id,
                kind: OutboxKind::ActivityChanged,
                reference: reference.clone(),
                dedup_key: OutboxKind::ActivityChanged.dedup_key(format_args!(
                    "{member_id}:{reference}|{}|{}",
                    after.venue_id,
                    after.ends_at.timestamp()
                )),
                due_at: now,
            });
        }
        Ok(self.ctx.store.enqueue_many(&deliveries, now).await?)
    }

    // ----- composing the pushes -----------------------------------------------------------

    /// The messages of the outbox kinds above; empty when the delivery no longer applies
    /// (the activity was cancelled or moved, the RSVP withdrawn).
    pub async fn compose_migrant(
        &self,
        member: &Member,
        kind: OutboxKind,
        reference: &str,
    ) -> Result<Replies> {
        let l = member.locale;
        let now = self.ctx.now();
        match kind {
            OutboxKind::ActivityDigest => {
                let Some(point) = self.fresh_location(member.id).await? else {
                    return Ok(Vec::new());
                };
                let mut list = self
                    .nearby_list(member, point, self.ctx.settings.migrants.nearby_radius_km)
                    .await?;
                if let Some(Outbound::Text { html, .. }) = list.first_mut() {
                    *html = format!("{}\n{html}", t!(self.ctx.i18n, l, "digest-header"));
                }
                Ok(list)
            }
            OutboxKind::ActivityNew => {
                let Some((a, v)) = self.ctx.store.activity_with_venue(reference).await? else {
                    return Ok(Vec::new());
                };
                if !a.is_scheduled() || a.ends_at <= now {
                    return Ok(Vec::new());
                }
                let distance = match self.fresh_location(member.id).await? {
                    Some(p) => self.distance_label(l, geo::distance_m(p, v.location())),
                    None => "—".into(),
                };
                let going = self.ctx.store.has_rsvp(&a.id, member.id).await?;
                Ok(vec![Outbound::with_buttons(
                    t!(
                        self.ctx.i18n,
                        l,
                        "activity-new",
                        title = escape_html(&a.title),
                        venue = escape_html(&v.name),
                        distance = distance,
                        time = self.activity_time_label(member, &a),
                        description = escape_html(a.description.as_deref().unwrap_or_default())
                    ),
                    vec![self.activity_buttons(l, 1, &a.id, &v.id, going)],
                )])
            }
            OutboxKind::ActivityReminder => {
                let Some((id, which, start)) = Reminder::parse_reference(reference) else {
                    return Ok(Vec::new());
                };
                let Some((a, v)) = self.ctx.store.activity_with_venue(id).await? else {
                    return Ok(Vec::new());
                };
                if !a.is_scheduled()
                    || a.starts_at.timestamp() != start
                    || !self.ctx.store.has_rsvp(&a.id, member.id).await?
                {
                    return Ok(Vec::new());
                }
                let key = match which {
                    Reminder::DayBefore => "reminder-day",
                    Reminder::HourBefore => "reminder-hour",
                };
                Ok(vec![Outbound::with_buttons(
                    t!(
                        self.ctx.i18n,
                        l,
                        key,
                        title = escape_html(&a.title),
                        venue = escape_html(&v.name),
                        address = escape_html(v.address.as_deref().unwrap_or_default()),
                        time = self.activity_time_label(member, &a)
                    ),
                    vec![vec![Action::Map(v.id.clone()).button(t!(
                        self.ctx.i18n,
                        l,
                        "button-map",
                        number = 0usize
                    ))]],
                )])
            }
            OutboxKind::ActivityCancelled => {
                let Some((a, v)) = self.ctx.store.activity_with_venue(reference).await? else {
                    return Ok(Vec::new());
                };
                Ok(vec![Outbound::text(t!(
                    self.ctx.i18n,
                    l,
                    "activity-cancelled",
                    title = escape_html(&a.title),
                    venue = escape_html(&v.name),
                    time = self.activity_time_label(member, &a),
                    note = escape_html(a.cancel_note.as_deref().unwrap_or_default())
                ))])
            }
            OutboxKind::ActivityChanged => {
                let id = reference.rsplit_once('|').map_or(reference, |(id, _)| id);
                let Some((a, v)) = self.ctx.store.activity_with_venue(id).await? else {
                    return Ok(Vec::new());
                };
                if !a.is_scheduled() || !self.ctx.store.has_rsvp(&a.id, member.id).await? {
                    return Ok(Vec::new());
                }
                Ok(vec![Outbound::with_buttons(
                    t!(
                        self.ctx.i18n,
                        l,
                        "activity-changed",
                        title = escape_html(&a.title),
                        venue = escape_html(&v.name),
                        time = self.activity_time_label(member, &a)
                    ),
                    vec![vec![Action::Map(v.id.clone()).button(t!(
                        self.ctx.i18n,
                        l,
                        "button-map",
                        number = 0usize
                    ))]],
                )])
            }
            _ => Ok(Vec::new()),
        }
    }
}

/// The two reminder references of an activity at its current start.
fn reminder_refs(activity: &Activity) -> Vec<String> {
    Reminder::ALL
        .into_iter()
        .map(|r| r.reference(&activity.id, activity.starts_at))
        .collect()
}

/// A venue as a map pin.
fn venue_pin(venue: &Venue) -> Outbound {
    Outbound::Venue {
        lat: venue.lat,
        lon: venue.lon,
        title: venue.name.clone(),
        address: venue
            .address
            .clone()
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| format!("{:.6}, {:.6}", venue.lat, venue.lon)),
    }
}

/// Kilometres with one decimal when under 10 (`2.5`), whole above (`25`).
pub fn km_label(km: f64) -> String {
    if km < 10.0 {
        let s = format!("{km:.1}");
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    } else {
        format!("{km:.0}")
    }
}

/// A bad centre or radius cannot come from validated input: report it as a store problem.
fn near_error(e: crate::store::NearError) -> ConversationError {
    match e {
        crate::store::NearError::Store(e) => ConversationError::Store(e),
        crate::store::NearError::Geo(e) => ConversationError::Geo(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn radius_arguments() {
        assert_eq!(parse_radius_km("", 10.0, 100.0), Some(10.0));
        assert_eq!(parse_radius_km("25", 10.0, 100.0), Some(25.0));
        assert_eq!(parse_radius_km(" 2.5 ", 10.0, 100.0), Some(2.5));
        assert_eq!(parse_radius_km("25km", 10.0, 100.0), Some(25.0));
        assert_eq!(parse_radius_km("25 KM", 10.0, 100.0), Some(25.0));
        assert_eq!(parse_radius_km("5公里", 10.0, 100.0), Some(5.0));
        assert_eq!(parse_radius_km("100", 10.0, 100.0), Some(100.0));
        for bad in ["0", "-3", "101", "abc", "nan", "inf", "1e400", "10 20"] {
            assert_eq!(parse_radius_km(bad, 10.0, 100.0), None, "{bad}");
        }
    }

    #[test]
    fn reminder_references_round_trip() {
        let start = Utc.with_ymd_and_hms(2026, 12, 3, 11, 0, 0).unwrap();
        for r in Reminder::ALL {
            let reference = r.reference("sh.pudong-1", start);
            assert_eq!(
                Reminder::parse_reference(&reference),
                Some(("sh.pudong-1", r, start.timestamp()))
            );
        }
        assert_eq!(Reminder::parse_reference("x|week|1"), None);
        assert_eq!(Reminder::parse_reference("x|day|soon"), None);
        assert_eq!(Reminder::parse_reference("nothing"), None);
    }

    #[test]
    fn kilometre_labels() {
        assert_eq!(km_label(2.5), "2.5");
        assert_eq!(km_label(3.0), "3");
        assert_eq!(km_label(9.96), "10");
        assert_eq!(km_label(10.0), "10");
        assert_eq!(km_label(25.4), "25");
    }
}
