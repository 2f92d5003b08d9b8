//! Allow-lists: what the operator has said to leave alone (`[allow]`, plus disabled detectors),
//! checked in one place. Each kind applies at its own step of a scan:
//!
//! 1. event types (`allows_event_type`), before the walk: the whole event is skipped;
//! 2. fields (`allows_field`), before detection on a value or key: `*` matches one pointer
//!    segment, a trailing `/**` everything below;
//! 3. detectors (`allows_finding`): allow-listed or disabled detectors' findings are dropped;
//! 4. values and fingerprints (`allows_finding`): a value written out, or the keyed
//!    fingerprint an earlier alert gave it (so the value itself need not be written down).
//!
//! The lists arrive as plain strings, so policy needs no configuration types.

use crate::alert::Fingerprinter;
use crate::detect::Finding;

pub struct AllowList {
    values: Vec<String>,
    fingerprints: Vec<String>,
    fields: Vec<String>,
    event_types: Vec<String>,
    /// By detector index: whether its findings are dropped (allow-listed or disabled).
    detectors_off: Vec<bool>,
}

impl AllowList {
    /// `detectors_off[i]`: whether detector `i`'s findings are dropped (see `detectors_off`).
    pub fn new(
        values: &[String],
        fingerprints: &[String],
        fields: &[String],
        event_types: &[String],
        detectors_off: Vec<bool>,
    ) -> AllowList {
        AllowList {
            values: values.to_vec(),
            fingerprints: fingerprints.to_vec(),
            fields: fields.to_vec(),
            event_types: event_types.to_vec(),
            detectors_off,
        }
    }

    /// Step 1: an allow-listed event type (exact, or a prefix ending in `.`).
    pub fn allows_event_type(&self, event_type: &str) -> bool {
        self.event_types
            .iter()
            .any(|t| type_matches(t, event_type))
    }

    /// Step 2: an allow-listed field (JSON pointer pattern).
    pub fn allows_field(&self, pointer: &str) -> bool {
        self.fields.iter().any(|pat| pointer_matches(pat, pointer))
    }

    /// Steps 3 and 4: a finding that does not count, because its detector is switched off or its
    /// value is allow-listed (by value or by fingerprint).
    pub fn allows_finding(&self, f: &Finding, value: &str, fingerprinter: &Fingerprinter) -> bool {
        self.detectors_off[f.detector as usize]
            || self.values.iter().any(|v| v == value)
            || (!self.fingerprints.is_empty()
                && self
                    .fingerprints
                    .contains(&fingerprinter.fingerprint(f.category, value)))
    }
}

/// By detector index, for the detectors `ids` (in engine order): whether any of `off` names it.
pub fn detectors_off<'a>(
    ids: impl Iterator<Item = &'a str>,
    off: &[&String],
) -> Vec<bool> {
    ids.map(|id| off.iter().any(|d| d.as_str() == id)).collect()
}

fn type_matches(pattern: &str, event_type: &str) -> bool {
    if pattern.ends_with('.') {
        event_type.starts_with(pattern)
    } else {
        pattern == event_type
    }
}

/// `*` matches one segment; a trailing `/**` matches everything below.
pub fn pointer_matches(pattern: &str, pointer: &str) -> bool {
    let mut pat = pattern.split('/');
    let mut ptr = pointer.split('/');
    loop {
        match (pat.next(), ptr.next()) {
            (Some("**"), _) => return true,
            (Some(p), Some(s)) if p == "*" || p == s => continue,
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_patterns() {
        assert!(pointer_matches(
            "/data/tags/campaign",
            "/data/tags/campaign"
        ));
        assert!(pointer_matches("/data/tags/*", "/data/tags/campaign"));
        assert!(!pointer_matches("/data/tags/*", "/data/tags/a/b"));
        assert!(pointer_matches("/data/payload/**", "/data/payload/a/b"));
        assert!(!pointer_matches("/data/tags", "/data/tags/campaign"));
    }

    #[test]
    fn event_types_match_exactly_or_by_prefix() {
        let allow = AllowList::new(
            &[],
            &[],
            &[],
            &["com.twilio.voice.".into(), "com.twilio.messaging.message.sent".into()],
            Vec::new(),
        );
        assert!(allow.allows_event_type("com.twilio.voice.insights.call-summary"));
        assert!(allow.allows_event_type("com.twilio.messaging.message.sent"));
        assert!(!allow.allows_event_type("com.twilio.messaging.message.sent.extra"));
        assert!(!allow.allows_event_type("com.twilio.messaging.inbound-message.received"));
    }

    #[test]
    fn findings_are_allowed_by_detector_value_or_fingerprint() {
        let fp = Fingerprinter::new(b"test-key");
        let phone = crate::detect::Category::Phone;
        let mark = fp.fingerprint(phone, "+15551230002");
        let allow = AllowList::new(
            &["+15551230001".into()],
            &[mark],
            &[],
            &[],
            vec![false, true],
        );
        let f = |rule| Finding::new(0, 12, phone, rule, 0.9);
        assert!(allow.allows_finding(&f(0), "+15551230001", &fp));
        assert!(allow.allows_finding(&f(0), "+15551230002", &fp));
        assert!(!allow.allows_finding(&f(0), "+15551230003", &fp));
        assert!(allow.allows_finding(&f(1), "+15551230003", &fp));
    }
}
