//! Workload construction for `benches/detect.rs`: the PhysioNet notes (or a synthetic stand-in),
//! and deterministic synthetic Twilio Event Streams events, clean and with fake PHI.
//!
//! Everything here is deterministic (a seeded SplitMix64), so two runs measure the same bytes.
//! All PHI is fake: 555-01xx phone numbers, the invalid "Woolworth" SSN, made-up MRNs.

#[cfg(feature = "dd-sds")]
pub mod dd_sds;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// SplitMix64: tiny, seeded, good enough to vary SIDs and values.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// A Twilio SID: two-letter prefix and 32 lowercase hex digits.
    pub fn sid(&mut self, prefix: &str) -> String {
        format!("{prefix}{:016x}{:016x}", self.next_u64(), self.next_u64())
    }

    /// A fictitious US number in the 555-01xx range.
    pub fn phone(&mut self) -> String {
        const AREAS: &[&str] = &["415", "212", "617", "312", "206", "512", "303", "404"];
        format!("+1{}55501{:02}", self.pick(AREAS), self.below(100))
    }

    /// An opaque URL-safe token (what portals put in links).
    pub fn token(&mut self, len: usize) -> String {
        self.string_over(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
            len,
        )
    }

    /// An opaque alphanumeric id (batch ids, session ids in tags).
    pub fn alnum(&mut self, len: usize) -> String {
        self.string_over(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            len,
        )
    }

    fn string_over(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize] as char)
            .collect()
    }

    /// An RFC 3339 timestamp in May 2026 with milliseconds.
    pub fn timestamp(&mut self) -> String {
        format!(
            "2026-05-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            1 + self.below(28),
            self.below(24),
            self.below(60),
            self.below(60),
            self.below(1000)
        )
    }

    pub fn code(&mut self) -> String {
        format!("{:06}", self.below(1_000_000))
    }
}

/// PhysioNet notes text, or a synthetic clinical-ish text when the corpus is missing.
pub struct Notes {
    pub texts: Vec<String>,
    /// Where the text came from, for the report.
    pub origin: String,
}

impl Notes {
    pub fn bytes(&self) -> u64 {
        self.texts.iter().map(|t| t.len() as u64).sum()
    }
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn load_notes() -> Notes {
    let path = manifest_dir().join("../shared/corpora/physionet-deid/id_notes_with_phi.jsonl");
    match read_notes(&path) {
        Ok(texts) if !texts.is_empty() => Notes {
            origin: format!("{} ({} notes)", path.display(), texts.len()),
            texts,
        },
        Ok(_) => synthetic_notes(format!("{} has no `text` fields", path.display())),
        Err(e) => synthetic_notes(format!("cannot read {}: {e}", path.display())),
    }
}

fn read_notes(path: &Path) -> std::io::Result<Vec<String>> {
    let raw = std::fs::read_to_string(path)?;
    Ok(raw
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v.get("text").and_then(Value::as_str).map(str::to_string))
        .collect())
}

fn synthetic_notes(why: String) -> Notes {
    eprintln!("phiscan bench: PhysioNet notes unavailable ({why}); using SYNTHETIC clinical text");
    const SENTENCES: &[&str] = &[
        "PT IS A 67 YEAR OLD MALE ADMITTED WITH CHEST PAIN; HX OF CAD, S/P CABG 2009.",
        "BP 142/88, HR 92 SR, RR 18, SPO2 96% ON 2L NC.",
        "LUNGS CLEAR BILATERALLY, DIMINISHED AT BASES; NO EDEMA NOTED.",
        "CONTINUES ON HEPARIN GTT, PTT 64; LISINOPRIL AND METOPROLOL HELD FOR SBP < 100.",
        "FAMILY (WIFE) IN TO VISIT, UPDATED BY MD; PLAN FOR CARDIAC CATHETERIZATION IN AM.",
        "NEURO: ALERT AND ORIENTED X3, MAE, FOLLOWS COMMANDS.",
        "GI: ABD SOFT, NON-TENDER, +BS; TOLERATING CLEAR LIQUIDS.",
        "RENAL: FOLEY DRAINING CLEAR YELLOW URINE 40-60CC/HR; BUN 32, CR 1.6.",
        "ENDO: FS GLUCOSE 182, COVERED WITH 4 UNITS REGULAR INSULIN PER SLIDING SCALE.",
        "DISPO: REMAINS IN CCU; FULL CODE. SEE FLOWSHEET FOR DETAILS.",
    ];
    let mut rng = Rng::new(0x5EED_0007);
    let texts = (0..2000)
        .map(|_| {
            let n = 5 + rng.below(15) as usize;
            let mut s = String::new();
            for _ in 0..n {
                s.push_str(rng.pick(SENTENCES));
                s.push(' ');
            }
            s.push('\n');
            s
        })
        .collect();
    Notes {
        texts,
        origin: format!("SYNTHETIC (2000 notes; {why})"),
    }
}

