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

    /// Whether to send this alert now.
    pub fn admit(&self, alert: &Alert) -> bool {
        if self.window.is_zero() {
            return true;
        }
        let now = Instant::now();
        let key = Suppressor::key(alert);
        let mut seen = self.seen.lock().expect("suppression lock");
        if let Some(at) = seen.get(&key)
            && now.duration_since(*at) < self.window
        {
            return false;
        }
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
        true
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
