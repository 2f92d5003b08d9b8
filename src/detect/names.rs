//! Person names. A regex cannot tell "Maria" from "March", so names come from public first/last
//! name dictionaries (in the shared term index) graded by what surrounds them: capitalisation,
//! a following surname or initial, an honorific before ("Dr. Okafor"), a greeting ("Hi Maria")
//! or a cue word ("for DAVID", "patient maria", "my son Liam"), and the field's key
//! (`caller_name`, `patient`).
//!
//! Capitalisation is the strongest signal in running text, but people type names in lower case
//! and shout them in capitals: right after a greeting, honorific or cue a dictionary name counts
//! in any case, and so does a first name followed by a dictionary surname. All-uppercase text
//! (clinical notes, shouted SMS) carries no capitalisation signal, so there a lone name needs a
//! second token, an honorific or a cue.

use super::category::Category;
use super::finding::Finding;
use super::terms::{Hit, Meanings, NameHit, Term};

/// What the name model sees of one scan, and all it sees: the term hits of the text (sorted by
/// start), what each term-index pattern means, and the engine's context scoring for the names
/// detector. Narrow on purpose: the model grades hits, it does not drive the engine.
pub(crate) struct NameContext<'a> {
    pub hits: &'a [Hit],
    /// `terms[pattern]`: the meanings of term-index pattern `pattern`.
    pub terms: &'a Meanings,
    /// Confidence of a name at `start..end` from a base confidence, after the names detector's
    /// context words (`None`: its context is required and absent).
    pub score: &'a dyn Fn(f32, usize, usize) -> Option<f32>,
}

pub struct NameModel {
    /// The names detector's index in the engine.
    detector: u16,
    /// Words that are never a name where the model would otherwise take one (`names.toml`):
    /// what follows a greeting ("Hi Team,"), months ("on Jan 25") and business words after a
    /// first name ("Blue Fern Florist").
    not_names: Vec<String>,
}

const TITLE_NAME: f32 = 0.85;
const GREETING_NAME: f32 = 0.8;
const CUE_NAME: f32 = 0.65;
const FIRST_LAST: f32 = 0.8;
const FIRST_INITIAL: f32 = 0.7;
const FIRST_CAPITALISED: f32 = 0.55;
const LONE_FIRST: f32 = 0.35;
/// A capitalised first name in the middle of a sentence, after a lower-case word ("said Gladys
/// to Logan", "ask Priya"): capitalisation there is not a sentence start.
const MID_SENTENCE_FIRST: f32 = 0.55;
const LONE_LAST: f32 = 0.3;
/// A capitalised first name and a verb a person is the subject of ("Liam has a fever").
const FIRST_FOLLOWED: f32 = 0.55;
/// The value of a field whose key names a person (`patient_name`, `caller_name`).
const KEYED_NAME: f32 = 0.85;
/// A name run has at most this many tokens ("Mary Ann Smith-Jones" is three).
const MAX_TOKENS: usize = 3;

#[derive(Default, Clone, Copy)]
struct Kinds {
    first: bool,
    last: bool,
    title: bool,
    greeting: bool,
    cue: bool,
    /// Not a name signal alone (`any` ignores it): only after a first name.
    follower: bool,
    /// `last` comes from the rarer surnames: never a name on its own.
    rare_last: bool,
}

/// What a field's key says about its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameKey {
    /// Nothing about names.
    #[default]
    None,
    /// A person's name field (`patient_name`, `first_name`, `caller_name`): its value is a name.
    Person,
    /// A field named for a person or for a name in general (`patient`, `customer`, `name`):
    /// a value that reads as a name and holds a dictionary name is one, in any case.
    PersonOrName,
}

/// Where a candidate is graded: the scan's context and hits, the hit at hand (`i`), the text.
#[derive(Clone, Copy)]
struct Spot<'s, 'c> {
    cx: &'s NameContext<'c>,
    hits: &'s [Hit],
    i: usize,
    v: &'s View<'s>,
}

/// The text being graded and what is known about it.
struct View<'a> {
    bytes: &'a [u8],
    caps_mode: bool,
}

impl NameModel {
    pub fn new(detector: u16, not_names: &[String]) -> NameModel {
        NameModel {
            detector,
            not_names: not_names.to_vec(),
        }
    }

    /// The names detector's index in the engine.
    pub fn detector(&self) -> u16 {
        self.detector
    }

