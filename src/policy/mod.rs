//! Policy: which findings, where, on which channel, make a HIPAA violation, and how severe
//! (reference/policy.md). Detection says *what* a value is; policy says whether it may be there.
//!
//! PHI, operationally: health information, or a strong identifier (SSN, MRN, plan ID, DOB,
//! card). An identifier alone is PHI only in places that must never hold patient data (tags,
//! URLs) or, in logs, together with health information.
//!
//! `Policy::evaluate` runs policy.md's rules as named steps, in the alert order: `tag_rule`,
//! `log_rule`, `attributes_rule`, `url_rule`, `content_rule`, `credential_rule`, and last
//! `account_rule` over what the others found. Allow-lists are checked before any of this, during
//! the scan (`allow`).

pub mod allow;
pub mod config;
pub mod geo;

use crate::alert::Severity;
use crate::detect::{Category, Kind};
use crate::event::{Channel, Location};
use config::PolicyConfig;

pub use geo::{AreaCodes, Geo};

pub struct PolicyRule {
    pub id: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
}

pub const PHI_IN_TAG: &str = "phi-in-tag";
pub const PHI_IN_LOG: &str = "phi-in-log";
pub const PHI_ON_INELIGIBLE_CHANNEL: &str = "phi-on-ineligible-channel";
pub const PHI_OUTSIDE_US: &str = "phi-outside-us";
pub const PHI_IN_NON_HIPAA_ACCOUNT: &str = "phi-in-non-hipaa-account";
pub const PHI_IN_ATTRIBUTES: &str = "phi-in-attributes";
pub const PHI_IN_URL: &str = "phi-in-url";
pub const CREDENTIAL_EXPOSED: &str = "credential-exposed";
pub const PHI_IN_CONTENT: &str = "phi-in-content";

/// policy.md's rule table, in its order.
pub const RULES: &[PolicyRule] = &[
    PolicyRule {
        id: PHI_IN_TAG,
        severity: Severity::Critical,
        summary: "identifier or health information in a message tag",
    },
    PolicyRule {
        id: PHI_IN_LOG,
        severity: Severity::High,
        summary: "identifier with health information, or a strong identifier, in a log",
    },
    PolicyRule {
        id: PHI_ON_INELIGIBLE_CHANNEL,
        severity: Severity::High,
        summary: "PHI in content on a channel or product that is not HIPAA eligible",
    },
    PolicyRule {
        id: PHI_OUTSIDE_US,
        severity: Severity::High,
        summary: "PHI in SMS/MMS/voice content to or from a non-US number",
    },
    PolicyRule {
        id: PHI_IN_NON_HIPAA_ACCOUNT,
        severity: Severity::High,
        summary: "PHI from an account not designated as a HIPAA project",
    },
    PolicyRule {
        id: PHI_IN_ATTRIBUTES,
        severity: Severity::Medium,
        summary: "PHI in TaskRouter/Conversations/Flex attributes",
    },
    PolicyRule {
        id: PHI_IN_URL,
        severity: Severity::Medium,
        summary: "identifier or health information inside a URL",
    },
    PolicyRule {
        id: CREDENTIAL_EXPOSED,
        severity: Severity::High,
        summary: "a credential (Auth Token, API secret, password) in a payload",
    },
    PolicyRule {
        id: PHI_IN_CONTENT,
        severity: Severity::Info,
        summary: "PHI in content on an eligible channel (allowed; counted)",
    },
];

/// What the policy needs to know of one finding.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    pub location: Location,
    pub category: Category,
    /// The rule that found it marks its values as strong identifiers (date of birth).
    pub strong: bool,
    /// Something ties the value to a patient. False for a date with no person-tie around it
    /// (no `dob`/`appt` key, no "admitted"/"appointment" nearby: a send date, a schedule, a
    /// copyright year is not an identifier, Safe Harbor counts dates *related to an
    /// individual*), and for a TaskRouter worker's own name or email (the agent, not a patient).
    pub tied: bool,
}

/// A date scored at least this high had a person-tie word or key around it (the date rules'
/// base confidences are below it and their positive context lifts them above).
pub const DATE_TIE_CONFIDENCE: f32 = 0.7;

impl Seen {
    /// What the policy sees of a finding of `category` with `confidence`, found by a rule that
    /// does (or does not) mark strong identifiers.
    pub fn new(location: Location, category: Category, strong: bool, confidence: f32) -> Seen {
        let tied = category != Category::Date || strong || confidence >= DATE_TIE_CONFIDENCE - 1e-4;
        Seen {
            location,
            category,
            strong,
            tied,
        }
    }
}

