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
    let activities: Vec<NewActivity> = venues
        .iter()
        .map(|v| NewActivity {
            id: format!("a-{}", v.id),
            venue_id: v.id.clone(),
            title: "学习".into(),
            description: None,
            starts_at: now + Duration::hours(2),
            ends_at: now + Duration::hours(4),
            timezone: "Asia/Shanghai".into(),
            capacity: None,
        })
        .collect();
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
        let mut want: Vec<String> = venues
            .iter()
            .filter(|v| distance_m(center, v.location) <= radius_m)
            .map(|v| format!("a-{}", v.id))
            .collect();
        want.sort();
        let mut got: Vec<String> = store
            .activities_near(center, radius_m, now, now + Duration::days(7))
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.activity.id)
            .collect();
        got.sort();
        assert_eq!(got, want, "activities within {radius_m} m of {center:?}");
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
                now + Duration::hours(5),
                now + Duration::days(7)
            )
            .await
            .unwrap()
            .is_empty(),
        "ended activities are not listed"
    );
    store.close().await;
}

#[tokio::test]
async fn nearby_queries_match_brute_force_on_sqlite() {
    scenario(TestDb::sqlite()).await;
}

#[tokio::test]
async fn nearby_queries_match_brute_force_on_postgres() {
    let Some(db) = TestDb::postgres("geo_store").await else {
        return;
    };
    scenario(db).await;
}
