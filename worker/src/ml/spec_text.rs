//! A short text form of a model spec for the command line. Inputs and outputs come from the
//! data, so only the architecture is written:
//!
//! - `linear`
//! - `mlp:<width>,<width>,...:<activation>`, e.g. `mlp:64,32:relu`
//! - `cnn:<C>x<H>x<W>:<out>k<kernel>p<pool>,...:<activation>`, e.g. `cnn:1x8x8:16k3p2,32k3p1:relu`
//!
//! Activations: `relu`, `tanh`, `sigmoid`, `gelu`.

use pouw_primitives::{Activation, ConvLayer, ModelSpec};

/// Why a model text was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("bad model '{text}': {reason} (examples: linear, mlp:64,32:relu, cnn:1x8x8:16k3p2:relu)")]
pub struct SpecTextError {
	/// The text.
	pub text: String,
	/// What is wrong.
	pub reason: String,
}

fn activation(s: &str) -> Option<Activation> {
	Some(match s {
		"relu" => Activation::Relu,
		"tanh" => Activation::Tanh,
		"sigmoid" => Activation::Sigmoid,
		"gelu" => Activation::Gelu,
		_ => return None,
	})
}

/// The text form of an activation.
pub fn activation_name(a: Activation) -> &'static str {
	match a {
		Activation::Relu => "relu",
		Activation::Tanh => "tanh",
		Activation::Sigmoid => "sigmoid",
		Activation::Gelu => "gelu",
	}
}

/// Parses `text` into a spec with `inputs` features and `outputs` outputs, then checks it
/// ([`ModelSpec::validate`]).
pub fn parse(text: &str, inputs: u32, outputs: u32) -> Result<ModelSpec, SpecTextError> {
	let err = |reason: &str| SpecTextError { text: text.into(), reason: reason.into() };
	let parts: Vec<&str> = text.trim().split(':').collect();
	let act = |s: &str| activation(s).ok_or_else(|| err("unknown activation"));
	let number = |s: &str| s.trim().parse::<u32>().map_err(|_| err("not a number"));
	let spec = match parts.as_slice() {
		["linear"] => ModelSpec::Linear { inputs, outputs },
		["mlp", widths, a] => {
			let hidden: Vec<u32> = widths.split(',').map(number).collect::<Result<_, _>>()?;
			ModelSpec::Mlp {
				inputs,
				hidden: hidden.try_into().map_err(|_| err("too many hidden layers"))?,
				outputs,
				activation: act(a)?,
			}
		},
		["cnn", image, layers, rest @ ..] if matches!(rest.len(), 1 | 2) => {
			// `cnn:<image>:<conv layers>[:<dense widths>]:<activation>`
			let (dense, a) = match rest {
				[dense, a] => (Some(*dense), *a),
				_ => (None, rest[rest.len() - 1]),
			};
			let hidden: Vec<u32> = match dense {
				Some(widths) => widths.split(',').map(number).collect::<Result<_, _>>()?,
				None => Vec::new(),
			};
			let dims: Vec<u32> = image.split('x').map(number).collect::<Result<_, _>>()?;
			let [channels, height, width] = dims[..] else {
				return Err(err("the image is CxHxW"));
			};
			if u64::from(channels) * u64::from(height) * u64::from(width) != u64::from(inputs) {
				return Err(err("CxHxW differs from the data's feature count"));
			}
			let mut conv = Vec::new();
			for layer in layers.split(',') {
				let (out, rest) =
					layer.split_once('k').ok_or_else(|| err("a layer is <out>k<kernel>p<pool>"))?;
				let (kernel, pool) =
					rest.split_once('p').ok_or_else(|| err("a layer is <out>k<kernel>p<pool>"))?;
				conv.push(ConvLayer {
					out_channels: number(out)?,
					kernel: u8::try_from(number(kernel)?).map_err(|_| err("kernel too large"))?,
					pool: u8::try_from(number(pool)?).map_err(|_| err("pool too large"))?,
				});
			}
			ModelSpec::Cnn {
				hidden: hidden.try_into().map_err(|_| err("too many dense layers"))?,
				channels,
				height,
				width,
				conv: conv.try_into().map_err(|_| err("too many convolution layers"))?,
				outputs,
				activation: act(a)?,
			}
		},
		_ => return Err(err("unknown form")),
	};
	spec.validate().map_err(|e| err(&format!("{e:?}")))?;
	Ok(spec)
}

/// The text form of a spec (inverse of [`parse`]).
pub fn format(spec: &ModelSpec) -> String {
	match spec {
		ModelSpec::Linear { .. } => "linear".into(),
		ModelSpec::Mlp { hidden, activation, .. } => format!(
			"mlp:{}:{}",
			hidden.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
			activation_name(*activation)
		),
		ModelSpec::Cnn { channels, height, width, conv, hidden, activation, .. } => format!(
			"cnn:{channels}x{height}x{width}:{}:{}{}",
			conv.iter()
				.map(|c| format!("{}k{}p{}", c.out_channels, c.kernel, c.pool))
				.collect::<Vec<_>>()
				.join(","),
			if hidden.is_empty() {
				String::new()
			} else {
				format!("{}:", hidden.iter().map(u32::to_string).collect::<Vec<_>>().join(","))
			},
			activation_name(*activation)
		),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn round_trips() {
		for text in [
			"linear",
			"mlp:64,32:relu",
			"mlp:8:gelu",
			"cnn:1x8x8:16k3p2,32k3p1:tanh",
			"cnn:1x8x8:8k3p2:32,16:relu",
		] {
			let spec = parse(text, 64, 10).unwrap();
			assert_eq!(format(&spec), text);
			assert_eq!(spec.input_features(), 64);
			assert_eq!(spec.outputs(), 10);
		}
	}

	#[test]
	fn refuses_bad_text() {
		for text in [
			"",
			"mlp",
			"mlp:64:swish",
			"mlp::relu",
			"mlp:0:relu",
			"cnn:1x8:4k3p1:relu",
			"cnn:2x8x8:4k3p1:relu",
			"cnn:1x8x8:4k2p1:relu",
			"cnn:1x8x8:4x3:relu",
			"mlp:100000,1000:relu",
			"mlp:1,2,3,4,5,6,7,8,9:relu",
			"cnn:1x8x8:4k3p2::relu",
			"cnn:1x8x8:4k3p2:0:relu",
			"cnn:1x8x8:4k3p2:1,2,3,4,5,6,7,8,9:relu",
			"cnn:1x8x8:4k3p2:32:16:relu",
		] {
			assert!(parse(text, 64, 10).is_err(), "{text:?} was accepted");
		}
	}
}
