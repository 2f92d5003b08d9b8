//! The fuzz targets and the invariants each asserts. `make` builds one (with its expensive
//! state, such as the scanner, created once); each takes one input's bytes.

use std::collections::HashSet;
use std::io::Write as _;

use arbitrary::Unstructured;
use base64::Engine as _;
use phiscan::alert::SourceRef;
use phiscan::config::Config;
use phiscan::event::redact::{Redaction, Style};
use phiscan::event::walk::{Field, Visit, walk_visit};
use phiscan::scan::{ScanScratch, Scanner, Stats};
use phiscan::source::files::{self, Record};
use phiscan::source::webhook::{server, signature};
use serde_json::Value;

use super::Rng;
use super::events::{Choices, Gen};

pub const TARGETS: &[&str] = &["decode", "redact", "webhook", "files", "env"];

/// A target by name, ready to run.
pub fn make(name: &str) -> Box<dyn FnMut(&[u8])> {
    match name {
        "decode" => Box::new(decode_and_walk),
        "redact" => {
            let scanner = fuzz_scanner();
            let mut scratch = ScanScratch::default();
            Box::new(move |data| redact(&scanner, &mut scratch, data))
        }
        "webhook" => Box::new(webhook),
        "files" => Box::new(files_target),
        "env" => {
            let dir = tempfile::tempdir().expect("temp dir");
            let base = dir.path().join("base.toml");
            std::fs::write(&base, BASE_CONFIG).expect("write base config");
            Box::new(move |data| {
                let _keep = &dir;
                env_overrides(&base, data)
            })
        }
        other => panic!("no fuzz target {other}; targets: {TARGETS:?}"),
    }
}

fn fuzz_scanner() -> Scanner {
    crate::support::keyed_scanner("fuzz-key")
}

fn is_cloud_event(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        m.contains_key("specversion") || (m.contains_key("type") && m.contains_key("data"))
    })
}

/// The longest run of ASCII letters and digits in `data`: a stand-in for "a value from the
/// input" that an error message must never quote.
fn longest_word(data: &[u8]) -> &[u8] {
    data.split(|b| !b.is_ascii_alphanumeric())
        .max_by_key(|w| w.len())
        .unwrap_or(&[])
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

// ---- (a) decoder + walk ------------------------------------------------------------------

/// Records every field the walk reports and checks each pointer against the event.
struct Check<'e> {
    event: &'e Value,
    fields: usize,
}

impl Visit for Check<'_> {
    fn text(&mut self, f: &Field) {
        self.fields += 1;
        assert_valid_pointer(f.pointer);
        // a pointer that resolves (no decoded string or masked key on the way) leads to the
        // very string reported, unless the text was base64-decoded from it
        if let Some(Value::String(s)) = self.event.pointer(f.pointer)
            && !f.base64
        {
            assert_eq!(
                s, f.text,
                "pointer {:?} resolves to another string",
                f.pointer
            );
        }
    }
    fn key(&mut self, f: &Field) -> Vec<phiscan::event::redact::Span> {
        assert!(f.in_key);
        assert_valid_pointer(f.pointer);
        if let Some(v) = self.event.pointer(f.pointer) {
            assert!(
                v.is_object() || v.is_string(),
                "key pointer {:?}",
                f.pointer
            );
        }
        Vec::new()
    }
}

/// RFC 6901: empty, or `/`-separated segments where `~` is always `~0` or `~1`.
fn assert_valid_pointer(p: &str) {
    assert!(p.is_empty() || p.starts_with('/'), "pointer {p:?}");
    let b = p.as_bytes();
    for (i, c) in b.iter().enumerate() {
        if *c == b'~' {
            assert!(
                matches!(b.get(i + 1), Some(b'0' | b'1')),
                "bad escape in pointer {p:?}"
            );
        }
    }
}

/// Bytes → `decode_bytes` → walk of every string: decoded values are CloudEvent objects, a
/// decoding error never quotes the input, decoding is deterministic, and every pointer the
/// walk reports is well-formed and, where it resolves, leads to the reported text.
pub fn decode_and_walk(data: &[u8]) {
    let mut events = Vec::new();
    match phiscan::event::decode_bytes(data, &mut events) {
        Ok(()) => {
            for e in &events {
                assert!(is_cloud_event(e), "decoded a non-event");
                let mut check = Check {
                    event: e,
                    fields: 0,
                };
                walk_visit(e, &mut check);
                let mut plain = 0;
                phiscan::event::walk(e, &mut |_| plain += 1);
                assert_eq!(plain, check.fields, "walk and walk_visit disagree");
            }
            let mut again = Vec::new();
            phiscan::event::decode_bytes(data, &mut again).expect("decodes twice");
            assert_eq!(events, again, "decoding is not deterministic");
        }
        Err(e) => {
            let word = longest_word(data);
            let msg = e.to_string();
            assert!(
                word.len() < 12 || !contains(msg.as_bytes(), word),
                "decode error quotes the input: {msg}"
            );
        }
    }
}