/// A stream of events, each serialized as compact JSON (one Kinesis record / Kafka message).
pub struct EventStream {
    pub events: Vec<Vec<u8>>,
    pub origin: String,
}

impl EventStream {
    pub fn bytes(&self) -> u64 {
        self.events.iter().map(|e| e.len() as u64).sum()
    }
    pub fn len(&self) -> u64 {
        self.events.len() as u64
    }
    /// All events in one buffer, newline-separated (for the memchr baseline).
    pub fn joined(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.bytes() as usize + self.events.len());
        for e in &self.events {
            out.extend_from_slice(e);
            out.push(b'\n');
        }
        out
    }
}

fn envelope(rng: &mut Rng, ty: &str, schema: &str, source_path: &str, data: Value) -> Value {
    let account = rng.sid("AC");
    json!({
        "specversion": "1.0",
        "type": ty,
        "source": format!("/2010-04-01/Accounts/{account}/{source_path}"),
        "id": rng.sid("EZ"),
        "dataschema": format!("https://events-schemas.twilio.com/{schema}"),
        "datacontenttype": "application/json",
        "time": rng.timestamp(),
        "data": data,
    })
}

const NEUTRAL_BODIES: &[&str] = &[
    "Your appointment is tomorrow at 10:00. Reply C to confirm.",
    "Your order has shipped and should arrive on Thursday. Track it in the app.",
    "Thanks for reaching out! An agent will reply within one business day.",
    "Reminder: the office is closed on Monday for the holiday.",
    "Your payment was received. Thank you!",
    "Reply STOP to unsubscribe or HELP for help.",
    "We have updated our terms of service. No action is needed.",
    "Your ride is arriving in 3 minutes. Look for a silver sedan.",
    "Hi! Your table is ready. Please come to the host stand.",
    "Your package was left at the front door.",
];

const STATUSES: &[(&str, &str)] = &[
    ("com.twilio.messaging.message.sent", "SENT"),
    ("com.twilio.messaging.message.delivered", "DELIVERED"),
    ("com.twilio.messaging.message.queued", "QUEUED"),
    ("com.twilio.messaging.message.undelivered", "UNDELIVERED"),
];

fn message_status(rng: &mut Rng, body: String, tags: Value) -> Value {
    let (ty, status) = rng.pick(STATUSES);
    let sid = rng.sid("SM");
    let ts = rng.timestamp();
    let data = json!({
        "messageSid": sid,
        "timestamp": ts,
        "accountSid": rng.sid("AC"),
        "eventName": ty,
        "apiVersion": "2010-04-01",
        "from": rng.phone(),
        "to": rng.phone(),
        "messageStatus": status,
        "messagingServiceSid": rng.sid("MG"),
        "body": body,
        "statusCallBackUrl": "https://hooks.example.com/twilio/status",
        "mnc": format!("{:03}", rng.below(1000)),
        "mcc": "310",
        "numberOfSegments": 1 + rng.below(3),
        "errorCode": if status == "UNDELIVERED" { json!(30003) } else { Value::Null },
        "dateUpdated": ts,
        "rawDlrDoneDate": format!("26050{}1{:03}", rng.below(10), rng.below(1000)),
        "tags": tags,
    });
    envelope(
        rng,
        ty,
        "Messaging.MessageStatus/7",
        &format!("Messages/{sid}.json"),
        data,
    )
}

fn clean_tags(rng: &mut Rng) -> Value {
    const CAMPAIGNS: &[&str] = &[
        "appt-reminders",
        "billing-notices",
        "order-updates",
        "surveys",
    ];
    json!({
        "campaign": rng.pick(CAMPAIGNS),
        "batch_id": rng.alnum(12),
        "tenant": format!("tenant-{}", rng.below(50)),
    })
}