    pub fn find(&self, cx: &NameContext, text: &str, key: NameKey, out: &mut Vec<Finding>) {
        if key == NameKey::Person
            && let Some(end) = whole_value_name(text.as_bytes())
        {
            out.push(Finding::new(0, end, Category::Name, self.detector, KEYED_NAME));
            return;
        }
        let hits = cx.hits;
        if !hits.iter().any(|h| self.kinds(cx, h).any()) {
            return;
        }
        if key == NameKey::PersonOrName
            && let Some(end) = whole_value_name(text.as_bytes())
            && (name_shaped(text.as_bytes())
                || hits.iter().any(|h| {
                    let k = self.kinds(cx, h);
                    k.first || k.last
                }))
        {
            out.push(Finding::new(0, end, Category::Name, self.detector, KEYED_NAME - 0.1));
            return;
        }
        let view = View {
            bytes: text.as_bytes(),
            caps_mode: mostly_uppercase(text.as_bytes()),
        };
        let first_new = out.len();
        self.graded_names(cx, &view, out);
        if !view.caps_mode && out.len() > first_new {
            self.listed_names(cx, &view, first_new, out);
        }
    }

    /// Each hit graded in turn (`candidate`), a name running on from it (`run_end`,
    /// `comma_first_name`), scored with the context words.
    fn graded_names(&self, cx: &NameContext, view: &View, out: &mut Vec<Finding>) {
        let hits = cx.hits;
        let mut covered_to = 0;
        for (i, h) in hits.iter().enumerate() {
            if h.start < covered_to {
                continue;
            }
            let at = Spot { cx, hits, i, v: view };
            let Some((start, base)) = self.candidate(&at) else {
                continue;
            };
            let end = run_end(view.bytes, start, view.caps_mode);
            let (end, base) = match self.comma_first_name(cx, hits, i, view, start, end) {
                Some(first_end) => (first_end, base.max(FIRST_LAST)),
                None => (end, base),
            };
            if let Some(c) = (cx.score)(base, start, end) {
                out.push(Finding::new(start, end, Category::Name, self.detector, c));
                covered_to = end;
            }
        }
    }

    /// "They had 6: Sheila, Donna and Shane": a capitalised dictionary first name listed next
    /// to a name found above (a comma, "and" or "&" between) is a name too, and the list
    /// runs on from it. Mixed-case text only (in capitals every word looks capitalised).
    fn listed_names(&self, cx: &NameContext, v: &View, first_new: usize, out: &mut Vec<Finding>) {
        // names found with some confidence anchor a list (the others are weak candidates that
        // the engine's threshold will drop, unless a list lifts them)
        let sure = |f: &Finding| f.confidence >= MID_SENTENCE_FIRST;
        let mut found: Vec<(usize, usize)> =
            out[first_new..].iter().filter(|f| sure(f)).map(|f| (f.start, f.end)).collect();
        let mut added = true;
        while added {
            added = false;
            for h in cx.hits {
                let tok = &v.bytes[h.start..h.end];
                let whole_word = !v.bytes.get(h.end).is_some_and(|b| is_word_byte(*b));
                if !whole_word
                    || !self.kinds(cx, h).first
                    || !capitalised(tok, false)
                    || self.is_not_name(tok)
                    || found.iter().any(|&(s, e)| h.start < e && s < h.end)
                {
                    continue;
                }
                let listed = found.iter().any(|&(s, e)| {
                    (e <= h.start && is_list_gap(&v.bytes[e..h.start]))
                        || (h.end <= s && is_list_gap(&v.bytes[h.end..s]))
                });
                let Some(c) = listed.then(|| (cx.score)(MID_SENTENCE_FIRST, h.start, h.end)).flatten() else {
                    continue;
                };
                // a weak candidate at the same place is lifted rather than doubled
                out.retain(|f| !(f.start == h.start && f.detector == self.detector && !sure(f)));
                out.push(Finding::new(h.start, h.end, Category::Name, self.detector, c));
                found.push((h.start, h.end));
                added = true;
            }
        }
    }

    /// Where a name starts at or after hit `i`, and its base confidence.
    fn candidate(&self, at: &Spot) -> Option<(usize, f32)> {
        let k = self.kinds(at.cx, &at.hits[at.i]);
        if k.title || k.greeting || k.cue {
            // a cue word that is also a name ("Will", "Dean") may still be the name itself
            if let Some(found) = self.after_cue(at, k) {
                return Some(found);
            }
        }
        if k.first || k.last {
            return self.dictionary_name(at, k);
        }
        None
    }

