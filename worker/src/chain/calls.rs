//! Calls of the pouw pallets, built from `pouw_primitives` values.

use super::*;
use pouw_primitives::{Salt, Uri};

fn uri(
	text: &str,
) -> Result<runtime_types::bounded_collections::bounded_vec::BoundedVec<u8>, ChainError> {
	let bounded: Uri =
		text.as_bytes().to_vec().try_into().map_err(|_| {
			ChainError::Unexpected(format!("URI longer than the chain allows: {text}"))
		})?;
	convert(&bounded)
}

/// `TaskRegistry.create_task`.
pub fn create_task(
	spec: &TaskSpec<BlockNumber>,
	test_set_commitment: Hash256,
	bounty: Balance,
) -> Result<impl subxt::transactions::Payload, ChainError> {
	Ok(runtime::transactions().task_registry().create_task(
		convert(spec)?,
		test_set_commitment,
		bounty,
	))
}

/// `TaskRegistry.commit_model`.
pub fn commit_model(
	task: TaskId,
	commitment: Hash256,
) -> Result<impl subxt::transactions::Payload, ChainError> {
	Ok(runtime::transactions().task_registry().commit_model(convert(&task)?, commitment))
}

/// `TaskRegistry.reveal_model`.
pub fn reveal_model(
	task: TaskId,
	model_uri: &str,
	model_hash: Hash256,
	salt: Salt,
) -> Result<impl subxt::transactions::Payload, ChainError> {
	Ok(runtime::transactions().task_registry().reveal_model(
		convert(&task)?,
		uri(model_uri)?,
		model_hash,
		salt,
	))
}

/// `TaskRegistry.reveal_test_set`.
pub fn reveal_test_set(
	task: TaskId,
	test_uri: &str,
	test_hash: Hash256,
	salt: Salt,
) -> Result<impl subxt::transactions::Payload, ChainError> {
	Ok(runtime::transactions().task_registry().reveal_test_set(
		convert(&task)?,
		uri(test_uri)?,
		test_hash,
		salt,
	))
}

/// `TaskRegistry.appeal`.
pub fn appeal(task: TaskId) -> Result<impl subxt::transactions::Payload, ChainError> {
	Ok(runtime::transactions().task_registry().appeal(convert(&task)?))
}

/// `TaskRegistry.finalize_task`.
pub fn finalize_task(task: TaskId) -> Result<impl subxt::transactions::Payload, ChainError> {
	Ok(runtime::transactions().task_registry().finalize_task(convert(&task)?))
}

/// `Verification.register_evaluator`.
pub fn register_evaluator(stake: Balance) -> impl subxt::transactions::Payload {
	runtime::transactions().verification().register_evaluator(stake)
}

/// `Verification.commit_scores`.
pub fn commit_scores(
	task: TaskId,
	commitment: Hash256,
) -> Result<impl subxt::transactions::Payload, ChainError> {
	Ok(runtime::transactions().verification().commit_scores(convert(&task)?, commitment))
}

/// `Verification.reveal_unusable`: the verdict *test set unusable*.
pub fn reveal_unusable(
	task: TaskId,
	salt: Salt,
) -> Result<impl subxt::transactions::Payload, ChainError> {
	Ok(runtime::transactions().verification().reveal_unusable(convert(&task)?, salt))
}

/// `Verification.reveal_scores`.
pub fn reveal_scores(
	task: TaskId,
	scores: &[(SubmissionIndex, Option<Score>)],
	salt: Salt,
) -> Result<impl subxt::transactions::Payload, ChainError> {
	Ok(runtime::transactions().verification().reveal_scores(
		convert(&task)?,
		convert(&scores.to_vec())?,
		salt,
	))
}