fn clean_event(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 | 1 => {
            let body = rng.pick(NEUTRAL_BODIES).to_string();
            let tags = clean_tags(rng);
            message_status(rng, body, tags)
        }
        2 => {
            let body = format!(
                "Your verification code is {}. It expires in 10 minutes. Do not share it.",
                rng.code()
            );
            message_status(rng, body, json!({}))
        }
        3 => {
            let body = format!(
                "Your statement is ready: https://portal.example.com/s/{} (link expires in 7 days)",
                rng.token(24)
            );
            let tags = clean_tags(rng);
            message_status(rng, body, tags)
        }
        4 => {
            let sid = rng.sid("CA");
            let ts = rng.timestamp();
            let data = json!({
                "sid": sid,
                "requestDateCreated": "Fri, 01 May 2026 15:20:11 +0000",
                "timestamp": ts,
                "eventSid": rng.sid("VW"),
                "request": {
                    "method": "POST",
                    "url": "https://hooks.example.com/voice/status",
                    "parameters": {
                        "Called": rng.phone(),
                        "CallerCountry": "US",
                        "Direction": "outbound-api",
                        "CallSid": sid,
                        "To": rng.phone(),
                        "ToCountry": "US",
                        "ApiVersion": "2010-04-01",
                        "CallStatus": "completed",
                        "Duration": format!("{}", 1 + rng.below(9)),
                        "From": rng.phone(),
                        "CallDuration": format!("{}", rng.below(600)),
                        "AccountSid": rng.sid("AC"),
                        "CalledCountry": "US",
                        "Caller": rng.phone(),
                        "FromCountry": "US",
                        "Timestamp": "Fri, 01 May 2026 15:20:11 +0000",
                        "SequenceNumber": format!("{}", rng.below(5)),
                        "CallbackSource": "call-progress-events",
                    }
                },
                "response": {
                    "responseCode": 204,
                    "requestDuration": rng.below(200),
                    "contentType": "",
                    "responseBody": "",
                    "dateCreated": "Fri, 01 May 2026 15:20:11 +0000",
                },
            });
            envelope(
                rng,
                "com.twilio.voice.status-callback.call.completed",
                "Voice.WebhookEvent/2",
                &format!("Calls/{sid}.json"),
                data,
            )
        }
        5 => {
            let sid = rng.sid("VE");
            let t0 = rng.timestamp();
            let data = json!({
                "account_sid": rng.sid("AC"),
                "service_sid": rng.sid("VA"),
                "verification_sid": sid,
                "friendly_name": "Acme Login",
                "custom_code_enabled": false,
                "created_at": t0,
                "verified_at": t0,
                "to": rng.phone(),
                "verification_status": "APPROVED",
                "country": "US",
                "code_length": 6,
                "send_code_attempts": {
                    "count": 1,
                    "attempts": [{
                        "time": t0,
                        "channel": "SMS",
                        "attempt_sid": rng.sid("VL"),
                        "delivery_status": "DELIVERED",
                        "error_code": "",
                        "locale": "en",
                        "tags": {"flow": "login", "session": rng.alnum(16)},
                    }]
                },
                "check_attempts": {"count": 1, "attempts": [{"time": t0, "status": "SUCCESS"}]},
                "expired_at": rng.timestamp(),
            });
            envelope(
                rng,
                "com.twilio.accountsecurity.verify.verification.approved",
                "AccountSecurity.VerifyEventStreamEvent/3",
                &format!("Verifications/{sid}.json"),
                data,
            )
        }
        6 => {
            let sid = rng.sid("FN");
            let data = json!({
                "execution_sid": sid,
                "account_sid": rng.sid("AC"),
                "flow_sid": rng.sid("FW"),
                "step_sid": rng.sid("FT"),
                "contact_channel_address": rng.phone(),
                "status": "ended",
                "ended_reason": "FLOW_END",
                "name": "send_confirmation",
                "transitioned_from": "split_on_reply",
                "transitioned_to": "Ended",
                "date_created": rng.timestamp(),
                "date_updated": rng.timestamp(),
                "started_by": rng.sid("SM"),
                "flow_revision": 1 + rng.below(2000),
                "context": format!("{{\"widgets\":{{\"split_on_reply\":{{\"inbound\":{{\"Body\":\"C\",\"MessageSid\":\"{}\"}}}}}},\"flow\":{{\"channel\":{{\"address\":\"+15555550100\"}}}}}}", rng.sid("SM")),
            });
            envelope(
                rng,
                "com.twilio.studio.flow.execution.ended",
                "Studio.FlowExecutionEvent/2",
                &format!("Flows/{sid}.json"),
                data,
            )
        }
        _ => {
            let sid = rng.sid("NO");
            let payload = json!({
                "resource_sid": rng.sid("SM"),
                "service_sid": rng.sid("MG"),
                "error_code": 11200,
                "more_info": {"msg": "An attempt to retrieve content from the callback URL failed", "Msg": "Bad Gateway", "sourceComponent": "14100"},
                "webhook": {"request": {"url": "https://hooks.example.com/sms", "method": "POST", "headers": {"X-Request-Id": rng.token(20)}}, "response": {"status_code": 502, "body": "<html><body>502 Bad Gateway</body></html>"}},
            });
            let data = json!({
                "sid": sid,
                "account_sid": rng.sid("AC"),
                "date_created": rng.timestamp(),
                "level": "ERROR",
                "master_account_sid": rng.sid("AC"),
                "request_sid": rng.sid("RQ"),
                "service_sid": rng.sid("MG"),
                "correlation_sid": rng.sid("ZE"),
                "product_name": "Programmable Messaging",
                "error_code": "11200",
                "payload": payload.to_string(),
            });
            envelope(
                rng,
                "com.twilio.error-logs.error.logged",
                "ErrorLogs.Error/2",
                &format!("Alerts/{sid}.json"),
                data,
            )
        }
    }
}

