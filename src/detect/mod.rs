//! Detection: text in, findings out, no policy. `rules` reads the detector files, `engine` runs
//! them in one pass, `names` grades dictionary names, `validators` holds the checksums, and
//! `check` runs every rule's own examples.

pub mod category;
pub mod check;
pub mod engine;
mod names;
pub mod rules;
mod url;
pub mod validators;

pub use category::{Category, Kind};
pub use engine::{Engine, Scratch};
pub use rules::RuleSet;

/// One detected value: a byte span of the scanned string (UTF-8 offsets), what it is, which rule
/// found it, and how sure the rule is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finding {
    pub start: usize,
    pub end: usize,
    pub category: Category,
    /// Index of the rule in the engine (`Engine::rule`).
    pub rule: u16,
    pub confidence: f32,
}

impl Finding {
    pub fn new(
        start: usize,
        end: usize,
        category: Category,
        rule: u16,
        confidence: f32,
    ) -> Finding {
        Finding {
            start,
            end,
            category,
            rule,
            confidence,
        }
    }
}
