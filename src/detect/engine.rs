//! The one-pass engine. Scanning is phiscan's whole job, so a clean string must cost as little as
//! possible: every keyword, context word and vocabulary term of every rule sits in one
//! Aho-Corasick trie (walked anchored from word starts: terms only count as whole words), and
//! the rule patterns in a few multi-pattern regexes (one per pattern set, see `PatternSets`).
//! A string that matches none is done after those passes. Only rules whose pattern matched somewhere
//! run again on their own (to get spans and the `value` group), and validators and context
//! scoring run only around candidates.
//!
//! Compiling (`Engine::with_threshold`): `compile_detector` per detector rule (terms into the
//! `TermTable`, pattern into `Patterns`), then `TermAutomaton::build` and `Patterns::build_sets`.
//! Detecting (`Engine::detect_into`): `find_terms` and `key_context`, `pattern_findings`
//! (with `extract`), `vocabulary_findings`, `name_findings`, `scan_inside_urls`, then
//! `keep_confident` and `dedup_same_category`.

use std::sync::OnceLock;

use anyhow::{Context, Result, bail};
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_automata::{Input, PatternSet};

use super::category::Category;
use super::finding::Finding;
use super::members::Members;
use super::names::{self, NameContext, NameKey, NameModel};
use super::rules::{DetectorRule, DetectorSet};
use super::term_index::{TermArena, TermIndex, WordCache};
use super::terms::{Hit, Meanings, NameHit, Term};
use super::url;
use super::validators::{self, Validator};

/// Findings below this confidence are dropped unless configured otherwise.
pub const DEFAULT_THRESHOLD: f32 = 0.5;

/// Distinct field keys whose context hits are cached per thread (keys are schema names, but a
/// hostile event could use random ones: the cache stops growing instead).
const KEY_CACHE_MAX: usize = 4096;

/// The pattern set of a rule whose file names none.
const DEFAULT_PATTERN_SET: &str = "main";

/// Lazy-DFA cache of each pattern set, per scanning thread (a limit: states are built as
/// the text needs them). 64 MB measured slower on the
/// notes than 16 MB (17 vs 26 MB/s, Dec 2026): more memory touched, no fewer states built.
const PATTERN_SET_CACHE: usize = 16 << 20;

pub struct CompiledDetector {
    pub spec: DetectorRule,
    validator: Option<Validator>,
    /// Index into `Engine::extractors` for pattern rules.
    extractor: Option<usize>,
    /// Index of the `value` capture group, when the pattern has one.
    value_group: Option<usize>,
    /// The list a value must be on (`members`).
    members: Option<Members>,
}

impl CompiledDetector {
    pub fn id(&self) -> &str {
        &self.spec.id
    }
    pub fn category(&self) -> Option<Category> {
        self.spec.category
    }
}

pub struct Engine {
    detectors: Vec<CompiledDetector>,
    /// Every term, found as whole words by hashing (see `term_index`).
    term_index: TermIndex,
    /// What each term (hit pattern) means; a term may serve several rules.
    terms: Meanings,
    /// The rule patterns, in one regex per pattern set (see `PatternSets`).
    pattern_sets: PatternSets,
    /// The detector of each pattern, by its global index (its extractor's).
    pattern_rules: Vec<u16>,
    /// Each pattern on its own, to extract spans once the set says it matched.
    extractors: Extractors,
    names: Option<NameModel>,
    threshold: f32,
}

/// Per-call scratch space, reused across strings so the hot path does not allocate.
#[derive(Default)]
pub struct Scratch {
    hits: Vec<Hit>,
    key_hits: Vec<Hit>,
    /// The term index's answers for recent words (see `term_index::WordCache`).
    words: WordCache,
    key_buf: String,
    /// Field keys repeat (a few hundred distinct ones): their context hits are computed once.
    key_cache: foldhash::HashMap<String, (Vec<Hit>, NameKey)>,
    /// What the current field's key says about names in its value.
    name_key: NameKey,
    excluded: Vec<(usize, usize)>,
    /// Which patterns of each pattern set matched the last string.
    sets: Vec<PatternSet>,
    /// Their global indices, in order.
    matched: Vec<usize>,
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
    pub fn new(set: &DetectorSet) -> Result<Engine> {
        Engine::with_threshold(set, DEFAULT_THRESHOLD)
    }

