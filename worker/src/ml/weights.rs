//! Weights as safetensors, the file whose blake2-256 goes on chain.
//!
//! Saved in PyTorch's layout (dense weights `[out, in]`) with one metadata entry, so the bytes
//! are a pure function of the weights: the same weights always hash the same. Loading checks the
//! file against the spec (every expected tensor present with its exact shape and `F32` dtype,
//! nothing extra) before burn sees it, so weights that do not fit the spec are a named
//! [`WeightsError`], never a panic.

use super::model::{expected_tensors, ModelError, Network};
use burn::{
	store::{BurnToPyTorchAdapter, ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore},
	tensor::Device,
};
use pouw_primitives::ModelSpec;
use safetensors::{Dtype, SafeTensors};

/// The single metadata entry written into every weights file.
pub const PRODUCER: (&str, &str) = ("producer", "pouw");

/// Why weights cannot be loaded for a spec.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WeightsError {
	/// The spec itself is invalid.
	#[error(transparent)]
	Model(#[from] ModelError),
	/// Not a readable safetensors file.
	#[error("not a safetensors file: {0}")]
	Malformed(String),
	/// A tensor the spec needs is absent.
	#[error("tensor '{0}' is missing")]
	Missing(String),
	/// A tensor the spec does not have is present.
	#[error("unexpected tensor '{0}'")]
	Unexpected(String),
	/// A tensor has the wrong shape.
	#[error("tensor '{name}' has shape {found:?}, the spec needs {expected:?}")]
	WrongShape {
		/// Tensor name.
		name: String,
		/// Shape the spec implies.
		expected: Vec<usize>,
		/// Shape in the file.
		found: Vec<usize>,
	},
	/// A tensor is not `F32`.
	#[error("tensor '{name}' is {dtype}, not F32")]
	WrongDtype {
		/// Tensor name.
		name: String,
		/// Its dtype.
		dtype: String,
	},
	/// A weight is NaN or infinite.
	#[error("tensor '{0}' holds NaN or infinite values")]
	NotFinite(String),
	/// burn refused the tensors (should not happen after the checks above).
	#[error("loading failed: {0}")]
	Load(String),
	/// burn could not serialise the network.
	#[error("saving failed: {0}")]
	Save(String),
}

/// The most bytes a weights file for `spec` can take: every parameter as `F32` and a header
/// (tensor names, shapes and offsets; a few hundred bytes a tensor) within 64 KiB. The
/// daemons download a submission's weights with this cap, not a generic one: a hostile server
/// cannot make them store or read more than the spec implies.
pub fn max_file_bytes(spec: &pouw_primitives::ModelSpec) -> u64 {
	let parameters = spec.validate().unwrap_or(pouw_primitives::MAX_PARAMETERS);
	parameters.saturating_mul(4).saturating_add(64 * 1024)
}

/// Serialises `network` to safetensors bytes in PyTorch layout.
pub fn to_bytes(network: &Network) -> Result<Vec<u8>, WeightsError> {
	let mut store = SafetensorsStore::from_bytes(None)
		.clear_metadata()
		.metadata(PRODUCER.0, PRODUCER.1)
		.with_to_adapter(BurnToPyTorchAdapter);
	network.save_into(&mut store).map_err(|e| WeightsError::Save(e.to_string()))?;
	store.get_bytes().map_err(|e| WeightsError::Save(e.to_string()))
}

/// Checks `bytes` against what `spec` implies, without loading anything.
pub fn check(spec: &ModelSpec, bytes: &[u8]) -> Result<(), WeightsError> {
	let expected = expected_tensors(spec)?;
	let st = SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Malformed(e.to_string()))?;
	for name in st.names() {
		if !expected.iter().any(|(n, _)| n == name) {
			return Err(WeightsError::Unexpected(name.to_string()));
		}
	}
	if let Some((name, _)) = expected.iter().find(|(n, _)| st.tensor(n).is_err()) {
		return Err(WeightsError::Missing(name.clone()));
	}
	for (name, shape) in &expected {
		let view = st.tensor(name).map_err(|_| WeightsError::Missing(name.clone()))?;
		if view.dtype() != Dtype::F32 {
			return Err(WeightsError::WrongDtype {
				name: name.clone(),
				dtype: format!("{:?}", view.dtype()),
			});
		}
		if view.shape() != shape.as_slice() {
			return Err(WeightsError::WrongShape {
				name: name.clone(),
				expected: shape.clone(),
				found: view.shape().to_vec(),
			});
		}
		let finite = view
			.data()
			.chunks_exact(4)
			.all(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]).is_finite());
		if !finite {
			return Err(WeightsError::NotFinite(name.clone()));
		}
	}
	Ok(())
}