// ---- (b) redaction ---------------------------------------------------------------------

/// Every byte the scanner writes for `event`: its alerts and the redacted event.
fn scan_all(
    scanner: &Scanner,
    scratch: &mut ScanScratch,
    mut event: Value,
    style: Style,
) -> Vec<u8> {
    let mut alerts = Vec::new();
    scanner.scan_and_redact(
        &mut event,
        SourceRef::Webhook {
            request_id: "fuzz".into(),
        },
        scratch,
        &mut Stats::default(),
        &mut |a| alerts.push(a),
        Redaction {
            style,
            mask_addresses: true,
        },
    );
    let mut out = Vec::new();
    for a in &alerts {
        out.extend(serde_json::to_vec(a).unwrap());
    }
    out.extend(serde_json::to_vec(&event).unwrap());
    out
}

/// An event generated from the input (planted SSNs in keys, envelope, extension attributes,
/// JSON-in-strings, base64, `data_base64`) is scanned and redacted: no planted value survives in
/// the alerts or the redacted event. The raw input, decoded as events, is scanned too (no panic).
pub fn redact(scanner: &Scanner, scratch: &mut ScanScratch, data: &[u8]) {
    let mut u = Unstructured::new(data);
    let seed = u.arbitrary::<u64>().unwrap_or(0);
    let style = if u.arbitrary::<bool>().unwrap_or(false) {
        Style::Masked
    } else {
        Style::Category
    };
    let mut g = Gen {
        rng: Choices(&mut u),
        seed,
        planted: Vec::new(),
    };
    let event = g.event();
    let planted = std::mem::take(&mut g.planted);
    let written = scan_all(scanner, scratch, event.clone(), style);
    if !planted.is_empty() {
        let found = crate::support::planted::leaks("redacted output", &written, &planted);
        assert!(found.is_empty(), "{}\nevent: {event}", found.join("\n"));
    }
    let mut decoded = Vec::new();
    if phiscan::event::decode_bytes(data, &mut decoded).is_ok() {
        for e in decoded {
            scan_all(scanner, scratch, e, style);
        }
    }
}

// ---- (c) webhook signature + body ------------------------------------------------------

/// 64 control bytes derived from the whole input, so that the input itself stays a whole body.
fn control(data: &[u8]) -> [u8; 64] {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in data {
        h = (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
    }
    let mut rng = Rng(h);
    let mut out = [0u8; 64];
    for c in out.chunks_mut(8) {
        c.copy_from_slice(&rng.next().to_le_bytes());
    }
    out
}

const HOSTS: &[&str] = &["example.com", "user:pw@example.com", "[::1]", "h", ""];
const PORTS: &[&str] = &["", ":443", ":80", ":8443", ":", ":x"];

/// The input is a webhook body; a URL, token and parameters are drawn from it. A correctly
/// signed request verifies (also when Twilio signed the URL with the default port and it arrived
/// without, and the reverse); a changed body, signature, token or parameter set does not; any
/// string as URL or signature is rejected without panicking. The batch parser keeps every good
/// item, sets the bad ones apart with their exact bytes and never quotes them in the reason.
pub fn webhook(body: &[u8]) {
    let ctl = control(body);
    let mut u = Unstructured::new(&ctl);
    let token: String = ["12345", "ünï-tøken", "", "0123456789abcdef0123456789abcdef"]
        [u.int_in_range(0..=3).unwrap_or(0)]
    .to_string();
    let scheme = ["https", "http", "HTTPS"][u.int_in_range(0..=2).unwrap_or(0)];
    let host = HOSTS[u.int_in_range(0..=HOSTS.len() - 1).unwrap_or(0)];
    let port = PORTS[u.int_in_range(0..=PORTS.len() - 1).unwrap_or(0)];
    let extra = ["", "a=1&", "bodySHA256=&", "x&"][u.int_in_range(0..=3).unwrap_or(0)];
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body));
    let tail = format!("/events?{extra}bodySHA256={hash}");
    let url = format!("{scheme}://{host}{port}{tail}");
    let sig = signature::sign(&token, &url, &[]);
    let ok = signature::verify_json(&token, &url, body, Some(&sig));
    // `extra` = "bodySHA256=&" puts an empty hash first: the first parameter is the signed one
    if extra.starts_with("bodySHA256") {
        assert!(ok.is_err(), "an empty bodySHA256 first must not verify");
    } else {
        assert_eq!(ok, Ok(()), "a correctly signed request is refused: {url}");
        port_variants(&token, scheme, host, port, &tail, body, &sig);
    }
    tampered(&token, &url, body, &sig);
    let junk_url = String::from_utf8_lossy(&ctl[..u.int_in_range(0..=32).unwrap_or(0)]).to_string();
    let junk_sig = String::from_utf8_lossy(&ctl[32..]).to_string();
    assert!(signature::verify_json(&token, &junk_url, body, Some(&junk_sig)).is_err());
    assert!(signature::verify_json_url(&token, &url, Some(&junk_sig)).is_err());
    form(&token, &url, &mut u);
    batch(body);
}

