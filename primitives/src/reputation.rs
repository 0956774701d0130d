//! Reputation roles, outcomes and the traits the protocol pallets use to read and move
//! reputation without reaching into each other's storage.

use crate::Reputation;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// The role an account's reputation is kept for; one score per (account, role).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Hash,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Role {
	/// Trains models and submits them.
	Worker,
	/// Scores submissions when drawn into a quorum.
	Evaluator,
	/// Posts tasks and reveals their test sets.
	Sponsor,
}

/// What happened, as far as reputation is concerned.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Outcome {
	/// The account did its part (revealed, won, scored within tolerance, revealed the test set).
	Success,
	/// The account failed its part (did not reveal, scored off the median, abandoned a task).
	Failure,
}

/// Reads reputation (decay applied up to now).
pub trait ReputationProvider<AccountId> {
	/// `who`'s current reputation in `role`; an account never seen has the role's initial value.
	fn reputation(who: &AccountId, role: Role) -> Reputation;

	/// Whether `who`'s current reputation in `role` is at least `minimum`.
	fn meets(who: &AccountId, role: Role, minimum: Reputation) -> bool {
		Self::reputation(who, role) >= minimum
	}
}

/// Records outcomes.
pub trait ReputationRecorder<AccountId> {
	/// Applies decay up to now, then the outcome; returns the new reputation.
	fn record(who: &AccountId, role: Role, outcome: Outcome) -> Reputation;
}
