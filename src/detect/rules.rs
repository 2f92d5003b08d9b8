//! Detectors are data: each file in `detectors/` holds one detector family as `[[rule]]` tables,
//! each rule with its own `examples` and `negative_examples` (the Nosey Parker model). This module
//! reads and checks those files (`DetectorFile` → `DetectorRule`s, gathered in a `DetectorSet`);
//! `engine` compiles them into `CompiledDetector`s. These are *detector* rules; where a finding is
//! a violation is decided by the *policy* rules in `policy` (see the crate docs).
//!
//! A rule finds candidates one of three ways: a `pattern` (regex, ASCII semantics), a vocabulary
//! (`vocabulary` files and inline `terms`, matched as whole words, case-insensitively), or a
//! `names` dictionary pair. A rule with `exclude = true` finds text that is explicitly *not* PHI
//! (Twilio SIDs, UUIDs): any finding overlapping it is dropped.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::Category;
use super::validators;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/detectors.rs"));
}

/// One rule as written in a detector file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorRule {
    pub id: String,
    pub name: String,
    /// Required unless `exclude = true`.
    pub category: Option<Category>,
    #[serde(default)]
    pub description: String,
    /// Regex (regex-automata syntax, ASCII classes). A named group `value` narrows the finding
    /// to that group, so a pattern can require a label ("MRN:") without reporting it.
    pub pattern: Option<String>,
    /// Label phrases ("member id", "mrn", "npi") for a labelled-identifier rule: `{labels}` in
    /// `pattern` becomes an alternation of them, and they join the positive context words, so
    /// the same list finds "Member ID: XGH-1234" in text and a bare token under a `member_id`
    /// key. One mechanism for every label → token format instead of one regex per format.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Vocabulary files, relative to the detectors directory.
    #[serde(default)]
    pub vocabulary: Vec<String>,
    /// Inline vocabulary terms.
    #[serde(default)]
    pub terms: Vec<String>,
    /// Person-name detection from first/last name dictionaries plus capitalisation and context.
    pub names: Option<NamesSpec>,
    /// A validator from `detect::validators` the candidate must pass.
    pub validator: Option<String>,
    /// A vocabulary file the pattern's value must be a line of (ASCII case ignored): the
    /// pattern finds the shape, the list confirms it (`members = "vocab/icd10cm-codes.txt"`).
    #[serde(default)]
    pub members: Option<String>,
    /// Confidence of a candidate with no context either way.
    #[serde(default = "default_confidence")]
    pub confidence: f32,
    #[serde(default)]
    pub context: ContextSpec,
    /// A "strong identifier" for policy.md's log rule (SSN, MRN, plan ID, date of birth).
    #[serde(default)]
    pub strong: bool,
    #[serde(default)]
    pub exclude: bool,
    /// Finds structure the engine looks inside rather than a finding of its own: a URL is no
    /// identifier by itself (a portal link with an opaque token is the compliant pattern), but
    /// its query values and path segments are scanned, and what is found there sits in a URL.
    /// Its matches are available as `Scratch::structure` spans, never in the findings.
    #[serde(default)]
    pub structural: bool,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// Which pattern set the pattern is searched in (see `engine::PatternSets`); by default
    /// the file's `pattern_set`, else `main`.
    #[serde(default)]
    pub pattern_set: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamesSpec {
    pub first: Vec<String>,
    pub last: Vec<String>,
    /// Rarer surnames ("Mensah", "Kealoha"): a surname next to a first name, an initial, a
    /// title or a cue, or in `Last, First`, but never a name alone (rare surnames include
    /// rare words: "Bolus", "Pacer").
    #[serde(default)]
    pub rare_last: Vec<String>,
    /// Honorifics: a capitalised word right after one is a name ("Dr. Okafor", "Mrs. Lee").
    #[serde(default)]
    pub titles: Vec<String>,
    /// Greetings: a dictionary name right after one is a name ("Hi Maria", "Dear John").
    #[serde(default)]
    pub greetings: Vec<String>,
    /// Cue words: a dictionary first name right after one is a name in any case ("for DAVID",
    /// "patient maria", "my son liam").
    #[serde(default)]
    pub cues: Vec<String>,
    /// Words right after a capitalised first name that say it is someone ("Matthew is very
    /// reliable", "Liam has a fever", "Maria called"): verbs a person is the subject of.
    #[serde(default)]
    pub followers: Vec<String>,
    /// Capitalised words that follow greetings and cues without being names ("Hi Team,",
    /// "Dear Customer,"): a word no dictionary holds counts as a name after a greeting only
    /// when it is not one of these.
    #[serde(default)]
    pub not_names: Vec<String>,
}

