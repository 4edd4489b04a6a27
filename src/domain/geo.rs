//! Coordinates, great-circle distances, a fixed latitude/longitude grid whose cells can be
//! searched with ordinary B-tree indexes, and the time/distance rules for checking in to an
//! activity in person.
//!
//! # The grid
//!
//! The globe is cut into cells of [`CELL_DEG`] (0.1) degrees: [`ROWS`] rows of latitude
//! (row 0 starts at the south pole) times [`COLS`] columns of longitude (column 0 starts at
//! the antimeridian, -180°). A cell is named by one integer, `row * COLS + col`, so a
//! database can store it in an indexed integer column and look for everything near a point
//! with a few `cell BETWEEN lo AND hi` ranges ([`cell_ranges_within`]), then keep the rows
//! that are really close enough with [`distance_m`] / [`within`].
//!
//! Edges belong to the cell above / east of them: latitude 30.0 is in the row that spans
//! 30.0..30.1, longitude 116.4 in the column that spans 116.4..116.5. Latitude 90 (the north
//! pole) is in the last row, and longitude 180 is the same meridian as -180, so it is in
//! column 0.
//!
//! # Floating point
//!
//! Decimal degrees such as 30.1 cannot be represented exactly, and `(30.1 + 90.0) * 10.0`
//! comes out a hair *below* 1201. So the cell index is computed as
//! `floor(x + EDGE_SNAP)` where `x` is the position in cells: anything within a
//! billionth of a cell (about 0.01 mm) below an edge is counted as on the edge, which is
//! what a person typing `30.1` means. [`cell_ranges_within`] uses the same function and adds
//! a safety margin, so the two can never disagree.

use std::cmp::Ordering;

use chrono::{DateTime, Duration, Utc};

/// Mean Earth radius (IUGG), in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Size of a grid cell, in degrees of latitude and of longitude.
pub const CELL_DEG: f64 = 0.1;

/// Cells per degree (`1 / CELL_DEG`); positions are multiplied by this rather than divided
/// by [`CELL_DEG`], because 10 is exact in binary floating point and 0.1 is not.
const CELLS_PER_DEG: f64 = 10.0;

/// Number of grid rows (latitude bands), from the south pole to the north pole.
pub const ROWS: i64 = 1800;

/// Number of grid columns (longitude bands), eastwards from -180°.
pub const COLS: i64 = 3600;

/// The largest search radius [`cell_ranges_within`] accepts, in metres (500 km).
pub const MAX_SEARCH_RADIUS_M: f64 = 500_000.0;

/// A position within this many cells below a cell edge counts as on the edge (see the
/// module documentation).
const EDGE_SNAP: f64 = 1e-9;

/// Extra degrees added around a search area so that rounding in the trigonometry can never
/// make [`cell_ranges_within`] miss a cell (1e-7° is about a centimetre).
const MARGIN_DEG: f64 = 1e-7;

/// Why a coordinate or a search radius was refused.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum GeoError {
    #[error("{what} {value} is not a finite number")]
    NotFinite { what: &'static str, value: f64 },
    #[error("latitude {0} is out of range: use -90 to 90")]
    LatitudeOutOfRange(f64),
    #[error("longitude {0} is out of range: use -180 to 180")]
    LongitudeOutOfRange(f64),
    #[error(
        "search radius {0} m is out of range: use more than 0 and at most {max} m",
        max = MAX_SEARCH_RADIUS_M
    )]
    RadiusOutOfRange(f64),
}

/// A point on the Earth, in decimal degrees (WGS 84 as reported by phones and maps).
///
/// Build it with [`LatLon::new`], which checks the ranges. Longitude 180 is accepted and
/// kept as given (it is the same meridian as -180: distances and [`cell_of`] treat them
/// alike).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    /// Degrees north of the equator, -90 to 90.
    pub lat: f64,
    /// Degrees east of Greenwich, -180 to 180.
    pub lon: f64,
}

impl LatLon {
    /// Checks that `lat` is a finite number in [-90, 90] and `lon` one in [-180, 180].
    pub fn new(lat: f64, lon: f64) -> Result<LatLon, GeoError> {
        if !lat.is_finite() {
            return Err(GeoError::NotFinite {
                what: "latitude",
                value: lat,
            });
        }
        if !lon.is_finite() {
            return Err(GeoError::NotFinite {
                what: "longitude",
                value: lon,
            });
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(GeoError::LatitudeOutOfRange(lat));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(GeoError::LongitudeOutOfRange(lon));
        }
        Ok(LatLon { lat, lon })
    }
}