    /// The word after an honorific, greeting or cue: a name when the dictionaries know it (in
    /// any case), or, after an honorific, when it is capitalised.
    fn after_cue(&self, at: &Spot, k: Kinds) -> Option<(usize, f32)> {
        let Spot { cx, hits, i, v } = *at;
        let next = next_token(v.bytes, hits[i].end)?;
        let nk = self.kinds_at(cx, hits, i + 1, next.0);
        if nk.title || nk.greeting || nk.cue {
            return None;
        }
        let tok = &v.bytes[next.0..next.1];
        // "MS: A+O x3": a lone letter after a title is no name (code: a rule about the token's
        // shape after any cue, not a word list a detector file could hold)
        if tok.len() < 2 {
            return None;
        }
        let known = nk.first || nk.last;
        let caps_penalty = if v.caps_mode { 0.1 } else { 0.0 };
        if k.title && capitalised(tok, v.caps_mode) {
            Some((next.0, TITLE_NAME - caps_penalty))
        } else if k.title && known {
            Some((next.0, TITLE_NAME - 0.15))
        } else if k.greeting && known {
            Some((next.0, GREETING_NAME))
        } else if k.cue
            && (nk.first || (nk.last && !v.caps_mode && (capitalised(tok, false) || shouted(tok))))
        {
            Some((next.0, CUE_NAME))
        } else if k.cue && nk.last && self.comma_first_name(cx, hits, i + 1, v, next.0, next.1).is_some() {
            // "for begay, hiroshi": a dictionary `last, first` after a cue, in any case
            Some((next.0, CUE_NAME))
        } else {
            self.unknown_after_cue(at, k, next)
        }
    }

    /// A capitalised word no dictionary holds ("Ngozi", "Ravi"): a name right after a greeting
    /// when a comma or `!` closes it ("Hola José,"), or after a greeting or cue when a
    /// dictionary surname follows it ("for Ravi Begay", "This is Chidi MacDonald"). Mixed-case
    /// text only: in capitals every word looks capitalised.
    fn unknown_after_cue(&self, at: &Spot, k: Kinds, next: (usize, usize)) -> Option<(usize, f32)> {
        let Spot { cx, hits, i, v } = *at;
        let tok = &v.bytes[next.0..next.1];
        if v.caps_mode || !(capitalised(tok, false) || shouted(tok)) || self.is_not_name(tok) {
            return None;
        }
        let known_term = hits[i + 1..]
            .iter()
            .take_while(|h| h.start <= next.0)
            .any(|h| h.start == next.0);
        // "d/c summary for SOKOLOV discharged", "baby Chidi born": a word no vocabulary holds,
        // then a verb a person takes ("for MRI scheduled" starts a term; "for COPD" too)
        // (not an acronym: "for LOS is", "need for CVVHD is")
        let vowels = tok.iter().filter(|b| b"aeiouyAEIOUY".contains(b)).count();
        if !known_term
            && tok.len() >= 4
            && !(shouted(tok) && (tok.len() < 5 || vowels < 2))
            && let Some(after) = next_token(v.bytes, next.1)
            && self.kinds_at(cx, hits, i + 1, after.0).follower
            // a verb, not an auxiliary: "from Allianz is" names a company
            && after.1 - after.0 >= 4
            && v.bytes[after.0].is_ascii_lowercase()
        {
            return Some((next.0, CUE_NAME));
        }
        if !capitalised(tok, false) {
            return None;
        }
        if k.greeting && matches!(v.bytes.get(next.1), Some(b',' | b'!')) {
            return Some((next.0, GREETING_NAME - 0.1));
        }
        let after = next_token(v.bytes, next.1)?;
        // "pt Chidi P. Okafor": a middle initial and a dictionary surname ("for Vitamin D.
        // Take", "Medicare Part D. Call" have none)
        if is_initial(v.bytes, after)
            && v.bytes.get(after.1) == Some(&b'.')
            && let Some(last) = next_token(v.bytes, after.1)
            && self.kinds_at(cx, hits, i + 1, last.0).last
            && capitalised(&v.bytes[last.0..last.1], false)
            && !self.is_not_name(&v.bytes[last.0..last.1])
        {
            return Some((next.0, CUE_NAME));
        }
        let ak = self.kinds_at(cx, hits, i + 1, after.0);
        let surname = &v.bytes[after.0..after.1];
        (ak.last && capitalised(surname, false) && !self.is_not_name(surname))
            .then_some((next.0, CUE_NAME))
    }