fn port_variants(
    token: &str,
    scheme: &str,
    host: &str,
    port: &str,
    tail: &str,
    body: &[u8],
    sig: &str,
) {
    let default = match scheme.to_ascii_lowercase().as_str() {
        "https" => ":443",
        _ => ":80",
    };
    if port.is_empty() && !host.is_empty() && !host.ends_with(']') {
        let with_port = format!("{scheme}://{host}{default}{tail}");
        assert_eq!(
            signature::verify_json(token, &with_port, body, Some(sig)),
            Ok(()),
            "signed without the default port, received with it"
        );
    }
    if port == default {
        let without = format!("{scheme}://{host}{tail}");
        assert_eq!(
            signature::verify_json(token, &without, body, Some(sig)),
            Ok(()),
            "signed with the default port, received without it"
        );
    }
}

fn tampered(token: &str, url: &str, body: &[u8], sig: &str) {
    use signature::Rejection;
    let mut other = body.to_vec();
    other.push(b' ');
    assert_eq!(
        signature::verify_json(token, url, &other, Some(sig)),
        Err(Rejection::BodyHashMismatch)
    );
    let mut mac = base64::engine::general_purpose::STANDARD
        .decode(sig)
        .unwrap();
    mac[0] ^= 1;
    let bad = base64::engine::general_purpose::STANDARD.encode(mac);
    assert_eq!(
        signature::verify_json(token, url, body, Some(&bad)),
        Err(Rejection::BadSignature)
    );
    let wrong = format!("{token}x");
    assert_eq!(
        signature::verify_json(&wrong, url, body, Some(sig)),
        Err(Rejection::BadSignature)
    );
    for missing in [None, Some("")] {
        assert_eq!(
            signature::verify_json(token, url, body, missing),
            Err(Rejection::MissingSignature)
        );
    }
}

/// Form webhooks: the signature covers every parameter, in any order.
fn form(token: &str, url: &str, u: &mut Unstructured) {
    let n = u.int_in_range(0..=4).unwrap_or(0);
    let mut params: Vec<(String, String)> = (0..n)
        .map(|i| {
            let k = ["Body", "From", "To", "Body"][i % 4].to_string();
            let v = format!("v{}", u.int_in_range(0..=3).unwrap_or(0));
            (k, v)
        })
        .collect();
    let sig = signature::sign(token, url, &params);
    params.reverse();
    assert_eq!(
        signature::verify_form(token, url, &params, Some(&sig)),
        Ok(())
    );
    let unique = params
        .iter()
        .position(|p| params.iter().filter(|q| *q == p).count() == 1);
    if let Some(i) = unique {
        params.remove(i);
        assert!(signature::verify_form(token, url, &params, Some(&sig)).is_err());
    }
}

/// The webhook's body parser: a JSON array is decoded item by item.
fn batch(body: &[u8]) {
    let items = serde_json::from_slice::<Vec<&serde_json::value::RawValue>>(body).ok();
    match server::decode_items(body) {
        Ok((events, bad)) => {
            assert!(events.iter().all(is_cloud_event), "batch kept a non-event");
            let Some(items) = items else {
                assert!(bad.is_empty());
                return;
            };
            assert!(bad.len() <= items.len());
            let raws: HashSet<&[u8]> = items.iter().map(|i| i.get().as_bytes()).collect();
            for (reason, raw) in &bad {
                assert!(raws.contains(raw.as_slice()), "bad item bytes changed");
                let word = longest_word(raw);
                assert!(
                    word.len() < 12 || !contains(reason.as_bytes(), word),
                    "reason quotes the item: {reason}"
                );
            }
        }
        Err(reason) => {
            assert!(items.is_none(), "an array body was refused whole");
            let word = longest_word(body);
            assert!(
                word.len() < 12 || !contains(reason.as_bytes(), word),
                "reason quotes the body: {reason}"
            );
        }
    }
}

