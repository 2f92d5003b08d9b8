//! Person names. A regex cannot tell "Maria" from "March", so names come from public first/last
//! name dictionaries (in the shared automaton) graded by what surrounds them: capitalisation,
//! a following surname, an honorific before ("Dr. Okafor") or a greeting ("Hi Maria").
//! All-uppercase text (clinical notes, shouted SMS) carries no capitalisation signal, so there a
//! name needs a second token or an honorific.

use super::Finding;
use super::engine::{Engine, Hit, Scratch, Term};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameHit {
    First,
    Last,
    Title,
    Greeting,
}

pub struct NameModel {
    rule: u16,
}

const TITLE_NAME: f32 = 0.85;
const GREETING_NAME: f32 = 0.8;
const FIRST_LAST: f32 = 0.8;
const FIRST_CAPITALISED: f32 = 0.55;
const LONE_FIRST: f32 = 0.35;
const LONE_LAST: f32 = 0.3;
/// A name run has at most this many tokens ("Mary Ann Smith-Jones" is three).
const MAX_TOKENS: usize = 3;

#[derive(Default, Clone, Copy)]
struct Kinds {
    first: bool,
    last: bool,
    title: bool,
    greeting: bool,
}

impl NameModel {
    pub fn new(rule: u16) -> NameModel {
        NameModel { rule }
    }

    pub fn find(&self, engine: &Engine, text: &str, scratch: &Scratch, out: &mut Vec<Finding>) {
        let hits = engine.hits(scratch);
        if !hits.iter().any(|h| self.kinds(engine, h).any()) {
            return;
        }
        let bytes = text.as_bytes();
        let caps_mode = mostly_uppercase(bytes);
        let mut covered_to = 0;
        for (i, h) in hits.iter().enumerate() {
            if h.start < covered_to {
                continue;
            }
            let k = self.kinds(engine, h);
            let (start, base) = if k.title || k.greeting {
                let Some(next) = next_token(bytes, h.end) else {
                    continue;
                };
                let nk = self.kinds_at(engine, hits, i + 1, next.0);
                if !capitalised(&bytes[next.0..next.1], caps_mode) || nk.title || nk.greeting {
                    continue;
                }
                if k.title {
                    (next.0, TITLE_NAME - if caps_mode { 0.1 } else { 0.0 })
                } else if nk.first || nk.last {
                    (next.0, GREETING_NAME)
                } else {
                    continue;
                }
            } else if k.first || k.last {
                if !capitalised(&bytes[h.start..h.end], caps_mode) {
                    continue;
                }
                let base = match next_token(bytes, h.end) {
                    Some(next) if capitalised(&bytes[next.0..next.1], caps_mode) => {
                        let nk = self.kinds_at(engine, hits, i + 1, next.0);
                        if nk.title || nk.greeting {
                            if k.first { LONE_FIRST } else { LONE_LAST }
                        } else if k.first && nk.last {
                            FIRST_LAST
                        } else if k.first && !caps_mode {
                            FIRST_CAPITALISED
                        } else if k.first {
                            LONE_FIRST
                        } else {
                            LONE_LAST
                        }
                    }
                    _ if k.first => LONE_FIRST,
                    _ => LONE_LAST,
                };
                (h.start, base)
            } else {
                continue;
            };
            let end = run_end(bytes, start, caps_mode);
            if let Some(c) = engine.score_from(self.rule, base, start, end, scratch) {
                out.push(Finding::new(
                    start,
                    end,
                    super::Category::Name,
                    self.rule,
                    c,
                ));
                covered_to = end;
            }
        }
    }

    fn kinds(&self, engine: &Engine, h: &Hit) -> Kinds {
        let mut k = Kinds::default();
        for t in engine.term_kinds(h.pattern) {
            match t {
                Term::Name(NameHit::First) => k.first = true,
                Term::Name(NameHit::Last) => k.last = true,
                Term::Name(NameHit::Title) => k.title = true,
                Term::Name(NameHit::Greeting) => k.greeting = true,
                _ => {}
            }
        }
        k
    }