    /// Compiles a detector set, in three named steps: `compile_detector` for each detector rule
    /// (its terms into the `TermTable`, its pattern into the `Patterns`), then `TermAutomaton::build`
    /// over every term and `Patterns::build_sets` over every pattern.
    pub fn with_threshold(set: &DetectorSet, threshold: f32) -> Result<Engine> {
        let mut table = TermTable::default();
        let mut patterns = Patterns::default();
        let mut rules = Vec::new();
        let mut names = None;
        for (i, spec) in set.rules.iter().enumerate() {
            let detector = u16::try_from(i).context("too many rules")?;
            rules.push(compile_detector(
                set,
                spec,
                detector,
                &mut table,
                &mut patterns,
                &mut names,
            )?);
        }
        let patterns_len = table.arena.len();
        let (term_index, canonical) =
            TermIndex::build(table.arena).context("building the vocabulary index")?;
        // a term several detectors (or files) list is one pattern: its meanings gather there
        for (id, _) in &mut table.meanings {
            *id = canonical[*id as usize];
        }
        let terms = Meanings::from_pairs(table.meanings, patterns_len);
        let pattern_sets = patterns.build_sets(set)?;
        for rule in &mut rules {
            rule.value_group = rule.extractor.and_then(|i| pattern_sets.value_group(i));
        }
        Ok(Engine {
            detectors: rules,
            term_index,
            terms,
            pattern_sets,
            pattern_rules: patterns.detectors,
            extractors: Extractors {
                regexes: patterns.sources.iter().map(|_| OnceLock::new()).collect(),
                sources: patterns.sources,
            },
            names,
            threshold,
        })
    }

    /// Every compiled detector, in the order `Finding::detector` indexes.
    pub fn detectors(&self) -> &[CompiledDetector] {
        &self.detectors
    }

    /// The detector that made a finding (`Finding::detector`).
    pub fn detector(&self, index: u16) -> &CompiledDetector {
        &self.detectors[index as usize]
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
    ///
    /// The steps, by name: `find_terms` (one term-index walk) and `key_context`; `pattern_findings`
    /// (the combined pattern set, then `extract` for each detector that matched);
    /// `vocabulary_findings`; `name_findings`; `scan_inside_urls`; then `keep_confident` (the
    /// threshold and exclusions) and `dedup_same_category`, sorted by start.
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
        let words = &mut scratch.words;
        self.find_terms(text.as_bytes(), &mut scratch.hits, words);
        scratch.name_key = NameKey::None;
        if let Some(key) = key {
            self.key_context(key, scratch);
        }
        self.pattern_findings(text, scratch, out);
        self.vocabulary_findings(scratch, out);
        self.name_findings(text, scratch, out);
        if !scratch.inside_url {
            self.scan_inside_urls(text, scratch, out);
        }
        self.keep_confident(&scratch.excluded, out, first_new);
        out[first_new..].sort_by(|a, b| {
            a.start
                .cmp(&b.start)
                .then(b.end.cmp(&a.end))
                .then(a.detector.cmp(&b.detector))
        });
        dedup_same_category(out, first_new);
    }

    /// Every detector whose pattern matched somewhere in `text` (one pass of each pattern set)
    /// extracts its candidates, in the order of their patterns.
    fn pattern_findings(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<Finding>) {
        let mut matched = std::mem::take(&mut scratch.matched);
        self.pattern_sets
            .which_match(text.as_bytes(), &mut scratch.sets, &mut matched);
        for &i in &matched {
            let rule_index = self.pattern_rules[i];
            if self.may_score(rule_index, scratch) {
                self.extract(rule_index, text, scratch, out);
            }
        }
        scratch.matched = matched;
    }

    /// Whether a candidate of pattern rule `rule` could be kept: one whose rule requires context
    /// (`score_from`) needs a positive context word of that rule somewhere in the string or its
    /// key. Why: such rules often match bare values (`^\d…` under any key) and finding their
    /// spans is the costly part (captures); without the word none would survive.
    fn may_score(&self, rule: u16, scratch: &Scratch) -> bool {
        let spec = &self.detectors[rule as usize].spec;
        if !spec.context.required || spec.exclude || spec.structural {
            return true;
        }
        let names_rule =
            |t: &Term| matches!(*t, Term::Context { detector, positive: true } if detector == rule);
        scratch
            .hits
            .iter()
            .chain(&scratch.key_hits)
            .any(|h| self.terms[h.pattern as usize].iter().any(names_rule))
    }

