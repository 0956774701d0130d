//! Commit-reveal hashes. Each is `blake2_256` of the SCALE encoding of a tuple, so the runtime
//! and the worker agree byte for byte. Binding the committer's account into the model and score
//! commitments stops anyone from copying another's commitment and revealing the same data.

use crate::{Hash256, Salt, Score, SubmissionIndex};
use codec::Encode;
use sp_crypto_hashing::blake2_256;

/// A worker's model commitment: `blake2_256(SCALE((model_hash, salt, account)))`, where
/// `model_hash` is the blake2-256 of the safetensors weights file.
pub fn model_commitment<AccountId: Encode>(
	model_hash: &Hash256,
	salt: &Salt,
	account: &AccountId,
) -> Hash256 {
	(model_hash, salt, account).using_encoded(blake2_256)
}

/// A sponsor's test-set commitment: `blake2_256(SCALE((test_hash, salt)))`, where `test_hash` is
/// the blake2-256 of the test-set file.
pub fn test_set_commitment(test_hash: &Hash256, salt: &Salt) -> Hash256 {
	(test_hash, salt).using_encoded(blake2_256)
}

/// An evaluator's score commitment: `blake2_256(SCALE((scores, salt, account)))` with `scores` a
/// sequence of `(submission, score)` pairs (SCALE: compact length, then each pair), in the order
/// they will be revealed. A score of `None` says the submission is invalid (its weights do not
/// download, match their hash or fit the model spec).
pub fn scores_commitment<AccountId: Encode>(
	scores: &[(SubmissionIndex, Option<Score>)],
	salt: &Salt,
	account: &AccountId,
) -> Hash256 {
	(scores, salt, account).using_encoded(blake2_256)
}

/// An evaluator's commitment to the verdict *test set unusable* (it cannot be fetched, does not
/// match its hash or does not have the committed shape):
/// `blake2_256(SCALE((b"pouw/unusable", salt, account)))`. Bound to the account, like scores.
pub fn unusable_commitment<AccountId: Encode>(salt: &Salt, account: &AccountId) -> Hash256 {
	(b"pouw/unusable", salt, account).using_encoded(blake2_256)
}

/// blake2-256 of raw bytes: the content address of an artifact.
pub fn content_hash(bytes: &[u8]) -> Hash256 {
	blake2_256(bytes)
}

#[cfg(test)]
mod tests {
	use super::*;
	use hex_literal::hex;

	// Expected values computed independently with Python's hashlib.blake2b(digest_size=32) over
	// the SCALE bytes written out by hand (see each comment).

	#[test]
	fn content_hash_vector() {
		// blake2b-256("abc")
		assert_eq!(
			content_hash(b"abc"),
			hex!("bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")
		);
	}

	#[test]
	fn model_commitment_vector() {
		// bytes: [0x11; 32] ++ [0x22; 32] ++ [0x33; 32]
		let got = model_commitment(&[0x11; 32], &[0x22; 32], &[0x33u8; 32]);
		assert_eq!(got, hex!("b31d6d29a669ed7bf1a0379e77cf5b28e2b5f9d53a7504690b907ac8626ac0ab"));
		// Another account gives another commitment.
		assert_ne!(got, model_commitment(&[0x11; 32], &[0x22; 32], &[0x34u8; 32]));
	}

	#[test]
	fn test_set_commitment_vector() {
		// bytes: [0xaa; 32] ++ [0xbb; 32]
		assert_eq!(
			test_set_commitment(&[0xaa; 32], &[0xbb; 32]),
			hex!("e4351a237b5150f780837f4ef69b4feb9496b48780cb07a8193803840e71a17c")
		);
	}

	#[test]
	fn scores_commitment_vector() {
		// bytes: 0x0c (compact 3) ++ 00000000 ++ 01 ++ le64(950_000_000) ++ 01000000 ++ 01 ++
		// le64(900_000_000) ++ 02000000 ++ 00 ++ [0x01; 32] ++ [0x02; 32]
		let scores = [
			(SubmissionIndex(0), Some(Score(950_000_000))),
			(SubmissionIndex(1), Some(Score(900_000_000))),
			(SubmissionIndex(2), None),
		];
		assert_eq!(
			scores_commitment(&scores, &[0x01; 32], &[0x02u8; 32]),
			hex!("8d7a1c2f05578872f913f05f1acda62744a4a1e9e73b75b85ff575d25d4cab0a")
		);
	}
}
