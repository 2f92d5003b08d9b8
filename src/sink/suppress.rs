//! The suppression window: one leaking message template would otherwise page someone ten
//! thousand times. An alert is sent for the first occurrence of a (rule, account, fingerprints)
//! key in a window; repeats inside the window are counted in metrics but not sent.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::alert::Alert;

/// Keys remembered at most; the oldest are evicted first when the map is full.
const MAX_KEYS: usize = 200_000;

pub struct Suppressor {
    window: Duration,
    seen: Mutex<HashMap<String, Instant>>,
}

impl Suppressor {
    /// A zero window disables suppression.
    pub fn new(window: Duration) -> Suppressor {
        Suppressor {
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    fn key(alert: &Alert) -> String {
        let mut fps: Vec<&str> = alert
            .findings
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        fps.sort_unstable();
        fps.dedup();
        format!(
            "{}|{}|{}",
            alert.rule,
            alert.event.account_sid.as_deref().unwrap_or(""),
            fps.join(",")
        )
    }

    /// Whether to send this alert now (and remember it as sent).
    pub fn admit(&self, alert: &Alert) -> bool {
        match self.check(alert) {
            Some(key) => {
                self.remember(key);
                true
            }
            None => false,
        }
    }

    /// The alert's key when it is not suppressed (empty when suppression is off), without
    /// remembering it: `Sinks::deliver` remembers it with `remember` once a sink accepted the
    /// alert, so an alert a sink refused does not hold back its repeats.
    pub fn check(&self, alert: &Alert) -> Option<String> {
        if self.window.is_zero() {
            return Some(String::new());
        }
        let key = Suppressor::key(alert);
        let seen = self.seen.lock().expect("suppression lock");
        match seen.get(&key) {
            Some(at) if at.elapsed() < self.window => None,
            _ => Some(key),
        }
    }

    /// Start the window for a key `check` returned (no-op when suppression is off).
    pub fn remember(&self, key: String) {
        if self.window.is_zero() || key.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut seen = self.seen.lock().expect("suppression lock");
        if seen.len() >= MAX_KEYS {
            let window = self.window;
            seen.retain(|_, at| now.duration_since(*at) < window);
            if seen.len() >= MAX_KEYS {
                // still full of live keys: forget the oldest half
                let mut ages: Vec<Instant> = seen.values().copied().collect();
                ages.sort_unstable();
                let cutoff = ages[ages.len() / 2];
                seen.retain(|_, at| *at > cutoff);
            }
        }
        seen.insert(key, now);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::alert::{AlertFinding, Severity, SourceRef};
    use crate::detect::Category;
    use crate::event::{Channel, EventRef, Location};

    pub(crate) fn alert(rule: &'static str, account: &str, fp: &str) -> Alert {
        Alert {
            schema: crate::alert::SCHEMA,
            alert_id: "x".into(),
            rule,
            severity: Severity::High,
            event: EventRef {
                id: "EZ1".into(),
                event_type: "t".into(),
                account_sid: Some(account.into()),
                ..Default::default()
            },
            channel: Channel::Sms,
            findings: vec![AlertFinding {
                field: "/data/tags/x".into(),
                location: Location::Tag,
                category: Category::Mrn,
                detector: "mrn".into(),
                span: [0, 1],
                confidence: 1.0,
                masked: "*".into(),
                fingerprint: fp.into(),
                in_key: false,
            }],
            source: SourceRef::Webhook {
                request_id: "r".into(),
            },
            note: None,
            findings_omitted: None,
        }
    }

    #[test]
    fn repeats_inside_the_window_are_held_back() {
        let s = Suppressor::new(Duration::from_secs(60));
        assert!(s.admit(&alert("phi-in-tag", "AC1", "f1")));
        assert!(!s.admit(&alert("phi-in-tag", "AC1", "f1")));
        assert!(
            s.admit(&alert("phi-in-tag", "AC2", "f1")),
            "another account is another key"
        );
        assert!(
            s.admit(&alert("phi-in-log", "AC1", "f1")),
            "another rule is another key"
        );
        assert!(
            s.admit(&alert("phi-in-tag", "AC1", "f2")),
            "another value is another key"
        );
        let off = Suppressor::new(Duration::ZERO);
        assert!(
            off.admit(&alert("phi-in-tag", "AC1", "f1"))
                && off.admit(&alert("phi-in-tag", "AC1", "f1"))
        );
    }

    #[test]
    fn the_window_expires() {
        let s = Suppressor::new(Duration::from_millis(20));
        assert!(s.admit(&alert("phi-in-tag", "AC1", "f1")));
        std::thread::sleep(Duration::from_millis(30));
        assert!(s.admit(&alert("phi-in-tag", "AC1", "f1")));
    }
}