impl Seen {
    fn is_health(&self) -> bool {
        self.category.kind() == Kind::Health
    }
    /// A URL alone identifies nobody: it counts through what it carries (phi-in-url).
    fn is_identifier(&self) -> bool {
        self.category.kind() == Kind::Identifier && self.category != Category::Url && self.tied
    }
    fn is_strong(&self) -> bool {
        self.strong || self.category.is_strong_identifier()
    }
    /// PHI on its own, wherever it is: health information or a strong identifier.
    fn is_phi(&self) -> bool {
        self.is_health() || self.is_strong()
    }
    /// What a violation lists as its findings: identifiers and health information.
    fn counts(&self) -> bool {
        self.is_identifier() || self.is_health()
    }
}

/// Facts of the event the rules look at besides its findings.
pub struct EventFacts<'a> {
    pub event_type: &'a str,
    pub account_sid: Option<&'a str>,
    pub channel: Channel,
    /// Where each party's phone number is (to, from, caller, callee …).
    pub parties: &'a [Geo],
}

/// One violation: the rule, its severity, and the indexes of the findings that support it.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The policy rule's id (`RULES`), which alerts call `rule`.
    pub policy_rule: &'static str,
    pub severity: Severity,
    pub findings: Vec<usize>,
    pub note: String,
    /// Informational (counted, not alerted unless configured).
    pub alert: bool,
}

pub struct Policy {
    config: PolicyConfig,
}

impl Policy {
    pub fn new(config: PolicyConfig) -> Policy {
        Policy { config }
    }

    fn severity(&self, rule: &str) -> Severity {
        self.config.severity.get(rule).copied().unwrap_or_else(|| {
            RULES
                .iter()
                .find(|r| r.id == rule)
                .expect("known rule")
                .severity
        })
    }

    fn enabled(&self, rule: &str) -> bool {
        !self.config.disabled_rules.iter().any(|r| r == rule)
    }

    /// The violations of one event, one per rule, in policy.md's steps: `tag_rule`,
    /// `log_rule`, `attributes_rule`, `url_rule`, `content_rule` (ineligible channel, outside
    /// the US, or counted content), `credential_rule`, then `account_rule` over what the
    /// others found.
    pub fn evaluate(&self, facts: &EventFacts, seen: &[Seen]) -> Vec<Violation> {
        let seen = ByLocation(seen);
        let mut out = Verdicts {
            policy: self,
            list: Vec::new(),
        };
        tag_rule(&seen, &mut out);
        log_rule(&seen, &mut out);
        attributes_rule(&seen, &mut out);
        url_rule(&seen, &mut out);
        self.content_rule(facts, &seen, &mut out);
        credential_rule(&seen, &mut out);
        self.account_rule(facts, &mut out);
        out.list
    }

    /// PHI in content: where it may not travel (an ineligible channel or product, a non-US
    /// party on a US-only channel) a violation, elsewhere counted as phi-in-content.
    fn content_rule(&self, facts: &EventFacts, seen: &ByLocation, out: &mut Verdicts) {
        if !seen.any(Location::Content, Seen::is_phi) {
            return;
        }
        let findings = seen.select(Location::Content, Seen::counts);
        let product_ineligible = self
            .config
            .ineligible_event_types
            .iter()
            .any(|p| facts.event_type.starts_with(p.as_str()));
        if self.config.ineligible_channels.contains(&facts.channel) || product_ineligible {
            let what = if product_ineligible {
                "a product that is not HIPAA eligible".to_string()
            } else if facts.channel == Channel::Rcs {
                "RCS, which no HIPAA document names eligible (treated as not eligible)".to_string()
            } else {
                format!("{}, which is not HIPAA eligible", facts.channel.as_str())
            };
            out.push(
                PHI_ON_INELIGIBLE_CHANNEL,
                findings,
                format!("PHI in content sent over {what}"),
            );
        } else if self.config.us_only_channels.contains(&facts.channel)
            && facts.parties.contains(&Geo::NonUs)
        {
            out.push(
                PHI_OUTSIDE_US,
                findings,
                "PHI in content to or from a non-US number".into(),
            );
        } else {
            out.push(
                PHI_IN_CONTENT,
                findings,
                "PHI in content on an eligible channel".into(),
            );
        }
    }

    /// With HIPAA accounts designated, every PHI finding of the other rules (credentials
    /// aside) from an account that is not one of them.
    fn account_rule(&self, facts: &EventFacts, out: &mut Verdicts) {
        if self.config.hipaa_accounts.is_empty() {
            return;
        }
        let designated = facts
            .account_sid
            .is_some_and(|a| self.config.hipaa_accounts.iter().any(|h| h == a));
        if designated {
            return;
        }
        let mut phi: Vec<usize> = out
            .list
            .iter()
            .filter(|v| v.policy_rule != CREDENTIAL_EXPOSED)
            .flat_map(|v| v.findings.iter().copied())
            .collect();
        phi.sort_unstable();
        phi.dedup();
        out.push(
            PHI_IN_NON_HIPAA_ACCOUNT,
            phi,
            "PHI from an account not designated as a HIPAA project".into(),
        );
    }
}