// ---- (d) file format detection -----------------------------------------------------------

/// What reading produced, comparable across encodings.
#[derive(Debug, PartialEq)]
enum Seen {
    Event(u64, Value),
    Malformed(u64, usize),
}

fn read(bytes: &[u8], name: &str, max: usize) -> (Vec<Seen>, bool) {
    let reader = files::open_reader(Box::new(std::io::Cursor::new(bytes.to_vec())), name);
    let Ok(reader) = reader else {
        return (Vec::new(), false);
    };
    let mut seen = Vec::new();
    let ok = files::read_records_limited(reader, max, &mut |r| {
        seen.push(match r {
            Record::Event { event, line, .. } => Seen::Event(line, event),
            Record::Malformed { line, raw, .. } => Seen::Malformed(line, raw.len()),
        })
    })
    .is_ok();
    (seen, ok)
}

fn is_compressed(b: &[u8]) -> bool {
    b.starts_with(&[0x1f, 0x8b]) || b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
}

/// The files source on arbitrary bytes, plain, gzip and zstd (named and detected by magic):
/// plain bytes never fail; compressed, they read exactly as plain; truncated, nothing panics;
/// events are CloudEvents in line order; a malformed record keeps a bounded prefix; and a
/// malformed line among JSON Lines events costs only itself.
pub fn files_target(data: &[u8]) {
    let ctl = control(data);
    let max = if ctl[0] < 64 {
        64 + usize::from(ctl[1]) * 16
    } else {
        1 << 20
    };
    let (plain, ok) = read(data, "in.jsonl", max);
    check_records(&plain, max);
    if is_compressed(data) {
        return;
    }
    assert!(ok, "plain bytes failed to read");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    let gz = gz.finish().unwrap();
    let zst = zstd::encode_all(data, 1).unwrap();
    for (bytes, name) in [
        (&gz, "in.jsonl.gz"),
        (&gz, "in"),
        (&zst, "in.zst"),
        (&zst, "in"),
    ] {
        let (seen, ok) = read(bytes, name, max);
        assert!(ok, "{name}: compressed input failed");
        assert_eq!(seen, plain, "{name}: differs from the plain read");
        let cut = usize::from(ctl[2]) * bytes.len() / 256;
        let (seen, _) = read(&bytes[..cut], name, max);
        check_records(&seen, max);
    }
    one_bad_line(data, ctl[3]);
}

fn check_records(seen: &[Seen], max: usize) {
    let mut last = 0;
    for s in seen {
        let line = match s {
            Seen::Event(line, e) => {
                assert!(is_cloud_event(e), "read a non-event");
                *line
            }
            Seen::Malformed(line, len) => {
                assert!(
                    *len <= max.max(64 << 10) + 1,
                    "malformed record keeps {len} bytes"
                );
                *line
            }
        };
        assert!(line >= last, "records out of line order");
        last = line;
    }
}

/// JSON Lines of five events with the input (newlines turned to spaces) as line `at`: the
/// five events are read whatever that line holds.
fn one_bad_line(data: &[u8], at: u8) {
    let bad: Vec<u8> = data
        .iter()
        .map(|b| if *b == b'\n' { b' ' } else { *b })
        .collect();
    let at = usize::from(at) % 6;
    let mut file = Vec::new();
    for i in 0..6 {
        if i == at {
            file.extend_from_slice(&bad);
        } else {
            file.extend_from_slice(
                format!(r#"{{"specversion":"1.0","id":"EZline{i}","type":"t","data":{{}}}}"#)
                    .as_bytes(),
            );
        }
        file.push(b'\n');
    }
    if is_compressed(&file) {
        return;
    }
    let (seen, ok) = read(&file, "in.jsonl", 1 << 20);
    assert!(ok);
    let ids: HashSet<String> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Event(_, e) => e["id"].as_str().map(str::to_string),
            _ => None,
        })
        .collect();
    for i in (0..6).filter(|i| *i != at) {
        assert!(
            ids.contains(&format!("EZline{i}")),
            "line {i}'s event lost after a bad line {at}"
        );
    }
}

// ---- (e) environment overrides ---------------------------------------------------------

const BASE_CONFIG: &str = "[sources.webhook]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://x/e\"\nplain_http_behind_proxy = true\n[sources.kafka]\nbrokers = \"b:9092\"\ntopics = [\"t\"]\nproperties = { \"sasl.password\" = \"base-secret\" }\n[sinks.http]\nurl = \"http://x\"\n";

