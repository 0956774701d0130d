//! The on-chain [`ModelSpec`] as a burn [`Module`].
//!
//! One network type covers every spec: optional convolution blocks, then dense layers, the last
//! of which is the output. Parameter names follow PyTorch's (`layers.0.weight`,
//! `convs.0.conv.weight`), and weights are stored in PyTorch's layout (see [`super::weights`]), so
//! a model trained here loads in PyTorch as an `nn.Sequential`-like state dict.

use burn::{
	module::Module,
	nn::{
		conv::{Conv2d, Conv2dConfig},
		pool::{MaxPool2d, MaxPool2dConfig},
		Linear, LinearConfig, PaddingConfig2d,
	},
	tensor::{activation, Device, Tensor},
};
use pouw_primitives::{Activation, ModelSpec, ModelSpecError};

/// Why a network cannot be built from a spec.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
	/// The spec fails its own checks (sizes, parameter bound): nothing was allocated.
	#[error("invalid model spec: {0:?}")]
	InvalidSpec(ModelSpecError),
}

/// One convolution block: a "same"-padded convolution, the activation, then an optional max-pool.
#[derive(Module, Debug)]
pub struct ConvBlock {
	/// The convolution; weight shape `[out, in, k, k]`.
	pub conv: Conv2d,
	/// Max-pool with window and stride `pool`, absent when the spec's pool is 1.
	pub pool: Option<MaxPool2d>,
}

/// A network built from a [`ModelSpec`].
#[derive(Module, Debug)]
pub struct Network {
	/// Convolution blocks (CNN only; empty otherwise).
	pub convs: Vec<ConvBlock>,
	/// Dense layers in order; the last one produces the outputs.
	pub layers: Vec<Linear>,
	/// Activation after every convolution and every dense layer but the last.
	#[module(skip)]
	pub activation: Activation,
	/// `[channels, height, width]` of a CNN's input, to reshape flat feature rows.
	#[module(skip)]
	pub image: Option<[usize; 3]>,
}

/// The name and PyTorch-layout shape of every parameter tensor a spec's network has, in a fixed
/// order. Used to check submitted weights before anything is loaded.
pub fn expected_tensors(spec: &ModelSpec) -> Result<Vec<(String, Vec<usize>)>, ModelError> {
	spec.validate().map_err(ModelError::InvalidSpec)?;
	let mut out = Vec::new();
	let mut dense_inputs = spec.input_features() as usize;
	if let ModelSpec::Cnn { channels, height, width, conv, .. } = spec {
		let (mut c, mut h, mut w) = (*channels as usize, *height as usize, *width as usize);
		for (i, layer) in conv.iter().enumerate() {
			let k = layer.kernel as usize;
			let o = layer.out_channels as usize;
			out.push((format!("convs.{i}.conv.weight"), vec![o, c, k, k]));
			out.push((format!("convs.{i}.conv.bias"), vec![o]));
			c = o;
			h /= layer.pool as usize;
			w /= layer.pool as usize;
		}
		dense_inputs = c * h * w;
	}
	let mut previous = dense_inputs;
	for (i, width) in dense_widths(spec).into_iter().enumerate() {
		out.push((format!("layers.{i}.weight"), vec![width, previous]));
		out.push((format!("layers.{i}.bias"), vec![width]));
		previous = width;
	}
	Ok(out)
}

/// Widths of the dense layers, the output layer last.
fn dense_widths(spec: &ModelSpec) -> Vec<usize> {
	match spec {
		ModelSpec::Linear { outputs, .. } => vec![*outputs as usize],
		ModelSpec::Mlp { hidden, outputs, .. } | ModelSpec::Cnn { hidden, outputs, .. } => {
			hidden.iter().chain(core::iter::once(outputs)).map(|w| *w as usize).collect()
		},
	}
}

impl Network {
	/// Builds a freshly initialised network for `spec` on `device`. The spec (and so its
	/// parameter count against the on-chain bound) is checked before any tensor is allocated.
	/// Initial weights come from the device's (process-wide) random generator, drawn lazily:
	/// [`super::training::fresh_network`] gives a reproducible start.
	pub fn new(spec: &ModelSpec, device: &Device) -> Result<Self, ModelError> {
		spec.validate().map_err(ModelError::InvalidSpec)?;
		let mut convs = Vec::new();
		let mut image = None;
		let mut dense_inputs = spec.input_features() as usize;
		let activation = match spec {
			ModelSpec::Linear { .. } => Activation::Relu, // unused: a single layer has none
			ModelSpec::Mlp { activation, .. } => *activation,
			ModelSpec::Cnn { channels, height, width, conv, activation, .. } => {
				let (mut c, mut h, mut w) = (*channels as usize, *height as usize, *width as usize);
				image = Some([c, h, w]);
				for layer in conv.iter() {
					let k = layer.kernel as usize;
					let o = layer.out_channels as usize;
					let p = layer.pool as usize;
					let conv = Conv2dConfig::new([c, o], [k, k])
						.with_padding(PaddingConfig2d::Same)
						.init(device);
					let pool = (p > 1).then(|| MaxPool2dConfig::new([p, p]).init());
					convs.push(ConvBlock { conv, pool });
					c = o;
					h /= p;
					w /= p;
				}
				dense_inputs = c * h * w;
				*activation
			},
		};
		let mut layers = Vec::new();
		let mut previous = dense_inputs;
		for width in dense_widths(spec) {
			layers.push(LinearConfig::new(previous, width).init(device));
			previous = width;
		}
		Ok(Self { convs, layers, activation, image })
	}