/// The violations found so far for one event. A rule is added only with findings and only
/// when the configuration has not disabled it.
struct Verdicts<'p> {
    policy: &'p Policy,
    list: Vec<Violation>,
}

impl Verdicts<'_> {
    fn push(&mut self, rule: &'static str, findings: Vec<usize>, note: String) {
        if findings.is_empty() || !self.policy.enabled(rule) {
            return;
        }
        self.list.push(Violation {
            policy_rule: rule,
            severity: self.policy.severity(rule),
            findings,
            note,
            alert: rule != PHI_IN_CONTENT || self.policy.config.alert_info,
        });
    }
}

/// One event's findings, looked up by location; indexes are positions in the slice.
struct ByLocation<'s>(&'s [Seen]);

impl ByLocation<'_> {
    fn at(&self, loc: Location) -> impl Iterator<Item = (usize, &Seen)> {
        self.0
            .iter()
            .enumerate()
            .filter(move |(_, s)| s.location == loc)
    }
    fn any(&self, loc: Location, test: fn(&Seen) -> bool) -> bool {
        self.at(loc).any(|(_, s)| test(s))
    }
    fn select(&self, loc: Location, keep: fn(&Seen) -> bool) -> Vec<usize> {
        self.at(loc)
            .filter(|(_, s)| keep(s))
            .map(|(i, _)| i)
            .collect()
    }
}

/// A tag holds no patient data at all: any identifier or health information.
fn tag_rule(seen: &ByLocation, out: &mut Verdicts) {
    out.push(
        PHI_IN_TAG,
        seen.select(Location::Tag, Seen::counts),
        "PHI in message tag metadata".into(),
    );
}

/// A log: an identifier with health information, or a strong identifier alone.
fn log_rule(seen: &ByLocation, out: &mut Verdicts) {
    let health = seen.any(Location::Log, Seen::is_health);
    let ident = seen.any(Location::Log, Seen::is_identifier);
    let strong = seen.any(Location::Log, Seen::is_strong);
    if !((health && ident) || strong) {
        return;
    }
    let note = if strong {
        "strong identifier in a log"
    } else {
        "identifier with health information in a log"
    };
    out.push(
        PHI_IN_LOG,
        seen.select(Location::Log, Seen::counts),
        note.into(),
    );
}

/// Attributes are the customer record a contact centre keeps about its patients: an
/// identifier alone counts there, as in tags (policy.md).
fn attributes_rule(seen: &ByLocation, out: &mut Verdicts) {
    if seen.any(Location::Attributes, Seen::counts) {
        out.push(
            PHI_IN_ATTRIBUTES,
            seen.select(Location::Attributes, Seen::counts),
            "PHI in attributes".into(),
        );
    }
}

/// The URL detector's own match is the field itself; what matters is what the URL carries.
fn url_rule(seen: &ByLocation, out: &mut Verdicts) {
    out.push(
        PHI_IN_URL,
        seen.select(Location::Url, Seen::counts),
        "PHI inside a URL".into(),
    );
}

