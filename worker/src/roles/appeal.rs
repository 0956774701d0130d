//! Checking a quorum's finding before the appeal window closes: the worker aggregates the first
//! quorum's revealed scores as the verification pallet does, and compares the finding on its own
//! model and on the leading one with the scores it computes itself (the test set and every model
//! are public by then). A false finding is appealed (`TaskRegistry.appeal`).

use pouw_primitives::{Metric, Score, ScoreTolerance, SubmissionIndex};

/// What a quorum found on one submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finding {
	/// A strict majority of the drawn quorum agreed on this median.
	Score(Score),
	/// A strict majority of the drawn quorum found the model invalid.
	Invalid,
	/// Neither (too few revealed, or they disagree).
	Nothing,
}

/// The finding on each of `submissions` (ascending) from the scores the `members` drawn
/// revealed (`revealed`, one list per revealer), as the verification pallet aggregates them:
/// two thirds of the drawn members must have revealed, then a strict majority of the drawn
/// members must lie within `tolerance` of the median, or call the model invalid.
pub fn findings(
	submissions: &[SubmissionIndex],
	revealed: &[Vec<(SubmissionIndex, Option<Score>)>],
	members: usize,
	tolerance: ScoreTolerance,
) -> Vec<(SubmissionIndex, Finding)> {
	let quorum_reached = revealed.len() * 3 >= members * 2;
	let majority = members / 2 + 1;
	submissions
		.iter()
		.map(|submission| {
			if !quorum_reached {
				return (*submission, Finding::Nothing);
			}
			let entries: Vec<Option<Score>> = revealed
				.iter()
				.map(|scores| scores.iter().find(|(i, _)| i == submission).and_then(|(_, s)| *s))
				.collect();
			let mut valid: Vec<u64> = entries.iter().flatten().map(|s| s.0).collect();
			valid.sort_unstable();
			let median = pouw_primitives::median(&valid);
			let agreeing = entries
				.iter()
				.flatten()
				.filter(|s| median.is_some_and(|m| tolerance.agree(**s, Score(m))))
				.count();
			let finding = match median {
				Some(m) if agreeing >= majority => Finding::Score(Score(m)),
				_ if entries.iter().filter(|e| e.is_none()).count() >= majority => Finding::Invalid,
				_ => Finding::Nothing,
			};
			(*submission, finding)
		})
		.collect()
}

/// The submission that would win on these findings: the best agreed score (ties: the
/// earliest), regardless of the task's minimum.
pub fn leader(findings: &[(SubmissionIndex, Finding)], metric: Metric) -> Option<SubmissionIndex> {
	let mut best: Option<(SubmissionIndex, Score)> = None;
	for (index, finding) in findings {
		if let Finding::Score(score) = finding {
			if best.is_none_or(|(_, b)| metric.is_better(*score, b)) {
				best = Some((*index, *score));
			}
		}
	}
	best.map(|(index, _)| index)
}

/// Whether `finding` is what a correct evaluation finds: the score `truth` within
/// `tolerance`, or invalid where `truth` is `None`.
pub fn is_right(finding: Finding, truth: Option<Score>, tolerance: ScoreTolerance) -> bool {
	match (finding, truth) {
		(Finding::Score(found), Some(truth)) => tolerance.agree(found, truth),
		(Finding::Invalid, None) => true,
		_ => false,
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn s(x: u64) -> Option<Score> {
		Some(Score(x))
	}

	const T5: ScoreTolerance = ScoreTolerance::absolute(5);

	fn sub(i: u32) -> SubmissionIndex {
		SubmissionIndex(i)
	}

	#[test]
	fn a_colluding_majority_is_a_finding_an_honest_worker_sees_is_false() {
		let subs = [sub(0), sub(1)];
		// Two colluders crown submission 1; the honest third scores the truth.
		let revealed = vec![
			vec![(sub(0), s(0)), (sub(1), s(1000))],
			vec![(sub(0), s(0)), (sub(1), s(1000))],
			vec![(sub(0), s(900)), (sub(1), s(500))],
		];
		let found = findings(&subs, &revealed, 3, T5);
		assert_eq!(
			found,
			vec![(sub(0), Finding::Score(Score(0))), (sub(1), Finding::Score(Score(1000)))]
		);
		assert_eq!(leader(&found, Metric::Accuracy), Some(sub(1)));
		assert!(!is_right(found[0].1, s(900), T5));
		assert!(!is_right(found[1].1, s(500), T5));
	}

	#[test]
	fn findings_follow_the_pallets_majority_rules() {
		let subs = [sub(0)];
		// One of three revealed: no quorum.
		assert_eq!(findings(&subs, &[vec![(sub(0), s(9))]], 3, T5)[0].1, Finding::Nothing);
		// Two agree within the tolerance of the median: the median (the floor of the mean).
		let two = vec![vec![(sub(0), s(10))], vec![(sub(0), s(13))]];
		assert_eq!(findings(&subs, &two, 3, T5)[0].1, Finding::Score(Score(11)));
		// Two disagree: nothing.
		let apart = vec![vec![(sub(0), s(10))], vec![(sub(0), s(30))]];
		assert_eq!(findings(&subs, &apart, 3, T5)[0].1, Finding::Nothing);
		// Two call it invalid: invalid.
		let invalid = vec![vec![(sub(0), None)], vec![(sub(0), None)], vec![(sub(0), s(3))]];
		assert_eq!(findings(&subs, &invalid, 3, T5)[0].1, Finding::Invalid);
		assert!(is_right(Finding::Invalid, None, T5));
		assert!(is_right(Finding::Score(Score(11)), s(15), T5));
		assert!(!is_right(Finding::Score(Score(11)), s(17), T5));
	}

	#[test]
	fn the_leader_is_the_best_agreed_score_earliest_on_ties() {
		let found = vec![
			(sub(0), Finding::Score(Score(5))),
			(sub(1), Finding::Score(Score(7))),
			(sub(2), Finding::Score(Score(7))),
			(sub(3), Finding::Invalid),
		];
		assert_eq!(leader(&found, Metric::Accuracy), Some(sub(1)));
		assert_eq!(leader(&found, Metric::MeanSquaredError), Some(sub(0)));
	}
}