/// `n` clean events: routing metadata, neutral bodies, one-time codes, SIDs, timestamps,
/// opaque portal tokens. No PHI.
pub fn clean_events(n: usize) -> EventStream {
    let mut rng = Rng::new(0xC1EA_0001);
    let events = (0..n)
        .map(|_| serde_json::to_vec(&clean_event(&mut rng)).unwrap())
        .collect();
    EventStream {
        events,
        origin: format!("synthetic clean events (n={n}, seed 0xC1EA0001)"),
    }
}

const FIRST: &[&str] = &["Maria", "James", "Linda", "Robert", "Patricia", "Michael"];
const LAST: &[&str] = &[
    "Gonzalez", "Whitaker", "Nguyen", "Okafor", "Brennan", "Kowalski",
];
const MEDS: &[&str] = &[
    "lisinopril 10mg",
    "metformin 500 mg",
    "sertraline",
    "insulin glargine",
];

fn phi_body(rng: &mut Rng) -> String {
    let first = rng.pick(FIRST);
    let last = rng.pick(LAST);
    match rng.below(5) {
        0 => format!(
            "Hi {first} {last}, your chemotherapy infusion at the oncology clinic is moved to 05/14/2026. DOB on file: {:02}/{:02}/19{:02}.",
            1 + rng.below(12),
            1 + rng.below(28),
            40 + rng.below(50)
        ),
        1 => format!(
            "Reminder for {first} {last}: refill of {} is ready. MRN {:08}.",
            rng.pick(MEDS),
            rng.below(100_000_000)
        ),
        2 => format!(
            "{first}, your A1c result was {}.{}%. Please call Dr. {last} about your diabetes plan.",
            6 + rng.below(4),
            rng.below(10)
        ),
        3 => "my social is 078-05-1120 and I'm out of my lisinopril".to_string(),
        _ => format!(
            "Your HIV test results are ready. Member ID XQ{:09}. Call 555-01{:02}.",
            rng.below(1_000_000_000),
            rng.below(100)
        ),
    }
}