    /// Vocabulary hits: findings of their detector, or exclusions.
    fn vocabulary_findings(&self, scratch: &mut Scratch, out: &mut Vec<Finding>) {
        for h in &scratch.hits {
            for t in &self.terms[h.pattern as usize] {
                if let Term::Vocab { detector: rule } = *t {
                    let r = &self.detectors[rule as usize];
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
    }

    /// The name model grades the dictionary hits, through a `NameContext`.
    fn name_findings(&self, text: &str, scratch: &Scratch, out: &mut Vec<Finding>) {
        let Some(names) = &self.names else {
            return;
        };
        let score = |base, start, end| self.score_from(names.detector(), base, start, end, scratch);
        let cx = NameContext {
            hits: &scratch.hits,
            terms: &self.terms,
            score: &score,
        };
        names.find(&cx, text, scratch.name_key, out);
    }

    /// Drops the new findings (`out[first_new..]`) below the threshold or inside an exclusion.
    fn keep_confident(
        &self,
        excluded: &[(usize, usize)],
        out: &mut Vec<Finding>,
        first_new: usize,
    ) {
        let threshold = self.threshold;
        let mut i = 0;
        out.retain(|f| {
            let keep_idx = i;
            i += 1;
            keep_idx < first_new
                || (f.confidence >= threshold
                    // an Auth Token is 32 hex digits: a labelled one must survive the hex-id exclusion
                    && (f.category == Category::Credential
                        || !excluded.iter().any(|&(s, e)| f.start < e && s < f.end)))
        });
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
        let (buf, words) = (scratch.key_buf.as_bytes(), &mut scratch.words);
        self.find_terms(buf, &mut scratch.key_hits, words);
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
    fn find_terms(&self, bytes: &[u8], hits: &mut Vec<Hit>, words: &mut WordCache) {
        self.term_index.find_cached(bytes, hits, words);
    }

    fn extract(&self, rule_index: u16, text: &str, scratch: &mut Scratch, out: &mut Vec<Finding>) {
        let rule = &self.detectors[rule_index as usize];
        let re = self
            .extractors
            .get(rule.extractor.expect("pattern rule has an extractor"));
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
            if let Some(m) = &rule.members
                && !m.contains(&text[start..end])
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
                if let Some(span) = caps.get_group(group)
                    && !glued_to_opaque_token(bytes, m.start(), span.start, span.end)
                {
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
        let base = self.detectors[rule as usize].spec.confidence;
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
        let ctx = &self.detectors[rule as usize].spec.context;
        let (mut positive, mut negative) = (false, false);
        if !ctx.positive.is_empty() || !ctx.negative.is_empty() {
            let lo = start.saturating_sub(ctx.window);
            let hi = end + ctx.window;
            // hits are sorted by start and may overlap: none ending at `lo` starts earlier
            // than `lo - longest_term`
            let first = scratch
                .hits
                .partition_point(|h| h.start + self.term_index.longest_term < lo);
            let nearby = scratch.hits[first..]
                .iter()
                .take_while(|h| h.start <= hi)
                .filter(|h| h.end >= lo && (h.end <= start || h.start >= end));
            for h in nearby.chain(scratch.key_hits.iter()) {
                for t in &self.terms[h.pattern as usize] {
                    if let Term::Context {
                        detector: r,
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
}

/// Every term of every detector rule: hit pattern `i` is `arena.get(i)`, and `meanings` holds
/// what it means, as (pattern, meaning) pairs (a word may serve several detectors). Terms are
/// folded into one arena with no allocation per term (start-up reads ~260,000 of them); the
/// index deduplicates them as it builds (`TermIndex::build`), so no second map is built here.
#[derive(Default)]
struct TermTable {
    arena: TermArena,
    meanings: Vec<(u32, Term)>,
    folded: Vec<u8>,
}

impl TermTable {
    fn add(&mut self, word: &str, term: Term) {
        // as the index reads text (see term_index::read): `post-op` is stored as `post op`,
        // `presión` as `presion`
        self.folded.clear();
        super::term_index::fold_into(word.trim().as_bytes(), &mut self.folded);
        if self.folded.is_empty() {
            return;
        }
        let id = self.arena.push(&self.folded);
        self.meanings.push((id, term));
    }

    fn add_all<'w>(&mut self, words: impl IntoIterator<Item = &'w String>, term: Term) {
        for w in words {
            self.add(w, term);
        }
    }

    /// The words of vocabulary files, each as `term`.
    fn add_files(&mut self, set: &DetectorSet, paths: &[String], term: Term) -> Result<()> {
        for path in paths {
            for w in set.vocabulary(path)? {
                self.add(w, term);
            }
        }
        Ok(())
    }
}

/// Every detector pattern: `sources[i]` is pattern `i`, belonging to the detector
/// `detectors[i]`, in the pattern set named `sets[i]`.
#[derive(Default)]
struct Patterns {
    sources: Vec<String>,
    detectors: Vec<u16>,
    sets: Vec<String>,
}

/// The rule patterns as a few regexes, one per pattern set, each searched once per string.
///
/// Why not one regex of every pattern: its lazy DFA's states are combinations of every
/// pattern's progress through the text, and on the random tokens Twilio traffic is full of
/// (SIDs and hex ids in logs, base64 and URL tokens) those combinations keep being new: on a
/// stream of fresh events the one DFA never stops building states, and building them was most
/// of the scan's time (2026-12-02: 62 % of the instructions of `phiscan scan` over 3,000
/// realistic events). Families whose patterns progress on the same bytes in different ways
/// (the token and identifier shapes, the dates, the rest) each get a DFA of their own, whose
/// states are far fewer than the product. The set is named in the detector file
/// (`pattern_set`); each set costs one more pass over a string that matches nothing.
struct PatternSets {
    sets: Vec<OneSet>,
    /// For each pattern (global index): its set and its id within that set.
    place: Vec<(usize, regex_automata::PatternID)>,
}

struct OneSet {
    regex: Regex,
    /// The global index of each of its patterns.
    patterns: Vec<usize>,
    /// Every pattern of the set needs a digit in its match (`needs_digit`): a string with no
    /// digit skips the set without a pass of its DFA.
    needs_digit: bool,
}

impl PatternSets {
    /// The global indices of the patterns that match somewhere in `bytes`, sorted, into
    /// `matched`; `scratch` holds one `PatternSet` per set, reused.
    fn which_match(&self, bytes: &[u8], scratch: &mut Vec<PatternSet>, matched: &mut Vec<usize>) {
        matched.clear();
        if scratch.len() != self.sets.len() {
            *scratch = self
                .sets
                .iter()
                .map(|s| PatternSet::new(s.regex.pattern_len()))
                .collect();
        }
        let input = Input::new(bytes);
        let mut has_digit = None;
        for (set, found) in self.sets.iter().zip(scratch.iter_mut()) {
            if set.needs_digit
                && !*has_digit.get_or_insert_with(|| bytes.iter().any(u8::is_ascii_digit))
            {
                continue;
            }
            // most strings match no pattern: `is_match` answers that with the lazy DFA's
            // unrolled loop and stops at the first match; the overlapping search checks every
            // state it enters
            if !set.regex.is_match(input.clone()) {
                continue;
            }
            found.clear();
            set.regex.which_overlapping_matches(&input, found);
            // iterating a pattern set visits every pattern: stop after the last one that matched
            let n = found.len();
            matched.extend(found.iter().take(n).map(|pid| set.patterns[pid.as_usize()]));
        }
        if self.sets.len() > 1 {
            matched.sort_unstable();
        }
    }

    /// The index of pattern `i`'s `value` group, when it has one.
    fn value_group(&self, i: usize) -> Option<usize> {
        let (set, pid) = *self.place.get(i)?;
        self.sets[set].regex.group_info().to_index(pid, "value")
    }
}

/// Each pattern on its own, to extract spans once its pattern set says it matched. Compiled
/// on first use, not at start-up: a one-line `phiscan detect` (a CI gate, a per-file hook)
/// needs the few patterns that match, and the combined set has already checked them all.
struct Extractors {
    sources: Vec<String>,
    regexes: Vec<OnceLock<Regex>>,
}

impl Extractors {
    fn get(&self, i: usize) -> &Regex {
        self.regexes[i].get_or_init(|| {
            Regex::builder()
                .syntax(regex_config())
                .build(&self.sources[i])
                .expect("the combined set compiled this pattern")
        })
    }
}

impl Patterns {
    /// Adds one detector's pattern to the pattern set `set`; returns its global index (its
    /// extractor's; `PatternSets::place` maps it to its id within its set).
    fn add(&mut self, pattern: &str, detector: u16, set: &str) -> usize {
        self.sources.push(pattern.to_string());
        self.detectors.push(detector);
        self.sets.push(set.to_string());
        self.sources.len() - 1
    }

    /// One regex per pattern set (sets in name order, patterns in rule order within each); none
    /// when no detector has a pattern. A pattern that does not compile is named with its rule
    /// (each is compiled alone only then).
    fn build_sets(&self, set: &DetectorSet) -> Result<PatternSets> {
        let mut names: Vec<&str> = self.sets.iter().map(String::as_str).collect();
        names.sort_unstable();
        names.dedup();
        let mut place = vec![(0, regex_automata::PatternID::ZERO); self.sources.len()];
        let mut sets = Vec::new();
        for (s, name) in names.iter().enumerate() {
            let patterns: Vec<usize> = (0..self.sources.len())
                .filter(|&i| self.sets[i] == *name)
                .collect();
            for (local, &i) in patterns.iter().enumerate() {
                place[i] = (s, regex_automata::PatternID::must(local));
            }
            let sources = patterns.iter().map(|&i| &self.sources[i]);
            let needs_digit = patterns.iter().all(|&i| {
                regex_automata::util::syntax::parse_with(&self.sources[i], &regex_config())
                    .is_ok_and(|hir| needs_digit(&hir))
            });
            let regex = Regex::builder()
                .syntax(regex_config())
                // A set needs several MB of lazy-DFA states on clinical text; at the 2 MB
                // default the cache thrashes and throughput drops ~10x.
                .configure(
                    Regex::config()
                        .match_kind(regex_automata::MatchKind::All)
                        .hybrid_cache_capacity(PATTERN_SET_CACHE),
                )
                .build_many(&sources.collect::<Vec<_>>())
                .map_err(|e| self.name_bad_pattern(set, e))?;
            sets.push(OneSet {
                regex,
                patterns,
                needs_digit,
            });
        }
        Ok(PatternSets { sets, place })
    }

    /// Why the combined set did not build, naming the rule whose pattern is at fault.
    fn name_bad_pattern(
        &self,
        set: &DetectorSet,
        e: regex_automata::meta::BuildError,
    ) -> anyhow::Error {
        for (source, &detector) in self.sources.iter().zip(&self.detectors) {
            let rule = &set.rules[detector as usize];
            if let Err(bad) = Regex::builder().syntax(regex_config()).build(source) {
                let at = format!("rule `{}` ({})", rule.id, set.origin[&rule.id]);
                return anyhow::Error::new(bad).context(format!("{at}: bad pattern"));
            }
        }
        anyhow::Error::new(e).context("building the combined pattern set")
    }
}

/// Whether every match of `hir` holds an ASCII digit: some part that every match passes
/// through (a concatenation's item, every branch of an alternation, a repetition at least once)
/// matches only digits. Look-arounds and optional parts need nothing.
fn needs_digit(hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Literal(lit) => lit.0.iter().any(u8::is_ascii_digit),
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .all(|r| r.start().is_ascii_digit() && r.end().is_ascii_digit()),
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .all(|r| r.start().is_ascii_digit() && r.end().is_ascii_digit()),
        HirKind::Repetition(r) => r.min > 0 && needs_digit(&r.sub),
        HirKind::Capture(c) => needs_digit(&c.sub),
        HirKind::Concat(items) => items.iter().any(needs_digit),
        HirKind::Alternation(branches) => branches.iter().all(needs_digit),
        HirKind::Empty | HirKind::Look(_) => false,
    }
}

/// One detector rule compiled: its terms into `table`, its pattern into `patterns`, its name
/// dictionaries (at most one detector has them) into `names`.
fn compile_detector(
    set: &DetectorSet,
    spec: &DetectorRule,
    detector: u16,
    table: &mut TermTable,
    patterns: &mut Patterns,
    names: &mut Option<NameModel>,
) -> Result<CompiledDetector> {
    let at = || format!("rule `{}` ({})", spec.id, set.origin[&spec.id]);
    let context = |positive| Term::Context { detector, positive };
    table.add_all(&spec.context.positive, context(true));
    table.add_all(&spec.context.negative, context(false));
    table.add_all(&spec.terms, Term::Vocab { detector });
    table
        .add_files(set, &spec.vocabulary, Term::Vocab { detector })
        .with_context(at)?;
    if let Some(n) = &spec.names {
        if names.is_some() {
            bail!("{}: only one `names` rule is supported", at());
        }
        table
            .add_files(set, &n.first, Term::Name(NameHit::First))
            .with_context(at)?;
        table
            .add_files(set, &n.last, Term::Name(NameHit::Last))
            .with_context(at)?;
        table
            .add_files(set, &n.rare_last, Term::Name(NameHit::RareLast))
            .with_context(at)?;
        table.add_all(&n.titles, Term::Name(NameHit::Title));
        table.add_all(&n.greetings, Term::Name(NameHit::Greeting));
        table.add_all(&n.cues, Term::Name(NameHit::Cue));
        table.add_all(&n.followers, Term::Name(NameHit::Follower));
        *names = Some(NameModel::new(detector, &n.not_names));
    }
    let pattern_set = spec.pattern_set.as_deref().unwrap_or(DEFAULT_PATTERN_SET);
    let extractor = spec
        .pattern
        .as_ref()
        .map(|p| patterns.add(p, detector, pattern_set));
    let members = match &spec.members {
        Some(path) if spec.pattern.is_some() => {
            Some(Members::new(set.vocabulary(path).with_context(at)?))
        }
        Some(_) => bail!("{}: `members` needs a `pattern`", at()),
        None => None,
    };
    Ok(CompiledDetector {
        validator: spec.validator.as_deref().and_then(validators::lookup),
        spec: spec.clone(),
        extractor,
        // from the combined set's group names, once it is built
        value_group: None,
        members,
    })
}

/// Of overlapping findings with the same category, keep the most confident (then the longest).
/// Whether a labelled value at `start..end` (its match starting at `match_start`) is glued to
/// its label with no separator and holds a lower-case letter: the start of an opaque token
/// (`id7Gh2kLm…`, `DL4kF9xQ…`, base62 session and batch ids), not a label followed by an
/// identifier. Identifiers written glued to their label are digits and capitals (`MRN00482913`,
/// `PT00918273`); a separated value (`id: ab12…`) is still judged by its label.
fn glued_to_opaque_token(bytes: &[u8], match_start: usize, start: usize, end: usize) -> bool {
    start > match_start
        && bytes[start - 1].is_ascii_alphanumeric()
        && bytes[start..end].iter().any(u8::is_ascii_lowercase)
}

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

    fn digit_needed(pattern: &str) -> bool {
        needs_digit(&regex_automata::util::syntax::parse_with(pattern, &regex_config()).unwrap())
    }

    #[test]
    fn a_pattern_needs_a_digit_when_every_match_passes_through_one() {
        assert!(digit_needed(r"\d{3}-\d{4}"));
        assert!(digit_needed(r"(?i)mrn:? ?(?P<value>[0-9]{6,})"));
        assert!(digit_needed(r"(?:^|[^0-9])(?P<value>1[0-2]/\d\d)"));
        assert!(digit_needed(r"AC[0-9]{32}|SK[0-9]{32}"));
        // a branch, an optional part or a class with letters needs none
        assert!(!digit_needed(r"\d{3}|[a-z]{3}"));
        assert!(!digit_needed(r"[a-z]+\d*"));
        assert!(!digit_needed(r"[0-9a-f]{32}"));
        assert!(!digit_needed(r"\b(?:May|June)\b"));
    }

    /// Every rule in one pattern set, as before sets existed.
    fn one_set(mut set: DetectorSet) -> DetectorSet {
        for r in &mut set.rules {
            r.pattern_set = None;
        }
        set
    }

    #[test]
    fn findings_do_not_depend_on_how_patterns_are_split_into_sets() {
        let split = DetectorSet::embedded().unwrap();
        let sets: std::collections::BTreeSet<_> = split
            .rules
            .iter()
            .filter_map(|r| r.pattern_set.clone())
            .collect();
        assert!(
            sets.len() >= 2,
            "the shipped detectors name several sets: {sets:?}"
        );
        let one = Engine::new(&one_set(split.clone())).unwrap();
        let many = Engine::new(&split).unwrap();
        assert_eq!(one.pattern_sets.sets.len(), 1);
        assert_eq!(many.pattern_sets.sets.len(), sets.len() + 1);
        let texts = split
            .rules
            .iter()
            .flat_map(|r| r.examples.iter().chain(&r.negative_examples));
        let mut compared = 0;
        for text in texts {
            let a = one.detect(text);
            let b = many.detect(text);
            assert_eq!(
                format!("{a:?}"),
                format!("{b:?}"),
                "findings differ on {text:?}"
            );
            compared += 1;
        }
        assert!(compared > 300, "{compared} texts");
    }

    #[test]
    fn key_words_are_split_on_case_and_separators() {
        let mut b = String::new();
        split_key_words("patientMrn", &mut b);
        assert_eq!(b, "patient Mrn");
        split_key_words("task_attributes.DOB", &mut b);
        assert_eq!(b, "task attributes DOB");
    }

    #[test]
    fn a_rule_that_requires_context_finds_a_value_labelled_by_its_key_or_its_words_only() {
        // `mrn` matches any value that starts with a digit (`^…`) and keeps it only with a label
        // word near it or in the field key; `may_score` skips the extraction without one
        let engine = Engine::new(&DetectorSet::embedded().unwrap()).unwrap();
        let mrn = |text: &str, key: Option<&str>| {
            let mut out = Vec::new();
            engine.detect_into(text, key, &mut Scratch::default(), &mut out);
            out.iter()
                .any(|f| engine.detector(f.detector).id() == "mrn")
        };
        assert!(mrn("00482913", Some("patient_mrn")));
        assert!(mrn("A0048291", Some("chartNumber")));
        assert!(mrn("MRN: 00482913", None));
        assert!(mrn("MRN: 00482913", Some("batch")));
        assert!(!mrn("00482913", Some("batch")));
        assert!(!mrn("00482913", None));
    }

    #[test]
    fn a_label_glued_to_a_lower_case_run_is_an_opaque_token() {
        let engine = Engine::new(&DetectorSet::embedded().unwrap()).unwrap();
        let found = |text: &str| {
            let f = engine.detect(text);
            f.iter().any(|f| f.category == Category::LicenseNumber)
        };
        assert!(found("DL12345678"));
        assert!(found("DL: 4kf9xq2mz7"));
        assert!(!found("DL4kF9xQ2mZ7p"));
        assert!(!found("dl4kf9xq2mz7"));
    }

    #[test]
    fn findings_appended_to_earlier_ones_leave_those_alone() {
        let engine = Engine::new(&DetectorSet::embedded().unwrap()).unwrap();
        let first = "MRN: 00482913, seen by Dr. Maria Lopez on 03/14/2024";
        // the second text's exclusions (a SID over the first's spans) must not touch its findings
        let second =
            "AC1f2e3d4c5b6a79881f2e3d4c5b6a7988 AC1f2e3d4c5b6a79881f2e3d4c5b6a7988, Maria Lopez";
        let (a, b) = (engine.detect(first), engine.detect(second));
        assert!(!a.is_empty() && a.iter().all(|f| f.end <= 69), "{a:?}");
        let mut out = Vec::new();
        let mut scratch = Scratch::default();
        engine.detect_into(first, None, &mut scratch, &mut out);
        engine.detect_into(second, None, &mut scratch, &mut out);
        assert_eq!(out, [a, b].concat());
    }

    #[test]
    fn terms_are_whole_words_and_may_overlap() {
        let rules = DetectorSet::embedded().unwrap();
        let engine = Engine::new(&rules).unwrap();
        let text = "insulin, insulinoma xinsulin; Diabetes mellitus";
        let mut hits = Vec::new();
        engine.find_terms(text.as_bytes(), &mut hits, &mut WordCache::default());
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