/// Builds `spec`'s network on `device` with the weights in `bytes`, after [`check`].
pub fn load(spec: &ModelSpec, bytes: &[u8], device: &Device) -> Result<Network, WeightsError> {
	check(spec, bytes)?;
	let mut network = Network::new(spec, device)?;
	let mut store =
		SafetensorsStore::from_bytes(Some(bytes.to_vec())).with_from_adapter(PyTorchToBurnAdapter);
	let result = network.load_from(&mut store).map_err(|e| WeightsError::Load(e.to_string()))?;
	if !result.is_success() || !result.missing.is_empty() || !result.unused.is_empty() {
		return Err(WeightsError::Load(result.to_string()));
	}
	Ok(network)
}

#[cfg(test)]
mod tests {
	use super::*;
	use pouw_primitives::{Activation, ConvLayer};

	fn specs() -> Vec<ModelSpec> {
		vec![
			ModelSpec::Linear { inputs: 4, outputs: 3 },
			ModelSpec::Mlp {
				inputs: 4,
				hidden: vec![5].try_into().unwrap(),
				outputs: 3,
				activation: Activation::Relu,
			},
			ModelSpec::Cnn {
				hidden: Default::default(),
				channels: 1,
				height: 4,
				width: 4,
				conv: vec![ConvLayer { out_channels: 2, kernel: 3, pool: 2 }].try_into().unwrap(),
				outputs: 3,
				activation: Activation::Gelu,
			},
		]
	}

	#[test]
	fn round_trip_is_exact_and_bytes_are_stable() {
		let device = Device::flex();
		for spec in specs() {
			let net = crate::ml::training::fresh_network(&spec, &device, 7).unwrap();
			let bytes = to_bytes(&net).unwrap();
			assert_eq!(bytes, to_bytes(&net).unwrap(), "saving twice gives the same bytes");
			let back = load(&spec, &bytes, &device).unwrap();
			assert_eq!(to_bytes(&back).unwrap(), bytes);
			// PyTorch layout: the first dense weight is [out, in].
			let st = SafeTensors::deserialize(&bytes).unwrap();
			let w = st.tensor("layers.0.weight").unwrap();
			assert_eq!(w.shape()[0], net.layers[0].weight.dims()[1]);
			let x = burn::tensor::Tensor::<2>::ones([2, spec.input_features() as usize], &device);
			let a = net.forward(x.clone()).into_data().try_into_vec_as::<f32>().unwrap();
			let b = back.forward(x).into_data().try_into_vec_as::<f32>().unwrap();
			assert_eq!(a, b);
		}
	}

	#[test]
	fn weights_that_do_not_fit_the_spec_are_refused() {
		let device = Device::flex();
		let [linear, mlp, _] = <[ModelSpec; 3]>::try_from(specs()).unwrap();
		let mlp_bytes = to_bytes(&Network::new(&mlp, &device).unwrap()).unwrap();
		// An MLP's weights offered for a linear spec: layer 0 has the wrong shape, layer 1 is extra.
		let err = load(&linear, &mlp_bytes, &device).unwrap_err();
		assert!(
			matches!(err, WeightsError::Unexpected(_) | WeightsError::WrongShape { .. }),
			"{err:?}"
		);
		let wider = ModelSpec::Mlp {
			inputs: 4,
			hidden: vec![6].try_into().unwrap(),
			outputs: 3,
			activation: Activation::Relu,
		};
		let err = load(&wider, &mlp_bytes, &device).unwrap_err();
		assert!(matches!(err, WeightsError::WrongShape { .. }), "{err:?}");
		let linear_bytes = to_bytes(&Network::new(&linear, &device).unwrap()).unwrap();
		assert_eq!(
			load(&mlp, &linear_bytes, &device).unwrap_err(),
			WeightsError::Missing("layers.1.weight".into())
		);
		assert!(matches!(load(&mlp, b"garbage", &device).unwrap_err(), WeightsError::Malformed(_)));
		assert!(matches!(
			load(&mlp, &mlp_bytes[..mlp_bytes.len() - 1], &device).unwrap_err(),
			WeightsError::Malformed(_)
		));
	}

	#[test]
	fn weights_fit_their_cap_and_the_cap_follows_the_spec() {
		let spec = ModelSpec::Mlp {
			inputs: 64,
			hidden: vec![64, 32].try_into().unwrap(),
			outputs: 10,
			activation: pouw_primitives::Activation::Relu,
		};
		let device = burn::tensor::Device::flex();
		let bytes = to_bytes(&Network::new(&spec, &device).unwrap()).unwrap();
		let cap = max_file_bytes(&spec);
		assert!(bytes.len() as u64 <= cap, "{} > {cap}", bytes.len());
		// The demo's model: 6,570 parameters, so a weights file above ~90 KiB is refused
		// rather than the generic 512 MiB.
		assert_eq!(cap, spec.validate().unwrap() * 4 + 64 * 1024);
		assert!(cap < 100 * 1024);
	}
}
