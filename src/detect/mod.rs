//! Detection: text in, findings out, no policy. `rules` reads the detector files, `engine` runs
//! them in one pass, `names` grades dictionary names, `validators` holds the checksums, `members` the closed lists
//! a pattern's value must be on (ICD-10-CM codes), and
//! `check` runs every detector rule's own examples.
//!
//! The modules depend one way: `finding`, `category` and `terms` are the shared types at the
//! bottom; `rules`, `validators`, `url` and `names` use only those; `engine` uses them all;
//! `check` uses the engine. This file only declares and re-exports.

pub mod category;
pub mod check;
pub mod engine;
mod finding;
pub mod mask;
mod members;
mod names;
pub mod rules;
mod term_index;
mod terms;
mod url;
pub mod validators;

pub use category::{Category, Kind};
pub use engine::{CompiledDetector, Engine, Scratch};
pub use finding::Finding;
pub use rules::{DetectorRule, DetectorSet};
