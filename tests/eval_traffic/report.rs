//! Scores and their compact tables: recall per rule and per leak kind, false alarms grouped by
//! what clean traffic they hit, a few example misses per rule with what the engine did find in
//! the planted text, and the SMS span scores. Also the `PHISCAN_EVAL_DUMP` writer, so a miss
//! can be replayed with `phiscan scan`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;
use phiscan::alert::Alert;
use phiscan::detect::{Engine, Finding, Scratch};
use phiscan::scan::Scanner;
use serde_json::{Value, json};

use super::events::{Event, Gen, Plant, RULES};
use super::support::{pct, ratio};
use super::text::Text;
use super::{TARGET_CLEAN_FLAGGED, TARGET_FALSE_ALERTS, TARGET_RECALL, TARGET_SPAN_RECALL};

/// Example rows printed per group.
const EXAMPLES_PER_RULE: usize = 10;

pub struct Miss {
    pub line: usize,
    pub rule: &'static str,
    pub event_type: String,
    pub kind: &'static str,
    pub field: String,
    pub text: String,
    pub found: String,
}

#[derive(Default)]
pub struct Outcome {
    pub clean_events: usize,
    pub violating_events: usize,
    pub false_alert_events: usize,
    /// rule -> (expected, found)
    pub per_rule: BTreeMap<&'static str, (usize, usize)>,
    /// (rule, leak kind) -> (expected, found)
    pub per_kind: BTreeMap<(&'static str, &'static str), (usize, usize)>,
    pub misses: Vec<Miss>,
    /// group -> (findings, example)
    false_alarms: BTreeMap<String, (usize, String)>,
    unexpected: BTreeMap<String, (usize, String)>,
    unexpected_alerts: usize,
}

/// One line of at most `max` characters.
fn clip(s: &str, max: usize) -> String {
    let one: String = s.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
    if one.chars().count() <= max {
        one
    } else {
        one.chars().take(max - 1).collect::<String>() + "…"
    }
}

impl Outcome {
    pub fn recall(&self) -> f64 {
        let (e, f) = self
            .per_rule
            .values()
            .fold((0, 0), |(a, b), (e, f)| (a + e, b + f));
        ratio(f, e)
    }

    pub fn rule_recall(&self, rule: &str) -> f64 {
        self.per_rule.get(rule).map_or(1.0, |&(e, f)| ratio(f, e))
    }

    pub fn false_alert_rate(&self) -> f64 {
        if self.clean_events == 0 {
            0.0
        } else {
            self.false_alert_events as f64 / self.clean_events as f64
        }
    }

    pub fn false_alarm(&mut self, e: &Event, a: &Alert) {
        for f in &a.findings {
            let key = format!(
                "{:<26} {:<38} {}/{} @{}",
                a.rule,
                format!("{}:{}", e.family, e.clean_kind),
                f.category.as_str(),
                f.detector,
                f.location.as_str()
            );
            let raw = resolve(&e.value, &f.field)
                .and_then(|t| t.get(f.span[0]..f.span[1]).map(str::to_string))
                .unwrap_or_else(|| f.masked.clone());
            let example = format!("{} {:?}", f.field, clip(&raw, 60));
            self.false_alarms.entry(key).or_insert((0, example)).0 += 1;
        }
    }

    pub fn unexpected(&mut self, e: &Event, a: &Alert) {
        self.unexpected_alerts += 1;
        let kinds: Vec<&str> = e.plants.iter().map(|p| p.kind).collect();
        let f = &a.findings[0];
        let key = format!(
            "{:<26} on {:<34} {}/{} @{}",
            a.rule,
            kinds.join("+"),
            f.category.as_str(),
            f.detector,
            f.location.as_str()
        );
        let raw = resolve(&e.value, &f.field)
            .and_then(|t| t.get(f.span[0]..f.span[1]).map(str::to_string))
            .unwrap_or_else(|| f.masked.clone());
        let example = format!("{} {:?}", f.field, clip(&raw, 60));
        self.unexpected.entry(key).or_insert((0, example)).0 += 1;
    }