/// A credential anywhere in the event.
fn credential_rule(seen: &ByLocation, out: &mut Verdicts) {
    out.push(
        CREDENTIAL_EXPOSED,
        seen.0
            .iter()
            .enumerate()
            .filter(|(_, s)| s.category == Category::Credential)
            .map(|(i, _)| i)
            .collect(),
        "credential in an event payload".into(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(location: Location, category: Category) -> Seen {
        Seen::new(location, category, false, 0.9)
    }
    fn facts(channel: Channel, parties: &[Geo]) -> EventFacts<'_> {
        EventFacts {
            event_type: "com.twilio.messaging.message.sent",
            account_sid: Some("ACx"),
            channel,
            parties,
        }
    }
    fn rules(v: &[Violation]) -> Vec<&str> {
        v.iter().map(|v| v.policy_rule).collect()
    }

    #[test]
    fn tags_alert_on_any_identifier_or_health() {
        let p = Policy::new(PolicyConfig::default());
        let v = p.evaluate(
            &facts(Channel::Sms, &[]),
            &[
                seen(Location::Tag, Category::Mrn),
                seen(Location::Tag, Category::MedicalCode),
            ],
        );
        assert_eq!(rules(&v), [PHI_IN_TAG]);
        assert_eq!(v[0].severity, Severity::Critical);
        assert_eq!(v[0].findings, [0, 1]);
    }

    #[test]
    fn logs_need_identifier_plus_health_or_a_strong_identifier() {
        let p = Policy::new(PolicyConfig::default());
        let f = facts(Channel::Unknown, &[]);
        assert!(
            p.evaluate(&f, &[seen(Location::Log, Category::Phone)])
                .is_empty()
        );
        assert!(
            p.evaluate(&f, &[seen(Location::Log, Category::Medication)])
                .is_empty()
        );
        let v = p.evaluate(
            &f,
            &[
                seen(Location::Log, Category::Phone),
                seen(Location::Log, Category::Medication),
            ],
        );
        assert_eq!(rules(&v), [PHI_IN_LOG]);
        let v = p.evaluate(&f, &[seen(Location::Log, Category::Ssn)]);
        assert_eq!(rules(&v), [PHI_IN_LOG]);
        let dob = Seen::new(Location::Log, Category::Date, true, 0.6);
        assert_eq!(rules(&p.evaluate(&f, &[dob])), [PHI_IN_LOG]);
    }

    #[test]
    fn content_depends_on_channel_and_geography() {
        let p = Policy::new(PolicyConfig::default());
        let health = [seen(Location::Content, Category::Condition)];
        let v = p.evaluate(&facts(Channel::Whatsapp, &[Geo::NonUs]), &health);
        assert_eq!(rules(&v), [PHI_ON_INELIGIBLE_CHANNEL]);
        let v = p.evaluate(&facts(Channel::Sms, &[Geo::Us, Geo::NonUs]), &health);
        assert_eq!(rules(&v), [PHI_OUTSIDE_US]);
        let v = p.evaluate(&facts(Channel::Sms, &[Geo::Us, Geo::Us]), &health);
        assert_eq!(rules(&v), [PHI_IN_CONTENT]);
        assert!(!v[0].alert);
        // a name alone in content is not PHI
        assert!(
            p.evaluate(
                &facts(Channel::Whatsapp, &[]),
                &[seen(Location::Content, Category::Name)]
            )
            .is_empty()
        );
    }

    #[test]
    fn dates_count_only_when_tied_to_a_person() {
        let p = Policy::new(PolicyConfig::default());
        let f = facts(Channel::Sms, &[]);
        let send_date = Seen::new(Location::Tag, Category::Date, false, 0.6);
        assert!(p.evaluate(&f, &[send_date]).is_empty());
        let appt = Seen::new(Location::Tag, Category::Date, false, 0.9);
        assert_eq!(rules(&p.evaluate(&f, &[appt])), [PHI_IN_TAG]);
    }

    #[test]
    fn identifiers_alone_count_in_attributes() {
        let p = Policy::new(PolicyConfig::default());
        let v = p.evaluate(
            &facts(Channel::Unknown, &[]),
            &[seen(Location::Attributes, Category::Email)],
        );
        assert_eq!(rules(&v), [PHI_IN_ATTRIBUTES]);
    }

    #[test]
    fn non_hipaa_accounts_only_when_designations_exist() {
        let mut c = PolicyConfig::default();
        let tag = [seen(Location::Tag, Category::Mrn)];
        let p = Policy::new(c.clone());
        assert_eq!(
            rules(&p.evaluate(&facts(Channel::Sms, &[]), &tag)),
            [PHI_IN_TAG]
        );
        c.hipaa_accounts = vec!["ACy".into()];
        let p = Policy::new(c.clone());
        assert_eq!(
            rules(&p.evaluate(&facts(Channel::Sms, &[]), &tag)),
            [PHI_IN_TAG, PHI_IN_NON_HIPAA_ACCOUNT]
        );
        c.hipaa_accounts = vec!["ACx".into()];
        let p = Policy::new(c);
        assert_eq!(
            rules(&p.evaluate(&facts(Channel::Sms, &[]), &tag)),
            [PHI_IN_TAG]
        );
    }

    #[test]
    fn overrides_and_disabled_rules() {
        let mut c = PolicyConfig::default();
        c.severity.insert(PHI_IN_TAG.into(), Severity::Low);
        c.disabled_rules.push(CREDENTIAL_EXPOSED.into());
        let p = Policy::new(c);
        let v = p.evaluate(
            &facts(Channel::Sms, &[]),
            &[
                seen(Location::Tag, Category::Zip),
                seen(Location::Metadata, Category::Credential),
            ],
        );
        assert_eq!(rules(&v), [PHI_IN_TAG]);
        assert_eq!(v[0].severity, Severity::Low);
    }
}