/// Great-circle distance between two points in metres, by the haversine formula on a
/// sphere of radius [`EARTH_RADIUS_M`] (within about 0.5% of the true ellipsoidal
/// distance, which is plenty for "is this member near the venue").
///
/// The intermediate value is clamped to [0, 1] so rounding can never produce NaN, even for
/// identical or antipodal points.
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    let (phi1, phi2) = (a.lat.to_radians(), b.lat.to_radians());
    let dphi = phi2 - phi1;
    let dlambda = (b.lon - a.lon).to_radians();
    let s_phi = (dphi / 2.0).sin();
    let s_lambda = (dlambda / 2.0).sin();
    let h = s_phi * s_phi + phi1.cos() * phi2.cos() * s_lambda * s_lambda;
    let h = h.clamp(0.0, 1.0);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

/// Whether `point` is at most `radius_m` metres from `center` (a point exactly at the
/// radius is within it).
pub fn within(center: LatLon, point: LatLon, radius_m: f64) -> bool {
    distance_m(center, point) <= radius_m
}

/// The grid row of a latitude, 0 (south pole) to `ROWS - 1`; latitude 90 is in the last row.
fn row_of(lat: f64) -> i64 {
    let x = (lat + 90.0) * CELLS_PER_DEG;
    ((x + EDGE_SNAP).floor() as i64).clamp(0, ROWS - 1)
}

/// The grid column of a longitude *before* wrapping: -180 is 0, 180 is `COLS`, and values
/// outside [-180, 180] go below 0 or beyond `COLS`. [`cell_of`] wraps it into `0..COLS`.
fn unwrapped_col_of(lon: f64) -> i64 {
    let x = (lon + 180.0) * CELLS_PER_DEG;
    (x + EDGE_SNAP).floor() as i64
}

/// The key of the grid cell containing `p`: `row * COLS + col`, in `0..ROWS * COLS`.
///
/// `row = floor((lat + 90) / CELL_DEG)` and `col = floor((lon + 180) / CELL_DEG)`, computed
/// so that a coordinate written exactly on an edge (e.g. latitude 30.0 or 30.1) lands in the
/// cell that starts there; latitude 90 is in the last row and longitude 180 wraps to
/// column 0.
pub fn cell_of(p: LatLon) -> i64 {
    let row = row_of(p.lat);
    let col = unwrapped_col_of(p.lon).rem_euclid(COLS);
    row * COLS + col
}

