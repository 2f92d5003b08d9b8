//! The one-pass engine. Scanning is phiscan's whole job, so a clean string must cost as little as
//! possible: every keyword, context word and vocabulary term of every rule sits in one
//! Aho-Corasick trie (walked anchored from word starts: terms only count as whole words), and
//! every rule pattern in one multi-pattern regex. A string that matches neither is done after
//! those two passes. Only rules whose pattern matched somewhere
//! run again on their own (to get spans and the `value` group), and validators and context
//! scoring run only around candidates.

use std::collections::HashMap;

use aho_corasick::automaton::Automaton as _;
use aho_corasick::automaton::StateID;
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::{Anchored, MatchKind};
use anyhow::{Context, Result, bail};
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_automata::{Input, PatternSet};

use super::names::{self, NameHit, NameKey, NameModel};
use super::rules::{RuleSet, RuleSpec};
use super::url;
use super::validators::{self, Validator};
use super::{Category, Finding};

/// Findings below this confidence are dropped unless configured otherwise.
pub const DEFAULT_THRESHOLD: f32 = 0.5;

/// Distinct field keys whose context hits are cached per thread (keys are schema names, but a
/// hostile event could use random ones: the cache stops growing instead).
const KEY_CACHE_MAX: usize = 4096;

/// Lazy-DFA cache of the combined pattern set, per scanning thread.
const PATTERN_SET_CACHE: usize = 16 << 20;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Term {
    Context { rule: u16, positive: bool },
    Vocab { rule: u16 },
    Name(NameHit),
}

pub struct CompiledRule {
    pub spec: RuleSpec,
    validator: Option<Validator>,
    /// Index into `Engine::extractors` for pattern rules.
    extractor: Option<usize>,
    /// Index of the `value` capture group, when the pattern has one.
    value_group: Option<usize>,
}

impl CompiledRule {
    pub fn id(&self) -> &str {
        &self.spec.id
    }
    pub fn category(&self) -> Option<Category> {
        self.spec.category
    }
}

pub struct Engine {
    rules: Vec<CompiledRule>,
    /// Every term, walked anchored from each word start (see `find_terms`).
    automaton: NFA,
    anchored_start: StateID,
    /// Bytes some term starts with (either case): other positions are not tried.
    first_bytes: [bool; 256],
    longest_term: usize,
    /// What each automaton pattern means; a term may serve several rules.
    terms: Vec<Vec<Term>>,
    /// All rule patterns in one regex, pattern i being `pattern_rules[i]`.
    pattern_set: Option<Regex>,
    pattern_rules: Vec<u16>,
    /// Each pattern on its own, to extract spans once the set says it matched.
    extractors: Vec<Regex>,
    names: Option<NameModel>,
    threshold: f32,
}

/// An automaton hit that passed the word-boundary check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    pub pattern: u32,
}

/// Per-call scratch space, reused across strings so the hot path does not allocate.
#[derive(Default)]
pub struct Scratch {
    hits: Vec<Hit>,
    key_hits: Vec<Hit>,
    key_buf: String,
    /// Field keys repeat (a few hundred distinct ones): their context hits are computed once.
    key_cache: foldhash::HashMap<String, (Vec<Hit>, NameKey)>,
    /// What the current field's key says about names in its value.
    name_key: NameKey,
    excluded: Vec<(usize, usize)>,
    set: Option<PatternSet>,
    /// Spans found by structural rules (URLs) in the last string, sorted by start.
    structure: Vec<(usize, usize)>,
    /// Scratch for scanning the decoded inside of URLs (one level deep: `None` inside it).
    url: Option<Box<(url::UrlScratch, Scratch)>>,
    /// Set while scanning a decoded URL part, so URLs inside it are not taken apart again.
    inside_url: bool,
    captures: Vec<Option<regex_automata::util::captures::Captures>>,
}

fn regex_config() -> syntax::Config {
    // ASCII semantics: PHI formats are ASCII, and Unicode word boundaries would force the
    // slow engines on every non-ASCII haystack.
    syntax::Config::new()
        .unicode(false)
        .utf8(false)
        .multi_line(false)
}

impl Engine {
    pub fn new(set: &RuleSet) -> Result<Engine> {
        Engine::with_threshold(set, DEFAULT_THRESHOLD)
    }