    fn is_not_name(&self, tok: &[u8]) -> bool {
        self.not_names
            .iter()
            .any(|w| w.as_bytes().eq_ignore_ascii_case(tok))
    }

    /// A dictionary name in a shape that makes it one: an initial before a surname ("D. Park"),
    /// a shouted `Last, First`, or a first name and a surname typed alike ("DAVID SMITH").
    fn shaped_name(&self, at: &Spot, k: Kinds) -> Option<(usize, f32)> {
        let Spot { cx, hits, i, v } = *at;
        let h = &hits[i];
        let tok = &v.bytes[h.start..h.end];
        // "D. Park", "M. NOVAK": an initial and a dictionary surname
        if k.last
            && !v.caps_mode
            && (capitalised(tok, false) || shouted(tok))
            && !self.is_not_name(tok)
            && let Some(initial) = initial_before(v.bytes, h.start)
        {
            return Some((initial, FIRST_INITIAL));
        }
        // "MURPHY, FRANÇOISE": a shouted `Last, First` in mixed-case text (see comma_first_name)
        // (words of four letters or more: "MAE, PERL" in a note are abbreviations)
        if k.last
            && !v.caps_mode
            && shouted(tok)
            && tok.len() >= 4
            && let Some(first_end) = self.comma_first_name(cx, hits, i, v, h.start, h.end)
            && first_end - v.bytes[..first_end].iter().rposition(|b| *b == b' ').map_or(0, |p| p + 1) >= 4
        {
            return Some((h.start, LONE_LAST));
        }
        let next = next_token(v.bytes, h.end);
        let nk = next.map(|n| self.kinds_at(cx, hits, i + 1, n.0));
        // "DAVID SMITH" / "maria lopez": two dictionary names in a row, whatever their case
        if k.first
            && let (Some(n), Some(nk)) = (next, nk)
            && nk.last
            && !(nk.title || nk.greeting)
            // "PERL. HOH.": a sentence end between is no name pair
            && v.bytes.get(h.end) == Some(&b' ')
            // "mae stong grips": in lower case only a common surname pairs
            && !(nk.rare_last && tok.iter().all(|b| !b.is_ascii_uppercase()))
            && same_case_shape(tok, &v.bytes[n.0..n.1])
            && tok.len() > 1
            && !self.is_not_name(&v.bytes[n.0..n.1])
        {
            return Some((h.start, FIRST_LAST));
        }
        None
    }

    /// A dictionary first or last name: in a shape that makes it a name (`shaped_name`), or
    /// on its own, graded by its case and the next word.
    fn dictionary_name(&self, at: &Spot, k: Kinds) -> Option<(usize, f32)> {
        let Spot { cx, hits, i, v } = *at;
        if let Some(found) = self.shaped_name(at, k) {
            return Some(found);
        }
        let h = &hits[i];
        let tok = &v.bytes[h.start..h.end];
        let next = next_token(v.bytes, h.end);
        let nk = next.map(|n| self.kinds_at(cx, hits, i + 1, n.0));
        if !capitalised(tok, v.caps_mode) {
            return None;
        }
        let base = match next {
            // in capitals "JESUS I DON'T" is a pronoun, not an initial
            Some(n) if k.first && !v.caps_mode && is_initial(v.bytes, n) => FIRST_INITIAL,
            Some(n) if capitalised(&v.bytes[n.0..n.1], v.caps_mode) => {
                let nk = nk.unwrap_or_default();
                // "Blue Fern Florist", "Cardinal Movers": a business's name, not a person's
                if self.is_not_name(&v.bytes[n.0..n.1]) {
                    return None;
                }
                if nk.title || nk.greeting {
                    if k.first { LONE_FIRST } else { LONE_LAST }
                } else if k.first && !v.caps_mode {
                    FIRST_CAPITALISED
                } else if k.first {
                    LONE_FIRST
                } else {
                    LONE_LAST
                }
            }
            // "Matthew is very reliable", "Liam has a fever": a verb only a person takes
            Some(_) if k.first && !v.caps_mode && nk.is_some_and(|nk| nk.follower) => FIRST_FOLLOWED,
            _ if k.first => LONE_FIRST,
            _ => LONE_LAST,
        };
        // a rare surname alone is no name ("WIFE AND NEICE IN", "PACER"), only in `Last, First`
        if k.rare_last
            && !k.first
            && base == LONE_LAST
            && self.comma_first_name(cx, hits, i, v, h.start, h.end).is_none()
        {
            return None;
        }
        // "on Jan 25", "in May": a month is no name (`not_names` lists them), nor a word before a day
        let mid_sentence = k.first
            && !v.caps_mode
            && after_lower_case_word(v.bytes, h.start)
            && !self.is_not_name(tok)
            && !v.bytes[h.end..].trim_ascii_start().first().is_some_and(u8::is_ascii_digit);
        Some((h.start, if mid_sentence { base.max(MID_SENTENCE_FIRST) } else { base }))
    }

