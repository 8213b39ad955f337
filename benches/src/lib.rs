//! Workloads shared by Souk's benchmarks, so every bench measures the same data.
//!
//! Corpora from `shared/` are found through `SOUK_SHARED`; where it is unset, the benches
//! that need them say so and skip. The [`latency`] harness is target-independent: the
//! native binary `search-latency` and the wasm build (`wasm` module, run under Node) call
//! the same code with their own clocks.

pub mod generation;
pub mod latency;
pub mod resolution;
#[cfg(target_arch = "wasm32")]
mod wasm;

#[cfg(not(target_arch = "wasm32"))]
mod corpora;
#[cfg(not(target_arch = "wasm32"))]
pub mod network;
#[cfg(not(target_arch = "wasm32"))]
pub use corpora::*;
