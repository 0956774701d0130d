//! The declarative model a task asks for. A task is data plus one of these specs, never code, so
//! a malicious task cannot run anything on a worker's machine.

use crate::{
	BoundedVec, ConstU32, MAX_ACTIVATIONS, MAX_CONV_LAYERS, MAX_HIDDEN_LAYERS, MAX_LAYER_WIDTH,
	MAX_PARAMETERS,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Non-linearity between layers.
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
pub enum Activation {
	/// `max(0, x)`.
	Relu,
	/// Hyperbolic tangent.
	Tanh,
	/// Logistic sigmoid.
	Sigmoid,
	/// Gaussian error linear unit.
	Gelu,
}

/// One convolution block of a [`ModelSpec::Cnn`]: a 2-D convolution with "same" padding (so the
/// spatial size is kept), the activation, then an optional max-pool.
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
pub struct ConvLayer {
	/// Output channels.
	pub out_channels: u32,
	/// Square kernel side; odd, 1 to 7.
	pub kernel: u8,
	/// Max-pool window and stride after the activation; 1 means no pooling, at most 4.
	pub pool: u8,
}

/// A bounded declarative model architecture.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum ModelSpec {
	/// A single affine layer (`inputs -> outputs`): linear or logistic regression.
	Linear {
		/// Input features.
		inputs: u32,
		/// Outputs: classes for classification, targets for regression.
		outputs: u32,
	},
	/// A multi-layer perceptron.
	Mlp {
		/// Input features.
		inputs: u32,
		/// Width of each hidden layer, in order; at least one.
		hidden: BoundedVec<u32, ConstU32<MAX_HIDDEN_LAYERS>>,
		/// Outputs: classes for classification, targets for regression.
		outputs: u32,
		/// Activation after every hidden layer.
		activation: Activation,
	},
	/// A small convolutional network over `channels x height x width` images, then dense layers
	/// over the flattened features (the `hidden` ones, then the outputs).
	Cnn {
		/// Input channels.
		channels: u32,
		/// Input height in pixels.
		height: u32,
		/// Input width in pixels.
		width: u32,
		/// Convolution blocks, in order; at least one.
		conv: BoundedVec<ConvLayer, ConstU32<MAX_CONV_LAYERS>>,
		/// Widths of the dense layers between the flattened features and the outputs, each
		/// followed by the activation; empty: the features go straight to the outputs.
		hidden: BoundedVec<u32, ConstU32<MAX_HIDDEN_LAYERS>>,
		/// Outputs (classes).
		outputs: u32,
		/// Activation after every convolution.
		activation: Activation,
	},
}

/// Why a [`ModelSpec`] is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ModelSpecError {
	/// A width, channel count, input or output size is zero.
	ZeroSize,
	/// A width, input or output size exceeds [`MAX_LAYER_WIDTH`].
	LayerTooWide,
	/// An MLP without hidden layers (use `Linear`) or a CNN without convolutions.
	NoLayers,
	/// A convolution kernel is even, zero or above 7, or a pool window is zero or above 4.
	BadConvolution,
	/// Pooling shrinks the image below one pixel.
	ImageTooSmall,
	/// The parameter count exceeds [`MAX_PARAMETERS`] (or overflows).
	TooManyParameters,
	/// One sample's activations exceed [`MAX_ACTIVATIONS`] (or overflow).
	TooManyActivations,
}

/// `inputs * outputs + outputs` (weights and biases of an affine layer), checked.
fn affine_params(inputs: u32, outputs: u32) -> Option<u64> {
	u64::from(inputs).checked_mul(u64::from(outputs))?.checked_add(u64::from(outputs))
}

fn check_width(w: u32) -> Result<(), ModelSpecError> {
	if w == 0 {
		Err(ModelSpecError::ZeroSize)
	} else if w > MAX_LAYER_WIDTH {
		Err(ModelSpecError::LayerTooWide)
	} else {
		Ok(())
	}
}

