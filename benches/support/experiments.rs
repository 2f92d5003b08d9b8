//! `PHISCAN_BENCH_EXPERIMENTS=1`: take the engine's two passes apart and time alternatives, so
//! suggestions for `src/detect/engine.rs` come with numbers. This rebuilds the same automaton
//! and pattern set the engine builds (from the public `RuleSet`) rather than reaching into the
//! engine, so it measures the *design*, not private code; keep it in step with
//! `Engine::with_threshold` if that changes.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::hint::black_box;
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use phiscan::detect::RuleSet;
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_automata::{Input, PatternSet};

fn regex_config() -> syntax::Config {
    syntax::Config::new()
        .unicode(false)
        .utf8(false)
        .multi_line(false)
}

/// Thread CPU seconds per call of `f` over about `budget` (at least one call).
fn cpu_time(budget: Duration, mut f: impl FnMut() -> u64) -> f64 {
    let cpu = || crate::thread_cpu_ns().map(|n| n as f64 / 1e9);
    let wall0 = Instant::now();
    let c0 = cpu();
    black_box(f());
    let mut n = 1u64;
    while wall0.elapsed() < budget {
        black_box(f());
        n += 1;
    }
    match (c0, cpu()) {
        (Some(a), Some(b)) => (b - a) / n as f64,
        _ => wall0.elapsed().as_secs_f64() / n as f64,
    }
}

/// A corpus: strings with optional field keys, and their total bytes (the denominator).
pub struct Corpus<'a> {
    pub name: &'a str,
    pub texts: Vec<&'a str>,
    /// Bytes to divide by (event JSON bytes for event corpora).
    pub bytes: u64,
}

fn mb_s(bytes: u64, secs: f64) -> String {
    format!("{:.1} MB/s", bytes as f64 / secs / 1e6)
}

#[derive(Default)]
struct Fx(u64);
impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().unwrap());
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        let mut tail = 0u64;
        for (i, &b) in chunks.remainder().iter().enumerate() {
            tail |= (b as u64) << (8 * i);
        }
        self.0 = (self.0.rotate_left(5) ^ tail ^ bytes.len() as u64).wrapping_mul(K);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
type FxSet<T> = HashSet<T, BuildHasherDefault<Fx>>;