	fn activate<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
		match self.activation {
			Activation::Relu => activation::relu(x),
			Activation::Tanh => activation::tanh(x),
			Activation::Sigmoid => activation::sigmoid(x),
			Activation::Gelu => activation::gelu(x),
		}
	}

	/// Maps a batch of flat feature rows `[batch, features]` to outputs `[batch, outputs]`
	/// (logits for classification, predictions for regression).
	pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
		let mut x = input;
		if let Some([c, h, w]) = self.image {
			let [batch, _] = x.dims();
			let mut img: Tensor<4> = x.reshape([batch, c, h, w]);
			for block in &self.convs {
				img = self.activate(block.conv.forward(img));
				if let Some(pool) = &block.pool {
					// Scoring takes the cheaper forward pass; training keeps burn's kernel,
					// whose backward pass is the faster one.
					img = if img.device().is_autodiff() {
						pool.forward(img)
					} else {
						max_pool(img, pool.kernel_size[0])
					};
				}
			}
			let [b, c2, h2, w2] = img.dims();
			x = img.reshape([b, c2 * h2 * w2]);
		}
		let last = self.layers.len().saturating_sub(1);
		for (i, layer) in self.layers.iter().enumerate() {
			x = layer.forward(x);
			if i < last {
				x = self.activate(x);
			}
		}
		x
	}
}

/// Max-pooling with window and stride `p` (no padding; rows and columns past the last whole
/// window dropped), as burn's `MaxPool2d` computes it, from a reshape and two reductions: the
/// same values (a maximum is exact), and on the CPU backend a quarter fewer instructions for a
/// CNN's whole forward pass than with burn's pooling kernel (`docs/measurements.md`).
pub fn max_pool(img: Tensor<4>, p: usize) -> Tensor<4> {
	let [b, c, h, w] = img.dims();
	let (ho, wo) = (h / p, w / p);
	let img = if ho * p == h && wo * p == w {
		img
	} else {
		img.slice([0..b, 0..c, 0..ho * p, 0..wo * p])
	};
	img.reshape([b, c, ho, p, wo, p]).max_dim(5).max_dim(3).reshape([b, c, ho, wo])
}

#[cfg(test)]
mod tests {
	use super::*;
	use pouw_primitives::ConvLayer;

	fn mlp() -> ModelSpec {
		ModelSpec::Mlp {
			inputs: 8,
			hidden: vec![6, 5].try_into().unwrap(),
			outputs: 3,
			activation: Activation::Tanh,
		}
	}

	#[test]
	fn the_scoring_max_pool_equals_burns_kernel_on_any_size() {
		let device = Device::flex();
		device.seed(3);
		for (p, h, w) in [(2, 8, 8), (2, 7, 9), (3, 10, 11), (4, 4, 5)] {
			let x = Tensor::<4>::random([2, 3, h, w], burn::tensor::Distribution::Default, &device);
			let ours = max_pool(x.clone(), p).into_data();
			let burns = MaxPool2dConfig::new([p, p]).init().forward(x).into_data();
			assert_eq!(ours.shape(), burns.shape(), "p {p} {h}x{w}");
			assert_eq!(
				ours.try_to_vec::<f32>().unwrap(),
				burns.try_to_vec::<f32>().unwrap(),
				"p {p} {h}x{w}"
			);
		}
	}

	#[test]
	fn parameter_count_matches_the_spec() {
		for spec in [
			ModelSpec::Linear { inputs: 8, outputs: 3 },
			mlp(),
			ModelSpec::Cnn {
				hidden: Default::default(),
				channels: 1,
				height: 8,
				width: 8,
				conv: vec![
					ConvLayer { out_channels: 4, kernel: 3, pool: 2 },
					ConvLayer { out_channels: 6, kernel: 5, pool: 1 },
				]
				.try_into()
				.unwrap(),
				outputs: 10,
				activation: Activation::Relu,
			},
			// A dense layer between the convolutions and the outputs.
			ModelSpec::Cnn {
				hidden: vec![12].try_into().unwrap(),
				channels: 1,
				height: 8,
				width: 8,
				conv: vec![ConvLayer { out_channels: 4, kernel: 3, pool: 2 }].try_into().unwrap(),
				outputs: 10,
				activation: Activation::Relu,
			},
		] {
			let device = Device::flex();
			let net = Network::new(&spec, &device).unwrap();
			assert_eq!(net.num_params() as u64, spec.validate().unwrap(), "{spec:?}");
			let expected: usize = expected_tensors(&spec)
				.unwrap()
				.iter()
				.map(|(_, shape)| shape.iter().product::<usize>())
				.sum();
			assert_eq!(expected as u64, spec.validate().unwrap());
			let out = net.forward(Tensor::zeros([5, spec.input_features() as usize], &device));
			assert_eq!(out.dims(), [5, spec.outputs() as usize]);
		}
	}

	#[test]
	fn refuses_a_spec_above_the_parameter_bound_before_allocating() {
		let huge = ModelSpec::Mlp {
			inputs: 4096,
			hidden: vec![4096].try_into().unwrap(),
			outputs: 10,
			activation: Activation::Relu,
		};
		let err = Network::new(&huge, &Device::flex()).unwrap_err();
		assert_eq!(err, ModelError::InvalidSpec(ModelSpecError::TooManyParameters));
		assert!(expected_tensors(&huge).is_err());
	}
}