    pub fn with_threshold(set: &RuleSet, threshold: f32) -> Result<Engine> {
        let mut term_index: HashMap<String, usize> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut terms: Vec<Vec<Term>> = Vec::new();
        let mut add_term = |word: &str, term: Term| {
            // as the walk reads text (see NORMALISE): `post-op` is stored as `post op`
            let key = word.trim().to_ascii_lowercase().replace(['-', '_'], " ");
            if key.is_empty() {
                return;
            }
            let id = *term_index.entry(key.clone()).or_insert_with(|| {
                patterns.push(key);
                terms.push(Vec::new());
                patterns.len() - 1
            });
            if !terms[id].contains(&term) {
                terms[id].push(term);
            }
        };

        let mut rules = Vec::new();
        let mut pattern_sources = Vec::new();
        let mut pattern_rules = Vec::new();
        let mut extractors = Vec::new();
        let mut names = None;
        for (i, spec) in set.rules.iter().enumerate() {
            let rule = u16::try_from(i).context("too many rules")?;
            let at = || format!("rule `{}` ({})", spec.id, set.origin[&spec.id]);
            for w in &spec.context.positive {
                add_term(
                    w,
                    Term::Context {
                        rule,
                        positive: true,
                    },
                );
            }
            for w in &spec.context.negative {
                add_term(
                    w,
                    Term::Context {
                        rule,
                        positive: false,
                    },
                );
            }
            for w in &spec.terms {
                add_term(w, Term::Vocab { rule });
            }
            for path in &spec.vocabulary {
                for w in set.vocabulary(path).with_context(at)? {
                    add_term(w, Term::Vocab { rule });
                }
            }
            if let Some(n) = &spec.names {
                if names.is_some() {
                    bail!("{}: only one `names` rule is supported", at());
                }
                for path in &n.first {
                    for w in set.vocabulary(path).with_context(at)? {
                        add_term(w, Term::Name(NameHit::First));
                    }
                }
                for path in &n.last {
                    for w in set.vocabulary(path).with_context(at)? {
                        add_term(w, Term::Name(NameHit::Last));
                    }
                }
                for w in &n.titles {
                    add_term(w, Term::Name(NameHit::Title));
                }
                for w in &n.greetings {
                    add_term(w, Term::Name(NameHit::Greeting));
                }
                for w in &n.cues {
                    add_term(w, Term::Name(NameHit::Cue));
                }
                names = Some(NameModel::new(rule));
            }
            let mut extractor = None;
            let mut value_group = None;
            if let Some(p) = &spec.pattern {
                let re = Regex::builder()
                    .syntax(regex_config())
                    .build(p)
                    .with_context(|| format!("{}: bad pattern", at()))?;
                value_group = re
                    .group_info()
                    .to_index(regex_automata::PatternID::ZERO, "value");
                extractor = Some(extractors.len());
                extractors.push(re);
                pattern_sources.push(p.clone());
                pattern_rules.push(rule);
            }
            rules.push(CompiledRule {
                validator: spec.validator.as_deref().and_then(validators::lookup),
                spec: spec.clone(),
                extractor,
                value_group,
            });
        }

        // Standard semantics: an anchored walk then sees every term that starts at the anchor
        // (`heart` and `heart attack`), not only the longest.
        let automaton = aho_corasick::nfa::contiguous::Builder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .context("building the keyword/vocabulary automaton")?;
        let anchored_start = automaton
            .start_state(Anchored::Yes)
            .context("the keyword automaton has no anchored start")?;
        let mut first_bytes = [false; 256];
        for p in &patterns {
            let b = p.as_bytes()[0];
            for raw in 0..=255u8 {
                if NORMALISE[raw as usize].eq_ignore_ascii_case(&b) {
                    first_bytes[raw as usize] = true;
                }
            }
        }
        let longest_term = patterns.iter().map(String::len).max().unwrap_or(0);
        let pattern_set = if pattern_sources.is_empty() {
            None
        } else {
            Some(
                Regex::builder()
                    .syntax(regex_config())
                    // The union of all patterns needs several MB of lazy-DFA states on clinical
                    // text; at the 2 MB default the cache thrashes and throughput drops ~10x.
                    .configure(
                        Regex::config()
                            .match_kind(regex_automata::MatchKind::All)
                            .hybrid_cache_capacity(PATTERN_SET_CACHE),
                    )
                    .build_many(&pattern_sources)
                    .context("building the combined pattern set")?,
            )
        };
        Ok(Engine {
            rules,
            automaton,
            anchored_start,
            first_bytes,
            longest_term,
            terms,
            pattern_set,
            pattern_rules,
            extractors,
            names,
            threshold,
        })
    }

    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    pub fn rule(&self, index: u16) -> &CompiledRule {
        &self.rules[index as usize]
    }

    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// Findings in `text`, sorted by start. Convenience wrapper that allocates its own scratch.
    pub fn detect(&self, text: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        self.detect_into(text, None, &mut Scratch::default(), &mut out);
        out
    }