const NAMES: &[&str] = &[
    "PHISCAN_SOURCES__WEBHOOK__AUTH_TOKEN",
    "PHISCAN_SOURCES__WEBHOOK__BASIC_AUTH_PASSWORD",
    "PHISCAN_SOURCES__WEBHOOK__MAX_BODY_BYTES",
    "PHISCAN_SOURCES__WEBHOOK__LISTEN",
    "PHISCAN_SOURCES__WEBHOOK__PLAIN_HTTP_BEHIND_PROXY",
    "PHISCAN_SOURCES__KAFKA__PROPERTIES__SASL_PASSWORD",
    "PHISCAN_SOURCES__KAFKA__TOPICS",
    "PHISCAN_DETECT__THRESHOLD",
    "PHISCAN_DETECT__DISABLED",
    "PHISCAN_POLICY__HIPAA_ACCOUNTS",
    "PHISCAN_SINKS__HTTP__HEADERS__AUTHORIZATION",
    "PHISCAN_SINKS__HTTP__URL",
    "PHISCAN_FINGERPRINT__KEY",
    "PHISCAN_SOURCES__WEBHOOK__LISTEN__PORT",
    "PHISCAN_SOURCES",
    "PHISCAN___X",
    "PHISCAN_TEST_IGNORED",
];
const SHAPES: &[(&str, &str)] = &[
    ("", ""),
    ("\"", "\""),
    ("\"", ""),
    ("[\"", "\"]"),
    ("[", "]"),
    ("{ a = \"", "\" }"),
    ("'", "'"),
    ("\"\"\"", "\"\"\""),
    ("0x", ""),
    ("1", ""),
    ("", " = 1"),
    ("[1, \"", "\"]"),
];

/// `PHISCAN_*` variables (known keys, arbitrary names, values of every TOML shape, each holding
/// a unique marker) through `Config::load_with_env`: no panic; an error never contains a value;
/// a string-typed secret is kept as its exact text, and the masked config never shows it.
pub fn env_overrides(base: &std::path::Path, data: &[u8]) {
    let mut u = Unstructured::new(data);
    let n = u.int_in_range(1..=4).unwrap_or(1);
    let mut vars = Vec::new();
    let mut markers = Vec::new();
    for i in 0..n {
        let name = if u.ratio(3, 4).unwrap_or(true) {
            NAMES[u.int_in_range(0..=NAMES.len() - 1).unwrap_or(0)].to_string()
        } else {
            let s: String = u.arbitrary().unwrap_or_default();
            format!("PHISCAN_{s}")
        };
        let (pre, post) = SHAPES[u.int_in_range(0..=SHAPES.len() - 1).unwrap_or(0)];
        let marker = format!(
            "{}{i}",
            u.int_in_range(10_000_000u32..=99_999_999)
                .unwrap_or(10_000_000)
        );
        let middle: String = if u.ratio(1, 4).unwrap_or(false) {
            u.arbitrary::<String>()
                .unwrap_or_default()
                .chars()
                .take(24)
                .collect()
        } else {
            String::new()
        };
        vars.push((name, format!("{pre}{marker}{middle}{post}")));
        markers.push(marker);
    }
    match Config::load_with_env(Some(base), vars.clone()) {
        Err(e) => {
            let text = format!("{e:#} {e:?}");
            for (m, (name, _)) in markers.iter().zip(&vars) {
                assert!(
                    name.contains(m.as_str()) || !text.contains(m.as_str()),
                    "error shows the value of {name}: {text}"
                );
            }
        }
        Ok(config) => typed_as_text(&config, &vars),
    }
}

fn typed_as_text(config: &Config, vars: &[(String, String)]) {
    let masked = config.to_masked_toml();
    let token_var = "PHISCAN_SOURCES__WEBHOOK__AUTH_TOKEN";
    let set: Vec<&(String, String)> = vars
        .iter()
        .filter(|(n, _)| n.to_ascii_uppercase() == token_var)
        .collect();
    if let [(_, raw)] = set.as_slice()
        && let Some(w) = config.sources.webhook.as_ref()
    {
        // the raw text, or the string it spells in TOML (`"abc"` is abc)
        let spelled = format!("v = {raw}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|t| t.get("v").and_then(|v| v.as_str().map(str::to_string)));
        let token = w.auth_token.as_deref().unwrap_or_default();
        assert!(
            token == raw.as_str() || Some(token) == spelled.as_deref(),
            "auth token not kept as text"
        );
        if !token.is_empty() {
            assert!(
                !masked.contains(token),
                "masked config shows the auth token"
            );
        }
    }
}
