//! Spaced review: a question answered wrong comes back in a later test, after an interval
//! that grows each time it is answered wrong again (1, 3, 7, 14, 30 days), until it is
//! answered right.

use chrono::{DateTime, Duration, Utc};

/// The review intervals in days, in order.
pub const INTERVALS_DAYS: [i64; 5] = [1, 3, 7, 14, 30];

/// What a review entry becomes after an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewStep {
    /// Answered right: the question leaves the review list.
    Done,
    /// Ask again at `due`; `level` is the index into [`INTERVALS_DAYS`] used.
    Again { level: u32, due: DateTime<Utc> },
}

/// The next step for a question at review `level` (None: not under review yet) answered
/// `correct` at `now`.
pub fn after_answer(level: Option<u32>, correct: bool, now: DateTime<Utc>) -> Option<ReviewStep> {
    match (level, correct) {
        // Right the first time: never under review.
        (None, true) => None,
        (Some(_), true) => Some(ReviewStep::Done),
        (None, false) => Some(again(0, now)),
        (Some(level), false) => Some(again(level.saturating_add(1), now)),
    }
}

fn again(level: u32, now: DateTime<Utc>) -> ReviewStep {
    let last = INTERVALS_DAYS.len() - 1;
    let level = (level as usize).min(last);
    ReviewStep::Again {
        level: level as u32,
        due: now + Duration::days(INTERVALS_DAYS[level]),
    }
}

/// Picks `count` questions for a test: due review questions first (oldest due first, at
/// most half the test unless the pool has too few), then the topic's pool in the order of
/// `shuffled_pool`, without repeats.
pub fn pick_test_questions(
    due_reviews: &[String],
    shuffled_pool: &[String],
    count: usize,
) -> Vec<String> {
    let mut picked: Vec<String> = Vec::with_capacity(count);
    let fresh: Vec<&String> = shuffled_pool
        .iter()
        .filter(|q| !due_reviews.contains(q))
        .collect();
    let review_room = count.saturating_sub(fresh.len().min(count / 2 + count % 2));
    let review_room = review_room.max(count / 2);
    for q in due_reviews.iter().take(review_room.min(count)) {
        if !picked.contains(q) {
            picked.push(q.clone());
        }
    }
    for q in fresh {
        if picked.len() >= count {
            break;
        }
        if !picked.contains(q) {
            picked.push(q.clone());
        }
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
    }

    #[test]
    fn wrong_answers_come_back_after_growing_intervals_until_right() {
        assert_eq!(after_answer(None, true, now()), None);
        let mut level = None;
        let mut gaps = Vec::new();
        for _ in 0..7 {
            match after_answer(level, false, now()) {
                Some(ReviewStep::Again { level: l, due }) => {
                    gaps.push((due - now()).num_days());
                    level = Some(l);
                }
                other => panic!("expected another review, got {other:?}"),
            }
        }
        assert_eq!(gaps, vec![1, 3, 7, 14, 30, 30, 30]);
        assert_eq!(after_answer(level, true, now()), Some(ReviewStep::Done));
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tests_mix_reviews_and_fresh_questions_without_repeats() {
        let pool = ids(&["a", "b", "c", "d", "e", "f"]);
        // No reviews: the pool's first five.
        assert_eq!(
            pick_test_questions(&[], &pool, 5),
            ids(&["a", "b", "c", "d", "e"])
        );
        // Two reviews, one of them also in the pool: both come first, no repeat.
        assert_eq!(
            pick_test_questions(&ids(&["x", "c"]), &pool, 5),
            ids(&["x", "c", "a", "b", "d"])
        );
        // Many reviews: at most about half the test, the rest fresh.
        let reviews = ids(&["r1", "r2", "r3", "r4", "r5", "r6"]);
        let picked = pick_test_questions(&reviews, &pool, 5);
        assert_eq!(picked.len(), 5);
        assert_eq!(picked.iter().filter(|q| q.starts_with('r')).count(), 2);
        // A small pool: reviews fill the gap.
        let picked = pick_test_questions(&reviews, &ids(&["a"]), 5);
        assert_eq!(picked, ids(&["r1", "r2", "r3", "r4", "a"]));
        // Fewer questions than asked for: all of them.
        assert_eq!(
            pick_test_questions(&[], &ids(&["a", "b"]), 5),
            ids(&["a", "b"])
        );
    }
}