    /// A name filed as `Last, First` ("Nguyen, Marcus"; "REYES, PRIYA" in all-caps text; "begay,
    /// hiroshi" after a cue): the run at `start..end` is one dictionary surname, and a comma, a
    /// space and a dictionary first name typed the same way follow. Returns where the first
    /// name ends.
    fn comma_first_name(
        &self,
        cx: &NameContext,
        hits: &[Hit],
        i: usize,
        v: &View,
        start: usize,
        end: usize,
    ) -> Option<usize> {
        let last = &v.bytes[start..end];
        let lower = last.iter().all(|b| !b.is_ascii_uppercase());
        let shaped = capitalised(last, v.caps_mode) || (!v.caps_mode && shouted(last)) || lower;
        if v.bytes.get(end) != Some(&b',') || !shaped {
            return None;
        }
        if !self.kinds_at(cx, hits, i, start).last {
            return None;
        }
        let first = next_token(v.bytes, end + 1)?;
        let fk = self.kinds_at(cx, hits, i + 1, first.0);
        let tok = &v.bytes[first.0..first.1];
        (fk.first && !(fk.title || fk.greeting || fk.cue) && same_case_shape(last, tok))
            .then_some(first.1)
    }

    fn kinds(&self, cx: &NameContext, h: &Hit) -> Kinds {
        let mut k = Kinds::default();
        for t in &cx.terms[h.pattern as usize] {
            match t {
                Term::Name(NameHit::First) => k.first = true,
                Term::Name(NameHit::Last) => k.last = true,
                Term::Name(NameHit::RareLast) => {
                    k.last = true;
                    k.rare_last = true;
                }
                Term::Name(NameHit::Title) => k.title = true,
                Term::Name(NameHit::Greeting) => k.greeting = true,
                Term::Name(NameHit::Cue) => k.cue = true,
                Term::Name(NameHit::Follower) => k.follower = true,
                _ => {}
            }
        }
        k
    }

    /// Name kinds of the hit starting exactly at `pos`, looking from hit index `from`.
    fn kinds_at(&self, cx: &NameContext, hits: &[Hit], from: usize, pos: usize) -> Kinds {
        // several terms may start at `pos` (`Mary` and `Mary Ann`): their kinds combine
        hits[from.min(hits.len())..]
            .iter()
            .take_while(|h| h.start <= pos)
            .filter(|h| h.start == pos)
            .fold(Kinds::default(), |k, h| k.or(self.kinds(cx, h)))
    }
}

impl Kinds {
    fn or(self, o: Kinds) -> Kinds {
        Kinds {
            first: self.first || o.first,
            last: self.last || o.last,
            title: self.title || o.title,
            greeting: self.greeting || o.greeting,
            cue: self.cue || o.cue,
            follower: self.follower || o.follower,
            rare_last: self.rare_last || o.rare_last,
        }
    }

    fn any(self) -> bool {
        self.first || self.last || self.title || self.greeting || self.cue
    }
}

