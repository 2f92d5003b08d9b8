//! What detection reports. Its own module so every part of `detect` (engine, name model, URL
//! mapping) can use it without importing the module that re-exports it.

use super::category::Category;

/// One detected value: a byte span of the scanned string (UTF-8 offsets), what it is, which
/// detector found it, and how sure the detector is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finding {
    pub start: usize,
    pub end: usize,
    pub category: Category,
    /// Index of the detector that found it (`Engine::detector`); never a policy rule.
    pub detector: u16,
    pub confidence: f32,
}

impl Finding {
    pub fn new(
        start: usize,
        end: usize,
        category: Category,
        detector: u16,
        confidence: f32,
    ) -> Finding {
        Finding {
            start,
            end,
            category,
            detector,
            confidence,
        }
    }
}