/// Words near a candidate that raise or lower its confidence.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextSpec {
    #[serde(default)]
    pub positive: Vec<String>,
    #[serde(default)]
    pub negative: Vec<String>,
    /// How far (bytes) before or after the candidate a context word counts.
    #[serde(default = "default_window")]
    pub window: usize,
    #[serde(default = "default_boost")]
    pub boost: f32,
    #[serde(default = "default_penalty")]
    pub penalty: f32,
    /// Report candidates only when a positive context word is near.
    #[serde(default)]
    pub required: bool,
}

impl Default for ContextSpec {
    fn default() -> Self {
        ContextSpec {
            positive: Vec::new(),
            negative: Vec::new(),
            window: default_window(),
            boost: default_boost(),
            penalty: default_penalty(),
            required: false,
        }
    }
}

fn default_confidence() -> f32 {
    0.6
}
fn default_window() -> usize {
    40
}
fn default_boost() -> f32 {
    0.3
}
fn default_penalty() -> f32 {
    0.4
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DetectorFile {
    #[serde(default)]
    #[allow(dead_code)]
    description: String,
    /// The pattern set of the file's rules (a rule may name another): patterns that progress
    /// on the same bytes in different ways (token shapes, dates) search faster apart.
    #[serde(default)]
    pattern_set: Option<String>,
    rule: Vec<DetectorRule>,
}

/// Every detector file and vocabulary, by path relative to the detectors directory.
#[derive(Debug, Clone, Default)]
pub struct DetectorSet {
    pub rules: Vec<DetectorRule>,
    /// Rule id → the file it came from (for error messages).
    pub origin: BTreeMap<String, String>,
    files: BTreeMap<String, String>,
}

impl DetectorSet {
    /// The detectors compiled into this binary.
    pub fn embedded() -> Result<DetectorSet> {
        let files = embedded::EMBEDDED
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        DetectorSet::from_files(files)
    }

    /// Detectors from a directory on disk (`--detectors DIR`), same layout as `detectors/`.
    pub fn from_dir(dir: &Path) -> Result<DetectorSet> {
        let mut files = BTreeMap::new();
        read_tree(dir, dir, &mut files)
            .with_context(|| format!("reading detectors from {}", dir.display()))?;
        if !files.keys().any(|k| k.ends_with(".toml")) {
            bail!(
                "no detector files (*.toml) in {}: point --detectors at a folder laid out like the repository's detectors/",
                dir.display()
            );
        }
        DetectorSet::from_files(files)
    }

    fn from_files(files: BTreeMap<String, String>) -> Result<DetectorSet> {
        let mut set = DetectorSet {
            files,
            ..Default::default()
        };
        for (path, text) in &set.files {
            // rule files sit at the top; subfolders hold vocabularies and data tables
            if !path.ends_with(".toml") || path.contains('/') {
                continue;
            }
            let file: DetectorFile =
                toml::from_str(text).with_context(|| format!("detector file {path}"))?;
            for mut rule in file.rule {
                if rule.pattern_set.is_none() {
                    rule.pattern_set.clone_from(&file.pattern_set);
                }
                expand_labels(&mut rule)
                    .with_context(|| format!("rule `{}` ({path})", rule.id))?;
                if let Some(prev) = set.origin.insert(rule.id.clone(), path.clone()) {
                    bail!(
                        "rule id `{}` is defined twice: in {prev} and {path}; ids must be unique",
                        rule.id
                    );
                }
                set.rules.push(rule);
            }
        }
        set.check_specs()?;
        Ok(set)
    }

    /// Vocabulary terms of a file: one per line, `#` comments and blank lines skipped.
    pub fn vocabulary(&self, path: &str) -> Result<impl Iterator<Item = &str>> {
        let text = self.files.get(path).with_context(|| {
            format!("vocabulary file `{path}` not found in the detectors directory")
        })?;
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#')))
    }

    /// A data file (e.g. a TOML table) shipped with the detectors.
    pub fn data_file(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }

    fn check_specs(&self) -> Result<()> {
        for r in &self.rules {
            let at = || format!("rule `{}` ({})", r.id, self.origin[&r.id]);
            let finders = r.pattern.is_some() as u8
                + (!r.vocabulary.is_empty() || !r.terms.is_empty()) as u8
                + r.names.is_some() as u8;
            if finders != 1 {
                bail!(
                    "{}: give exactly one of `pattern`, `vocabulary`/`terms`, or `names`",
                    at()
                );
            }
            if r.category.is_none() && !r.exclude {
                bail!(
                    "{}: `category` is required (one of interface.md's categories)",
                    at()
                );
            }
            if let Some(v) = &r.validator
                && validators::lookup(v).is_none()
            {
                let known: Vec<_> = validators::ALL.iter().map(|(n, _)| *n).collect();
                bail!(
                    "{}: unknown validator `{v}`; known: {}",
                    at(),
                    known.join(", ")
                );
            }
            if !(0.0..=1.0).contains(&r.confidence) {
                bail!("{}: confidence must be between 0 and 1", at());
            }
            if r.examples.is_empty() {
                bail!("{}: every rule needs at least one example", at());
            }
            for path in r
                .vocabulary
                .iter()
                .chain(r.names.iter().flat_map(|n| n.first.iter().chain(&n.last)))
            {
                self.vocabulary(path).with_context(at).map(drop)?;
            }
        }
        Ok(())
    }
}

/// `{labels}` in the pattern → `(?:label|label…)`, each label's spaces, `_` and `-` matching
/// any run of those (so `member id`, `member_id` and `Member-ID` agree); the labels also become
/// positive context words.
fn expand_labels(rule: &mut DetectorRule) -> Result<()> {
    let has_slot = rule.pattern.as_deref().is_some_and(|p| p.contains("{labels}"));
    if rule.labels.is_empty() {
        if has_slot {
            bail!("`{{labels}}` in the pattern but no `labels` list");
        }
        return Ok(());
    }
    if !has_slot {
        bail!("`labels` given but the pattern has no `{{labels}}` slot");
    }
    let mut labels = rule.labels.clone();
    // longest first: the alternation is leftmost-first
    labels.sort_by_key(|l| std::cmp::Reverse(l.len()));
    let alternation = labels
        .iter()
        .map(|l| {
            l.split([' ', '_', '-'])
                .filter(|w| !w.is_empty())
                .map(regex::escape)
                .collect::<Vec<_>>()
                .join(r"[\s_-]*")
        })
        .collect::<Vec<_>>()
        .join("|");
    let pattern = rule.pattern.take().unwrap_or_default();
    rule.pattern = Some(pattern.replace("{labels}", &format!("(?:{alternation})")));
    for l in &rule.labels {
        let word = l.replace(['_', '-'], " ");
        if !rule.context.positive.contains(&word) {
            rule.context.positive.push(word);
        }
    }
    Ok(())
}

fn read_tree(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            read_tree(root, &path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("toml" | "txt")
        ) {
            let rel = path
                .strip_prefix(root)?
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(
                rel,
                std::fs::read_to_string(&path).with_context(|| path.display().to_string())?,
            );
        }
    }
    Ok(())
}
