//! `[policy]` in the configuration: which accounts are HIPAA projects, which channels and
//! products must not carry PHI, severity overrides. Kept beside the rules it tunes; `config`
//! only places it in the file (`Config::policy`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::alert::Severity;
use crate::event::Channel;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Account SIDs designated as HIPAA Projects. Empty: the `phi-in-non-hipaa-account` rule is off.
    pub hipaa_accounts: Vec<String>,
    /// Channels that must never carry PHI.
    pub ineligible_channels: Vec<Channel>,
    /// Channels whose PHI traffic must stay on US numbers.
    pub us_only_channels: Vec<Channel>,
    /// Event-type prefixes of products that are not HIPAA eligible.
    pub ineligible_event_types: Vec<String>,
    /// Extra area codes to treat as US (or not) on top of the shipped NANP table.
    pub us_area_codes: Vec<String>,
    pub non_us_area_codes: Vec<String>,
    /// Alert on `phi-in-content` (info) too; by default it is only counted.
    pub alert_info: bool,
    /// Per-rule severity overrides, e.g. `phi-in-attributes = "high"`.
    pub severity: BTreeMap<String, Severity>,
    /// Policy rules to switch off, e.g. `["phi-in-url"]`.
    pub disabled_rules: Vec<String>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        use Channel::*;
        PolicyConfig {
            hipaa_accounts: Vec::new(),
            ineligible_channels: vec![Whatsapp, Messenger, Rcs, Email],
            us_only_channels: vec![Sms, Mms, Voice],
            ineligible_event_types: vec![
                "com.twilio.ai-assistants.".into(),
                "com.twilio.autopilot.".into(),
                "com.twilio.unified-profiles.".into(),
                "com.twilio.engage.".into(),
                "com.twilio.marketplace.".into(),
            ],
            us_area_codes: Vec::new(),
            non_us_area_codes: Vec::new(),
            alert_info: false,
            severity: BTreeMap::new(),
            disabled_rules: Vec::new(),
        }
    }
}