/// Inclusive ranges `[lo, hi]` of cell keys that together contain every cell holding a
/// point within `radius_m` metres of `center`, sorted and with adjacent or overlapping
/// ranges merged. Meant for `cell BETWEEN lo AND hi OR ...` queries; the answer is a
/// superset, so callers keep only the rows for which [`within`] holds.
///
/// How it is built:
/// - The latitude band is `center.lat ± r/R` (in degrees), clamped to the poles, plus a
///   small margin; every grid row meeting it is searched.
/// - In a row, a point within the radius differs from the centre in longitude by at most
///   `asin(sin(r/R) / cos φ)`, where φ is the point's latitude (and also at most that with
///   φ = the centre's latitude). The row uses the larger |φ| of the part of the band it
///   covers, and the smaller of the two bounds.
/// - The row is searched whole when that band reaches a pole, when `sin(r/R) >= cos φ`
///   (the circle wraps around the pole's axis), or when the longitude span covers all 360°;
///   otherwise one column range, or two when it crosses the antimeridian (±180°).
///
/// Fails unless `0 < radius_m <= 500 km` ([`MAX_SEARCH_RADIUS_M`]).
pub fn cell_ranges_within(center: LatLon, radius_m: f64) -> Result<Vec<(i64, i64)>, GeoError> {
    if !radius_m.is_finite() {
        return Err(GeoError::NotFinite {
            what: "search radius",
            value: radius_m,
        });
    }
    if !(radius_m > 0.0 && radius_m <= MAX_SEARCH_RADIUS_M) {
        return Err(GeoError::RadiusOutOfRange(radius_m));
    }

    let delta = radius_m / EARTH_RADIUS_M; // angular radius, radians
    let sin_delta = delta.sin();
    let delta_deg = delta.to_degrees();
    let lat_lo = (center.lat - delta_deg - MARGIN_DEG).max(-90.0);
    let lat_hi = (center.lat + delta_deg + MARGIN_DEG).min(90.0);
    // Longitude bound from the centre's latitude, valid for every point of the circle.
    let center_bound = lon_half_width_deg(sin_delta, center.lat.abs());
    // The latitude where the circle reaches farthest east and west (where meridians touch
    // it): asin(sin φ0 / cos δ), the pole's side when a pole is inside the circle.
    let (sin_c, cos_c) = center.lat.to_radians().sin_cos();
    let cos_delta = delta.cos();
    let widest_deg = (sin_c / cos_delta).clamp(-1.0, 1.0).asin().to_degrees();

    let mut ranges = Vec::new();
    for row in row_of(lat_lo)..=row_of(lat_hi) {
        let row_start = row * COLS;
        // The part of the latitude band this row covers (with the margin).
        let band_lo = ((row as f64) / CELLS_PER_DEG - 90.0 - MARGIN_DEG).max(lat_lo);
        let band_hi = (((row + 1) as f64) / CELLS_PER_DEG - 90.0 + MARGIN_DEG).min(lat_hi);
        let abs_max = band_lo.abs().max(band_hi.abs());
        // The circle's exact extent in this row: at the row's latitude nearest to where it
        // is widest (the extent grows towards that latitude and shrinks beyond it).
        let exact =
            circle_half_width_deg(sin_c, cos_c, cos_delta, widest_deg.clamp(band_lo, band_hi));
        let half_width = [exact, lon_half_width_deg(sin_delta, abs_max), center_bound]
            .into_iter()
            .flatten()
            .reduce(f64::min);
        let Some(half_width) = half_width else {
            ranges.push((row_start, row_start + COLS - 1));
            continue;
        };
        // acos is steep near 1: 1e-5° (about a metre) covers its rounding.
        let half_width = half_width * (1.0 + 1e-9) + MARGIN_DEG + 1e-5;
        let col_lo = unwrapped_col_of(center.lon - half_width);
        let col_hi = unwrapped_col_of(center.lon + half_width);
        if col_hi - col_lo + 1 >= COLS {
            ranges.push((row_start, row_start + COLS - 1));
        } else if col_lo < 0 {
            ranges.push((row_start, row_start + col_hi));
            ranges.push((row_start + col_lo + COLS, row_start + COLS - 1));
        } else if col_hi >= COLS {
            ranges.push((row_start, row_start + col_hi - COLS));
            ranges.push((row_start + col_lo, row_start + COLS - 1));
        } else {
            ranges.push((row_start + col_lo, row_start + col_hi));
        }
    }

    ranges.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match merged.last_mut() {
            Some(last) if lo <= last.1 + 1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    Ok(merged)
}

/// Half the longitude extent, in degrees, of the circle of angular radius δ (given as
/// `cos δ`) around a centre at latitude φ0 (given as `sin φ0`, `cos φ0`), on the parallel
/// `lat_deg`: `acos((cos δ − sin φ0 sin φ) / (cos φ0 cos φ))`. `None`: any longitude (a pole,
/// a centre at a pole, or the whole parallel inside the circle); `Some(0)`: the parallel
/// does not cross the circle (callers add a margin).
fn circle_half_width_deg(sin_c: f64, cos_c: f64, cos_delta: f64, lat_deg: f64) -> Option<f64> {
    let (sin_p, cos_p) = lat_deg.to_radians().sin_cos();
    let denom = cos_c * cos_p;
    if denom < 1e-12 {
        return None;
    }
    let x = (cos_delta - sin_c * sin_p) / denom;
    if !x.is_finite() || x <= -1.0 + 1e-9 {
        return None;
    }
    if x >= 1.0 {
        return Some(0.0);
    }
    Some(x.acos().to_degrees())
}

/// The largest longitude difference, in degrees, between the centre and a point within
/// angular radius δ (given as `sin δ`) whose latitude has absolute value `abs_lat`
/// degrees: `asin(sin δ / cos φ)`. `None` means "any longitude" (the circle reaches around
/// the pole's axis, or is close enough to doing so that rounding could matter).
fn lon_half_width_deg(sin_delta: f64, abs_lat: f64) -> Option<f64> {
    if abs_lat >= 90.0 {
        return None;
    }
    let cos_lat = abs_lat.to_radians().cos();
    let ratio = sin_delta / cos_lat;
    // Near 1, asin is so steep that a rounding error of 1e-16 in the ratio moves the
    // result by ~1e-8 rad: treat that case as the whole row.
    if !ratio.is_finite() || ratio >= 1.0 - 1e-9 {
        return None;
    }
    Some(ratio.asin().to_degrees())
}

// ---------------------------------------------------------------------------------------
// Attendance: when and how close a member may check in to an activity in person.
// ---------------------------------------------------------------------------------------

/// Why an in-person check-in is refused. Time is checked before distance.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum AttendanceRefusal {
    /// Check-in has not opened yet; it opens at `opens_at` (the start minus the early
    /// allowance).
    #[error("check-in opens at {opens_at}")]
    TooEarly { opens_at: DateTime<Utc> },
    /// The activity is over; it ended at `ended_at`.
    #[error("the activity ended at {ended_at}")]
    Ended { ended_at: DateTime<Utc> },
    /// The member is `distance_m` metres from the venue, more than the allowed `max_m`.
    #[error("you are {distance_m:.0} m from the venue; check in within {max_m:.0} m")]
    TooFar { distance_m: f64, max_m: f64 },
}

