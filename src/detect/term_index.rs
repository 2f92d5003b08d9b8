//! Every term of every detector (vocabulary words, context words, name-dictionary entries) found
//! as whole words by hashing, not by walking an automaton.
//!
//! Why: terms only count as whole words, so the question at each word start is "which terms are
//! spelled by the text from here to one of the next few word boundaries?". An Aho-Corasick
//! automaton answers it, but building one over ~190,000 terms took over half a second (failure
//! links are computed even for anchored walks), paid by every `phiscan detect` and every CI
//! hook. Here every term, and every prefix of a term that ends on a boundary, is one 64-bit
//! hash in a map: from a word start the text is hashed byte by byte and looked up at each
//! boundary; a prefix no term has ends the walk (usually at the first word end), a complete
//! term is a hit. Building the map is a hash and an insert per boundary of each term.
//!
//! Text is read as the terms were stored: ASCII letters folded to lower case, `-` and `_` read
//! as spaces (`post-op` is the term `post op`).

use anyhow::{Result, bail};

use super::terms::Hit;

/// The map's value for a prefix that is not itself a term.
const PREFIX_ONLY: u32 = u32::MAX;
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// How a byte of text or of a term is compared: ASCII lower case, `-` and `_` as spaces.
const FOLD: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = match i as u8 {
            b'-' | b'_' => b' ',
            b => b.to_ascii_lowercase(),
        };
        i += 1;
    }
    t
};

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// A term may end at `e` of `bytes` (the end, or not between two word bytes).
fn is_boundary(bytes: &[u8], e: usize) -> bool {
    e == bytes.len() || !is_word_byte(bytes[e]) || !is_word_byte(bytes[e - 1])
}

fn step(h: u64, b: u8) -> u64 {
    (h ^ u64::from(FOLD[b as usize])).wrapping_mul(FNV_PRIME)
}

/// A byte as terms are stored and text is compared (`FOLD`).
pub(crate) fn fold(b: u8) -> u8 {
    FOLD[b as usize]
}

/// The index's hash of a whole term (folding is idempotent: folded or not, the same hash).
pub(crate) fn hash(term: &[u8]) -> u64 {
    term.iter().fold(FNV_OFFSET, |h, &b| step(h, b))
}

/// Folded terms end to end in one buffer: term `i` is `bytes[ends[i - 1]..ends[i]]`. One
/// allocation for all terms instead of one each.
#[derive(Default)]
pub(crate) struct TermArena {
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

impl TermArena {
    /// Appends a folded term; returns its id.
    pub fn push(&mut self, folded: &[u8]) -> u32 {
        self.bytes.extend_from_slice(folded);
        self.ends.push(self.bytes.len() as u32);
        (self.ends.len() - 1) as u32
    }

    pub fn get(&self, id: u32) -> &[u8] {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }
}

pub(crate) struct TermIndex {
    /// Hash of a folded term prefix ending on a boundary → the term it spells, or `PREFIX_ONLY`.
    map: foldhash::HashMap<u64, u32>,
    /// The folded terms, to confirm a hit byte for byte (a hash is not proof).
    terms: TermArena,
    /// Bytes some term starts with (either case): other positions are not tried.
    first_bytes: [bool; 256],
    pub longest_term: usize,
}

impl TermIndex {
    /// Term `i` of the arena (folded, see `fold`) becomes pattern `i` of the hits; the index
    /// keeps the arena to confirm hits.
    pub fn build(terms: TermArena) -> Result<TermIndex> {
        let mut map = foldhash::HashMap::default();
        map.reserve(terms.len() * 2);
        let mut starts = [false; 256];
        let mut longest_term = 0;
        for id in 0..terms.len() as u32 {
            let t = terms.get(id);
            longest_term = longest_term.max(t.len());
            let Some(&first) = t.first() else {
                bail!("empty term in the vocabulary");
            };
            starts[first as usize] = true;
            let mut h = FNV_OFFSET;
            for e in 1..=t.len() {
                h = step(h, t[e - 1]);
                if !is_boundary(&t, e) {
                    continue;
                }
                let slot = map.entry(h).or_insert(PREFIX_ONLY);
                if e == t.len() {
                    if *slot != PREFIX_ONLY {
                        bail!("two vocabulary terms share a 64-bit hash: rename one");
                    }
                    *slot = id;
                }
            }
        }
        let first_bytes = std::array::from_fn(|raw| starts[FOLD[raw] as usize]);
        Ok(TermIndex {
            map,
            terms,
            first_bytes,
            longest_term,
        })
    }

    /// Every term that starts and ends on a word boundary, sorted by start (then end).
    pub fn find(&self, bytes: &[u8], hits: &mut Vec<Hit>) {
        for i in 0..bytes.len() {
            if !self.first_bytes[bytes[i] as usize]
                || (i > 0 && is_word_byte(bytes[i]) && is_word_byte(bytes[i - 1]))
            {
                continue;
            }
            self.find_from(bytes, i, hits);
        }
    }

    /// The terms spelled from word start `i`: hash on, look up at each boundary, stop at the
    /// first boundary no term reaches.
    fn find_from(&self, bytes: &[u8], i: usize, hits: &mut Vec<Hit>) {
        let mut h = FNV_OFFSET;
        let limit = bytes.len().min(i + self.longest_term);
        for e in i + 1..=limit {
            h = step(h, bytes[e - 1]);
            if !is_boundary(bytes, e) {
                continue;
            }
            match self.map.get(&h) {
                None => return,
                Some(&PREFIX_ONLY) => {}
                Some(&id) if self.spells(id, &bytes[i..e]) => hits.push(Hit {
                    start: i,
                    end: e,
                    pattern: id,
                }),
                Some(_) => {}
            }
        }
    }

    fn spells(&self, id: u32, text: &[u8]) -> bool {
        let t = self.terms.get(id);
        t.len() == text.len() && t.iter().zip(text).all(|(a, b)| *a == FOLD[*b as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(terms: &[&str], text: &str) -> Vec<(String, usize)> {
        let mut arena = TermArena::default();
        for t in terms {
            arena.push(&t.bytes().map(fold).collect::<Vec<u8>>());
        }
        let index = TermIndex::build(arena).unwrap();
        let mut hits = Vec::new();
        index.find(text.as_bytes(), &mut hits);
        hits.iter()
            .map(|h| (text[h.start..h.end].to_string(), h.pattern as usize))
            .collect()
    }

    #[test]
    fn whole_words_only_every_term_from_each_start() {
        let terms = ["heart", "heart attack", "art", "f/u", "post op", "c."];
        assert_eq!(
            found(&terms, "Heart-attack, f/u Post_Op; smart art c. cx"),
            vec![
                ("Heart".into(), 0),
                ("Heart-attack".into(), 1),
                ("f/u".into(), 3),
                ("Post_Op".into(), 4),
                ("art".into(), 2),
                ("c.".into(), 5),
            ]
        );
        assert!(found(&terms, "hearts heartattack start f/up").is_empty());
    }

    #[test]
    fn multibyte_text_is_a_word_and_never_split() {
        let terms = ["café", "caf"];
        assert_eq!(found(&terms, "Café é"), vec![("Café".into(), 0)]);
        assert!(found(&terms, "cafés").is_empty());
    }
}