    /// Findings in `text`, appended to `out`. `key` is the name of the field the text came from
    /// (`patient_mrn`, `SpeechResult`): its words count as context right before the text.
    pub fn detect_into(
        &self,
        text: &str,
        key: Option<&str>,
        scratch: &mut Scratch,
        out: &mut Vec<Finding>,
    ) {
        let first_new = out.len();
        scratch.hits.clear();
        scratch.key_hits.clear();
        scratch.excluded.clear();
        scratch.structure.clear();
        let bytes = text.as_bytes();
        self.find_terms(bytes, &mut scratch.hits);
        scratch.name_key = NameKey::None;
        if let Some(key) = key {
            self.key_context(key, scratch);
        }

        if let Some(set) = &self.pattern_set {
            let mut patset = scratch
                .set
                .take()
                .unwrap_or_else(|| PatternSet::new(set.pattern_len()));
            patset.clear();
            set.which_overlapping_matches(&Input::new(bytes), &mut patset);
            for pid in patset.iter() {
                let rule_index = self.pattern_rules[pid.as_usize()];
                self.extract(rule_index, text, scratch, out);
            }
            scratch.set = Some(patset);
        }

        for h in &scratch.hits {
            for t in &self.terms[h.pattern as usize] {
                if let Term::Vocab { rule } = *t {
                    let r = &self.rules[rule as usize];
                    if r.spec.exclude {
                        scratch.excluded.push((h.start, h.end));
                    } else if let Some(c) = self.score(rule, h.start, h.end, scratch) {
                        out.push(Finding::new(
                            h.start,
                            h.end,
                            r.spec.category.unwrap(),
                            rule,
                            c,
                        ));
                    }
                }
            }
        }

        if let Some(names) = &self.names {
            names.find(self, text, scratch.name_key, scratch, out);
        }
        if !scratch.inside_url {
            self.scan_inside_urls(text, scratch, out);
        }

        let excluded = &scratch.excluded;
        let threshold = self.threshold;
        let mut i = first_new;
        out.retain(|f| {
            let keep_idx = i;
            i += 1;
            keep_idx < first_new
                || (f.confidence >= threshold
                    // an Auth Token is 32 hex digits: a labelled one must survive the hex-id exclusion
                    && (f.category == Category::Credential
                        || !excluded.iter().any(|&(s, e)| f.start < e && s < f.end)))
        });
        out[first_new..].sort_by(|a, b| {
            a.start
                .cmp(&b.start)
                .then(b.end.cmp(&a.end))
                .then(a.rule.cmp(&b.rule))
        });
        dedup_same_category(out, first_new);
    }

    /// Every URL found so far (`out[from..]`) taken apart: query values and path segments,
    /// decoded, scanned with their names as keys, findings mapped back (see `detect::url`).
    fn scan_inside_urls(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<Finding>) {
        scratch.structure.sort_unstable();
        for i in 0..scratch.structure.len() {
            let (start, end) = scratch.structure[i];
            let mut sub = scratch.url.take().unwrap_or_default();
            let (us, inner) = &mut *sub;
            inner.inside_url = true;
            let mut parts = std::mem::take(&mut us.parts);
            url::parts(text.as_bytes(), start, end, &mut parts);
            for part in &parts {
                if !url::decode_part(text.as_bytes(), part, us) {
                    continue;
                }
                us.found.clear();
                let key = (!us.key.text.is_empty()).then_some(us.key.text.as_str());
                self.detect_into(&us.value.text, key, inner, &mut us.found);
                url::map_back(us, out);
            }
            us.parts = parts;
            scratch.url = Some(sub);
        }
    }

    /// The field key's words as context hits at position 0 (the key sits before the text), and
    /// what the key says about names; both cached per distinct key.
    fn key_context(&self, key: &str, scratch: &mut Scratch) {
        if let Some((hits, name_key)) = scratch.key_cache.get(key) {
            scratch.key_hits.extend_from_slice(hits);
            scratch.name_key = *name_key;
            return;
        }
        split_key_words(key, &mut scratch.key_buf);
        self.find_terms(scratch.key_buf.as_bytes(), &mut scratch.key_hits);
        for h in &mut scratch.key_hits {
            (h.start, h.end) = (0, 0);
        }
        scratch.name_key = names::name_key(&scratch.key_buf);
        if scratch.key_cache.len() < KEY_CACHE_MAX {
            scratch.key_cache.insert(
                key.to_string(),
                (scratch.key_hits.clone(), scratch.name_key),
            );
        }
    }

