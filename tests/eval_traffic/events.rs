//! CloudEvents of every event-type family of reference/twilio-event-streams.md, with the field
//! shapes of the reference and the samples, and violations of every policy rule planted the way
//! real applications leak them. Each event records the (event, rule) alerts policy.md expects,
//! and each plant says what kind of leak it is, so misses can be grouped by kind.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::rng::Rng;
use super::sms;
use super::support::planted::b64;
use super::text::*;
use super::vocab::*;

pub const TAG: &str = "phi-in-tag";
pub const LOG: &str = "phi-in-log";
pub const CHANNEL: &str = "phi-on-ineligible-channel";
pub const OUTSIDE_US: &str = "phi-outside-us";
pub const NON_HIPAA: &str = "phi-in-non-hipaa-account";
pub const ATTRIBUTES: &str = "phi-in-attributes";
pub const URL: &str = "phi-in-url";
pub const CREDENTIAL: &str = "credential-exposed";

/// Every alerting rule of policy.md, in its order.
pub const RULES: &[&str] = &[
    TAG, LOG, CHANNEL, OUTSIDE_US, NON_HIPAA, ATTRIBUTES, URL, CREDENTIAL,
];

pub struct Account {
    pub sid: String,
    pub name: &'static str,
    pub hipaa: bool,
}

/// One planted leak: the rule it must trigger, what kind of leak it is, where, and the planted
/// text (synthetic) for the miss report.
#[derive(Debug, Clone)]
pub struct Plant {
    pub rule: &'static str,
    pub kind: &'static str,
    pub field: String,
    pub text: String,
}

pub struct Event {
    pub value: Value,
    pub family: &'static str,
    /// What the clean part of the event is (for grouping false alarms).
    pub clean_kind: &'static str,
    pub plants: Vec<Plant>,
    pub expect: BTreeSet<&'static str>,
}

/// The event under construction.
struct Ev {
    account: usize,
    rule: Option<&'static str>,
    plants: Vec<Plant>,
    clean_kind: &'static str,
    /// PHI in content on an eligible channel: allowed, but not from a non-HIPAA account.
    content_phi: bool,
}

impl Ev {
    fn plant(&mut self, rule: &'static str, kind: &'static str, field: &str, text: &str) {
        self.plants.push(Plant {
            rule,
            kind,
            field: field.to_string(),
            text: text.to_string(),
        });
    }
    fn wants(&self, rule: &str) -> bool {
        self.rule == Some(rule)
    }
}

pub struct Gen {
    r: Rng,
    pub accounts: Vec<Account>,
    now: u64,
}

/// Families: name, weight, the rules a violation of that family can plant.
const FAMILIES: &[(&str, u32, &[&str])] = &[
    (
        "messaging-outbound",
        28,
        &[TAG, CHANNEL, OUTSIDE_US, NON_HIPAA, URL, CREDENTIAL],
    ),
    ("messaging-inbound", 12, &[CHANNEL, OUTSIDE_US, NON_HIPAA]),
    ("error-logs", 14, &[LOG, LOG, LOG, CREDENTIAL, CREDENTIAL]),
    ("voice", 12, &[OUTSIDE_US, NON_HIPAA, URL, CREDENTIAL]),
    ("voice-insights", 4, &[]),
    ("studio", 5, &[]),
    (
        "taskrouter",
        10,
        &[ATTRIBUTES, ATTRIBUTES, ATTRIBUTES, CREDENTIAL],
    ),
    (
        "conversations",
        10,
        &[ATTRIBUTES, CHANNEL, NON_HIPAA, URL, CREDENTIAL],
    ),
    ("verify", 6, &[TAG, TAG, CHANNEL]),
    ("link-shortening", 2, &[URL]),
    ("other-products", 3, &[]),
    ("sink-test", 1, &[]),
];

impl Gen {
    pub fn new(seed: u64) -> Gen {
        let mut r = Rng::new(seed);
        let accounts = [
            ("Lakeshore Health - Patient Messaging", true),
            ("Lakeshore Health - Contact Center", true),
            ("Northside Pharmacy Services", true),
            ("Lakeshore Marketing (subaccount)", false),
            ("Dev Sandbox", false),
        ]
        .into_iter()
        .map(|(name, hipaa)| Account {
            sid: r.sid("AC"),
            name,
            hipaa,
        })
        .collect();
        // 2026-03-02T00:00:00Z
        Gen {
            r,
            accounts,
            now: 1_772_409_600,
        }
    }

    pub fn hipaa_sids(&self) -> Vec<String> {
        self.accounts
            .iter()
            .filter(|a| a.hipaa)
            .map(|a| a.sid.clone())
            .collect()
    }

    pub fn generate(&mut self, n: usize, violation_rate: f64) -> Vec<Event> {
        (0..n).map(|_| self.one(violation_rate)).collect()
    }

    fn one(&mut self, violation_rate: f64) -> Event {
        let weights: Vec<u32> = FAMILIES.iter().map(|f| f.1).collect();
        let (family, _, rules) = FAMILIES[self.r.weighted(&weights)];
        let rule =
            (!rules.is_empty() && self.r.chance(violation_rate)).then(|| self.r.pick_copy(rules));
        let account = match rule {
            Some(NON_HIPAA) => self.r.range(3, 4) as usize,
            _ if self.r.chance(0.8) => self.r.below(3),
            _ => self.r.range(3, 4) as usize,
        };
        self.now += self.r.range(1, 900);
        let mut ev = Ev {
            account,
            rule,
            plants: Vec::new(),
            clean_kind: "",
            content_phi: false,
        };
        let value = match family {
            "messaging-outbound" => self.outbound(&mut ev),
            "messaging-inbound" => self.inbound(&mut ev),
            "error-logs" => self.error_log(&mut ev),
            "voice" => self.voice(&mut ev),
            "voice-insights" => self.insights(&mut ev),
            "studio" => self.studio(&mut ev),
            "taskrouter" => self.taskrouter(&mut ev),
            "conversations" => self.conversations(&mut ev),
            "verify" => self.verify(&mut ev),
            "link-shortening" => self.link_shortening(&mut ev),
            "other-products" => self.other_products(&mut ev),
            _ => self.sink_test(&mut ev),
        };
        assert!(
            rule.is_none() || !ev.plants.is_empty(),
            "generator bug: {family} did not plant {rule:?}"
        );
        let mut expect: BTreeSet<&'static str> = ev.plants.iter().map(|p| p.rule).collect();
        let phi = ev.content_phi || ev.plants.iter().any(|p| p.rule != CREDENTIAL);
        if !self.accounts[ev.account].hipaa && phi {
            expect.insert(NON_HIPAA);
        }
        Event {
            value,
            family,
            clean_kind: ev.clean_kind,
            plants: ev.plants,
            expect,
        }
    }

    // -----------------------------------------------------------------------------------------
    // shared pieces

    fn acct(&self, ev: &Ev) -> String {
        self.accounts[ev.account].sid.clone()
    }

    fn iso(&mut self) -> String {
        iso(self.now, self.r.below(1000) as u64)
    }

    fn envelope(
        &mut self,
        ty: &str,
        source: String,
        id: String,
        schema: &str,
        data: Value,
    ) -> Value {
        json!({
            "specversion": "1.0",
            "type": ty,
            "source": source,
            "id": id,
            "dataschema": format!("https://events-schemas.twilio.com/{schema}"),
            "datacontenttype": "application/json",
            "time": self.iso(),
            "data": data,
        })
    }

    /// Body text for content that must be clean on this event (names alone are fine).
    fn clean_body(&mut self, ev: &mut Ev) -> String {
        if self.r.chance(0.2) {
            ev.clean_kind = "body:name-only";
            let greet = ["Hi", "Hello", "Hey"][self.r.below(3)];
            format!(
                "{greet} {}, {}",
                first_name(&mut self.r),
                lower_first(&sms::clean(&mut self.r))
            )
        } else {
            ev.clean_kind = "body:clean";
            sms::clean(&mut self.r)
        }
    }

    /// Body on an eligible, US, HIPAA path: sometimes allowed PHI (counted, not alerted).
    fn eligible_body(&mut self, ev: &mut Ev, eligible_us: bool) -> String {
        if eligible_us && self.accounts[ev.account].hipaa && self.r.chance(0.35) {
            ev.clean_kind = "body:allowed-phi-content";
            ev.content_phi = true;
            return sms::labelled(&mut self.r).s;
        }
        self.clean_body(ev)
    }