fn phi_event(rng: &mut Rng) -> Value {
    match rng.below(4) {
        0 | 1 => {
            let body = phi_body(rng);
            let tags = json!({
                "patient_mrn": format!("MRN-{:08}", rng.below(100_000_000)),
                "dx": rng.pick(&["E11.9", "F32.1", "I10", "C50.911"]),
                "campaign": "appt-reminders",
            });
            message_status(rng, body, tags)
        }
        2 => {
            let sid = rng.sid("CA");
            let speech = phi_body(rng);
            let twiml = base64_encode(&format!(
                "<Response><Say>Thanks {}. We have your date of birth as March 2, 1958.</Say></Response>",
                rng.pick(FIRST)
            ));
            let data = json!({
                "sid": sid,
                "timestamp": rng.timestamp(),
                "eventSid": rng.sid("VW"),
                "request": {
                    "method": "POST",
                    "url": "https://hooks.example.com/voice/gather",
                    "parameters": {
                        "CallSid": sid,
                        "AccountSid": rng.sid("AC"),
                        "From": rng.phone(),
                        "To": rng.phone(),
                        "SpeechResult": speech,
                        "Confidence": "0.91",
                        "CallStatus": "in-progress",
                    }
                },
                "response": {"responseCode": 200, "contentType": "application/xml", "responseBody": twiml},
            });
            envelope(
                rng,
                "com.twilio.voice.twiml.gather.finished",
                "Voice.WebhookEvent/2",
                &format!("Calls/{sid}.json"),
                data,
            )
        }
        _ => {
            let sid = rng.sid("NO");
            let payload = json!({
                "resource_sid": rng.sid("SM"),
                "error_code": 11200,
                "webhook": {"request": {"url": "https://hooks.example.com/sms", "method": "POST",
                    "parameters": {"Body": phi_body(rng), "From": rng.phone(), "To": rng.phone(), "MessageSid": rng.sid("SM")}}},
            });
            let data = json!({
                "sid": sid,
                "account_sid": rng.sid("AC"),
                "date_created": rng.timestamp(),
                "level": "ERROR",
                "request_sid": rng.sid("RQ"),
                "product_name": "Programmable Messaging",
                "error_code": "11200",
                "payload": payload.to_string(),
            });
            envelope(
                rng,
                "com.twilio.error-logs.error.logged",
                "ErrorLogs.Error/2",
                &format!("Alerts/{sid}.json"),
                data,
            )
        }
    }
}

fn base64_encode(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// `n` events with fake PHI (bodies, tags, speech, error-log webhook parameters, base64 TwiML),
/// interleaved with the shared sample events (which include PHI fixtures) when present.
pub fn phi_events(n: usize) -> EventStream {
    let mut rng = Rng::new(0x0091_0002);
    let mut events: Vec<Vec<u8>> = (0..n)
        .map(|_| serde_json::to_vec(&phi_event(&mut rng)).unwrap())
        .collect();
    let samples = sample_events();
    let origin = if samples.is_empty() {
        format!("synthetic PHI events (n={n}, seed 0x910002); shared samples not found")
    } else {
        let k = samples.len();
        // spread the samples through the stream, repeated, ~1 in 4 events
        let mut i = 0;
        let mut out = Vec::with_capacity(n + n / 3);
        for (j, e) in events.drain(..).enumerate() {
            out.push(e);
            if j % 3 == 2 {
                out.push(samples[i % k].clone());
                i += 1;
            }
        }
        events = out;
        format!(
            "synthetic PHI events (n={n}, seed 0x910002) + {i} copies of {k} shared sample events"
        )
    };
    EventStream { events, origin }
}

/// Every CloudEvent in /work/shared/samples/twilio-events/*.json (compact JSON, one per event).
pub fn sample_events() -> Vec<Vec<u8>> {
    let dir = manifest_dir().join("../shared/samples/twilio-events");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json")
                && p.file_name().is_some_and(|n| n != "MANIFEST.json")
        })
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        let mut evs = Vec::new();
        if phiscan::event::decode_bytes(&bytes, &mut evs).is_ok() {
            out.extend(evs.iter().map(|e| serde_json::to_vec(e).unwrap()));
        }
    }
    out
}

/// SMS-length texts (~`len` bytes each, cut at whitespace) from `texts`: the short free text
/// Twilio traffic is made of, with the notes' density of identifiers.
pub fn sms_texts(texts: &[String], len: usize) -> Vec<String> {
    let mut out = Vec::new();
    for t in texts {
        let mut cur = String::new();
        for word in t.split_whitespace() {
            if !cur.is_empty() && cur.len() + 1 + word.len() > len {
                out.push(std::mem::take(&mut cur));
            }
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}
