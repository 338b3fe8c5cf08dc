//! Data loaders: the demo dataset (`seed --demo`) and the benchmark
//! dataset (`seed --scale N`).

pub mod commerce;
pub mod demo;
pub mod scale;