    pub fn render(&self, events: &[Event]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n{:<28} {:>8} {:>7} {:>7}",
            "rule", "expected", "found", "recall"
        );
        let (mut te, mut tf) = (0, 0);
        for rule in RULES {
            let (e, f) = self.per_rule.get(rule).copied().unwrap_or_default();
            te += e;
            tf += f;
            let _ = writeln!(out, "{rule:<28} {e:>8} {f:>7} {:>7}", pct(f, e));
        }
        let _ = writeln!(
            out,
            "{:<28} {te:>8} {tf:>7} {:>7}   target >= {:.1}%",
            "overall (event, rule)",
            pct(tf, te),
            TARGET_RECALL * 100.0
        );
        let _ = writeln!(
            out,
            "false alerts: {} of {} clean events = {}   target <= {:.1}%",
            self.false_alert_events,
            self.clean_events,
            pct(self.false_alert_events, self.clean_events),
            TARGET_FALSE_ALERTS * 100.0
        );
        let _ = writeln!(
            out,
            "unexpected-rule alerts on violating events: {}",
            self.unexpected_alerts
        );
        self.render_clean_by_family(&mut out, events);
        self.render_kinds(&mut out);
        self.render_misses(&mut out);
        render_groups(
            &mut out,
            "false alarms on clean events (rule, family:clean kind, category/detector @location)",
            &self.false_alarms,
        );
        render_groups(
            &mut out,
            "unexpected rules on violating events",
            &self.unexpected,
        );
        out
    }

    fn render_clean_by_family(&self, out: &mut String, events: &[Event]) {
        let mut fam: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for e in events.iter().filter(|e| e.expect.is_empty()) {
            fam.entry(e.family).or_default().0 += 1;
        }
        let _ = writeln!(
            out,
            "\nclean events per family: {}",
            fam.iter()
                .map(|(f, (n, _))| format!("{f} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    fn render_kinds(&self, out: &mut String) {
        let _ = writeln!(out, "\nrecall by leak kind (missed/expected):");
        let mut line = String::new();
        let mut last_rule = "";
        for ((rule, kind), (e, f)) in &self.per_kind {
            if *rule != last_rule {
                if !line.is_empty() {
                    let _ = writeln!(out, "{line}");
                }
                line = format!("  {rule}:");
                last_rule = *rule;
            }
            let piece = format!(" {kind} {}/{e}", e - f);
            if line.len() + piece.len() > 118 {
                let _ = writeln!(out, "{line}");
                line = format!("  {:width$}", "", width = rule.len() + 1);
            }
            line.push_str(&piece);
        }
        if !line.is_empty() {
            let _ = writeln!(out, "{line}");
        }
    }

    fn render_misses(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\nexample misses (at most {EXAMPLES_PER_RULE} per rule; line = line of the PHISCAN_EVAL_DUMP file):"
        );
        for rule in RULES {
            for m in self
                .misses
                .iter()
                .filter(|m| m.rule == *rule)
                .take(EXAMPLES_PER_RULE)
            {
                let _ = writeln!(
                    out,
                    "  {rule} line {} {} [{}] {}: {:?}\n      engine found: {}",
                    m.line,
                    m.event_type.trim_start_matches("com.twilio."),
                    m.kind,
                    m.field,
                    clip(&m.text, 100),
                    m.found
                );
            }
        }
    }
}

fn render_groups(out: &mut String, title: &str, groups: &BTreeMap<String, (usize, String)>) {
    let _ = writeln!(out, "\n{title}:");
    let mut v: Vec<_> = groups.iter().collect();
    v.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    for (k, (n, ex)) in v.iter().take(25) {
        let _ = writeln!(out, "  {n:>4}  {k}\n        e.g. {ex}");
    }
    if v.len() > 25 {
        let _ = writeln!(out, "  … {} more groups", v.len() - 25);
    }
}

/// What the engine finds in a planted text, with the planted field's key as context.
pub fn found_in(scanner: &Scanner, p: &Plant) -> String {
    let key = p
        .field
        .rsplit('/')
        .find(|s| !s.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("");
    let mut findings = Vec::new();
    scanner
        .engine
        .detect_into(&p.text, Some(key), &mut Scratch::default(), &mut findings);
    describe(&scanner.engine, &p.text, &findings)
}

fn describe(engine: &Engine, text: &str, findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "nothing".into();
    }
    findings
        .iter()
        .map(|f| {
            format!(
                "{}/{} {:?}",
                f.category.as_str(),
                engine.detector(f.detector).id(),
                clip(text.get(f.start..f.end).unwrap_or("?"), 30)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The string a finding's JSON pointer names, descending into JSON-encoded strings and
/// decoding a base64 `responseBody`, as the scanner's walk does.
pub fn resolve(event: &Value, pointer: &str) -> Option<String> {
    let mut cur = event.clone();
    let mut last = "";
    for raw in pointer.split('/').skip(1) {
        if let Value::String(s) = &cur {
            cur = serde_json::from_str(s).ok()?;
        }
        let seg = raw.replace("~1", "/").replace("~0", "~");
        cur = match &cur {
            Value::Object(m) => m.get(&seg)?.clone(),
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?.clone(),
            _ => return None,
        };
        last = raw;
    }
    let s = cur.as_str()?.to_string();
    if last.eq_ignore_ascii_case("responseBody")
        && let Ok(b) = base64::engine::general_purpose::STANDARD.decode(&s)
    {
        return String::from_utf8(b).ok();
    }
    Some(s)
}

// ---------------------------------------------------------------------------------------------
// SMS spans

#[derive(Default)]
pub struct SmsScores {
    /// gold category -> (spans, found)
    per_category: BTreeMap<&'static str, (usize, usize)>,
    texts: usize,
    misses: Vec<String>,
    clean: usize,
    clean_flagged: usize,
    flags: BTreeMap<String, (usize, String)>,
}

pub fn sms_scores(
    engine: &Engine,
    labelled: &[Text],
    clean: &[String],
    scratch: &mut Scratch,
) -> SmsScores {
    let mut s = SmsScores {
        texts: labelled.len(),
        clean: clean.len(),
        ..SmsScores::default()
    };
    let mut findings = Vec::new();
    for t in labelled {
        findings.clear();
        engine.detect_into(&t.s, None, scratch, &mut findings);
        for g in &t.spans {
            let found = findings.iter().any(|f| f.start < g.end && g.start < f.end);
            let e = s.per_category.entry(g.category).or_default();
            e.0 += 1;
            e.1 += usize::from(found);
            if !found
                && s.misses
                    .iter()
                    .filter(|m| m.starts_with(g.category))
                    .count()
                    < 3
            {
                s.misses.push(format!(
                    "{} {:?} in {:?}",
                    g.category,
                    &t.s[g.start..g.end],
                    clip(&t.s, 90)
                ));
            }
        }
    }
    for c in clean {
        findings.clear();
        engine.detect_into(c, None, scratch, &mut findings);
        if findings.is_empty() {
            continue;
        }
        s.clean_flagged += 1;
        for f in &findings {
            let key = format!(
                "{}/{}",
                f.category.as_str(),
                engine.detector(f.detector).id()
            );
            let ex = format!("{:?} in {:?}", &c[f.start..f.end], clip(c, 80));
            s.flags.entry(key).or_insert((0, ex)).0 += 1;
        }
    }
    s
}

impl SmsScores {
    pub fn recall(&self) -> f64 {
        let (g, f) = self
            .per_category
            .values()
            .fold((0, 0), |(a, b), (g, f)| (a + g, b + f));
        ratio(f, g)
    }

    pub fn clean_flagged(&self) -> f64 {
        if self.clean == 0 {
            0.0
        } else {
            self.clean_flagged as f64 / self.clean as f64
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let (g, f) = self
            .per_category
            .values()
            .fold((0, 0), |(a, b), (g, f)| (a + g, b + f));
        let _ = writeln!(
            out,
            "\nSMS-length texts: {} labelled, {} clean",
            self.texts, self.clean
        );
        let _ = writeln!(
            out,
            "{:<16} {:>6} {:>6} {:>7}",
            "gold category", "spans", "found", "recall"
        );
        for (c, (g, f)) in &self.per_category {
            let _ = writeln!(out, "{c:<16} {g:>6} {f:>6} {:>7}", pct(*f, *g));
        }
        let _ = writeln!(
            out,
            "{:<16} {g:>6} {f:>6} {:>7}   target >= {:.0}%",
            "span recall",
            pct(f, g),
            TARGET_SPAN_RECALL * 100.0
        );
        let _ = writeln!(
            out,
            "clean texts with any finding: {} of {} = {}   target <= {:.0}%",
            self.clean_flagged,
            self.clean,
            pct(self.clean_flagged, self.clean),
            TARGET_CLEAN_FLAGGED * 100.0
        );
        let _ = writeln!(out, "example span misses (<= 3 per category):");
        for m in &self.misses {
            let _ = writeln!(out, "  {m}");
        }
        render_groups(
            &mut out,
            "findings on clean texts (category/detector)",
            &self.flags,
        );
        out
    }
}

// ---------------------------------------------------------------------------------------------
// PHISCAN_EVAL_DUMP

/// Writes `events.jsonl` (one CloudEvent a line), `expected.jsonl` (line-aligned expectations)
/// and `config.toml` (the HIPAA account designations) for `phiscan scan --config`.
pub fn dump(dir: &Path, events: &[Event], generator: &Gen) {
    std::fs::create_dir_all(dir)
        .unwrap_or_else(|e| panic!("PHISCAN_EVAL_DUMP: cannot create {}: {e}", dir.display()));
    let mut ev = String::new();
    let mut exp = String::new();
    for (i, e) in events.iter().enumerate() {
        ev.push_str(&e.value.to_string());
        ev.push('\n');
        let plants: Vec<Value> = e
            .plants
            .iter()
            .map(|p| json!({"rule": p.rule, "kind": p.kind, "field": p.field}))
            .collect();
        let line = json!({"line": i + 1, "id": e.value["id"], "type": e.value["type"], "family": e.family,
            "clean_kind": e.clean_kind, "expect": e.expect, "plants": plants});
        exp.push_str(&line.to_string());
        exp.push('\n');
    }
    let accounts: Vec<String> = generator
        .hipaa_sids()
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect();
    let config = format!("[policy]\nhipaa_accounts = [{}]\n", accounts.join(", "));
    for (name, body) in [
        ("events.jsonl", ev),
        ("expected.jsonl", exp),
        ("config.toml", config),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, body)
            .unwrap_or_else(|e| panic!("PHISCAN_EVAL_DUMP: cannot write {}: {e}", p.display()));
    }
    let d = dir.display();
    println!(
        "dumped {} events to {d} (phiscan scan --config {d}/config.toml {d}/events.jsonl)",
        events.len()
    );
}

/// Writes `sms.jsonl` (input for `phiscan detect`) and `sms-gold.jsonl` (the gold spans).
pub fn dump_sms(dir: &Path, labelled: &[Text], clean: &[String]) {
    std::fs::create_dir_all(dir)
        .unwrap_or_else(|e| panic!("PHISCAN_EVAL_DUMP: cannot create {}: {e}", dir.display()));
    let (mut input, mut gold) = (String::new(), String::new());
    let all = labelled
        .iter()
        .map(|t| (t.s.clone(), t.spans.clone()))
        .chain(clean.iter().map(|c| (c.clone(), Vec::new())));
    for (i, (text, spans)) in all.enumerate() {
        input.push_str(&json!({"id": i, "text": text}).to_string());
        input.push('\n');
        let spans: Vec<Value> = spans
            .iter()
            .map(|s| json!([s.start, s.end, s.category]))
            .collect();
        gold.push_str(&json!({"id": i, "spans": spans}).to_string());
        gold.push('\n');
    }
    for (name, body) in [("sms.jsonl", input), ("sms-gold.jsonl", gold)] {
        let p = dir.join(name);
        std::fs::write(&p, body)
            .unwrap_or_else(|e| panic!("PHISCAN_EVAL_DUMP: cannot write {}: {e}", p.display()));
    }
}