impl ModelSpec {
	/// Number of input features the model expects (`channels * height * width` for a CNN,
	/// saturating).
	pub fn input_features(&self) -> u64 {
		match self {
			Self::Linear { inputs, .. } | Self::Mlp { inputs, .. } => u64::from(*inputs),
			Self::Cnn { channels, height, width, .. } => u64::from(*channels)
				.saturating_mul(u64::from(*height))
				.saturating_mul(u64::from(*width)),
		}
	}

	/// Number of outputs (classes, or regression targets).
	pub fn outputs(&self) -> u32 {
		match self {
			Self::Linear { outputs, .. }
			| Self::Mlp { outputs, .. }
			| Self::Cnn { outputs, .. } => *outputs,
		}
	}

	/// Checks every size and returns the number of trainable parameters, which is at most
	/// [`MAX_PARAMETERS`]. Cheap: no allocation, at most a dozen layers.
	pub fn validate(&self) -> Result<u64, ModelSpecError> {
		let too_many = ModelSpecError::TooManyParameters;
		let params = match self {
			Self::Linear { inputs, outputs } => {
				check_width(*inputs)?;
				check_width(*outputs)?;
				affine_params(*inputs, *outputs).ok_or(too_many)?
			},
			Self::Mlp { inputs, hidden, outputs, .. } => {
				check_width(*inputs)?;
				check_width(*outputs)?;
				if hidden.is_empty() {
					return Err(ModelSpecError::NoLayers);
				}
				let mut total: u64 = 0;
				let mut previous = *inputs;
				for &width in hidden.iter().chain(core::iter::once(outputs)) {
					check_width(width)?;
					let layer = affine_params(previous, width).ok_or(too_many)?;
					total = total.checked_add(layer).ok_or(too_many)?;
					previous = width;
				}
				total
			},
			Self::Cnn { channels, height, width, conv, hidden, outputs, .. } => {
				check_width(*channels)?;
				check_width(*height)?;
				check_width(*width)?;
				check_width(*outputs)?;
				if conv.is_empty() {
					return Err(ModelSpecError::NoLayers);
				}
				let (mut c, mut h, mut w) = (*channels, *height, *width);
				let mut total: u64 = 0;
				for layer in conv.iter() {
					check_width(layer.out_channels)?;
					if layer.kernel == 0 || layer.kernel % 2 == 0 || layer.kernel > 7 {
						return Err(ModelSpecError::BadConvolution);
					}
					if layer.pool == 0 || layer.pool > 4 {
						return Err(ModelSpecError::BadConvolution);
					}
					let k2 = u64::from(layer.kernel).saturating_mul(u64::from(layer.kernel));
					let weights = u64::from(c)
						.checked_mul(u64::from(layer.out_channels))
						.and_then(|x| x.checked_mul(k2))
						.and_then(|x| x.checked_add(u64::from(layer.out_channels)))
						.ok_or(too_many)?;
					total = total.checked_add(weights).ok_or(too_many)?;
					c = layer.out_channels;
					h = h.checked_div(u32::from(layer.pool)).unwrap_or(0);
					w = w.checked_div(u32::from(layer.pool)).unwrap_or(0);
					if h == 0 || w == 0 {
						return Err(ModelSpecError::ImageTooSmall);
					}
				}
				let flat = u64::from(c)
					.checked_mul(u64::from(h))
					.and_then(|x| x.checked_mul(u64::from(w)))
					.ok_or(too_many)?;
				// The dense layers: `flat` is no layer width (it may exceed MAX_LAYER_WIDTH),
				// every other size is.
				let mut previous = flat;
				for &width in hidden.iter().chain(core::iter::once(outputs)) {
					check_width(width)?;
					let layer = previous
						.checked_mul(u64::from(width))
						.and_then(|x| x.checked_add(u64::from(width)))
						.ok_or(too_many)?;
					total = total.checked_add(layer).ok_or(too_many)?;
					previous = u64::from(width);
				}
				total
			},
		};
		if params > MAX_PARAMETERS {
			return Err(too_many);
		}
		match self.activations() {
			Some(n) if n <= MAX_ACTIVATIONS => Ok(params),
			_ => Err(ModelSpecError::TooManyActivations),
		}
	}

