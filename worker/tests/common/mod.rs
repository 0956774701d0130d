//! Small generated data sets: no network, no files, fully determined by a seed.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use pouw_primitives::{Activation, ModelSpec};
use pouw_worker::{
	ml::data::{Dataset, Labels},
	ml::training::SplitMix64,
};

/// An MLP with one hidden layer of `hidden` ReLU units.
pub fn mlp(inputs: u32, hidden: u32, outputs: u32) -> ModelSpec {
	ModelSpec::Mlp {
		inputs,
		hidden: vec![hidden].try_into().unwrap(),
		outputs,
		activation: Activation::Relu,
	}
}

/// A uniform float in [0, 1).
pub fn uniform(rng: &mut SplitMix64) -> f32 {
	(rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32
}

/// `classes` well separated blobs in `features` dimensions, `per_class` samples each.
pub fn blobs(seed: u64, classes: u32, features: usize, per_class: usize) -> Dataset {
	let mut rng = SplitMix64::new(seed);
	let centres: Vec<Vec<f32>> = (0..classes)
		.map(|_| (0..features).map(|_| uniform(&mut rng) * 4.0 - 2.0).collect())
		.collect();
	let mut x = Vec::new();
	let mut ids = Vec::new();
	for i in 0..per_class * classes as usize {
		let c = (i % classes as usize) as u32;
		for centre in &centres[c as usize] {
			x.push(centre + (uniform(&mut rng) - 0.5) * 0.6);
		}
		ids.push(c);
	}
	Dataset {
		features: x.into(),
		feature_count: features,
		labels: Labels::Classes { ids, classes },
	}
}

/// `y = 2 x0 - x1 + 0.5` plus a little noise.
pub fn regression(seed: u64, samples: usize) -> Dataset {
	let mut rng = SplitMix64::new(seed);
	let mut x = Vec::new();
	let mut y = Vec::new();
	for _ in 0..samples {
		let a = uniform(&mut rng) * 2.0 - 1.0;
		let b = uniform(&mut rng) * 2.0 - 1.0;
		x.extend([a, b]);
		y.push(2.0 * a - b + 0.5 + (uniform(&mut rng) - 0.5) * 0.01);
	}
	Dataset { features: x.into(), feature_count: 2, labels: Labels::Targets(y) }
}
