//! The nearby queries of the store against brute force, on SQLite and PostgreSQL: venues
//! spread over the whole globe and packed around the 180th meridian and both poles; for
//! many centres and radii, `activities_near` and `migrants_near` return exactly the rows
//! whose great-circle distance is within the radius (no miss, no extra).

mod support;

use chrono::{Duration, TimeZone, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use support::db::TestDb;
use weike::domain::geo::{LatLon, distance_m};
use weike::domain::{Dialog, Locale};
use weike::store::{NewActivity, NewVenue, Store};

fn point(rng: &mut SmallRng) -> LatLon {
    let (lat, lon) = match rng.random_range(0..4) {
        // Anywhere (uniform on the sphere).
        0 => (
            (rng.random_range(-1.0f64..1.0)).asin().to_degrees(),
            rng.random_range(-180.0..=180.0),
        ),
        // Around the 180th meridian.
        1 => (
            rng.random_range(-60.0..60.0),
            if rng.random_bool(0.5) {
                rng.random_range(179.7..=180.0)
            } else {
                rng.random_range(-180.0..-179.7)
            },
        ),
        // Near the poles.
        2 => (
            rng.random_range(89.6..=90.0) * if rng.random_bool(0.5) { 1.0 } else { -1.0 },
            rng.random_range(-180.0..=180.0),
        ),
        // A city.
        _ => (
            31.23 + rng.random_range(-0.2..0.2),
            121.47 + rng.random_range(-0.2..0.2),
        ),
    };
    LatLon::new(lat, lon).unwrap()
}

async fn scenario(db: TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let mut rng = SmallRng::seed_from_u64(20261201);
    let venues: Vec<NewVenue> = (0..600)
        .map(|i| NewVenue {
            id: format!("v{i}"),
            name: format!("驿站{i}"),
            location: point(&mut rng),
            address: None,
            radius_km: 10.0,
            branch_id: None,
        })
        .collect();
    store.upsert_venues(&venues, now).await.unwrap();
    // Per venue: one activity going on (started 3 hours ago), one that starts at the same
    // hour as many others (ties), one at a random hour of the next nine days, one that ended.
    let mut activities: Vec<NewActivity> = Vec::new();
    for v in &venues {
        let hour = |h: i64| now + Duration::hours(h);
        let random_start = rng.random_range(0..24 * 9);
        let random_hours = rng.random_range(1..=24);
        for (n, start, hours) in [
            (0, hour(-3), 5),
            (1, hour(20), 2),
            (2, hour(random_start), random_hours),
            (3, hour(-10), 2),
        ] {
            activities.push(NewActivity {
                id: format!("a{n}-{}", v.id),
                venue_id: v.id.clone(),
                title: "学习".into(),
                description: None,
                starts_at: start,
                ends_at: start + Duration::hours(hours),
                timezone: "Asia/Shanghai".into(),
                capacity: None,
            });
        }
    }
    store.upsert_activities(&activities, now).await.unwrap();
    // Members away from home at the venues' kind of places.
    let mut members = Vec::new();
    for i in 0..400 {
        let mut m = store
            .create_member(
                "telegram",
                &format!("{}", 70_000 + i),
                Locale::ZhCn,
                "Asia/Shanghai",
                chrono::NaiveTime::from_hms_opt(7, 30, 0).unwrap(),
                &Dialog::Idle.encode(),
                now,
            )
            .await
            .unwrap();
        m.onboarded = true;
        store.save_member(&m, now).await.unwrap();
        store.set_away(m.id, Some(now)).await.unwrap();
        let p = point(&mut rng);
        store.save_location(m.id, p, now).await.unwrap();
        members.push((m.id, p));
    }

    let mut checked = 0;
    let mut found_total = 0;
    for _ in 0..150 {
        let center = point(&mut rng);
        let radius_m = [300.0, 5_000.0, 10_000.0, 50_000.0, 200_000.0][rng.random_range(0..5)];
        // Brute force: every activity not ended, starting within 7 days, within the
        // radius, in the order of start, distance, id.
        let until = now + Duration::days(7);
        let mut want: Vec<(chrono::DateTime<Utc>, f64, String)> = activities
            .iter()
            .filter(|a| a.ends_at > now && a.starts_at < until)
            .filter_map(|a| {
                let v = venues.iter().find(|v| v.id == a.venue_id).unwrap();
                let d = distance_m(center, v.location);
                (d <= radius_m).then(|| (a.starts_at, d, a.id.clone()))
            })
            .collect();
        want.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
        let want: Vec<String> = want.into_iter().map(|w| w.2).collect();
        for limit in [1, 10, 10_000] {
            let page = store
                .activities_near(center, radius_m, now, until, limit)
                .await
                .unwrap();
            let got: Vec<String> = page.found.iter().map(|n| n.activity.id.clone()).collect();
            let expected = &want[..want.len().min(limit)];
            assert_eq!(
                got, expected,
                "the first {limit} within {radius_m} m of {center:?}"
            );
            assert_eq!(page.more, want.len() > limit, "more than {limit}?");
        }
        let mut want: Vec<i64> = members
            .iter()
            .filter(|(_, p)| distance_m(center, *p) <= radius_m)
            .map(|(id, _)| *id)
            .collect();
        want.sort();
        let mut got: Vec<i64> = store
            .migrants_near(center, radius_m, now - Duration::days(30))
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.member_id)
            .collect();
        got.sort();
        assert_eq!(got, want, "members within {radius_m} m of {center:?}");
        checked += 1;
        found_total += got.len();
    }
    assert_eq!(checked, 150);
    assert!(found_total > 0, "the searches found members at all");
    // Outside the time window: nothing.
    let center = venues[0].location;
    assert!(
        store
            .activities_near(
                center,
                1_000.0,
                now + Duration::days(12),
                now + Duration::days(19),
                10
            )
            .await
            .unwrap()
            .found
            .is_empty(),
        "ended activities are not listed"
    );
    store.close().await;
}

sqlite_and_postgres!(nearby_queries_match_brute_force => scenario);
