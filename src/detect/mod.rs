//! Detection: the one-pass engine that turns a string into findings.

pub mod category;
pub mod validators;

pub use category::{Category, Kind};
