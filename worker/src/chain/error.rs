//! What can go wrong talking to the chain.

/// What can go wrong talking to the chain.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
	/// No node answered at the URL.
	#[error("cannot connect to {url}: {reason}")]
	Connect {
		/// The node's RPC URL.
		url: String,
		/// Why.
		reason: String,
	},
	/// The extrinsic was included but its dispatch failed.
	#[error("{call} failed: {pallet}.{error}{}", if docs.is_empty() { String::new() } else { format!(" ({docs})") })]
	Dispatch {
		/// `Pallet.call` that was submitted.
		call: String,
		/// The pallet whose error it is.
		pallet: String,
		/// The error's name.
		error: String,
		/// Its documentation.
		docs: String,
	},
	/// The pool refused the extrinsic or dropped it (bad signature, no funds for fees, ...).
	#[error("{call} was not included: {reason}")]
	NotIncluded {
		/// `Pallet.call` that was submitted.
		call: String,
		/// Why.
		reason: String,
	},
	/// The extrinsic was sent but its block was not finalized in time (a stalled node or
	/// relay chain): it may still land, so the caller checks the chain before sending again.
	#[error("{call} was sent but not finalized within {seconds} s")]
	NotFinalized {
		/// `Pallet.call` that was submitted.
		call: String,
		/// How long it waited.
		seconds: u64,
	},
	/// The extrinsic was sent but the node stopped reporting on it (the connection dropped,
	/// or its events could not be read): it may have landed, so the caller checks the chain
	/// before sending again.
	#[error("{call} was sent but its outcome is unknown: {reason}")]
	Unknown {
		/// `Pallet.call` that was submitted.
		call: String,
		/// Why.
		reason: String,
	},
	/// An RPC or decoding failure.
	#[error("{context}: {reason}")]
	Rpc {
		/// What was being done.
		context: String,
		/// Why it failed.
		reason: String,
	},
	/// An expected event was missing.
	#[error("{0}")]
	Unexpected(String),
}

impl ChainError {
	/// Whether this error may come from the connection (the node went away, an RPC failed):
	/// the daemons then connect afresh. A refused or failed extrinsic is not one.
	pub fn is_connection(&self) -> bool {
		matches!(
			self,
			ChainError::Connect { .. }
				| ChainError::Rpc { .. }
				| ChainError::NotFinalized { .. }
				| ChainError::Unknown { .. }
		)
	}
}