    fn clean_tags(&mut self) -> Map<String, Value> {
        let r = &mut self.r;
        let mut m = Map::new();
        let options: Vec<(&str, String)> = vec![
            ("campaign", r.pick(CLEAN_CAMPAIGNS).to_string()),
            (
                "send_date",
                format!("2026-{:02}-{:02}", r.range(3, 6), r.range(1, 28)),
            ),
            (
                "template",
                [
                    "appt_reminder_v4",
                    "otp_login",
                    "bill_ready",
                    "survey_nps_2",
                    "portal_invite",
                ][r.below(5)]
                .to_string(),
            ),
            (
                "batch",
                format!(
                    "2026-{:02}-{:02}-{}",
                    r.range(3, 6),
                    r.range(1, 28),
                    ["am", "pm"][r.below(2)]
                ),
            ),
            (
                "locale",
                ["en-US", "es-US", "vi-VN", "zh-CN"][r.below(4)].to_string(),
            ),
            (
                "dept",
                ["billing", "scheduling", "marketing", "it-ops"][r.below(4)].to_string(),
            ),
            ("cohort", format!("q{}-2026", r.range(1, 4))),
            (
                "scheduled_for",
                format!(
                    "2026-{:02}-{:02}T{:02}:00:00Z",
                    r.range(3, 6),
                    r.range(1, 28),
                    r.range(8, 18)
                ),
            ),
            ("year", "2026".to_string()),
            ("ab_variant", ["A", "B", "control"][r.below(3)].to_string()),
            (
                "source",
                ["scheduler", "crm-sync", "manual", "bulk-upload"][r.below(4)].to_string(),
            ),
            ("campaign_id", format!("cmp_{}", r.hex(8))),
        ];
        for _ in 0..r.range(1, 3) {
            let (k, v) = options[r.below(options.len())].clone();
            m.insert(k.to_string(), Value::String(v));
        }
        m
    }

    /// Tags with PHI the way teams put it there.
    fn phi_tags(&mut self, ev: &mut Ev, field_prefix: &str) -> Map<String, Value> {
        let mut m = if self.r.chance(0.5) {
            self.clean_tags()
        } else {
            Map::new()
        };
        let r = &mut self.r;
        let (key, value, kind): (&str, String, &'static str) = match r.below(14) {
            0 => ("patient_mrn", mrn_value(r), "tag:mrn"),
            1 => (
                ["patient", "recipient_name", "pt_name"][r.below(3)],
                full_name(r),
                "tag:name",
            ),
            2 => (
                ["dob", "patient_dob"][r.below(2)],
                date_value(r, true),
                "tag:dob",
            ),
            3 => ("campaign", condition_campaign(r), "tag:condition-campaign"),
            4 => (
                "program",
                format!("{}-refill-program", slug(&medication(r, false))),
                "tag:drug-program",
            ),
            5 => (
                ["member_id", "insurance_id"][r.below(2)],
                member_value(r),
                "tag:member-id",
            ),
            6 => (
                ["clinic", "location", "dept"][r.below(3)],
                care_setting(r),
                "tag:care-setting",
            ),
            7 => (
                ["dx", "icd10"][r.below(2)],
                r.pick(ICD).to_string(),
                "tag:icd-code",
            ),
            8 => ("zip", r.digits(5), "tag:zip"),
            9 => (
                ["email", "patient_email"][r.below(2)],
                email(r),
                "tag:email",
            ),
            10 => (
                ["appt_date", "appointment"][r.below(2)],
                format!(
                    "2026-{:02}-{:02} {:02}:30",
                    r.range(3, 6),
                    r.range(1, 28),
                    r.range(8, 16)
                ),
                "tag:appt-date",
            ),
            11 => ("procedure", r.pick(PROCEDURES).to_string(), "tag:procedure"),
            12 => ("facility", facility(r), "tag:facility"),
            _ => (
                "campaign",
                format!("post-{}-followup", slug(r.pick(PROCEDURES))),
                "tag:procedure-campaign",
            ),
        };
        ev.plant(TAG, kind, &format!("{field_prefix}/{key}"), &value);
        m.insert(key.to_string(), Value::String(value));
        m
    }

    fn clean_url(&mut self) -> String {
        let r = &mut self.r;
        match r.below(7) {
            0 => "https://hooks.lakeshorehealth.example/twilio/sms/status".into(),
            1 => format!("https://api.notify-relay.example/v2/callbacks/status?tenant={}&v=2", ["east", "west", "central"][r.below(3)]),
            2 => format!("https://portal.lakeshorehealth.example/m/{}", r.alnum(12)),
            3 => "https://lakeshorehealth.example/flu?utm_source=sms&utm_campaign=flu-shot-drive-2026".into(),
            4 => format!("https://status.reminder-app.example/cb/{}", r.uuid()),
            5 => format!("https://hooks.lakeshorehealth.example/status?batch=2026-{:02}-{:02}&template=appt_reminder_v4", r.range(3, 6), r.range(1, 28)),
            _ => format!("https://lakeshorehealth.example/wellness?utm_campaign=annual-wellness-reminder&t={}", r.alnum(8)),
        }
    }