    /// Name kinds of the hit starting exactly at `pos`, looking from hit index `from`.
    fn kinds_at(&self, engine: &Engine, hits: &[Hit], from: usize, pos: usize) -> Kinds {
        // several terms may start at `pos` (`Mary` and `Mary Ann`): their kinds combine
        hits[from.min(hits.len())..]
            .iter()
            .take_while(|h| h.start <= pos)
            .filter(|h| h.start == pos)
            .fold(Kinds::default(), |k, h| k.or(self.kinds(engine, h)))
    }
}

impl Kinds {
    fn or(self, o: Kinds) -> Kinds {
        Kinds {
            first: self.first || o.first,
            last: self.last || o.last,
            title: self.title || o.title,
            greeting: self.greeting || o.greeting,
        }
    }

    fn any(self) -> bool {
        self.first || self.last || self.title || self.greeting
    }
}

fn mostly_uppercase(bytes: &[u8]) -> bool {
    let upper = bytes.iter().filter(|b| b.is_ascii_uppercase()).count();
    let lower = bytes.iter().filter(|b| b.is_ascii_lowercase()).count();
    upper > 8 && lower * 4 < upper
}

/// A name token: `Maria`, `O'Neil`, `Smith-Jones`; in all-caps text, any all-caps word.
fn capitalised(tok: &[u8], caps_mode: bool) -> bool {
    let Some((&first, rest)) = tok.split_first() else {
        return false;
    };
    if !first.is_ascii_uppercase() {
        return false;
    }
    if caps_mode {
        return true;
    }
    // "NPI" or "MRN" are acronyms, not names
    rest.is_empty() || rest.iter().any(|b| b.is_ascii_lowercase())
}

/// The next word after `pos`, skipping one honorific dot and spaces: (start, end).
fn next_token(bytes: &[u8], mut pos: usize) -> Option<(usize, usize)> {
    if bytes.get(pos) == Some(&b'.') {
        pos += 1;
    }
    if bytes.get(pos) == Some(&b',') {
        return None;
    }
    let start = pos
        + bytes[pos.min(bytes.len())..]
            .iter()
            .take(3)
            .take_while(|b| **b == b' ')
            .count();
    if start == pos {
        return None;
    }
    let len = bytes[start..]
        .iter()
        .take_while(|b| b.is_ascii_alphabetic() || **b == b'\'' || **b == b'-')
        .count();
    (len > 0).then_some((start, start + len))
}

/// Where a name starting at `start` ends: up to `MAX_TOKENS` capitalised tokens or initials.
fn run_end(bytes: &[u8], start: usize, caps_mode: bool) -> usize {
    let first_len = bytes[start..]
        .iter()
        .take_while(|b| b.is_ascii_alphabetic() || **b == b'\'' || **b == b'-')
        .count();
    let mut end = start + first_len;
    for _ in 1..MAX_TOKENS {
        let Some((s, e)) = next_token(bytes, end) else {
            break;
        };
        let tok = &bytes[s..e];
        let initial = tok.len() == 1 && tok[0].is_ascii_uppercase() && bytes.get(e) == Some(&b'.');
        if initial {
            end = e + 1;
        } else if capitalised(tok, caps_mode) && !caps_mode && tok.len() > 1 {
            end = e;
        } else {
            break;
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_runs() {
        let t = b"Dr. John Q. Public said";
        assert_eq!(next_token(t, 2), Some((4, 8)));
        assert_eq!(run_end(t, 4, false), 18);
        assert!(capitalised(b"Maria", false));
        assert!(!capitalised(b"MRN", false));
        assert!(capitalised(b"MARIA", true));
        assert!(mostly_uppercase(b"PT SEEN BY DR. SMITH TODAY"));
    }
}
