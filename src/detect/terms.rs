//! The shared vocabulary of one scan: what each term of the one term index means (`Term`) and
//! where a term was found (`Hit`). The engine builds and walks the index (`term_index`); the name model
//! grades the name hits it leaves. Both depend on this module, and neither on the other's
//! internals: the name model sees a scan through `names::NameContext` only.

/// What a name-dictionary term is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameHit {
    First,
    Last,
    /// A rarer surname: a name only beside other name evidence (see `NamesSpec::rare_last`).
    RareLast,
    Title,
    Greeting,
    /// A word that announces a person: "for", "patient", "my son".
    Cue,
    /// A word after a name that says it is someone: "is", "has", "called".
    Follower,
}

/// One meaning of a term-index pattern; a word may carry several (a context word of one
/// detector that is also a vocabulary term of another).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Term {
    /// A context word of the detector with this index: raises (`positive`) or lowers its
    /// candidates' confidence.
    Context { detector: u16, positive: bool },
    /// A vocabulary term of the detector with this index: a finding on its own.
    Vocab { detector: u16 },
    /// A word of the name dictionaries (the single `names` detector).
    Name(NameHit),
}

/// A term hit that passed the word-boundary check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    /// The term's index: what it means is the engine's `terms[pattern]`.
    pub pattern: u32,
}

/// What every term means, all terms' meanings in one array: `meanings[pattern]` is the slice of
/// pattern `pattern`. Most terms have one meaning; one `Vec` per term would be ~200,000 small
/// allocations at start-up.
#[derive(Debug, Default)]
pub(crate) struct Meanings {
    /// `items[offsets[i]..offsets[i + 1]]` are the meanings of pattern `i`.
    offsets: Vec<u32>,
    items: Vec<Term>,
}

impl Meanings {
    /// From (pattern, meaning) pairs in any order, duplicates allowed; `patterns` in all.
    pub fn from_pairs(mut pairs: Vec<(u32, Term)>, patterns: usize) -> Meanings {
        // stable: a pattern's meanings keep the order the detectors gave them
        pairs.sort_by_key(|(id, _)| *id);
        let mut offsets = Vec::with_capacity(patterns + 1);
        let mut items: Vec<Term> = Vec::with_capacity(pairs.len());
        let mut pairs = pairs.into_iter().peekable();
        for id in 0..patterns as u32 {
            let start = items.len();
            offsets.push(start as u32);
            while let Some((_, term)) = pairs.next_if(|(p, _)| *p == id) {
                if !items[start..].contains(&term) {
                    items.push(term);
                }
            }
        }
        offsets.push(items.len() as u32);
        Meanings { offsets, items }
    }
}

impl std::ops::Index<usize> for Meanings {
    type Output = [Term];

    fn index(&self, pattern: usize) -> &[Term] {
        &self.items[self.offsets[pattern] as usize..self.offsets[pattern + 1] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meanings_group_by_pattern_in_order_without_duplicates() {
        let vocab = |d| Term::Vocab { detector: d };
        let pairs = vec![
            (2, vocab(7)),
            (0, Term::Name(NameHit::First)),
            (2, vocab(3)),
            (0, Term::Name(NameHit::First)),
            (2, vocab(7)),
        ];
        let m = Meanings::from_pairs(pairs, 4);
        assert_eq!(&m[0], &[Term::Name(NameHit::First)]);
        assert!(m[1].is_empty() && m[3].is_empty());
        assert_eq!(&m[2], &[vocab(7), vocab(3)]);
    }
}