    /// Every term that starts and ends on a word boundary, sorted by start (then end).
    ///
    /// Terms only count as whole words, so instead of an unanchored Aho-Corasick pass (which
    /// walks failure links on every byte and reports in-word matches only to discard them) the
    /// trie is walked anchored from each position a term could start at: a word start whose byte
    /// begins some term. The walk stops where the trie has no edge, usually within the word.
    fn find_terms(&self, bytes: &[u8], hits: &mut Vec<Hit>) {
        let nfa = &self.automaton;
        for i in 0..bytes.len() {
            if !self.first_bytes[bytes[i] as usize]
                || (i > 0 && is_word_byte(bytes[i]) && is_word_byte(bytes[i - 1]))
            {
                continue;
            }
            let mut sid = self.anchored_start;
            for (j, &b) in bytes.iter().enumerate().skip(i) {
                sid = nfa.next_state(Anchored::Yes, sid, NORMALISE[b as usize]);
                if nfa.is_special(sid) {
                    if nfa.is_dead(sid) {
                        break;
                    }
                    if !nfa.is_match(sid) {
                        continue;
                    }
                    let end = j + 1;
                    if end < bytes.len() && is_word_byte(b) && is_word_byte(bytes[end]) {
                        continue;
                    }
                    for k in 0..nfa.match_len(sid) {
                        let pid = nfa.match_pattern(sid, k);
                        // a state also carries terms that are suffixes of the path (`art` in
                        // `heart`): only those starting at the anchor are hits here
                        if nfa.pattern_len(pid) == end - i {
                            hits.push(Hit {
                                start: i,
                                end,
                                pattern: pid.as_u32(),
                            });
                        }
                    }
                }
            }
        }
    }

    fn extract(&self, rule_index: u16, text: &str, scratch: &mut Scratch, out: &mut Vec<Finding>) {
        let rule = &self.rules[rule_index as usize];
        let re = &self.extractors[rule.extractor.expect("pattern rule has an extractor")];
        let bytes = text.as_bytes();
        let mut push = |start: usize, end: usize, scratch: &mut Scratch| {
            // byte-level patterns (`[^\s]{6,64}`) can stop inside a multibyte character: widen
            // the span to whole characters rather than lose the finding
            let start = floor_char_boundary(text, start);
            let end = ceil_char_boundary(text, end);
            if start >= end {
                return;
            }
            if rule.spec.exclude {
                scratch.excluded.push((start, end));
                return;
            }
            if rule.spec.structural {
                scratch.structure.push((start, end));
                return;
            }
            if let Some(v) = rule.validator
                && !v(&text[start..end])
            {
                return;
            }
            if let Some(c) = self.score(rule_index, start, end, scratch) {
                out.push(Finding::new(
                    start,
                    end,
                    rule.spec.category.unwrap(),
                    rule_index,
                    c,
                ));
            }
        };
        if let Some(group) = rule.value_group {
            // one Captures per extractor, reused: captures_iter would allocate one per match
            let slot = rule.extractor.expect("pattern rule has an extractor");
            if scratch.captures.len() <= slot {
                scratch.captures.resize_with(slot + 1, || None);
            }
            let mut caps = scratch.captures[slot]
                .take()
                .unwrap_or_else(|| re.create_captures());
            let mut at = 0;
            while at <= bytes.len() {
                re.search_captures(&Input::new(bytes).range(at..), &mut caps);
                let Some(m) = caps.get_match() else {
                    break;
                };
                if let Some(span) = caps.get_group(group) {
                    push(span.start, span.end, scratch);
                }
                at = if m.is_empty() { m.end() + 1 } else { m.end() };
            }
            scratch.captures[slot] = Some(caps);
        } else {
            for m in re.find_iter(bytes) {
                push(m.start(), m.end(), scratch);
            }
        }
    }

    /// Confidence of a candidate of `rule` at `start..end` given the context words around it, or
    /// `None` when the rule requires context and there is none.
    pub(crate) fn score(
        &self,
        rule: u16,
        start: usize,
        end: usize,
        scratch: &Scratch,
    ) -> Option<f32> {
        let base = self.rules[rule as usize].spec.confidence;
        self.score_from(rule, base, start, end, scratch)
    }