/// What a field's key (already split into words, e.g. `caller name`) says about its value.
/// The word lists stay here rather than in `names.toml`: they grade field *keys* (event schema
/// words), not text, and no detector field reads keys this way.
pub fn name_key(key_words: &str) -> NameKey {
    const NOT_PERSON: &[&str] = &[
        "friendly", "flow", "service", "queue", "workflow", "file", "host", "user", "app",
        "event", "template", "campaign", "brand", "product", "activity", "domain", "bucket",
        "table", "stream", "topic", "function", "field", "column", "class", "device", "worker",
        "agent", "account", "sender", "company", "business", "organization", "org", "step",
        "widget", "channel", "sink", "key", "param", "parameter", "attribute", "header", "type",
        "method", "region", "zone", "project", "display", "unique", "resource", "role", "team",
        "list", "group", "location", "site", "facility", "clinic", "practice", "provider",
    ];
    const PERSON: &[&str] = &[
        "patient", "customer", "caller", "callee", "client", "member", "contact", "recipient",
        "guardian", "parent", "caregiver", "subscriber", "beneficiary", "insured", "person",
        "first", "last", "full", "given", "family", "middle", "sur", "legal", "maiden", "nok",
        "kin", "emergency", "child", "spouse", "mother", "father", "pt", "patients", "customers",
        "callers", "clients", "members", "contacts", "recipients", "subscribers", "children",
        "dependent", "dependents", "relative", "requester", "requestor", "visitor",
    ];
    let mut words = key_words.split(' ').filter(|w| !w.is_empty());
    let lower: Vec<String> = words.by_ref().map(str::to_ascii_lowercase).collect();
    let has = |list: &[&str]| lower.iter().any(|w| list.contains(&w.as_str()));
    let named = lower
        .iter()
        .any(|w| matches!(w.as_str(), "name" | "names" | "firstname" | "lastname" | "fullname" | "surname"));
    if (named && has(PERSON) && !has(NOT_PERSON))
        || lower.len() == 1 && matches!(lower[0].as_str(), "firstname" | "lastname" | "fullname" | "surname" | "patientname" | "customername" | "callername") {
        NameKey::Person
    } else if lower.len() <= 2
        && (named || has(PERSON))
        && !has(NOT_PERSON)
        && !lower.iter().any(|w| matches!(w.as_str(), "id" | "sid" | "number" | "no" | "count" | "type"))
    {
        NameKey::PersonOrName
    } else {
        NameKey::None
    }
}

/// A whole field value that reads as a name: one to four words of letters (an initial, an
/// apostrophe or hyphen allowed), nothing else. Returns its end (trailing spaces excluded).
fn whole_value_name(bytes: &[u8]) -> Option<usize> {
    let trimmed_end = bytes.len() - bytes.iter().rev().take_while(|b| **b == b' ').count();
    let body = &bytes[..trimmed_end];
    if body.is_empty() || body[0] == b' ' {
        return None;
    }
    let words: Vec<&[u8]> = body.split(|b| *b == b' ' || *b == b',').filter(|w| !w.is_empty()).collect();
    let ok = (1..=4).contains(&words.len())
        && words.iter().all(|w| {
            w.iter().all(|b| b.is_ascii_alphabetic() || matches!(b, b'\'' | b'-' | b'.') || *b >= 0x80)
                && w.iter().any(|b| b.is_ascii_alphabetic() || *b >= 0x80)
        });
    ok.then_some(trimmed_end)
}

/// A value typed the way names are filed: with an initial (`Dmitri Z.`, `J. Smith`) or as
/// `Last, First`.
fn name_shaped(bytes: &[u8]) -> bool {
    let words: Vec<&[u8]> = bytes.split(|b| *b == b' ').filter(|w| !w.is_empty()).collect();
    let initial = |w: &&[u8]| w.len() <= 2 && w[0].is_ascii_uppercase() && w.get(1).is_none_or(|b| *b == b'.');
    let comma = words.len() == 2 && words[0].ends_with(b",") && words[0].len() > 2;
    (words.len() >= 2 && words.iter().any(initial)) || comma
}

/// `Maria` and `LOPEZ`, or `maria` and `lopez`, or `Maria` and `Lopez`: the pair is typed one
/// way (a capitalised word before a lower-case one is a sentence start, not a name).
fn same_case_shape(a: &[u8], b: &[u8]) -> bool {
    let shape = |t: &[u8]| -> u8 {
        if t.iter().all(|c| !c.is_ascii_lowercase()) {
            0 // ALL CAPS
        } else if t.iter().all(|c| !c.is_ascii_uppercase()) {
            1 // lower
        } else if t[0].is_ascii_uppercase() {
            2 // Capitalised
        } else {
            3
        }
    };
    let (sa, sb) = (shape(a), shape(b));
    sa == sb && sa != 3
}

