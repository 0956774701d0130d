//! Which burn backend runs the tensors, chosen at run time with `--backend` among those compiled
//! in (cargo features `wgpu`, `cuda`; the CPU backends are always there).

use burn::tensor::Device;
use std::{fmt, str::FromStr};

/// A burn backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
	/// burn's pure-Rust CPU backend (SIMD, its own matmul); the default.
	Flex,
	/// burn's ndarray CPU backend (deprecated upstream; cargo feature `ndarray`, to compare).
	Ndarray,
	/// Any GPU through wgpu (Vulkan, Metal, DX12); cargo feature `wgpu`.
	Wgpu,
	/// NVIDIA GPUs through CUDA; cargo feature `cuda`.
	Cuda,
}

/// The backend was not compiled into this binary.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
	"backend '{backend}' is not compiled into this binary: rebuild with `--features {feature}`"
)]
pub struct NotCompiled {
	/// The backend asked for.
	pub backend: Backend,
	/// The cargo feature that brings it.
	pub feature: &'static str,
}

impl Backend {
	/// The default CPU backend: the fastest deterministic one in `bench/` (see the README).
	pub const DEFAULT: Self = Self::Flex;

	/// The backends compiled into this binary.
	pub fn available() -> Vec<Self> {
		[Self::Flex, Self::Ndarray, Self::Wgpu, Self::Cuda]
			.into_iter()
			.filter(|b| b.device().is_ok())
			.collect()
	}

	/// A device of this backend (without autodiff).
	#[allow(deprecated)] // ndarray is deprecated upstream; still worth comparing against
	pub fn device(self) -> Result<Device, NotCompiled> {
		match self {
			Self::Flex => Ok(Device::flex()),
			#[cfg(feature = "ndarray")]
			Self::Ndarray => Ok(Device::ndarray()),
			#[cfg(not(feature = "ndarray"))]
			Self::Ndarray => Err(NotCompiled { backend: self, feature: "ndarray" }),
			#[cfg(feature = "wgpu")]
			Self::Wgpu => Ok(Device::wgpu(Default::default())),
			#[cfg(not(feature = "wgpu"))]
			Self::Wgpu => Err(NotCompiled { backend: self, feature: "wgpu" }),
			#[cfg(feature = "cuda")]
			Self::Cuda => Ok(Device::cuda(0)),
			#[cfg(not(feature = "cuda"))]
			Self::Cuda => Err(NotCompiled { backend: self, feature: "cuda" }),
		}
	}
}

impl fmt::Display for Backend {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str(match self {
			Self::Flex => "flex",
			Self::Ndarray => "ndarray",
			Self::Wgpu => "wgpu",
			Self::Cuda => "cuda",
		})
	}
}

impl FromStr for Backend {
	type Err = String;
	fn from_str(s: &str) -> Result<Self, Self::Err> {
		<Self as clap::ValueEnum>::from_str(s, true)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn flex_is_always_there_and_others_name_their_feature() {
		assert!(Backend::Flex.device().is_ok());
		assert!(Backend::available().contains(&Backend::Flex));
		#[cfg(not(feature = "ndarray"))]
		assert_eq!(
			Backend::Ndarray.device().unwrap_err(),
			NotCompiled { backend: Backend::Ndarray, feature: "ndarray" }
		);
		#[cfg(not(feature = "cuda"))]
		assert_eq!(
			Backend::Cuda.device().unwrap_err().to_string(),
			"backend 'cuda' is not compiled into this binary: rebuild with `--features cuda`"
		);
		assert_eq!("FLEX".parse::<Backend>(), Ok(Backend::Flex));
		assert!("tpu".parse::<Backend>().is_err());
	}
}
