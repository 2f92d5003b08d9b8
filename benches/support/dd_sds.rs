//! Datadog's Sensitive Data Scanner (`dd-sds`, crates.io `dd-sensitive-data-scanner`) as the
//! baseline of the detection benchmark, so "N× dd-sds" is measured in the same run on the same
//! text by anyone with `cargo bench --bench detect --features dd-sds`.
//!
//! The rule set is ours: 29 rules for the identifier kinds phiscan's detectors cover (HIPAA's
//! identifiers and the credentials policy.md adds), written the way dd-sds is meant to be used —
//! a regex per kind, keyword proximity (30 characters, dd-sds's usual look-ahead) where a kind is
//! only an identifier near a label, and dd-sds's own checksums (Luhn, ABA, IBAN, NPI, DEA) where
//! one exists. It detects fewer things than phiscan (no names, conditions, drugs or places from a
//! vocabulary), so the ratio flatters dd-sds, not us. Matches are reported, not redacted.

use std::sync::Arc;

use dd_sds::{
    MatchAction, ProximityKeywordsConfig, RegexRuleConfig, RootRuleConfig, RuleConfig, Scanner,
    SecondaryValidator,
};

/// (pattern, keywords that must be within 30 characters before it, checksum)
type Rule = (
    &'static str,
    &'static [&'static str],
    Option<SecondaryValidator>,
);

const RULES: &[Rule] = &[
    (r"\b\d{3}-\d{2}-\d{4}\b", &[], None),
    (r"\b\d{9}\b", &["ssn", "social security"], None),
    (r"\(?\b\d{3}\)?[-. ]?\d{3}[-. ]\d{4}\b", &[], None),
    (r"\+\d{10,14}\b", &[], None),
    (
        r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b",
        &[],
        None,
    ),
    (
        r"\b(?:\d[ -]?){12,18}\d\b",
        &[],
        Some(SecondaryValidator::LuhnChecksum),
    ),
    (
        r"\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b",
        &[],
        Some(SecondaryValidator::IbanChecker),
    ),
    (
        r"\b\d{9}\b",
        &["routing", "aba"],
        Some(SecondaryValidator::AbaRtnChecksum),
    ),
    (
        r"\b\d{10}\b",
        &["npi"],
        Some(SecondaryValidator::UsNpiChecksum),
    ),
    (
        r"\b[A-Z]{2}\d{7}\b",
        &["dea"],
        Some(SecondaryValidator::UsDeaChecksum),
    ),
    (
        r"\b\d[A-Z][A-Z0-9]\d[A-Z][A-Z0-9]\d[A-Z]{2}\d{2}\b",
        &[],
        None,
    ),
    (r"\b\d{6,10}\b", &["mrn", "medical record", "chart"], None),
    (
        r"\b\d{1,2}/\d{1,2}/\d{2,4}\b",
        &["dob", "born", "birth", "admitted", "discharged"],
        None,
    ),
    (r"\b\d{4}-\d{2}-\d{2}\b", &["dob", "born", "birth"], None),
    (
        r"\b[A-TV-Z]\d{2}(?:\.\d{1,4})?\b",
        &["diagnosis", "icd", "dx"],
        None,
    ),
    (r"\b(?:\d{1,3}\.){3}\d{1,3}\b", &[], None),
    (r"\b\d{5}(?:-\d{4})?\b", &["zip", "address"], None),
    (
        r"\b\d{1,5}\s+[A-Z][a-z]+\s+(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr)\b",
        &[],
        None,
    ),
    (r"\b[A-Z0-9]{6,9}\b", &["passport"], None),
    (r"\b[A-Z]\d{7}\b", &["driver", "license", "licence"], None),
    (r"\b\d{8,17}\b", &["account", "acct"], None),
    (
        r"\b[A-Z]{3}\d{6,12}\b",
        &["member", "insurance", "policy", "plan"],
        None,
    ),
    (r"\bhttps?://[^\s]+", &[], None),
    (r"\b(?:Mr|Mrs|Ms|Dr)\.?\s+[A-Z][a-z]+", &[], None),
    (r"\b\d{1,3}\s*(?:years old|yo|y/o)\b", &[], None),
    (r"\b[A-HJ-NPR-Z0-9]{17}\b", &["vin", "vehicle"], None),
    (r"\b(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}\b", &[], None),
    (r"\bAKIA[0-9A-Z]{16}\b", &[], None),
    (r"\bSK[0-9a-f]{32}\b", &[], None),
];

pub fn rule_count() -> usize {
    RULES.len()
}

pub fn scanner() -> Scanner {
    let rules: Vec<RootRuleConfig<Arc<dyn RuleConfig>>> = RULES
        .iter()
        .map(|(pattern, keywords, validator)| {
            let mut rule = RegexRuleConfig::new(pattern);
            if !keywords.is_empty() {
                rule = rule.with_proximity_keywords(ProximityKeywordsConfig {
                    look_ahead_character_count: 30,
                    included_keywords: keywords.iter().map(|k| k.to_string()).collect(),
                    excluded_keywords: vec![],
                });
            }
            if validator.is_some() {
                rule = rule.with_validator(validator.clone());
            }
            RootRuleConfig::new(rule.build()).match_action(MatchAction::None)
        })
        .collect();
    Scanner::builder(&rules)
        .build()
        .expect("dd-sds rules compile")
}

/// Matches over every text (scanned in place; `MatchAction::None` leaves them unchanged).
pub fn scan_all(scanner: &Scanner, texts: &mut [String]) -> u64 {
    let mut n = 0;
    for t in texts.iter_mut() {
        n += scanner.scan(t).expect("dd-sds scan").len() as u64;
    }
    n
}