/// Whether the word before `start` (spaces between) ends in a lower-case letter: `start` is
/// inside a sentence, not at its start or after punctuation.
fn after_lower_case_word(bytes: &[u8], start: usize) -> bool {
    let before = &bytes[..start];
    let trimmed = before.trim_ascii_end();
    trimmed.len() < before.len() && trimmed.last().is_some_and(u8::is_ascii_lowercase)
}

/// A single capital letter, optionally with a dot, followed by the end or a non-letter: the
/// initial in "Maria G." or "John Q Public".
fn is_initial(bytes: &[u8], tok: (usize, usize)) -> bool {
    tok.1 - tok.0 == 1 && bytes[tok.0].is_ascii_uppercase()
}

fn mostly_uppercase(bytes: &[u8]) -> bool {
    // every string is asked, so one pass counts both, in blocks of at most 255 bytes with byte
    // counters: the compiler turns that loop into wide vector compares (a byte loop with word
    // counters was ~10 instructions a byte, 7 % of scanning the notes)
    let (mut upper, mut lower) = (0usize, 0usize);
    for block in bytes.chunks(255) {
        let (mut u, mut l) = (0u8, 0u8);
        for &b in block {
            u += u8::from(b.wrapping_sub(b'A') < 26);
            l += u8::from(b.wrapping_sub(b'a') < 26);
        }
        (upper, lower) = (upper + usize::from(u), lower + usize::from(l));
    }
    upper > 8 && lower * 4 < upper
}

/// A name token: `Maria`, `O'Neil`, `Smith-Jones`; in all-caps text, any all-caps word.
fn capitalised(tok: &[u8], caps_mode: bool) -> bool {
    // tokens are whole UTF-8 characters (`is_word_byte`): "Červinková" starts with a capital
    let mut chars = std::str::from_utf8(tok).unwrap_or("").chars();
    if !chars.next().is_some_and(char::is_uppercase) {
        return false;
    }
    if caps_mode {
        return true;
    }
    // "NPI" or "MRN" are acronyms, not names
    let rest = chars.as_str();
    rest.is_empty() || rest.chars().any(char::is_lowercase)
}

/// A word of three or more letters in capitals ("RAMIREZ"): in mixed-case text, a name someone
/// typed in capitals when a cue or a dictionary says it is one (acronyms are shorter or known).
fn shouted(tok: &[u8]) -> bool {
    tok.len() >= 3
        && tok.iter().any(u8::is_ascii_uppercase)
        && std::str::from_utf8(tok).unwrap_or("").chars().all(|c| !c.is_lowercase())
}

/// The start of an initial right before `start` ("D. Park", "A. Papadopoulos"): one capital
/// letter, a dot and a space, at the start of the text or after a non-letter.
fn initial_before(bytes: &[u8], start: usize) -> Option<usize> {
    let before = &bytes[..start];
    let trimmed = before.trim_ascii_end();
    if trimmed.len() == before.len() || trimmed.len() < 2 || !trimmed.ends_with(b".") {
        return None;
    }
    let i = trimmed.len() - 2;
    let alone = i == 0 || (!is_word_byte(trimmed[i - 1]) && trimmed[i - 1] != b'.');
    (trimmed[i].is_ascii_uppercase() && alone).then_some(i)
}

/// The next word after `pos`, skipping one honorific dot and spaces: (start, end).
fn next_token(bytes: &[u8], mut pos: usize) -> Option<(usize, usize)> {
    if matches!(bytes.get(pos), Some(b'.' | b':')) {
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
        .take_while(|b| is_word_byte(**b))
        .count();
    (len > 0).then_some((start, start + len))
}

/// What separates two names in a list: ", ", " and ", ", and ", " & ".
fn is_list_gap(gap: &[u8]) -> bool {
    matches!(gap, b", " | b" and " | b", and " | b" & ")
}

/// A byte of a name word: an ASCII letter, an apostrophe or hyphen, or any byte of a non-ASCII
/// UTF-8 character (José, Šárka), so a word never ends inside one.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'\'' || b == b'-' || b >= 0x80
}

