//! A closed list a pattern's value must be on (`members = "vocab/icd10cm-codes.txt"` in a
//! detector rule): the pattern finds the shape, the list says whether it is a real one.
//!
//! Why not vocabulary terms: the 98,000 ICD-10-CM codes were over a third of the term index's
//! entries, and building that index is most of `phiscan detect`'s start-up. A code has a
//! shape a small pattern finds (a letter, then digits and letters, a dot); confirming it is a
//! binary search in the sorted list, which is built on first use, so start-up copies the file
//! and nothing more.

use std::sync::OnceLock;

pub(crate) struct Members {
    /// The list's lines, upper-cased, each ending in `\n`.
    text: Vec<u8>,
    /// `(start, end)` of each line in `text`, sorted by its bytes; built on first use.
    sorted: OnceLock<Vec<(u32, u32)>>,
}

impl Members {
    pub fn new<'a>(lines: impl Iterator<Item = &'a str>) -> Members {
        let mut text = Vec::new();
        for line in lines {
            text.extend(line.bytes().map(|b| b.to_ascii_uppercase()));
            text.push(b'\n');
        }
        Members {
            text,
            sorted: OnceLock::new(),
        }
    }

    /// Whether `value` is on the list (ASCII case ignored).
    pub fn contains(&self, value: &str) -> bool {
        let sorted = self.sorted.get_or_init(|| self.sort());
        sorted
            .binary_search_by(|&(s, e)| {
                let line = self.text[s as usize..e as usize].iter().copied();
                line.cmp(value.bytes().map(|b| b.to_ascii_uppercase()))
            })
            .is_ok()
    }

    fn sort(&self) -> Vec<(u32, u32)> {
        let mut spans = Vec::new();
        let mut start = 0;
        for (i, b) in self.text.iter().enumerate() {
            if *b == b'\n' {
                spans.push((start as u32, i as u32));
                start = i + 1;
            }
        }
        let text = &self.text;
        spans.sort_unstable_by(|a, b| {
            text[a.0 as usize..a.1 as usize].cmp(&text[b.0 as usize..b.1 as usize])
        });
        spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_ignore_case_and_order() {
        let m = Members::new(["I10", "E11.9", "E11", "QA0.01"].into_iter());
        for yes in ["E11.9", "e11.9", "I10", "E11", "qa0.01"] {
            assert!(m.contains(yes), "{yes}");
        }
        for no in ["E11.", "E11.99", "I1", "", "Z99.9"] {
            assert!(!m.contains(no), "{no}");
        }
    }
}