	/// The activation elements one sample produces: its input, every layer's output (for a
	/// convolution block, before and after its pooling) and the outputs; `None` on overflow.
	/// What scoring or training holds per sample in a forward pass, up to a small factor.
	pub fn activations(&self) -> Option<u64> {
		match self {
			Self::Linear { inputs, outputs } => u64::from(*inputs).checked_add(u64::from(*outputs)),
			Self::Mlp { inputs, hidden, outputs, .. } => hidden
				.iter()
				.chain(core::iter::once(outputs))
				.try_fold(u64::from(*inputs), |sum, width| sum.checked_add(u64::from(*width))),
			Self::Cnn { channels, height, width, conv, hidden, outputs, .. } => {
				let (mut h, mut w) = (u64::from(*height), u64::from(*width));
				let mut total = u64::from(*channels).checked_mul(h)?.checked_mul(w)?;
				for layer in conv.iter() {
					let out = u64::from(layer.out_channels);
					total = total.checked_add(out.checked_mul(h)?.checked_mul(w)?)?;
					if layer.pool > 1 {
						h = h.checked_div(u64::from(layer.pool))?;
						w = w.checked_div(u64::from(layer.pool))?;
						total = total.checked_add(out.checked_mul(h)?.checked_mul(w)?)?;
					}
				}
				hidden
					.iter()
					.chain(core::iter::once(outputs))
					.try_fold(total, |sum, width| sum.checked_add(u64::from(*width)))
			},
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn mlp(inputs: u32, hidden: &[u32], outputs: u32) -> ModelSpec {
		ModelSpec::Mlp {
			inputs,
			hidden: hidden.to_vec().try_into().unwrap(),
			outputs,
			activation: Activation::Relu,
		}
	}

	#[test]
	fn parameter_counts() {
		assert_eq!(ModelSpec::Linear { inputs: 64, outputs: 10 }.validate(), Ok(650));
		// 64*128+128 + 128*64+64 + 64*10+10
		assert_eq!(mlp(64, &[128, 64], 10).validate(), Ok(8320 + 8256 + 650));
		let cnn = ModelSpec::Cnn {
			hidden: Default::default(),
			channels: 1,
			height: 8,
			width: 8,
			conv: vec![ConvLayer { out_channels: 8, kernel: 3, pool: 2 }].try_into().unwrap(),
			outputs: 10,
			activation: Activation::Relu,
		};
		// conv 1*8*9+8 = 80; head 8*4*4*10+10 = 1290
		assert_eq!(cnn.validate(), Ok(80 + 1290));
		assert_eq!(cnn.input_features(), 64);
		assert_eq!(cnn.outputs(), 10);
	}

	#[test]
	fn a_cnn_with_dense_layers_counts_and_bounds_them() {
		let with = |hidden: &[u32]| {
			let mut spec = cnn(1, 8, &[ConvLayer { out_channels: 8, kernel: 3, pool: 2 }]);
			if let ModelSpec::Cnn { hidden: h, .. } = &mut spec {
				*h = hidden.to_vec().try_into().unwrap();
			}
			spec
		};
		// conv 80; dense 128*32+32 = 4128; out 32*10+10 = 330
		assert_eq!(with(&[32]).validate(), Ok(80 + 4128 + 330));
		// Activations: 64 in, 8*8*8 conv, 8*4*4 pooled, 32 dense, 10 out.
		assert_eq!(with(&[32]).activations(), Some(64 + 512 + 128 + 32 + 10));
		assert_eq!(with(&[0]).validate(), Err(ModelSpecError::ZeroSize));
		assert_eq!(with(&[MAX_LAYER_WIDTH + 1]).validate(), Err(ModelSpecError::LayerTooWide));
		// A dense layer over a large flattened map counts toward the parameter bound.
		let wide = cnn(1, 1024, &[ConvLayer { out_channels: 16, kernel: 3, pool: 4 }]);
		let mut wide_dense = wide.clone();
		if let ModelSpec::Cnn { hidden, .. } = &mut wide_dense {
			*hidden = vec![4096].try_into().unwrap();
		}
		assert_eq!(wide_dense.validate(), Err(ModelSpecError::TooManyParameters));
	}

	#[test]
	fn refuses_bad_specs() {
		assert_eq!(
			ModelSpec::Linear { inputs: 0, outputs: 3 }.validate(),
			Err(ModelSpecError::ZeroSize)
		);
		assert_eq!(mlp(4, &[], 3).validate(), Err(ModelSpecError::NoLayers));
		assert_eq!(mlp(4, &[0], 3).validate(), Err(ModelSpecError::ZeroSize));
		assert_eq!(mlp(4, &[MAX_LAYER_WIDTH + 1], 3).validate(), Err(ModelSpecError::LayerTooWide));
		// 4096 * 4096 is above the 16 M bound.
		assert_eq!(mlp(4096, &[4096], 10).validate(), Err(ModelSpecError::TooManyParameters));
		let bad_kernel = ModelSpec::Cnn {
			hidden: Default::default(),
			channels: 1,
			height: 8,
			width: 8,
			conv: vec![ConvLayer { out_channels: 8, kernel: 2, pool: 1 }].try_into().unwrap(),
			outputs: 10,
			activation: Activation::Relu,
		};
		assert_eq!(bad_kernel.validate(), Err(ModelSpecError::BadConvolution));
		let shrinks = ModelSpec::Cnn {
			hidden: Default::default(),
			channels: 1,
			height: 2,
			width: 2,
			conv: vec![
				ConvLayer { out_channels: 2, kernel: 3, pool: 2 },
				ConvLayer { out_channels: 2, kernel: 3, pool: 2 },
			]
			.try_into()
			.unwrap(),
			outputs: 10,
			activation: Activation::Relu,
		};
		assert_eq!(shrinks.validate(), Err(ModelSpecError::ImageTooSmall));
	}

	fn cnn(channels: u32, side: u32, conv: &[ConvLayer]) -> ModelSpec {
		ModelSpec::Cnn {
			hidden: Default::default(),
			channels,
			height: side,
			width: side,
			conv: conv.to_vec().try_into().unwrap(),
			outputs: 10,
			activation: Activation::Relu,
		}
	}

	#[test]
	fn a_spec_within_the_parameter_bound_but_over_the_activation_bound_is_refused() {
		// The attack of issue 16: 64 channels over a 1024 x 1024 image, pooled by 4 (then 4
		// again), has 2,626,250 parameters (the head over 64 x 64 x 64 features dominates),
		// well inside the 16 M bound, but 67 M activation elements per sample (256 MiB of f32):
		// scoring 1,024 samples a pass needed 256 GiB.
		let big = cnn(
			1,
			1024,
			&[
				ConvLayer { out_channels: 64, kernel: 3, pool: 4 },
				ConvLayer { out_channels: 64, kernel: 1, pool: 4 },
			],
		);
		assert!(big.activations().unwrap() > 64 * 1024 * 1024);
		assert_eq!(big.validate(), Err(ModelSpecError::TooManyActivations));
		// An MLP over a million inputs: 1 M parameters but 4 MiB per sample of input alone,
		// within the bound.
		assert_eq!(mlp(1 << 20, &[1], 1).activations(), Some((1 << 20) + 2));
		assert!(mlp(1 << 20, &[1], 1).validate().is_ok());
		// The digits CNN of the demo and tests is far below it.
		let digits = cnn(1, 8, &[ConvLayer { out_channels: 8, kernel: 3, pool: 2 }]);
		// 64 input + 8 x 64 conv + 8 x 16 pooled + 10 outputs
		assert_eq!(digits.activations(), Some(64 + 512 + 128 + 10));
		assert!(digits.validate().is_ok());
	}
}