    /// As `score`, from a caller-chosen base confidence (the name model grades its own).
    pub(crate) fn score_from(
        &self,
        rule: u16,
        base: f32,
        start: usize,
        end: usize,
        scratch: &Scratch,
    ) -> Option<f32> {
        let ctx = &self.rules[rule as usize].spec.context;
        let (mut positive, mut negative) = (false, false);
        if !ctx.positive.is_empty() || !ctx.negative.is_empty() {
            let lo = start.saturating_sub(ctx.window);
            let hi = end + ctx.window;
            // hits are sorted by start and may overlap: none ending at `lo` starts earlier
            // than `lo - longest_term`
            let first = scratch
                .hits
                .partition_point(|h| h.start + self.longest_term < lo);
            let nearby = scratch.hits[first..]
                .iter()
                .take_while(|h| h.start <= hi)
                .filter(|h| h.end >= lo && (h.end <= start || h.start >= end));
            for h in nearby.chain(scratch.key_hits.iter()) {
                for t in &self.terms[h.pattern as usize] {
                    if let Term::Context {
                        rule: r,
                        positive: p,
                    } = *t
                        && r == rule
                    {
                        if p {
                            positive = true;
                        } else {
                            negative = true;
                        }
                    }
                }
            }
        }
        if ctx.required && !positive {
            return None;
        }
        let mut c = base;
        if positive {
            c += ctx.boost;
        }
        if negative {
            c -= ctx.penalty;
        }
        Some(c.clamp(0.0, 1.0))
    }

    /// Spans of the structural rules' matches (URLs) in the string last scanned with `scratch`.
    pub fn structure<'s>(&self, scratch: &'s Scratch) -> &'s [(usize, usize)] {
        &scratch.structure
    }

    pub(crate) fn term_kinds(&self, pattern: u32) -> &[Term] {
        &self.terms[pattern as usize]
    }

    pub(crate) fn hits<'s>(&self, scratch: &'s Scratch) -> &'s [Hit] {
        &scratch.hits
    }
}

/// Of overlapping findings with the same category, keep the most confident (then the longest).
fn dedup_same_category(out: &mut Vec<Finding>, from: usize) {
    let mut i = from;
    while i < out.len() {
        let mut j = i + 1;
        let mut removed = false;
        while j < out.len() && out[j].start < out[i].end {
            if out[j].category == out[i].category {
                let (a, b) = (&out[i], &out[j]);
                // confidences are sums of f32 boosts (0.3 + 0.6 > 0.9): compare with a tolerance
                let tie = (b.confidence - a.confidence).abs() < 1e-4;
                let keep_j = (!tie && b.confidence > a.confidence)
                    || (tie && b.end - b.start > a.end - a.start);
                if keep_j {
                    out.remove(i);
                    removed = true;
                    break;
                }
                out.remove(j);
                continue;
            }
            j += 1;
        }
        if !removed {
            i += 1;
        }
    }
}

/// Bytes as the term walk sees them: `-` and `_` read as a space, so `flu_shot_drive`,
/// `post-op` and `post op` all meet the same terms (tags and keys join words with them). One
/// byte for one byte, so spans stay those of the text.
const NORMALISE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = match i as u8 {
            b'-' | b'_' => b' ',
            b => b,
        };
        i += 1;
    }
    t
};

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// `patientMrn` / `patient_mrn` / `Patient-MRN` → `patient mrn`, so key words match as words.
fn split_key_words(key: &str, buf: &mut String) {
    buf.clear();
    let mut prev_lower = false;
    for ch in key.chars() {
        if ch.is_ascii_uppercase() && prev_lower {
            buf.push(' ');
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        buf.push(if ch == '_' || ch == '-' || ch == '.' {
            ' '
        } else {
            ch
        });
    }
}

/// The char boundary at or before `i`.
fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The char boundary at or after `i`.
fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_words_are_split_on_case_and_separators() {
        let mut b = String::new();
        split_key_words("patientMrn", &mut b);
        assert_eq!(b, "patient Mrn");
        split_key_words("task_attributes.DOB", &mut b);
        assert_eq!(b, "task attributes DOB");
    }

    #[test]
    fn terms_are_whole_words_and_may_overlap() {
        let rules = RuleSet::embedded().unwrap();
        let engine = Engine::new(&rules).unwrap();
        let text = "insulin, insulinoma xinsulin; Diabetes mellitus";
        let mut hits = Vec::new();
        engine.find_terms(text.as_bytes(), &mut hits);
        let words: Vec<&str> = hits.iter().map(|h| &text[h.start..h.end]).collect();
        assert!(words.contains(&"insulin"), "{words:?}");
        // inside a longer word: never a hit
        assert!(
            !hits.iter().any(|h| h.start == 9 && h.end == 16),
            "{words:?}"
        );
        assert!(!hits.iter().any(|h| h.start == 21), "{words:?}");
        // a term and a longer term at the same start are both seen
        assert!(words.contains(&"Diabetes"), "{words:?}");
        assert!(words.contains(&"Diabetes mellitus"), "{words:?}");
        assert!(hits.windows(2).all(|w| w[0].start <= w[1].start));
    }
}