/// Every automaton term the engine would build, by source.
fn terms(set: &RuleSet) -> (Vec<String>, Vec<(String, usize)>) {
    let mut seen: HashMap<String, ()> = HashMap::new();
    let mut out = Vec::new();
    let mut by_source: Vec<(String, usize)> = Vec::new();
    let mut add = |w: &str, out: &mut Vec<String>| -> bool {
        let k = w.trim().to_ascii_lowercase();
        if k.is_empty() || seen.insert(k.clone(), ()).is_some() {
            return false;
        }
        out.push(k);
        true
    };
    let mut inline = 0;
    for spec in &set.rules {
        for w in spec
            .context
            .positive
            .iter()
            .chain(&spec.context.negative)
            .chain(&spec.terms)
        {
            inline += add(w, &mut out) as usize;
        }
        let mut files: Vec<&String> = spec.vocabulary.iter().collect();
        if let Some(n) = &spec.names {
            files.extend(n.first.iter().chain(&n.last));
            for w in n.titles.iter().chain(&n.greetings) {
                inline += add(w, &mut out) as usize;
            }
        }
        for path in files {
            let mut k = 0;
            for w in set.vocabulary(path).unwrap() {
                k += add(w, &mut out) as usize;
            }
            by_source.push((path.clone(), k));
        }
    }
    by_source.push(("inline terms and context words".into(), inline));
    (out, by_source)
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

fn at_word_boundary(bytes: &[u8], start: usize, end: usize) -> bool {
    let before_ok = start == 0 || !is_word_byte(bytes[start]) || !is_word_byte(bytes[start - 1]);
    let after_ok = end == bytes.len() || !is_word_byte(bytes[end - 1]) || !is_word_byte(bytes[end]);
    before_ok && after_ok
}

fn ac_pass(ac: &AhoCorasick, texts: &[&str]) -> u64 {
    let mut n = 0;
    for t in texts {
        let b = t.as_bytes();
        for m in ac.find_iter(b) {
            n += at_word_boundary(b, m.start(), m.end()) as u64;
        }
    }
    n
}

fn ac_lowercased_pass(ac: &AhoCorasick, texts: &[&str], buf: &mut Vec<u8>) -> u64 {
    let mut n = 0;
    for t in texts {
        buf.clear();
        buf.extend(t.bytes().map(|b| b.to_ascii_lowercase()));
        for m in ac.find_iter(&buf[..]) {
            n += at_word_boundary(buf, m.start(), m.end()) as u64;
        }
    }
    n
}

/// Word-lookup alternative to the automaton: tokens are runs of word bytes; a candidate is the
/// span from one token's start to the end of the same or a later token (up to `max_words`),
/// lowercased and looked up in a hash set; a multi-word span is only extended while it is a
/// prefix of some term. Approximates the automaton's whole-word semantics (terms with leading
/// or trailing punctuation, like "dr.", are looked up without it).
struct WordLookup {
    terms: FxSet<Vec<u8>>,
    prefixes: FxSet<Vec<u8>>,
    max_words: usize,
}

impl WordLookup {
    fn new(terms: &[String]) -> WordLookup {
        let mut set = FxSet::default();
        let mut prefixes = FxSet::default();
        let mut max_words = 1;
        for t in terms {
            let b = t.as_bytes();
            let trimmed: &[u8] = {
                let s = b.iter().position(|&c| is_word_byte(c)).unwrap_or(b.len());
                let e = b.iter().rposition(|&c| is_word_byte(c)).map_or(s, |e| e + 1);
                &b[s..e]
            };
            if trimmed.is_empty() {
                continue;
            }
            set.insert(trimmed.to_vec());
            let mut words = 1;
            let mut i = 0;
            while i < trimmed.len() {
                if !is_word_byte(trimmed[i]) && i > 0 && is_word_byte(trimmed[i - 1]) {
                    prefixes.insert(trimmed[..i].to_vec());
                    words += 1;
                }
                i += 1;
            }
            max_words = max_words.max(words);
        }
        WordLookup {
            terms: set,
            prefixes,
            max_words,
        }
    }

    fn pass(&self, texts: &[&str], tokens: &mut Vec<(usize, usize)>, key: &mut Vec<u8>) -> u64 {
        let mut n = 0;
        for t in texts {
            let b = t.as_bytes();
            tokens.clear();
            let mut i = 0;
            while i < b.len() {
                while i < b.len() && !is_word_byte(b[i]) {
                    i += 1;
                }
                let s = i;
                while i < b.len() && is_word_byte(b[i]) {
                    i += 1;
                }
                if i > s {
                    tokens.push((s, i));
                }
            }
            for (ti, &(s, e)) in tokens.iter().enumerate() {
                key.clear();
                key.extend(b[s..e].iter().map(u8::to_ascii_lowercase));
                n += self.terms.contains(&key[..]) as u64;
                let mut last = e;
                for &(_, e2) in tokens[ti + 1..].iter().take(self.max_words - 1) {
                    if !self.prefixes.contains(&key[..]) {
                        break;
                    }
                    key.extend(b[last..e2].iter().map(u8::to_ascii_lowercase));
                    last = e2;
                    n += self.terms.contains(&key[..]) as u64;
                }
            }
        }
        n
    }
}

fn set_pass(re: &Regex, texts: &[&str], patset: &mut PatternSet) -> u64 {
    let mut n = 0;
    for t in texts {
        patset.clear();
        re.which_overlapping_matches(&Input::new(t.as_bytes()), patset);
        n += patset.len() as u64;
    }
    n
}

/// (cache clears, bytes in use) of a lazy DFA like the meta regex's, over one pass.
fn lazy_dfa_stats(pats: &[&str], capacity: usize, texts: &[&str]) -> (usize, usize) {
    let Ok(dfa) = regex_automata::hybrid::dfa::DFA::builder()
        .syntax(regex_config())
        .configure(
            regex_automata::hybrid::dfa::Config::new()
                .match_kind(regex_automata::MatchKind::All)
                .cache_capacity(capacity),
        )
        .build_many(pats)
    else {
        return (0, 0);
    };
    let mut cache = dfa.create_cache();
    let mut ps = PatternSet::new(pats.len());
    for t in texts {
        ps.clear();
        let _ = dfa.try_which_overlapping_matches(&mut cache, &Input::new(t.as_bytes()), &mut ps);
    }
    (cache.clear_count(), cache.memory_usage())
}

fn build_set(patterns: &[&str], cache: Option<usize>) -> Regex {
    let mut cfg = Regex::config().match_kind(regex_automata::MatchKind::All);
    if let Some(c) = cache {
        cfg = cfg.hybrid_cache_capacity(c);
    }
    Regex::builder()
        .syntax(regex_config())
        .configure(cfg)
        .build_many(patterns)
        .unwrap()
}

pub fn run(set: &RuleSet, corpora: &[Corpus]) {
    let budget = Duration::from_secs_f64(
        std::env::var("PHISCAN_BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1.5),
    );
    println!("## Engine experiments (single thread, thread CPU time)\n");

    // ---- the keyword/vocabulary automaton
    let (terms, by_source) = terms(set);
    let total_len: usize = terms.iter().map(String::len).sum();
    println!(
        "Automaton terms: {} ({} bytes); by source: {}",
        terms.len(),
        total_len,
        by_source
            .iter()
            .map(|(s, n)| format!("{s}={n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let t = Instant::now();
    let ac = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(&terms)
        .unwrap();
    println!(
        "engine automaton: kind {:?}, {:.1} MB heap, built in {:.2} s",
        ac.kind(),
        ac.memory_usage() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let ac_cs = AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&terms)
        .unwrap();
    println!(
        "case-sensitive automaton (on lowercased text): kind {:?}, {:.1} MB",
        ac_cs.kind(),
        ac_cs.memory_usage() as f64 / 1e6
    );
    let t = Instant::now();
    let words = WordLookup::new(&terms);
    println!(
        "word lookup: {} terms, {} multi-word prefixes, max {} words, built in {:.2} s\n",
        words.terms.len(),
        words.prefixes.len(),
        words.max_words,
        t.elapsed().as_secs_f64()
    );

    // automaton variants: which vocabularies cost what, and a denser automaton
    let build_without = |skip: &[&str]| {
        let skip: HashSet<String> = skip
            .iter()
            .flat_map(|p| set.vocabulary(p).unwrap().map(|w| w.trim().to_ascii_lowercase()))
            .collect();
        let kept: Vec<&String> = terms.iter().filter(|t| !skip.contains(*t)).collect();
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(kept)
            .unwrap()
    };
    let ac_variants: Vec<(&str, AhoCorasick)> = vec![
        (
            "automaton without the ICD-10 codes (98k terms)",
            build_without(&["vocab/icd10cm-codes.txt"]),
        ),
        (
            "automaton without ICD-10 codes and medications",
            build_without(&["vocab/icd10cm-codes.txt", "vocab/medications.txt"]),
        ),
        (
            "automaton as built but dense_depth(6)",
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .dense_depth(6)
                .build(&terms)
                .unwrap(),
        ),
    ];

    // ---- the pattern set
    let mut patterns: Vec<(&str, &str)> = set
        .rules
        .iter()
        .filter_map(|r| r.pattern.as_deref().map(|p| (r.id.as_str(), p)))
        .collect();
    let pats: Vec<&str> = patterns.iter().map(|p| p.1).collect();
    let t = Instant::now();
    let set_default = build_set(&pats, None);
    println!(
        "pattern set: {} patterns, built in {:.2} s",
        pats.len(),
        t.elapsed().as_secs_f64()
    );
    let set_big = build_set(&pats, Some(256 << 20));
    let mut patset = PatternSet::new(pats.len());

    for c in corpora {
        let n_texts = c.texts.len() as f64;
        println!(
            "\n### {} ({} strings, {:.2} MB counted, {:.2} MB of string text)\n",
            c.name,
            c.texts.len(),
            c.bytes as f64 / 1e6,
            c.texts.iter().map(|t| t.len()).sum::<usize>() as f64 / 1e6
        );
        let no_digit = c
            .texts
            .iter()
            .filter(|t| !t.bytes().any(|b| b.is_ascii_digit()))
            .count();
        println!(
            "strings without any ASCII digit: {no_digit} ({:.0}%)\n",
            100.0 * no_digit as f64 / n_texts
        );
        println!("| pass | time/pass | throughput | ns/string |");
        println!("|---|---:|---:|---:|");
        let row = |name: &str, s: f64| {
            println!(
                "| {name} | {:.2} ms | {} | {:.0} |",
                s * 1e3,
                mb_s(c.bytes, s),
                s * 1e9 / n_texts
            );
        };
        row(
            "automaton as built (ASCII-case-insensitive, leftmost-longest)",
            cpu_time(budget, || ac_pass(&ac, &c.texts)),
        );
        let mut buf = Vec::new();
        row(
            "lowercase copy + case-sensitive automaton",
            cpu_time(budget, || ac_lowercased_pass(&ac_cs, &c.texts, &mut buf)),
        );
        let (mut toks, mut key) = (Vec::new(), Vec::new());
        row(
            "word tokenizer + hash-set lookup (alternative)",
            cpu_time(budget, || words.pass(&c.texts, &mut toks, &mut key)),
        );
        row(
            "pattern set as built (All, overlapping, 2 MB lazy-DFA cache)",
            cpu_time(budget, || set_pass(&set_default, &c.texts, &mut patset)),
        );
        row(
            "pattern set, 256 MB lazy-DFA cache",
            cpu_time(budget, || set_pass(&set_big, &c.texts, &mut patset)),
        );
        // lazy DFA diagnostics: how often the cache is flushed over one pass
        if let Ok(dfa) = regex_automata::hybrid::dfa::DFA::builder()
            .syntax(regex_config())
            .configure(
                regex_automata::hybrid::dfa::Config::new()
                    .match_kind(regex_automata::MatchKind::All)
                    .cache_capacity(2 << 20),
            )
            .build_many(&pats)
        {
            let mut cache = dfa.create_cache();
            let mut ps = PatternSet::new(pats.len());
            let mut failed = 0;
            for t in &c.texts {
                ps.clear();
                failed += dfa
                    .try_which_overlapping_matches(&mut cache, &Input::new(t.as_bytes()), &mut ps)
                    .is_err() as u32;
            }
            println!(
                "\nlazy DFA (2 MB cache) over one pass: cache cleared {} times, {:.1} MB in use at end, {} searches failed",
                cache.clear_count(),
                cache.memory_usage() as f64 / 1e6,
                failed
            );
        }

        for (what, ac) in &ac_variants {
            row(what, cpu_time(budget, || ac_pass(ac, &c.texts)));
        }
        println!("\nlazy-DFA cache size sweep for the pattern set (memory is per thread):\n");
        println!("| cache capacity | time/pass | throughput | cache clears in one pass | cache in use |");
        println!("|---:|---:|---:|---:|---:|");
        for mb in [2usize, 4, 8, 16, 32, 64] {
            let re = build_set(&pats, Some(mb << 20));
            let mut ps = PatternSet::new(pats.len());
            let s = cpu_time(budget, || set_pass(&re, &c.texts, &mut ps));
            let (clears, used) = lazy_dfa_stats(&pats, mb << 20, &c.texts);
            println!(
                "| {mb} MB | {:.2} ms | {} | {clears} | {:.1} MB |",
                s * 1e3,
                mb_s(c.bytes, s),
                used as f64 / 1e6
            );
        }

        // each pattern alone (leftmost-first with its own prefilter), most expensive first
        let mut costs: Vec<(f64, &str, u64)> = Vec::new();
        for &(id, p) in &patterns {
            let re = Regex::builder().syntax(regex_config()).build(p).unwrap();
            let mut hits = 0;
            let s = cpu_time(budget / 6, || {
                let mut n = 0;
                for t in &c.texts {
                    n += re.find_iter(t.as_bytes()).count() as u64;
                }
                hits = n;
                n
            });
            costs.push((s, id, hits));
        }
        costs.sort_by(|a, b| b.0.total_cmp(&a.0));
        let sum: f64 = costs.iter().map(|c| c.0).sum();
        println!(
            "\nall {} patterns run one by one (find_iter, each with its own prefilter): {:.2} ms/pass = {}; most expensive:",
            costs.len(),
            sum * 1e3,
            mb_s(c.bytes, sum)
        );
        for (s, id, hits) in costs.iter().take(8) {
            println!("  {id}: {:.2} ms/pass ({} matches)", s * 1e3, hits);
        }
        // the set without the 5 most expensive ones
        let heavy: HashSet<&str> = costs.iter().take(5).map(|c| c.1).collect();
        let light: Vec<&str> = patterns
            .iter()
            .filter(|p| !heavy.contains(p.0))
            .map(|p| p.1)
            .collect();
        let light_set = build_set(&light, None);
        let mut ps = PatternSet::new(light.len());
        let s = cpu_time(budget, || set_pass(&light_set, &c.texts, &mut ps));
        println!(
            "pattern set without those top 5 ({} patterns): {:.2} ms/pass = {}",
            light.len(),
            s * 1e3,
            mb_s(c.bytes, s)
        );
    }
    patterns.clear();
}