    /// A URL carrying PHI in its query or path, often percent- or plus-encoded.
    fn phi_url(&mut self) -> (String, String, &'static str) {
        let r = &mut self.r;
        let host = [
            "https://hooks.lakeshorehealth.example/twilio/status",
            "https://forms.clinic-intake.example/previsit",
            "https://ivr.lakeshorehealth.example/voice/next",
            "https://app.northside-rx.example/notify",
        ][r.below(4)];
        let (plain, kind): (Vec<(String, String)>, &'static str) = match r.below(9) {
            0 => (
                vec![
                    ("patient".into(), full_name(r)),
                    ("dob".into(), date_value(r, true)),
                ],
                "url:name+dob",
            ),
            1 => (vec![("mrn".into(), mrn_value(r))], "url:mrn"),
            2 => (vec![("member_id".into(), member_value(r))], "url:member-id"),
            3 => (vec![("email".into(), email(r))], "url:email"),
            4 => (
                vec![
                    ("name".into(), full_name(r)),
                    ("appt".into(), date_value(r, false)),
                ],
                "url:name+appt",
            ),
            5 => (
                vec![("reason".into(), r.pick(PROCEDURES).to_string())],
                "url:procedure",
            ),
            6 => (
                vec![("campaign".into(), condition_campaign(r))],
                "url:condition-campaign",
            ),
            7 => (
                vec![
                    ("pt".into(), first_name(r)),
                    ("phone".into(), phone_text(r)),
                ],
                "url:first-name+phone",
            ),
            _ => {
                let path = slug(&care_setting(r));
                let url = format!(
                    "{}/{path}/intake?ref={}",
                    host.rsplit_once('/').unwrap().0,
                    r.alnum(10)
                );
                return (url.clone(), path, "url:care-setting-path");
            }
        };
        if kind == "url:procedure" && r.chance(0.4) {
            let med = medication(r, false);
            let url = format!(
                "{}/refills/{}/confirm?rx={}",
                host.rsplit_once('/').unwrap().0,
                slug(&med),
                r.digits(7)
            );
            return (url, med, "url:medication-path");
        }
        let plus = r.chance(0.5);
        let q: Vec<String> = plain
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v, plus)))
            .collect();
        let text = plain
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        (format!("{host}?{}", q.join("&")), text, kind)
    }

    fn credential(&mut self) -> (String, &'static str) {
        let r = &mut self.r;
        let tok = r.hex(32);
        let secret = r.alnum(32);
        let sk = r.sid("SK");
        let ac = r.sid("AC");
        match r.below(10) {
            0 => (
                format!("here is my auth token for the test account: {tok}"),
                "cred:auth-token-prose",
            ),
            1 => (
                format!("twilio creds for staging -> sid {ac} token {tok} (rotate after demo)"),
                "cred:sid+token",
            ),
            2 => (
                format!("created API key {sk} with secret {secret}"),
                "cred:sk+secret",
            ),
            3 => (format!("key={sk} secret={secret}"), "cred:sk+secret-kv"),
            4 => (format!("init client({ac}, '{tok}')"), "cred:code-call"),
            5 => (
                format!("authToken is {tok}, do not share"),
                "cred:auth-token-prose",
            ),
            6 => (format!("the secret for {sk} is {secret}"), "cred:sk+secret"),
            7 => (
                format!(
                    "Authorization: Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{ac}:{tok}"))
                ),
                "cred:basic-auth-header",
            ),
            8 => (
                format!(
                    "portal admin password: {}{}!",
                    ["Spring", "Harbor", "Maple"][r.below(3)],
                    r.range(2020, 2026)
                ),
                "cred:password",
            ),
            _ => (
                format!("Using primary token {tok} because the api key expired"),
                "cred:auth-token-prose",
            ),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Messaging

    fn outbound(&mut self, ev: &mut Ev) -> Value {
        let status = [
            "queued",
            "sent",
            "delivered",
            "failed",
            "undelivered",
            "read",
        ][self.r.below(6)];
        let (from, to, channel) = self.outbound_route(ev);
        let sm = self.r.sid("SM");
        let acct = self.acct(ev);
        let eligible_us = channel == "sms" && !is_non_us(&to);
        let mut body = match ev.rule {
            Some(CHANNEL) | Some(OUTSIDE_US) | Some(NON_HIPAA) => {
                let t = sms::labelled(&mut self.r);
                let kind = match ev.rule {
                    Some(CHANNEL) => channel_kind(channel),
                    Some(OUTSIDE_US) => "outside-us:sms-outbound",
                    _ => "non-hipaa:sms-outbound",
                };
                ev.plant(ev.rule.unwrap(), kind, "/data/body", &t.s);
                t.s
            }
            _ => self.eligible_body(ev, eligible_us),
        };
        let mut callback = self.r.chance(0.6).then(|| self.clean_url());
        if ev.wants(URL) {
            let (url, text, kind) = self.phi_url();
            if self.r.chance(0.4) {
                body = format!(
                    "{} {url}",
                    [
                        "Complete your form:",
                        "Details here:",
                        "Confirm your visit:"
                    ][self.r.below(3)]
                );
                ev.clean_kind = "body:link";
                ev.content_phi = false;
                ev.plant(URL, kind, "/data/body", &text);
            } else {
                callback = Some(url);
                ev.plant(URL, kind, "/data/statusCallBackUrl", &text);
            }
        }
        if ev.wants(CREDENTIAL) {
            if self.r.chance(0.5) {
                let tok = self.r.hex(32);
                let url = format!(
                    "https://{}:{tok}@hooks.lakeshorehealth.example/twilio/status",
                    self.acct(ev)
                );
                ev.plant(
                    CREDENTIAL,
                    "cred:url-userinfo",
                    "/data/statusCallBackUrl",
                    &format!("{}:{tok}@", self.acct(ev)),
                );
                callback = Some(url);
            } else {
                // a developer texting themselves the sandbox credentials
                let (line, kind) = self.credential();
                ev.plant(CREDENTIAL, kind, "/data/body", &line);
                ev.content_phi = false;
                body = line;
            }
        }
        let mut data = json!({
            "messageSid": sm,
            "timestamp": self.iso(),
            "accountSid": acct,
            "eventName": format!("com.twilio.messaging.message.{status}"),
            "apiVersion": "2010-04-01",
            "from": from,
            "to": to,
            "messageStatus": status.to_uppercase(),
            "messagingServiceSid": self.r.sid("MG"),
            "body": body,
            "numberOfSegments": self.r.range(1, 3),
            "mcc": "310",
            "mnc": (["260", "410", "120"][self.r.below(3)]),
            "dateUpdated": self.iso(),
        });
        if let Some(cb) = callback {
            data["statusCallBackUrl"] = cb.into();
        }
        if matches!(status, "failed" | "undelivered") {
            data["errorCode"] = json!(["30003", "30005", "30007", "30008"][self.r.below(4)]);
        }
        if ev.wants(TAG) {
            data["tags"] = Value::Object(self.phi_tags(ev, "/data/tags"));
        } else if self.r.chance(0.55) {
            data["tags"] = Value::Object(self.clean_tags());
            if ev.clean_kind.starts_with("body:clean") {
                ev.clean_kind = "tags:operational";
            }
        } else if self.r.chance(0.3) {
            data["tags"] = json!({});
        }
        let source = format!("/2010-04-01/Accounts/{acct}/Messages/{sm}.json");
        let id = self.r.sid("EZ");
        self.envelope(
            &format!("com.twilio.messaging.message.{status}"),
            source,
            id,
            "Messaging.MessageStatus/7",
            data,
        )
    }

    /// (from, to, channel) for an outbound message, honouring the planted rule.
    fn outbound_route(&mut self, ev: &Ev) -> (String, String, &'static str) {
        let ours = us_number(&mut self.r);
        let pick = match ev.rule {
            Some(CHANNEL) => 1 + self.r.below(3),
            Some(OUTSIDE_US) => 4,
            Some(NON_HIPAA) | Some(URL) => 0,
            _ => self.r.weighted(&[70, 12, 5, 3, 10]),
        };
        match pick {
            0 => (ours, us_number(&mut self.r), "sms"),
            1 => (
                format!("whatsapp:{ours}"),
                format!(
                    "whatsapp:{}",
                    if self.r.chance(0.7) {
                        us_number(&mut self.r)
                    } else {
                        non_us_number(&mut self.r)
                    }
                ),
                "whatsapp",
            ),
            2 => (
                "rcs:lakeshore_health_agent".into(),
                format!("rcs:{}", us_number(&mut self.r)),
                "rcs",
            ),
            3 => (
                format!("messenger:{}", self.r.digits(15)),
                format!("messenger:{}", self.r.digits(16)),
                "messenger",
            ),
            _ => (ours, non_us_number(&mut self.r), "sms-non-us"),
        }
    }

    fn inbound(&mut self, ev: &mut Ev) -> Value {
        let acct = self.acct(ev);
        let ours = us_number(&mut self.r);
        let pick = match ev.rule {
            Some(CHANNEL) => 1 + self.r.below(3),
            Some(OUTSIDE_US) => 4,
            Some(NON_HIPAA) => 0,
            _ => self.r.weighted(&[70, 12, 4, 4, 10]),
        };
        let (from, to, channel) = match pick {
            0 => (us_number(&mut self.r), ours, "sms"),
            1 => (
                format!("whatsapp:{}", us_number(&mut self.r)),
                format!("whatsapp:{ours}"),
                "whatsapp",
            ),
            2 => (
                format!("messenger:{}", self.r.digits(16)),
                format!("messenger:{}", self.r.digits(15)),
                "messenger",
            ),
            3 => (
                format!("rcs:{}", us_number(&mut self.r)),
                "rcs:lakeshore_health_agent".into(),
                "rcs",
            ),
            _ => (non_us_number(&mut self.r), ours, "sms-non-us"),
        };
        let body = match ev.rule {
            Some(rule) => {
                let t = sms::patient_phi(&mut self.r);
                let kind = match rule {
                    CHANNEL => channel_kind(channel),
                    OUTSIDE_US => "outside-us:sms-inbound",
                    _ => "non-hipaa:sms-inbound",
                };
                ev.plant(rule, kind, "/data/body", &t.s);
                t.s
            }
            None if channel == "sms" && self.accounts[ev.account].hipaa && self.r.chance(0.35) => {
                ev.clean_kind = "body:allowed-phi-inbound";
                ev.content_phi = true;
                sms::patient_phi(&mut self.r).s
            }
            None => {
                ev.clean_kind = "body:inbound-clean";
                inbound_clean(&mut self.r)
            }
        };
        let sm = self.r.sid("SM");
        let city = self.r.pick(CITIES).to_uppercase();
        let state = self.r.pick(STATES).to_string();
        let media = self.r.chance(0.1);
        let data = json!({
            "messageSid": sm,
            "timestamp": self.iso(),
            "accountSid": acct,
            "eventName": "com.twilio.messaging.inbound-message.received",
            "from": from,
            "to": to,
            "numMedia": if media { 1 } else { 0 },
            "numSegments": 1,
            "body": body,
            "toCountry": "US", "toState": "IL", "toCity": "CHICAGO", "toZip": "60601",
            "fromCountry": if channel == "sms-non-us" { "CA" } else { "US" },
            "fromState": state, "fromCity": city, "fromZip": self.r.digits(5),
            "messagingServiceSid": self.r.sid("MG"),
            "recipients": [],
        });
        let source = format!("/2010-04-01/Accounts/{acct}/Messages/{sm}.json");
        let id = self.r.sid("EZ");
        self.envelope(
            "com.twilio.messaging.inbound-message.received",
            source,
            id,
            "Messaging.InboundMessageV1/6",
            data,
        )
    }
}

fn channel_kind(channel: &str) -> &'static str {
    match channel {
        "whatsapp" => "channel:whatsapp",
        "rcs" => "channel:rcs",
        "messenger" => "channel:messenger",
        _ => "channel:other",
    }
}

fn inbound_clean(r: &mut Rng) -> String {
    [
        "YES",
        "C",
        "Confirm",
        "STOP",
        "what time do you open tomorrow?",
        "running 10 min late sorry",
        "ok thanks",
        "Can I reschedule to next week?",
        "wrong number",
        "Is parking free?",
        "How do I log into the portal",
        "cancel please",
        "Y",
        "Thank you!",
        "2",
    ][r.below(15)]
    .to_string()
}

const CLEAN_CAMPAIGNS: &[&str] = &[
    "flu-shot-drive-2026",
    "annual-wellness-reminder",
    "spring-newsletter",
    "appt-reminders",
    "portal-signup",
    "covid-booster-fall",
    "back-to-school-physicals",
    "holiday-hours",
    "patient-satisfaction-survey",
    "new-app-launch",
    "open-enrollment-2026",
];