/// The instants between which check-in is open: from `early` before `start` to `end`,
/// both inclusive. (A start so early that subtracting `early` would overflow the date
/// range opens at the earliest representable instant.)
pub fn attendance_window(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    early: Duration,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let opens = start
        .checked_sub_signed(early)
        .unwrap_or(if early > Duration::zero() {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        });
    (opens, end)
}

/// Whether a member at `distance_m` metres from the venue may check in at `now`.
///
/// Rules, in order: `now` before the window opens ([`attendance_window`]) is
/// [`AttendanceRefusal::TooEarly`] (exactly at the opening is allowed); `now` after `end` is
/// [`AttendanceRefusal::Ended`] (exactly at the end is allowed); then a distance above
/// `max_distance_m` (or one that is not a number) is [`AttendanceRefusal::TooFar`] (exactly
/// the maximum is allowed).
pub fn check_attendance(
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    early: Duration,
    distance_m: f64,
    max_distance_m: f64,
) -> Result<(), AttendanceRefusal> {
    let (opens_at, ended_at) = attendance_window(start, end, early);
    if now < opens_at {
        return Err(AttendanceRefusal::TooEarly { opens_at });
    }
    if now > ended_at {
        return Err(AttendanceRefusal::Ended { ended_at });
    }
    // Written with partial_cmp so that a NaN on either side refuses.
    match distance_m.partial_cmp(&max_distance_m) {
        Some(Ordering::Less | Ordering::Equal) => Ok(()),
        _ => Err(AttendanceRefusal::TooFar {
            distance_m,
            max_m: max_distance_m,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn p(lat: f64, lon: f64) -> LatLon {
        LatLon::new(lat, lon).unwrap()
    }

    fn covered(ranges: &[(i64, i64)], cell: i64) -> bool {
        ranges.iter().any(|&(lo, hi)| lo <= cell && cell <= hi)
    }

    fn row_col(cell: i64) -> (i64, i64) {
        (cell / COLS, cell % COLS)
    }

    // ---- coordinates ----

    #[test]
    fn latlon_accepts_the_full_ranges() {
        for (lat, lon) in [(-90.0, -180.0), (90.0, 180.0), (0.0, 0.0), (-0.0, -0.0)] {
            assert_eq!(LatLon::new(lat, lon), Ok(LatLon { lat, lon }));
        }
    }

    #[test]
    fn latlon_rejects_out_of_range_with_clear_messages() {
        let e = LatLon::new(91.0, 0.0).unwrap_err();
        assert_eq!(e, GeoError::LatitudeOutOfRange(91.0));
        assert_eq!(e.to_string(), "latitude 91 is out of range: use -90 to 90");
        assert_eq!(
            LatLon::new(-90.5, 0.0).unwrap_err().to_string(),
            "latitude -90.5 is out of range: use -90 to 90"
        );
        assert_eq!(
            LatLon::new(0.0, 180.25).unwrap_err().to_string(),
            "longitude 180.25 is out of range: use -180 to 180"
        );
        assert_eq!(
            LatLon::new(0.0, -181.0).unwrap_err().to_string(),
            "longitude -181 is out of range: use -180 to 180"
        );
    }

    #[test]
    fn latlon_rejects_non_finite() {
        assert_eq!(
            LatLon::new(f64::NAN, 0.0).unwrap_err().to_string(),
            "latitude NaN is not a finite number"
        );
        assert_eq!(
            LatLon::new(0.0, f64::INFINITY).unwrap_err().to_string(),
            "longitude inf is not a finite number"
        );
        assert!(LatLon::new(f64::NEG_INFINITY, f64::NAN).is_err());
    }

    // ---- distances ----

    #[test]
    fn beijing_to_shanghai() {
        // Tiananmen and People's Square.
        let d = distance_m(p(39.9042, 116.4074), p(31.2304, 121.4737));
        assert!((d - 1_068_000.0).abs() < 1_000.0, "{d}");
    }

    #[test]
    fn one_degree_of_latitude() {
        let d = distance_m(p(30.0, 120.0), p(31.0, 120.0));
        assert!((d - 111_195.0).abs() < 1.0, "{d}");
        assert!((distance_m(p(-0.5, 0.0), p(0.5, 0.0)) - 111_195.0).abs() < 1.0);
    }

    #[test]
    fn distance_is_symmetric_zero_and_finite_at_extremes() {
        let a = p(12.3, 45.6);
        assert_eq!(distance_m(a, a), 0.0);
        let b = p(-33.9, 151.2);
        assert_eq!(distance_m(a, b), distance_m(b, a));
        let half = std::f64::consts::PI * EARTH_RADIUS_M;
        let antipodal = distance_m(p(0.0, 0.0), p(0.0, 180.0));
        assert!((antipodal - half).abs() < 1e-6, "{antipodal}");
        let poles = distance_m(p(90.0, 0.0), p(-90.0, 0.0));
        assert!((poles - half).abs() < 1e-6, "{poles}");
        // All meridians meet at the pole.
        assert!(distance_m(p(90.0, 0.0), p(90.0, 123.0)) < 1e-6);
    }

    #[test]
    fn distance_across_the_antimeridian() {
        let d = distance_m(p(0.0, 179.99), p(0.0, -179.99));
        assert!((d - 2_224.0).abs() < 1.0, "{d}");
        assert!(distance_m(p(10.0, 180.0), p(10.0, -180.0)) < 1e-6);
    }

    #[test]
    fn within_includes_the_boundary() {
        let a = p(0.0, 0.0);
        let b = p(0.0, 0.01);
        let d = distance_m(a, b);
        assert!(within(a, b, d));
        assert!(!within(a, b, d - 1e-6));
    }

    // ---- cells ----

    #[test]
    fn cell_of_known_cells() {
        assert_eq!(cell_of(p(-90.0, -180.0)), 0);
        assert_eq!(cell_of(p(-89.95, -179.95)), 0);
        assert_eq!(cell_of(p(0.0, 0.0)), 900 * COLS + 1800);
        assert_eq!(cell_of(p(-0.05, -0.05)), 899 * COLS + 1799);
        assert_eq!(cell_of(p(90.0, 179.95)), (ROWS - 1) * COLS + COLS - 1);
    }

    #[test]
    fn cell_of_edges_land_where_a_person_expects() {
        // Every latitude written with one decimal starts its own row.
        for tenths in -900..=900 {
            let lat = tenths as f64 / 10.0;
            let want = (tenths + 900).min(1799) as i64;
            assert_eq!(row_col(cell_of(p(lat, 0.0))).0, want, "lat {lat}");
            // Parsed from text, as it arrives from users.
            let parsed: f64 = format!("{lat:.1}").parse().unwrap();
            assert_eq!(row_col(cell_of(p(parsed, 0.0))).0, want, "lat {parsed}");
        }
        for tenths in -1800i64..=1800 {
            let lon = tenths as f64 / 10.0;
            let want = (tenths + 1800).rem_euclid(3600);
            assert_eq!(row_col(cell_of(p(0.0, lon))).1, want, "lon {lon}");
        }
        // Sums that are inexact in binary.
        assert_eq!(row_col(cell_of(p(30.1, 0.0))).0, 1201);
        assert_eq!(row_col(cell_of(p(30.0, 0.0))).0, 1200);
        assert_eq!(row_col(cell_of(p(0.1 + 0.2, 0.0))).0, 903);
        assert_eq!(row_col(cell_of(p(29.999999, 0.0))).0, 1199);
        assert_eq!(row_col(cell_of(p(0.0, 116.4))).1, 2964);
        assert_eq!(row_col(cell_of(p(0.0, 116.39999))).1, 2963);
    }

    #[test]
    fn cell_of_poles_and_antimeridian() {
        assert_eq!(row_col(cell_of(p(90.0, 0.0))).0, ROWS - 1);
        assert_eq!(row_col(cell_of(p(89.9, 0.0))).0, ROWS - 1);
        assert_eq!(row_col(cell_of(p(89.89, 0.0))).0, ROWS - 2);
        assert_eq!(row_col(cell_of(p(-90.0, 0.0))).0, 0);
        assert_eq!(cell_of(p(10.0, 180.0)), cell_of(p(10.0, -180.0)));
        assert_eq!(row_col(cell_of(p(10.0, 179.99))).1, COLS - 1);
        assert_eq!(row_col(cell_of(p(10.0, -179.99))).1, 0);
    }

    // ---- searches ----

    fn ranges(lat: f64, lon: f64, r: f64) -> Vec<(i64, i64)> {
        cell_ranges_within(p(lat, lon), r).unwrap()
    }

    #[test]
    fn radius_limits() {
        let c = p(30.0, 120.0);
        for bad in [0.0, -1.0, 500_000.1, 1e9] {
            let e = cell_ranges_within(c, bad).unwrap_err();
            assert_eq!(e, GeoError::RadiusOutOfRange(bad));
        }
        assert_eq!(
            cell_ranges_within(c, 0.0).unwrap_err().to_string(),
            "search radius 0 m is out of range: use more than 0 and at most 500000 m"
        );
        assert_eq!(
            cell_ranges_within(c, f64::NAN).unwrap_err().to_string(),
            "search radius NaN is not a finite number"
        );
        assert!(cell_ranges_within(c, 500_000.0).is_ok());
        assert!(cell_ranges_within(c, 0.001).is_ok());
    }

    #[test]
    fn ranges_are_sorted_disjoint_and_in_bounds() {
        for (lat, lon, r) in [
            (30.0, 120.0, 10_000.0),
            (0.0, 180.0, 500_000.0),
            (89.99, 0.0, 10_000.0),
            (-89.0, -179.9, 300_000.0),
            (60.0, -180.0, 1.0),
        ] {
            let rs = ranges(lat, lon, r);
            assert!(!rs.is_empty());
            for &(lo, hi) in &rs {
                assert!(0 <= lo && lo <= hi && hi < ROWS * COLS, "{rs:?}");
            }
            for w in rs.windows(2) {
                assert!(w[0].1 + 1 < w[1].0, "not merged: {rs:?}");
            }
        }
    }

    #[test]
    fn small_search_in_mid_latitudes() {
        // Lat 30.0 sits on a row edge: the 10 km band spans rows 1199 and 1200.
        let rs = ranges(30.0, 120.0, 10_000.0);
        assert_eq!(rs.len(), 2, "{rs:?}");
        // Centre of a row: 10 km stays in three rows.
        let rs = ranges(30.05, 120.05, 10_000.0);
        assert_eq!(rs.len(), 3, "{rs:?}");
        for (lo, hi) in rs {
            assert!(hi - lo <= 3, "{lo}..{hi}");
        }
        assert!(covered(
            &ranges(30.0, 120.0, 10_000.0),
            cell_of(p(30.0, 120.0))
        ));
    }

    #[test]
    fn search_across_the_antimeridian() {
        let rs = ranges(0.0, 179.98, 10_000.0);
        assert!(covered(&rs, cell_of(p(0.0, -179.99))), "{rs:?}");
        assert!(covered(&rs, cell_of(p(0.0, 179.99))), "{rs:?}");
        // Row 900 (lat 0.0..0.1) is split into its first and last columns.
        assert!(covered(&rs, 900 * COLS));
        assert!(covered(&rs, 900 * COLS + COLS - 1));
        assert!(!covered(&rs, 900 * COLS + 1800));
        // And from the other side.
        let rs = ranges(0.0, -180.0, 5_000.0);
        assert!(covered(&rs, cell_of(p(0.0, 179.97))), "{rs:?}");
        let rs = ranges(0.0, 180.0, 5_000.0);
        assert!(covered(&rs, cell_of(p(0.0, -179.97))), "{rs:?}");
    }

    #[test]
    fn search_near_the_poles() {
        // The circle passes over the pole and stays above 89.9: the whole top row.
        let rs = ranges(89.99, 180.0, 10_000.0);
        assert_eq!(rs, vec![((ROWS - 1) * COLS, ROWS * COLS - 1)]);
        // Reaching below 89.9, the next row is searched within about ±64° of the
        // centre's meridian (here wrapping around ±180°), the top row whole.
        let rs = ranges(89.95, 180.0, 10_000.0);
        assert_eq!(rs.len(), 2, "{rs:?}");
        assert!(covered(&rs, (ROWS - 2) * COLS));
        assert!(covered(&rs, (ROWS - 1) * COLS - 1));
        assert!(!covered(&rs, (ROWS - 2) * COLS + 1800));
        for lon in [-180.0, -100.0, 0.0, 100.0, 180.0] {
            assert!(covered(&rs, cell_of(p(89.9, lon))) || lon.abs() < 120.0);
            assert!(covered(&rs, cell_of(p(89.95, lon))));
        }
        // 25 km from 89.95 the circle covers the pole widely: the two top rows whole; the
        // row of 89.7..89.8 only on the centre's side (on the far side of the pole the
        // circle stops above 89.8, 5.6 + 22 km > 25 km away).
        let rs = ranges(89.95, 116.4, 25_000.0);
        for lon in [-180.0, -63.6, 0.0, 116.4, 179.9] {
            assert!(covered(&rs, cell_of(p(89.85, lon))), "{lon} {rs:?}");
            assert!(covered(&rs, cell_of(p(89.95, lon))), "{lon} {rs:?}");
        }
        assert!(covered(&rs, cell_of(p(89.75, 116.4))));
        assert!(!covered(&rs, cell_of(p(89.75, 116.4 - 180.0))), "{rs:?}");
        let found = p(89.99, 0.0);
        assert!(within(p(89.99, 180.0), found, 10_000.0));
        assert!(covered(&rs, cell_of(found)), "{rs:?}");
        // South pole too.
        let rs = ranges(-89.99, 45.0, 10_000.0);
        assert!(covered(&rs, cell_of(p(-89.99, -135.0))));
        assert_eq!(rs[0], (0, COLS - 1));
    }

    #[test]
    fn search_counts() {
        let at = |lat: f64, r: f64| ranges(lat, 116.4, r).len();
        assert_eq!(at(30.0, 10_000.0), 2);
        assert_eq!(at(30.05, 10_000.0), 3);
        assert_eq!(at(30.0, 25_000.0), 6);
        assert_eq!(at(30.05, 25_000.0), 5);
        assert_eq!(at(89.95, 10_000.0), 2);
        assert_eq!(at(89.95, 25_000.0), 2);
        assert!(at(0.0, 500_000.0) <= 92);
    }

    /// A 64-bit linear congruential generator (Knuth's MMIX constants).
    struct Lcg(u64);

    impl Lcg {
        fn next_u64(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0
        }
        /// Uniform in [0, 1).
        fn unit(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        }
        fn range(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * self.unit()
        }
    }

    /// The point `dist_m` from `c` along initial bearing `bearing` (radians).
    fn destination(c: LatLon, bearing: f64, dist_m: f64) -> LatLon {
        let d = dist_m / EARTH_RADIUS_M;
        let (phi1, lambda1) = (c.lat.to_radians(), c.lon.to_radians());
        let sin_phi2 =
            (phi1.sin() * d.cos() + phi1.cos() * d.sin() * bearing.cos()).clamp(-1.0, 1.0);
        let phi2 = sin_phi2.asin();
        let lambda2 =
            lambda1 + (bearing.sin() * d.sin() * phi1.cos()).atan2(d.cos() - phi1.sin() * sin_phi2);
        let mut lon = lambda2.to_degrees();
        while lon > 180.0 {
            lon -= 360.0;
        }
        while lon < -180.0 {
            lon += 360.0;
        }
        p(phi2.to_degrees().clamp(-90.0, 90.0), lon)
    }

    fn random_center(rng: &mut Lcg) -> LatLon {
        let lat = match rng.next_u64() % 6 {
            0 => rng.range(89.0, 90.0),
            1 => rng.range(-90.0, -89.0),
            2 => (rng.range(-900.0, 900.0).round()) / 10.0, // on a row edge
            _ => rng.range(-90.0, 90.0),
        };
        let lon = match rng.next_u64() % 5 {
            0 => rng.range(179.0, 180.0),
            1 => rng.range(-180.0, -179.0),
            2 => (rng.range(-1800.0, 1800.0).round()) / 10.0, // on a column edge
            _ => rng.range(-180.0, 180.0),
        };
        p(lat, lon)
    }

    #[test]
    fn property_every_point_within_the_radius_is_covered() {
        let mut rng = Lcg(0x5EED_CAFE);
        let mut checked = 0;
        for _ in 0..4_000 {
            let c = random_center(&mut rng);
            // Log-uniform radius from 1 m to 500 km, sometimes exactly the limit.
            let r = if rng.next_u64().is_multiple_of(10) {
                MAX_SEARCH_RADIUS_M
            } else {
                10f64.powf(rng.range(0.0, 5.7)).min(MAX_SEARCH_RADIUS_M)
            };
            let rs = cell_ranges_within(c, r).unwrap();
            assert!(covered(&rs, cell_of(c)));
            for _ in 0..40 {
                let bearing = rng.range(0.0, std::f64::consts::TAU);
                let frac = match rng.next_u64() % 3 {
                    0 => 1.0,
                    1 => 1.0 - 1e-9,
                    _ => rng.unit().sqrt(),
                };
                let mut q = destination(c, bearing, r * frac);
                if rng.next_u64().is_multiple_of(4) {
                    // Snap to the nearest cell edges, where rounding is most dangerous.
                    let lat = ((q.lat * 10.0).round() / 10.0).clamp(-90.0, 90.0);
                    let lon = ((q.lon * 10.0).round() / 10.0).clamp(-180.0, 180.0);
                    q = p(lat, lon);
                }
                if within(c, q, r) {
                    checked += 1;
                    assert!(
                        covered(&rs, cell_of(q)),
                        "centre {c:?} r {r} point {q:?} cell {:?} ranges {rs:?}",
                        row_col(cell_of(q))
                    );
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    #[test]
    fn property_ranges_are_not_wastefully_large() {
        // Away from the poles a 10 km search never needs more than a handful of cells.
        let mut rng = Lcg(42);
        for _ in 0..1_000 {
            let c = p(rng.range(-60.0, 60.0), rng.range(-180.0, 180.0));
            let rs = cell_ranges_within(c, 10_000.0).unwrap();
            let cells: i64 = rs.iter().map(|(lo, hi)| hi - lo + 1).sum();
            assert!(cells <= 3 * 6, "{c:?} {rs:?}");
        }
    }

    // ---- attendance ----

    fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, h, m, s).unwrap()
    }

    #[test]
    fn attendance_window_opens_early() {
        let (opens, ends) = attendance_window(t(10, 0, 0), t(12, 0, 0), Duration::minutes(30));
        assert_eq!(opens, t(9, 30, 0));
        assert_eq!(ends, t(12, 0, 0));
        let far = DateTime::<Utc>::MIN_UTC;
        assert_eq!(attendance_window(far, t(1, 0, 0), Duration::days(1)).0, far);
    }

    #[test]
    fn attendance_boundaries() {
        let (start, end, early) = (t(10, 0, 0), t(12, 0, 0), Duration::minutes(30));
        let check = |now, d| check_attendance(now, start, end, early, d, 200.0);
        assert_eq!(
            check(t(9, 29, 59), 0.0),
            Err(AttendanceRefusal::TooEarly {
                opens_at: t(9, 30, 0)
            })
        );
        assert_eq!(check(t(9, 30, 0), 0.0), Ok(()));
        assert_eq!(check(t(12, 0, 0), 200.0), Ok(()));
        assert_eq!(
            check(t(12, 0, 1), 0.0),
            Err(AttendanceRefusal::Ended {
                ended_at: t(12, 0, 0)
            })
        );
        assert_eq!(
            check(t(11, 0, 0), 200.5),
            Err(AttendanceRefusal::TooFar {
                distance_m: 200.5,
                max_m: 200.0
            })
        );
        assert!(matches!(
            check(t(11, 0, 0), f64::NAN),
            Err(AttendanceRefusal::TooFar { .. })
        ));
        // Time is checked before distance.
        assert!(matches!(
            check(t(8, 0, 0), 1e6),
            Err(AttendanceRefusal::TooEarly { .. })
        ));
        assert!(matches!(
            check(t(13, 0, 0), 1e6),
            Err(AttendanceRefusal::Ended { .. })
        ));
    }

    #[test]
    fn attendance_messages() {
        assert_eq!(
            AttendanceRefusal::TooEarly {
                opens_at: t(9, 30, 0)
            }
            .to_string(),
            "check-in opens at 2026-05-01 09:30:00 UTC"
        );
        assert_eq!(
            AttendanceRefusal::TooFar {
                distance_m: 1234.4,
                max_m: 500.0
            }
            .to_string(),
            "you are 1234 m from the venue; check in within 500 m"
        );
    }
}