/// Where a name starting at `start` ends: up to `MAX_TOKENS` capitalised tokens or initials.
fn run_end(bytes: &[u8], start: usize, caps_mode: bool) -> usize {
    let first_len = bytes[start..]
        .iter()
        .take_while(|b| is_word_byte(**b))
        .count();
    let mut end = start + first_len;
    // in mixed-case text a name typed in capitals ("PRIYA REYES", "M. NOVAK") runs on in capitals
    let mut in_capitals = first_len == 1 || shouted(&bytes[start..end]);
    for _ in 1..MAX_TOKENS {
        // "PRIYA REYES: MRI": a colon ends the name (next_token steps over one after a title)
        if bytes.get(end) == Some(&b':') {
            break;
        }
        let Some((s, e)) = next_token(bytes, end) else {
            break;
        };
        let tok = &bytes[s..e];
        let initial = tok.len() == 1 && tok[0].is_ascii_uppercase() && bytes.get(e) == Some(&b'.');
        if initial {
            end = e + 1;
        } else if !caps_mode && tok.len() > 1 && capitalised(tok, false) {
            end = e;
            in_capitals = false;
        } else if !caps_mode && in_capitals && shouted(tok) {
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
    fn keys_that_name_people() {
        assert_eq!(name_key("patient name"), NameKey::Person);
        assert_eq!(name_key("caller Name"), NameKey::Person);
        assert_eq!(name_key("firstname"), NameKey::Person);
        assert_eq!(name_key("friendly name"), NameKey::None);
        assert_eq!(name_key("patient"), NameKey::PersonOrName);
        assert_eq!(name_key("name"), NameKey::PersonOrName);
        assert_eq!(name_key("patient id"), NameKey::None);
        assert_eq!(name_key("flow name"), NameKey::None);
        assert_eq!(whole_value_name(b"maria lopez"), Some(11));
        assert_eq!(whole_value_name(b"O'Neil, Mary-Kate "), Some(17));
        assert_eq!(whole_value_name(b"Room 12"), None);
        assert!(name_shaped(b"Dmitri Z."));
        assert!(name_shaped(b"Adeyemi, Tomasz"));
        assert!(!name_shaped(b"Spring Promo"));
        assert_eq!(name_key("customers name"), NameKey::Person);
    }

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

    #[test]
    fn mostly_uppercase_counts_every_letter_of_long_text() {
        let naive = |b: &[u8]| {
            let upper = b.iter().filter(|c| c.is_ascii_uppercase()).count();
            let lower = b.iter().filter(|c| c.is_ascii_lowercase()).count();
            upper > 8 && lower * 4 < upper
        };
        // lengths around the 255-byte blocks, every byte value, ratios on both sides of 1:4
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for len in [0, 9, 254, 255, 256, 600, 2000] {
            for lower_in_10 in 0..=4 {
                let text: Vec<u8> = (0..len)
                    .map(|_| {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        match rng % 10 {
                            r if r < lower_in_10 => b'a' + (rng >> 8) as u8 % 26,
                            r if r < 8 => b'A' + (rng >> 8) as u8 % 26,
                            _ => (rng >> 16) as u8,
                        }
                    })
                    .collect();
                assert_eq!(mostly_uppercase(&text), naive(&text), "{len} {lower_in_10}");
            }
        }
        assert!(!mostly_uppercase("ÀÉÎÕÜ ÀÉÎÕÜ".as_bytes()), "only ASCII letters count");
    }

    #[test]
    fn capitals_initials_and_unicode_capitals() {
        assert!(capitalised("Červinková".as_bytes(), false));
        assert!(!capitalised("čaj".as_bytes(), false));
        assert!(shouted(b"RAMIREZ") && shouted("NUÑEZ".as_bytes()));
        assert!(!shouted(b"Ramirez") && !shouted(b"MR"));
        assert_eq!(initial_before(b"A. Castellanos", 3), Some(0));
        assert_eq!(initial_before(b"Hi D. Park", 6), Some(3));
        assert_eq!(initial_before(b"U.S. Army", 5), None);
        assert_eq!(initial_before(b"see a. Lee", 7), None);
        assert_eq!(initial_before(b"DrA. Lee", 5), None);
        // a name typed in capitals runs on in capitals; a colon ends it
        assert_eq!(run_end(b"for PRIYA REYES: MRI today", 4, false), 15);
        assert_eq!(run_end(b"M. NOVAK called", 0, false), 8);
        // a capitalised name does not swallow a following acronym
        assert_eq!(run_end(b"Priya Reyes MRI", 0, false), 11);
    }
}