fn condition_campaign(r: &mut Rng) -> String {
    let c = r.pick(CAMPAIGN_CONDITIONS);
    match r.below(4) {
        0 => format!("{c} outreach"),
        1 => format!("{c}-outreach-q{}", r.range(1, 4)),
        2 => format!("{c}_care_mgmt"),
        _ => format!("{} patients recall", c.to_uppercase()),
    }
}

pub fn slug(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Query-value encoding as browsers and SDKs write it.
fn encode(v: &str, plus: bool) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' if plus => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

pub fn is_non_us(number: &str) -> bool {
    let n = number.trim_start_matches("whatsapp:");
    !n.starts_with("+1") || NANP_NON_US.iter().any(|a| n[2..].starts_with(a))
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` of a Unix time.
pub fn iso(secs: u64, ms: u64) -> String {
    let (y, m, d) = civil(secs / 86_400);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// RFC 2822 date as Twilio's voice webhooks write it.
pub fn rfc2822(secs: u64) -> String {
    let days = secs / 86_400;
    let (y, m, d) = civil(days);
    let s = secs % 86_400;
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let mon = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][m as usize - 1];
    format!(
        "{wd}, {d:02} {mon} {y} {:02}:{:02}:{:02} +0000",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil(days: u64) -> (u64, u64, u64) {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as u64, m as u64, d as u64)
}

// ---------------------------------------------------------------------------------------------
// Error logs, voice, Studio, Voice Insights

impl Gen {
    fn error_log(&mut self, ev: &mut Ev) -> Value {
        let acct = self.acct(ev);
        let (code, product, level, payload) = match ev.rule {
            Some(LOG) => self.log_phi(ev),
            Some(_) => {
                let (line, kind) = self.credential();
                ev.plant(CREDENTIAL, kind, "/data/payload/message", &line);
                (
                    "82005",
                    "Serverless",
                    "INFO",
                    json!({"message": line, "level": "INFO", "function": "/send-reminder"}),
                )
            }
            None => self.log_clean(ev),
        };
        let no = self.r.sid("NO");
        let data = json!({
            "sid": no,
            "account_sid": acct,
            "date_created": self.iso(),
            "level": level,
            "master_account_sid": acct,
            "request_sid": self.r.sid("RQ"),
            "service_sid": if product == "Serverless" { self.r.sid("ZS") } else { String::new() },
            "correlation_sid": self.r.sid(if product == "Serverless" { "ZE" } else { "SM" }),
            "product_name": product,
            "error_code": code,
            "payload": payload.to_string(),
        });
        self.envelope(
            "com.twilio.error-logs.error.logged",
            format!("/v1/Alerts/{no}"),
            no.clone(),
            "ErrorLogs.Error/2",
            data,
        )
    }

    /// Webhook request parameters as Twilio posts them for an inbound SMS.
    fn sms_params(&mut self, ev: &Ev, body: &str) -> Value {
        json!({
            "ToCountry": "US", "ToState": "IL", "ToCity": "CHICAGO", "ToZip": "60601",
            "From": us_number(&mut self.r), "To": us_number(&mut self.r),
            "FromCity": self.r.pick(CITIES).to_uppercase(), "FromState": self.r.pick(STATES).to_string(),
            "FromZip": self.r.digits(5), "FromCountry": "US",
            "Body": body, "MessageSid": self.r.sid("SM"), "AccountSid": self.acct(ev),
            "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01",
        })
    }

    fn webhook_11200(&mut self, ev: &Ev, body: &str) -> Value {
        let url = "https://app.lakeshorehealth.example/sms/inbound";
        let status = [502, 500, 504, 404][self.r.below(4)];
        let msg = format!(
            "An attempt to retrieve content from {url} returned the HTTP status code {status}"
        );
        json!({
            "resource_sid": self.r.sid("SM"), "service_sid": null, "error_code": "11200",
            "more_info": {"msg": msg, "Msg": msg, "sourceComponent": "14100", "ErrorCode": "11200", "httpResponse": status.to_string(), "url": url, "LogLevel": "ERROR"},
            "webhook": {"type": "application/x-www-form-urlencoded", "request": {"url": url, "method": "POST", "headers": {}, "parameters": self.sms_params(ev, body)},
                        "response": {"status_code": status, "headers": {}, "body": "Bad Gateway"}},
        })
    }

    fn log_phi(&mut self, ev: &mut Ev) -> (&'static str, &'static str, &'static str, Value) {
        match self.r.below(5) {
            0 => {
                let t = sms::patient_phi(&mut self.r);
                ev.plant(
                    LOG,
                    "log:webhook-params-body",
                    "/data/payload/webhook/request/parameters/Body",
                    &t.s,
                );
                (
                    "11200",
                    "Programmable SMS",
                    "ERROR",
                    self.webhook_11200(ev, &t.s),
                )
            }
            1 | 2 => {
                let (line, kind) = self.console_phi();
                ev.plant(LOG, kind, "/data/payload/message", &line);
                (
                    "82005",
                    "Serverless",
                    "INFO",
                    json!({"message": line, "level": (["INFO", "WARN", "ERROR"][self.r.below(3)]), "function": (["/send-reminder", "/intake", "/refill-webhook"][self.r.below(3)])}),
                )
            }
            3 => {
                let mut t = Text::new();
                t.lit("{\"patient\":\"");
                t.span(&full_name(&mut self.r), "name");
                t.lit("\",\"reason\":\"");
                health_term(&mut self.r, &mut t);
                t.lit("\"}");
                ev.plant(
                    LOG,
                    "log:studio-http-body",
                    "/data/payload/more_info/request_body",
                    &t.s,
                );
                let p = json!({"error_code": "81022", "flow_sid": self.r.sid("FW"), "execution_sid": self.r.sid("FN"),
                    "more_info": {"widget": "http_post_to_ehr", "msg": "HTTP request widget failed: 500", "request_url": "https://ehr-bridge.lakeshorehealth.example/api/tasks", "request_body": t.s}});
                ("81022", "Studio", "ERROR", p)
            }
            _ => {
                let mut t = Text::new();
                t.lit(
                    [
                        "I need to talk to someone about my ",
                        "yeah I'm calling about my ",
                        "refill for ",
                    ][self.r.below(3)],
                );
                health_term(&mut self.r, &mut t);
                ev.plant(
                    LOG,
                    "log:voice-speech-params",
                    "/data/payload/webhook/request/parameters/SpeechResult",
                    &t.s,
                );
                let p = json!({"resource_sid": self.r.sid("CA"), "error_code": "11205",
                    "more_info": {"msg": "HTTP connection failure", "url": "https://ivr.lakeshorehealth.example/voice/gather"},
                    "webhook": {"request": {"url": "https://ivr.lakeshorehealth.example/voice/gather", "method": "POST",
                        "parameters": {"CallSid": self.r.sid("CA"), "From": us_number(&mut self.r), "To": us_number(&mut self.r), "SpeechResult": t.s, "Confidence": "0.91", "CallStatus": "in-progress"}}}});
                ("11205", "Programmable Voice", "ERROR", p)
            }
        }
    }

    /// A console.log line from app code that leaks PHI.
    fn console_phi(&mut self) -> (String, &'static str) {
        let r = &mut self.r;
        let mut t = Text::new();
        let kind = match r.below(6) {
            0 => {
                t.lit("patient lookup ok: ");
                t.span(&full_name(r), "name");
                t.lit(", ");
                strong_identifier(r, &mut t);
                "log:console-lookup-strong-id"
            }
            1 => {
                t.lit("Sending reminder to ");
                t.span(&full_name(r), "name");
                t.lit(&format!(" ({}) for ", phone_text(r)));
                health_term(r, &mut t);
                "log:console-reminder-name+health"
            }
            2 => {
                t.lit(&format!(
                    "intake parsed {{first: '{}', last: '{}', ",
                    r.pick(FIRST).to_lowercase(),
                    r.pick(LAST).to_lowercase()
                ));
                t.lit("dob: '");
                t.span(&date_value(r, true), "dob");
                t.lit("', reason: '");
                health_term(r, &mut t);
                t.lit("'}");
                "log:console-json-dump"
            }
            3 => {
                t.lit("refill request received ");
                labelled_id(r, &mut t);
                t.lit(" med=");
                t.span(&medication(r, false), "medication");
                "log:console-labelled-id+med"
            }
            4 => {
                t.lit("WARN no slot for ");
                t.span(&first_name(r), "name");
                t.lit(" ");
                dob(r, &mut t);
                t.lit(" at ");
                t.span(&facility(r), "geo");
                "log:console-first-name+dob"
            }
            _ => {
                t.lit("ERROR ehr sync failed for ");
                t.span(&email(r), "email");
                t.lit(": ");
                health_term(r, &mut t);
                t.lit(" not mapped");
                "log:console-email+health"
            }
        };
        (t.s, kind)
    }

    fn log_clean(&mut self, ev: &mut Ev) -> (&'static str, &'static str, &'static str, Value) {
        let r = &mut self.r;
        match r.below(7) {
            0 => {
                ev.clean_kind = "log:event-streams-93101";
                (
                    "93101",
                    "Event Streams",
                    "ERROR",
                    json!({"error_code": 93101, "message": "Error delivering event to webhook: 500 Internal Server Error"}),
                )
            }
            1 | 2 => {
                ev.clean_kind = "log:webhook-params-clean-body";
                let body = inbound_clean(&mut self.r);
                (
                    "11200",
                    "Programmable SMS",
                    "ERROR",
                    self.webhook_11200(ev, &body),
                )
            }
            3 => {
                ev.clean_kind = "log:console-clean";
                let lines = [
                    format!(
                        "Scheduled {} reminders for 2026-{:02}-{:02} (batch am)",
                        r.range(200, 4000),
                        r.range(3, 6),
                        r.range(1, 28)
                    ),
                    format!("function completed in {}ms", r.range(40, 2000)),
                    format!("Sent OTP to {}", us_number(r)),
                    format!("webhook retry {}/5 for {}", r.range(1, 4), r.sid("SM")),
                    "cache miss key=template:appt_reminder_v4".to_string(),
                    format!("Got inbound message from {}: \"YES\"", us_number(r)),
                    format!(
                        "rate limited by downstream, backing off {}s",
                        r.range(1, 30)
                    ),
                    format!(
                        "loaded config v{}.{}, env=production",
                        r.range(1, 9),
                        r.range(0, 20)
                    ),
                ];
                let line = lines[r.below(lines.len())].clone();
                (
                    "82005",
                    "Serverless",
                    "INFO",
                    json!({"message": line, "level": "INFO", "function": "/send-reminder"}),
                )
            }
            4 => {
                ev.clean_kind = "log:unsubscribed-21610";
                (
                    "21610",
                    "Programmable SMS",
                    "WARNING",
                    json!({"error_code": "21610", "message": "Attempt to send to unsubscribed recipient", "to": us_number(r), "resource_sid": r.sid("SM")}),
                )
            }
            5 => {
                ev.clean_kind = "log:carrier-30007";
                (
                    "30007",
                    "Programmable SMS",
                    "WARNING",
                    json!({"error_code": "30007", "message": "Message filtered by carrier", "messaging_service_sid": r.sid("MG"), "resource_sid": r.sid("SM")}),
                )
            }
            _ => {
                ev.clean_kind = "log:studio-clean";
                (
                    "81016",
                    "Studio",
                    "WARNING",
                    json!({"error_code": "81016", "flow_sid": r.sid("FW"), "execution_sid": r.sid("FN"), "more_info": {"widget": "split_on_reply", "msg": "No matching transition for input 'maybe'"}}),
                )
            }
        }
    }

    fn voice(&mut self, ev: &mut Ev) -> Value {
        let acct = self.acct(ev);
        let ca = self.r.sid("CA");
        let outside = ev.wants(OUTSIDE_US) || (ev.rule.is_none() && self.r.chance(0.1));
        let caller = if outside {
            non_us_number(&mut self.r)
        } else {
            us_number(&mut self.r)
        };
        let called = us_number(&mut self.r);
        let content = matches!(ev.rule, Some(OUTSIDE_US) | Some(NON_HIPAA));
        let ty = if content {
            [
                "twiml.gather.finished",
                "status-callback.transcription.processed",
                "twiml.gather.finished",
                "api-request.call.created",
            ][self.r.below(4)]
        } else {
            [
                "status-callback.call.initiated",
                "status-callback.call.ringing",
                "status-callback.call.answered",
                "status-callback.call.completed",
                "status-callback.amd.detected",
                "twiml.gather.finished",
                "status-callback.recording.processed",
                "twiml.call.redirected",
            ][self.r.below(8)]
        };
        let mut params = Map::new();
        for (k, v) in [
            ("AccountSid", acct.clone()),
            ("CallSid", ca.clone()),
            ("From", caller.clone()),
            ("Caller", caller.clone()),
            ("To", called.clone()),
            ("Called", called.clone()),
            ("Direction", "inbound".into()),
            ("ApiVersion", "2010-04-01".into()),
            ("CallerCity", self.r.pick(CITIES).to_uppercase()),
            ("CallerState", self.r.pick(STATES).to_string()),
            ("CallerZip", self.r.digits(5)),
            ("CallStatus", "in-progress".into()),
        ] {
            params.insert(k.into(), Value::String(v));
        }
        let mut say = self.say_clean();
        let eligible_us = !outside && self.accounts[ev.account].hipaa;
        match (ev.rule, ty) {
            (Some(rule), "api-request.call.created") => {
                let t = sms::labelled(&mut self.r);
                say = t.s.clone();
                ev.plant(
                    rule,
                    if rule == OUTSIDE_US {
                        "outside-us:twiml-say"
                    } else {
                        "non-hipaa:twiml-say"
                    },
                    "/data/response/responseBody",
                    &t.s,
                );
            }
            (Some(rule), _) if content => {
                let t = sms::patient_phi(&mut self.r);
                let key = if ty.contains("transcription") {
                    "TranscriptionText"
                } else {
                    "SpeechResult"
                };
                params.insert(key.into(), t.s.clone().into());
                let kind = match (rule, key) {
                    (OUTSIDE_US, "SpeechResult") => "outside-us:speech",
                    (OUTSIDE_US, _) => "outside-us:transcription",
                    (_, "SpeechResult") => "non-hipaa:speech",
                    _ => "non-hipaa:transcription",
                };
                ev.plant(rule, kind, &format!("/data/request/parameters/{key}"), &t.s);
            }
            (_, "twiml.gather.finished") => {
                if eligible_us && self.r.chance(0.4) {
                    ev.clean_kind = "voice:allowed-phi-speech";
                    ev.content_phi = true;
                    params.insert(
                        "SpeechResult".into(),
                        sms::patient_phi(&mut self.r).s.into(),
                    );
                } else {
                    ev.clean_kind = "voice:speech-clean";
                    let s = [
                        "billing question",
                        "I'd like to reschedule",
                        "yes",
                        "representative",
                        "pharmacy hours",
                        "make a payment",
                        "Spanish",
                    ][self.r.below(7)];
                    params.insert("SpeechResult".into(), s.into());
                }
                params.insert("Confidence".into(), "0.87".into());
            }
            (_, "status-callback.recording.processed") => {
                ev.clean_kind = "voice:recording-url";
                params.insert(
                    "RecordingUrl".into(),
                    format!(
                        "https://api.twilio.com/2010-04-01/Accounts/{acct}/Recordings/{}",
                        self.r.sid("RE")
                    )
                    .into(),
                );
                params.insert(
                    "RecordingDuration".into(),
                    self.r.range(5, 600).to_string().into(),
                );
            }
            _ => ev.clean_kind = "voice:status-callback",
        }
        let mut url = [
            "https://ivr.lakeshorehealth.example/voice/status",
            "https://ivr.lakeshorehealth.example/voice/gather",
            "https://handler.twilio.example/ivr/menu",
        ][self.r.below(3)]
        .to_string();
        if ev.wants(URL) {
            let (u, text, kind) = self.phi_url();
            url = u;
            ev.plant(URL, kind, "/data/request/url", &text);
        }
        if ev.wants(CREDENTIAL) {
            let tok = self.r.hex(32);
            url = format!("https://twilio:{tok}@ivr.lakeshorehealth.example/voice/status");
            ev.plant(
                CREDENTIAL,
                "cred:url-userinfo",
                "/data/request/url",
                &format!("twilio:{tok}@"),
            );
        }
        let twiml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say voice=\"Polly.Joanna\">{}</Say><Gather input=\"speech\" action=\"/voice/next\"/></Response>",
            xml_escape(&say)
        );
        let when = rfc2822(self.now);
        let vw = self.r.sid("VW");
        let data = json!({
            "sid": ca,
            "requestDateCreated": when,
            "timestamp": self.iso(),
            "eventSid": vw,
            "request": {"method": "POST", "url": url, "parameters": params},
            "response": {"responseCode": 200, "requestDuration": self.r.range(20, 900), "contentType": "application/xml;charset=UTF-8",
                         "responseBody": b64(&twiml), "dateCreated": when},
        });
        let source = format!(
            "/2010-04-01/Accounts/{acct}/Calls/{}.json",
            data["sid"].as_str().unwrap()
        );
        self.envelope(
            &format!("com.twilio.voice.{ty}"),
            source,
            vw,
            "Voice.WebhookEvent/2",
            data,
        )
    }

    fn say_clean(&mut self) -> String {
        [
            "Thank you for calling. For scheduling, press 1. For billing, press 2.",
            "Please hold while we connect you to the next available representative.",
            "Our office is closed. Please call back during business hours.",
            "You have an appointment tomorrow. Press 1 to confirm or 2 to speak with us.",
            "Para español, oprima el nueve.",
        ][self.r.below(5)]
        .to_string()
    }

    fn insights(&mut self, ev: &mut Ev) -> Value {
        ev.clean_kind = "insights:call-summary";
        let acct = self.acct(ev);
        let ca = self.r.sid("CA");
        let foreign = self.r.chance(0.2);
        let caller = if foreign {
            non_us_number(&mut self.r)
        } else {
            us_number(&mut self.r)
        };
        let ty = [
            "call-summary.complete",
            "call-summary.partial",
            "call-summary.predicted-complete",
        ][self.r.below(3)];
        let city = if foreign {
            "Toronto".to_string()
        } else {
            self.r.pick(CITIES).to_string()
        };
        let data = json!({
            "call_sid": ca, "account_sid": acct, "parent_call_sid": "", "parent_account_sid": "",
            "start_time": iso(self.now - 300, 0), "end_time": iso(self.now, 0), "duration": 300, "connect_duration": 291,
            "call_type": "carrier", "call_state": "completed",
            "from": {"caller": caller, "callee": "", "carrier": "Example Mobile", "connection": "mobile",
                     "number_prefix": caller.chars().take(8).collect::<String>(), "location": {"lat": 41.88, "lon": -87.63},
                     "city": city, "country_code": if foreign { "CA" } else { "US" }, "country_subdivision": "IL", "ip_address": "", "sdk": null},
            "to": {"caller": "", "callee": us_number(&mut self.r), "carrier": "", "connection": "voip", "number_prefix": "", "location": null,
                   "city": "", "country_code": "US", "country_subdivision": "IL", "ip_address": "", "sdk": null},
            "processing_state": if ty.ends_with("partial") { "partial" } else { "complete" }, "processing_version": 2,
            "tags": [(["high_pdd", "silence", "jitter", "high_latency"][self.r.below(4)])],
            "attributes": null,
            "properties": {"direction": "inbound", "disconnected_by": "caller", "last_sip_response_num": 200, "pdd_ms": self.r.range(800, 4000), "queue_time": 0},
        });
        let id = self.r.sid("EZ");
        self.envelope(
            &format!("com.twilio.voice.insights.{ty}"),
            format!("/v1/Voice/{ca}/Summary"),
            id,
            "VoiceInsights.CallSummary/2",
            data,
        )
    }

    fn studio(&mut self, ev: &mut Ev) -> Value {
        let acct = self.acct(ev);
        let (fw, fn_) = (self.r.sid("FW"), self.r.sid("FN"));
        let id = self.r.sid("EZ");
        if self.r.chance(0.5) {
            ev.clean_kind = "studio:step";
            let names = [
                "send_and_reply_1",
                "split_on_reply",
                "http_check_slots",
                "set_variables_lang",
                "gather_dob_menu",
                "say_play_hours",
            ];
            let data = json!({"account_sid": acct, "flow_sid": fw, "execution_sid": fn_, "step_sid": self.r.sid("FT"), "parent_step_sid": null,
                "name": names[self.r.below(names.len())], "transitioned_from": "Trigger", "transitioned_to": names[self.r.below(names.len())], "date_created": self.iso()});
            return self.envelope(
                "com.twilio.studio.flow.step.ended",
                format!(
                    "/v2/Flows/{fw}/Executions/{fn_}/Steps/{}",
                    data["step_sid"].as_str().unwrap()
                ),
                id,
                "Studio.FlowStepEvent/1",
                data,
            );
        }
        ev.clean_kind = "studio:execution";
        let started = self.r.chance(0.5);
        let data = json!({"execution_sid": fn_, "account_sid": acct, "flow_sid": fw, "contact_channel_address": us_number(&mut self.r),
            "status": if started { "active" } else { "ended" }, "ended_reason": if started { Value::Null } else { "FLOW_END".into() },
            "date_created": self.iso(), "date_updated": self.iso(), "started_by": self.r.sid("CA"), "flow_revision": self.r.range(1, 1400)});
        let ty = if started {
            "com.twilio.studio.flow.execution.started"
        } else {
            "com.twilio.studio.flow.execution.ended"
        };
        self.envelope(
            ty,
            format!("/v2/Flows/{fw}/Executions/{fn_}"),
            id,
            "Studio.FlowExecutionEvent/2",
            data,
        )
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

// ---------------------------------------------------------------------------------------------
// TaskRouter / Flex, Conversations, Verify and the rest

impl Gen {
    /// Task attributes the way Flex and contact-centre code fill them.
    fn task_attributes(&mut self, ev: &mut Ev, field: &str) -> Value {
        let caller = us_number(&mut self.r);
        let voice = self.r.chance(0.4);
        let mut a = if voice {
            json!({"from": caller, "to": us_number(&mut self.r), "name": caller, "direction": "inbound", "type": "inbound",
                   "call_sid": self.r.sid("CA"), "account_sid": self.acct(ev)})
        } else {
            json!({"from": caller, "name": caller, "channelType": (["sms", "chat", "web"][self.r.below(3)]),
                   "channelSid": self.r.sid("CH"), "conversationSid": self.r.sid("CH"), "direction": "inbound"})
        };
        let extras = [
            ("language", json!(["en-US", "es-US"][self.r.below(2)])),
            (
                "skill_needed",
                json!(["billing", "scheduling", "pharmacy", "general"][self.r.below(4)]),
            ),
            (
                "ivr_path",
                json!(format!(
                    "main>{}>{}",
                    ["billing", "scheduling", "refills"][self.r.below(3)],
                    self.r.range(1, 4)
                )),
            ),
            ("callback_requested", json!(self.r.chance(0.3))),
            (
                "conversations",
                json!({"conversation_id": self.r.sid("WT"), "virtual": "Yes", "abandoned": "No", "queue_time": self.r.range(3, 400)}),
            ),
            ("priority_reason", json!("vip-callback")),
        ];
        for _ in 0..self.r.range(1, 3) {
            let (k, v) = extras[self.r.below(extras.len())].clone();
            a[k] = v;
        }
        ev.clean_kind = if voice {
            "attributes:flex-voice-routing"
        } else {
            "attributes:flex-messaging-routing"
        };
        if ev.wants(ATTRIBUTES) {
            self.plant_attributes(ev, &mut a, field);
        } else if ev.wants(CREDENTIAL) {
            let (line, kind) = self.credential();
            a["debug_note"] = line.clone().into();
            ev.plant(CREDENTIAL, kind, &format!("{field}/debug_note"), &line);
        }
        a
    }

    /// A customer record in attributes: a name, email, DOB, MRN, a reason or a comment.
    fn plant_attributes(&mut self, ev: &mut Ev, a: &mut Value, field: &str) {
        let r = &mut self.r;
        let (path, value, kind): (Vec<&str>, String, &'static str) = match r.below(10) {
            0 => (
                vec![["customer_name", "patient_name", "caller_name"][r.below(3)]],
                full_name(r),
                "attributes:name",
            ),
            1 => (vec!["name"], full_name(r), "attributes:name-in-name-key"),
            2 => (
                vec!["customers", "email"],
                email(r),
                "attributes:customer-email",
            ),
            3 => (
                vec![["dob", "date_of_birth", "birthDate"][r.below(3)]],
                date_value(r, true),
                "attributes:dob",
            ),
            4 => (
                vec![["mrn", "patient_id", "chart_number"][r.below(3)]],
                mrn_value(r),
                "attributes:mrn",
            ),
            5 => (
                vec!["reason"],
                {
                    let mut t = Text::new();
                    t.lit(["question about ", "follow-up on ", "needs ", "refill - "][r.below(4)]);
                    health_term(r, &mut t);
                    t.s
                },
                "attributes:reason-health",
            ),
            6 => (
                vec!["conversations", "comment"],
                {
                    let mut t = Text::new();
                    t.lit(
                        [
                            "caller asked about her ",
                            "pt upset re ",
                            "wants to discuss ",
                        ][r.below(3)],
                    );
                    health_term(r, &mut t);
                    t.s
                },
                "attributes:flex-comment-health",
            ),
            7 => (vec!["memberId"], member_value(r), "attributes:member-id"),
            8 => (
                vec!["customers", "address"],
                format!("{}, {}", street_address(r), r.pick(CITIES)),
                "attributes:address",
            ),
            _ => (
                vec!["customers", "name"],
                first_name(r),
                "attributes:first-name",
            ),
        };
        let mut cur = &mut *a;
        for (i, k) in path.iter().enumerate() {
            if i + 1 == path.len() {
                cur[*k] = Value::String(value.clone());
            } else {
                if !cur.get(*k).is_some_and(Value::is_object) {
                    cur[*k] = json!({});
                }
                cur = cur.get_mut(*k).unwrap();
            }
        }
        ev.plant(
            ATTRIBUTES,
            kind,
            &format!("{field}/{}", path.join("/")),
            &value,
        );
    }

    fn taskrouter(&mut self, ev: &mut Ev) -> Value {
        let acct = self.acct(ev);
        let types = [
            ("task.created", "task"),
            ("task.updated", "task"),
            ("task.completed", "task"),
            ("task.canceled", "task"),
            ("task.wrapup", "task"),
            ("reservation.created", "reservation"),
            ("reservation.accepted", "reservation"),
            ("reservation.completed", "reservation"),
            ("workflow.entered", "workflow"),
            ("task-queue.entered", "task-queue"),
            ("worker.activity.update", "worker"),
        ];
        let (mut ty, mut group) = types[self.r.below(types.len())];
        if ev.rule.is_some() && group == "worker" {
            (ty, group) = ("task.created", "task");
        }
        let ev_sid = self.r.sid("EV");
        let mut payload = json!({
            "sid": ev_sid, "eventtype": ty, "account_sid": acct, "timestamp": self.iso(),
            "workspace_sid": self.r.sid("WS"), "workspace_name": "Flex Task Assignment",
            "worker_sid": self.r.sid("WK"), "worker_name": format!("agent_{}", self.r.range(100, 999)),
            "worker_attributes": json!({"routing": {"skills": [self.r.pick(SKILLS), self.r.pick(SKILLS)], "levels": {}}, "contact_uri": format!("client:agent_{}", self.r.range(100, 999))}).to_string(),
        });
        if group != "worker" {
            let attrs = self.task_attributes(ev, "/data/payload/task_attributes");
            for (k, v) in [
                ("task_sid", json!(self.r.sid("WT"))),
                ("task_attributes", json!(attrs.to_string())),
                ("task_age", json!(self.r.range(1, 40000))),
                ("task_priority", json!(self.r.range(0, 10))),
                (
                    "task_assignment_status",
                    json!(
                        ["pending", "reserved", "assigned", "wrapping", "completed"]
                            [self.r.below(5)]
                    ),
                ),
                (
                    "task_channel_unique_name",
                    json!(["voice", "sms", "chat"][self.r.below(3)]),
                ),
                ("task_queue_sid", json!(self.r.sid("WQ"))),
                ("task_queue_name", json!(self.r.pick(QUEUES))),
                ("workflow_sid", json!(self.r.sid("WW"))),
                ("workflow_name", json!("Assign to Anyone")),
                ("task_date_created", json!(self.iso())),
            ] {
                payload[k] = v;
            }
            if group == "reservation" {
                payload["reservation_sid"] = json!(self.r.sid("WR"));
            }
        } else {
            ev.clean_kind = "attributes:worker-skills";
            payload["worker_activity_name"] =
                json!(["Available", "Break", "Offline", "Lunch"][self.r.below(4)]);
        }
        let data = json!({
            "sid": ev_sid, "name": ty.replace(['.', '-'], "_"), "account_sid": acct, "account_friendly_name": self.accounts[ev.account].name,
            "parent_account_sid": acct, "timestamp": self.iso(), "level": "INFO", "group": group, "product_name": "TaskRouter",
            "publisher": "Flex Task Assignment", "publisher_metadata": "{}", "payload_type": "application/json", "payload": payload,
        });
        let id = self.r.sid("EZ");
        self.envelope(
            &format!("com.twilio.taskrouter.{ty}"),
            format!(
                "/v1/Workspaces/{}/Events/{ev_sid}",
                data["payload"]["workspace_sid"].as_str().unwrap()
            ),
            id,
            "TaskRouter.WDSEvent/4",
            data,
        )
    }

    fn conversations(&mut self, ev: &mut Ev) -> Value {
        let acct = self.acct(ev);
        let ch = self.r.sid("CH");
        let kind = match ev.rule {
            Some(ATTRIBUTES) => [
                "message.added",
                "participant.added",
                "conversation.added",
                "conversation.updated",
            ][self.r.below(4)],
            Some(CHANNEL) => ["message.added", "conversation.added"][self.r.below(2)],
            Some(_) => "message.added",
            None => [
                "message.added",
                "message.added",
                "message.updated",
                "participant.added",
                "conversation.added",
                "conversation.updated",
            ][self.r.below(6)],
        };
        let mut attrs = json!({});
        ev.clean_kind = "conversations:clean";
        if self.r.chance(0.5) {
            attrs = json!({"source": (["webchat", "sms", "flex"][self.r.below(3)]), "priority": "normal", "language": "en"});
            ev.clean_kind = "attributes:conversation-operational";
        }
        if ev.wants(ATTRIBUTES) {
            self.plant_attributes(ev, &mut attrs, "/data/Attributes");
        }
        let attrs_value = if self.r.chance(0.5) {
            Value::String(attrs.to_string())
        } else {
            attrs
        };
        let mut data = json!({"AccountSid": acct, "ConversationSid": ch, "DateCreated": self.iso(), "Attributes": attrs_value});
        match kind {
            "message.added" | "message.updated" => {
                let whatsapp = ev.wants(CHANNEL) || (ev.rule.is_none() && self.r.chance(0.1));
                let sms = !whatsapp && self.r.chance(0.4);
                let author = if whatsapp && ev.wants(CHANNEL) && self.r.chance(0.25) {
                    // an email participant: its address is the Author (email is not eligible)
                    email(&mut self.r)
                } else if whatsapp {
                    format!("whatsapp:{}", us_number(&mut self.r))
                } else if sms {
                    us_number(&mut self.r)
                } else {
                    format!("web_visitor_{}", self.r.hex(6))
                };
                let body = self.conversation_body(ev, !whatsapp);
                for (k, v) in [
                    ("Author", json!(author)),
                    ("ParticipantSid", json!(self.r.sid("MB"))),
                    ("MessageSid", json!(self.r.sid("IM"))),
                    ("Index", json!(self.r.range(0, 60))),
                    ("MessageBody", json!(body)),
                    ("MessagingServiceSid", json!(self.r.sid("MG"))),
                ] {
                    data[k] = v;
                }
            }
            "participant.added" => {
                let addr = us_number(&mut self.r);
                data["ParticipantSid"] = json!(self.r.sid("MB"));
                data["Identity"] = Value::Null;
                data["RoleSid"] = json!(self.r.sid("RL"));
                data["MessagingBinding"] = json!({"Address": addr, "ProxyAddress": us_number(&mut self.r), "Type": "SMS", "Level": null});
            }
            _ => {
                let email = ev.wants(CHANNEL);
                data["FriendlyName"] = json!(format!("Support {}", self.r.digits(5)));
                data["UniqueName"] = json!(format!("conv-{}", self.r.hex(10)));
                data["State"] = json!("active");
                data["MessagingServiceSid"] = json!(self.r.sid("MG"));
                if email {
                    data["Bindings"] = json!({"Email": {"Name": "Lakeshore Patient Support", "ProjectedAddress": "support@lakeshorehealth.example"}});
                    let t = sms::patient_phi(&mut self.r);
                    data["MessageSubject"] = json!("Question");
                    data["MessageBody"] = json!(t.s);
                    ev.plant(CHANNEL, "channel:flex-email", "/data/MessageBody", &t.s);
                }
            }
        }
        let id = self.r.sid("EZ");
        self.envelope(
            &format!("com.twilio.conversations.{kind}"),
            format!("/v1/Conversations/{ch}"),
            id,
            "Conversations.MessageAdded/2",
            data,
        )
    }

    fn conversation_body(&mut self, ev: &mut Ev, eligible: bool) -> String {
        match ev.rule {
            Some(CHANNEL) => {
                let t = sms::patient_phi(&mut self.r);
                ev.plant(
                    CHANNEL,
                    "channel:conversations-whatsapp",
                    "/data/MessageBody",
                    &t.s,
                );
                t.s
            }
            Some(NON_HIPAA) => {
                let t = sms::labelled(&mut self.r);
                ev.plant(
                    NON_HIPAA,
                    "non-hipaa:conversations",
                    "/data/MessageBody",
                    &t.s,
                );
                t.s
            }
            Some(URL) => {
                let (u, text, kind) = self.phi_url();
                ev.plant(URL, kind, "/data/MessageBody", &text);
                format!("Please fill this out before your visit: {u}")
            }
            Some(CREDENTIAL) => {
                let (line, kind) = self.credential();
                ev.plant(CREDENTIAL, kind, "/data/MessageBody", &line);
                line
            }
            _ if eligible && self.accounts[ev.account].hipaa && self.r.chance(0.3) => {
                ev.clean_kind = "body:allowed-phi-chat";
                ev.content_phi = true;
                sms::patient_phi(&mut self.r).s
            }
            _ => {
                ev.clean_kind = "body:support-chat";
                [
                    "Hi, I can't log into the portal",
                    "Thanks for reaching out! How can I help today?",
                    "Let me check on that for you.",
                    "Is there anything else I can help with?",
                    "I was charged twice for my copay",
                    "What are your hours on Saturday?",
                    "I'll transfer you to billing.",
                    "Your request has been submitted.",
                ][self.r.below(8)]
                .to_string()
            }
        }
    }

    fn verify(&mut self, ev: &mut Ev) -> Value {
        let acct = self.acct(ev);
        let (va, ve) = (self.r.sid("VA"), self.r.sid("VE"));
        let email_channel = ev.wants(CHANNEL) || self.r.chance(0.15);
        let channel = if email_channel {
            "EMAIL"
        } else {
            ["SMS", "SMS", "CALL", "WHATSAPP"][self.r.below(4)]
        };
        let to = match channel {
            "EMAIL" => email(&mut self.r),
            "WHATSAPP" => us_number(&mut self.r),
            _ if self.r.chance(0.15) => non_us_number(&mut self.r),
            _ => us_number(&mut self.r),
        };
        let mut friendly = [
            "Lakeshore Health",
            "Northside Pharmacy",
            "Lakeshore MyChart Login",
            "Acme Portal",
        ][self.r.below(4)]
        .to_string();
        ev.clean_kind = "verify:clean";
        if ev.wants(CHANNEL) {
            friendly = format!(
                "{} {}",
                r_place(&mut self.r),
                cap_words(&care_setting(&mut self.r))
            );
            ev.plant(
                CHANNEL,
                "channel:verify-email-service-name",
                "/data/friendly_name",
                &friendly,
            );
        }
        let message_event = !ev.wants(CHANNEL) && self.r.chance(0.4);
        let tags = if ev.wants(TAG) {
            let field = if message_event {
                "/data/tags"
            } else {
                "/data/send_code_attempts/attempts/0/tags"
            };
            Value::Object(self.phi_tags(ev, field))
        } else if self.r.chance(0.5) {
            ev.clean_kind = "verify:tags-operational";
            json!({"flow": (["login", "signup", "password-reset"][self.r.below(3)]), "app_version": format!("4.{}.{}", self.r.range(0, 9), self.r.range(0, 9))})
        } else {
            json!({})
        };
        let id = self.r.sid("EZ");
        if message_event {
            let status = ["delivered", "failed", "sent", "undelivered"][self.r.below(4)];
            let data = json!({"account_sid": acct, "service_sid": va, "verification_sid": ve, "attempt_sid": self.r.sid("VL"), "channel": channel,
                "created_at": self.iso(), "error_code": "", "has_fallback": false, "is_fallback": false, "mcc": "310", "mnc": "260",
                "message_status": status.to_uppercase(), "number_segments": 1, "tags": tags, "to": to});
            return self.envelope(
                &format!("com.twilio.accountsecurity.verify.message.{status}"),
                format!("/v2/Services/{va}/Verifications/{ve}"),
                id,
                "AccountSecurity.MessageStatusEvent/2",
                data,
            );
        }
        let status = [
            "pending",
            "approved",
            "canceled",
            "expired",
            "max_attempts_reached",
        ][self.r.below(5)];
        let data = json!({"account_sid": acct, "service_sid": va, "verification_sid": ve, "friendly_name": friendly, "custom_code_enabled": false,
            "created_at": self.iso(), "to": to, "verification_status": status.to_uppercase(), "country": "US", "code_length": 6,
            "send_code_attempts": {"count": 1, "attempts": [{"time": self.iso(), "channel": channel, "attempt_sid": self.r.sid("VL"), "delivery_status": "SENT", "tags": tags}]},
            "check_attempts": {"count": 0, "attempts": []}});
        self.envelope(
            &format!("com.twilio.accountsecurity.verify.verification.{status}"),
            format!("/v2/Services/{va}/Verifications/{ve}"),
            id,
            "AccountSecurity.VerifyEventStreamEvent/3",
            data,
        )
    }

    fn link_shortening(&mut self, ev: &mut Ev) -> Value {
        let acct = self.acct(ev);
        let clicked = self.r.chance(0.5);
        let mut original = self.clean_url();
        ev.clean_kind = "link:clean";
        if ev.wants(URL) {
            let (u, text, kind) = self.phi_url();
            original = u;
            ev.plant(URL, kind, "/data/original_url", &text);
        }
        let short = format!("https://lnk.lakeshorehealth.example/{}", self.r.alnum(7));
        let mut data = json!({"account_sid": acct, "messaging_service_sid": self.r.sid("MG"), "message_sid": self.r.sid("SM"),
            "short_url": short, "original_url": original, "timestamp": self.iso()});
        if clicked {
            data["clicked_at"] = json!(self.iso());
            data["user_agent"] = json!("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)");
        }
        let ty = if clicked {
            "link-clicked"
        } else {
            "link-shortened"
        };
        let id = self.r.sid("EZ");
        self.envelope(
            &format!("com.twilio.daptbt.link-shortening.{ty}"),
            format!("/v1/Accounts/{acct}/LinkShortening"),
            id,
            "LinkShortening.Event/1",
            data,
        )
    }

    fn other_products(&mut self, ev: &mut Ev) -> Value {
        let acct = self.acct(ev);
        let id = self.r.sid("EZ");
        match self.r.below(4) {
            0 => {
                ev.clean_kind = "other:comms-api";
                let status = ["processing", "completed"][self.r.below(2)];
                let data = json!({"account_sid": acct, "operation_id": self.r.uuid(), "status": status, "total": self.r.range(10, 5000), "timestamp": self.iso()});
                self.envelope(
                    &format!("com.twilio.comms-api.operation.{status}"),
                    format!("/v1/Operations/{}", data["operation_id"].as_str().unwrap()),
                    id,
                    "CommsApi.OperationProcessing/2",
                    data,
                )
            }
            1 => {
                ev.clean_kind = "other:iam-ip-blocked";
                let ip = format!("203.0.113.{}", self.r.range(1, 254));
                let data = json!({"account_sid": acct, "ip_address": ip, "blocked_at": self.iso(), "reason": "IP access control list"});
                self.envelope(
                    "com.twilio.iam.ip.blocked",
                    format!("/v1/Accounts/{acct}"),
                    id,
                    "Iam.IpBlocked/1",
                    data,
                )
            }
            2 => {
                ev.clean_kind = "other:a2p-compliance";
                let data = json!({"account_sid": acct, "brand_sid": self.r.sid("BN"), "campaign_sid": self.r.sid("CM"), "status": (["APPROVED", "FAILED", "IN_REVIEW"][self.r.below(3)]),
                    "contact_email": "compliance@lakeshorehealth.example", "use_case": "ACCOUNT_NOTIFICATION", "updated_at": self.iso()});
                self.envelope(
                    "com.twilio.messaging.compliance.campaign-registration.campaign-approved",
                    format!("/v1/Compliance/{acct}"),
                    id,
                    "Messaging.Compliance/1",
                    data,
                )
            }
            _ => {
                ev.clean_kind = "other:intelligence-transcript";
                let data = json!({"account_sid": acct, "date_created": self.iso(), "service_sid": self.r.sid("GA"), "transcript_sid": self.r.sid("GT")});
                self.envelope(
                    "com.twilio.engagement-intelligence.transcript.finished",
                    format!(
                        "/v2/Transcripts/{}",
                        data["transcript_sid"].as_str().unwrap()
                    ),
                    id,
                    "EngagementIntelligence.TranscriptEvent/1",
                    data,
                )
            }
        }
    }

    fn sink_test(&mut self, ev: &mut Ev) -> Value {
        ev.clean_kind = "sink-test";
        let acct = self.acct(ev);
        let uuid = self.r.uuid();
        let mut e = json!({"specversion": "1.0", "type": "com.twilio.eventstreams.test-event", "source": "Sink", "id": acct,
            "dataschema": "https://events-schemas.twilio.com/EventStreams.TestSink/1.json", "datacontenttype": "application/json",
            "time": self.iso(), "data": {"test_id": uuid}});
        if self.r.chance(0.5) {
            e["data"] = json!(e["data"].to_string());
        }
        e
    }
}

fn r_place(r: &mut Rng) -> &'static str {
    r.pick(PLACES)
}

fn cap_words(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}
