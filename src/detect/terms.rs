//! The shared vocabulary of one scan: what each term of the one term index means (`Term`) and
//! where a term was found (`Hit`). The engine builds and walks the index (`term_index`); the name model
//! grades the name hits it leaves. Both depend on this module, and neither on the other's
//! internals: the name model sees a scan through `names::NameContext` only.

/// What a name-dictionary term is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameHit {
    First,
    Last,
    Title,
    Greeting,
    /// A word that announces a person: "for", "patient", "my son".
    Cue,
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
