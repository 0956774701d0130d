//! Which burn backend runs the tensors, chosen at run time with `--backend` among those compiled
//! in (cargo features `vulkan`, `wgpu`, `cuda`; the CPU backends are always there).

use burn::tensor::Device;
use std::{fmt, str::FromStr};

/// A burn backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
	/// burn's pure-Rust CPU backend (SIMD, its own matmul); the default.
	Flex,
	/// burn's ndarray CPU backend (deprecated upstream; cargo feature `ndarray`, to compare).
	Ndarray,
	/// A Vulkan device through wgpu, its kernels compiled to SPIR-V (any GPU with a Vulkan
	/// driver; Mesa's lavapipe on a CPU); cargo feature `vulkan`.
	Vulkan,
	/// Any GPU through wgpu (Vulkan, Metal, DX12), its kernels in WGSL; cargo feature `wgpu`.
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
		[Self::Flex, Self::Ndarray, Self::Vulkan, Self::Wgpu, Self::Cuda]
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
			#[cfg(feature = "vulkan")]
			Self::Vulkan => Ok(Device::vulkan(Default::default())),
			#[cfg(not(feature = "vulkan"))]
			Self::Vulkan => Err(NotCompiled { backend: self, feature: "vulkan" }),
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

/// A backend compiled in that could not start on this machine.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("backend '{backend}' cannot run here: {reason}")]
pub struct NoDevice {
	/// The backend asked for.
	pub backend: Backend,
	/// What the backend said (e.g. no Vulkan adapter).
	pub reason: String,
}

/// Why a backend cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BackendError {
	/// Not in this binary.
	#[error(transparent)]
	NotCompiled(#[from] NotCompiled),
	/// In this binary, but no device answered.
	#[error(transparent)]
	NoDevice(#[from] NoDevice),
}

impl Backend {
	/// A device of this backend that has run a small computation: a GPU backend without a
	/// device (no driver, no adapter) fails here with [`NoDevice`] instead of panicking inside
	/// burn in the middle of a task.
	pub fn probe(self) -> Result<Device, BackendError> {
		let device = self.device()?;
		let probe = device.clone();
		let ran = std::panic::catch_unwind(move || {
			let t = burn::tensor::Tensor::<1>::from_floats([1.0, 2.0, 3.0], &probe);
			t.sum().into_scalar::<f32>()
		});
		match ran {
			Ok(sum) if (sum - 6.0).abs() < 1e-6 => Ok(device),
			Ok(sum) => {
				Err(NoDevice { backend: self, reason: format!("1 + 2 + 3 gave {sum}") }.into())
			},
			Err(panic) => {
				let reason = panic
					.downcast_ref::<String>()
					.cloned()
					.or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
					.unwrap_or_else(|| "it panicked while starting".to_owned());
				Err(NoDevice { backend: self, reason }.into())
			},
		}
	}
}

impl fmt::Display for Backend {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str(match self {
			Self::Flex => "flex",
			Self::Ndarray => "ndarray",
			Self::Vulkan => "vulkan",
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
		#[cfg(not(feature = "vulkan"))]
		assert_eq!(
			Backend::Vulkan.probe().unwrap_err(),
			BackendError::NotCompiled(NotCompiled { backend: Backend::Vulkan, feature: "vulkan" })
		);
		assert!(Backend::Flex.probe().is_ok());
		#[cfg(not(feature = "cuda"))]
		assert_eq!(
			Backend::Cuda.device().unwrap_err().to_string(),
			"backend 'cuda' is not compiled into this binary: rebuild with `--features cuda`"
		);
		assert_eq!("FLEX".parse::<Backend>(), Ok(Backend::Flex));
		assert!("tpu".parse::<Backend>().is_err());
	}
}
