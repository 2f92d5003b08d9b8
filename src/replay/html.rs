//! The HTML audit report: one file, no scripts, no fonts or styles from elsewhere, charts as
//! inline SVG drawn here (a few bar charts do not justify a plotting crate's compile time).
//! Every text that comes from data is escaped; the data holds no raw values (see `report`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::report::ReportData;
use super::time;

const PALETTE: [&str; 10] = [
    "#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];
/// Most bars a time chart draws; buckets widen (hour, 6 h, day, week, 30 days) to fit.
const MAX_TIME_BARS: i64 = 90;

pub fn render(d: &ReportData) -> String {
    let mut h = String::with_capacity(64 << 10);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    h.push_str("<title>phiscan replay audit report</title>\n<style>");
    h.push_str(STYLE);
    h.push_str("</style></head><body>\n<h1>PHI audit report (phiscan replay)</h1>\n");
    h.push_str("<p class=\"note\">Values are never shown: findings carry a masked preview and a keyed fingerprint only.</p>\n");
    totals(&mut h, d);
    h.push_str("<h2>Alerts over time, by rule</h2>\n");
    h.push_str(&time_chart(&d.alerts_by_hour, &rule_colors(d)));
    h.push_str("<h2>Events scanned over time</h2>\n");
    let events: BTreeMap<String, BTreeMap<String, u64>> = d
        .events_by_hour
        .iter()
        .map(|(k, v)| (k.clone(), BTreeMap::from([("events".to_string(), *v)])))
        .collect();
    h.push_str(&time_chart(&events, &[("events".to_string(), PALETTE[1])]));
    section_bars(&mut h, "Alerts by rule", &d.alerts_by_rule, PALETTE[0]);
    section_bars(
        &mut h,
        "Alerts by severity",
        &d.alerts_by_severity,
        PALETTE[2],
    );
    section_bars(
        &mut h,
        "Alerts by event type",
        &d.alerts_by_event_type,
        PALETTE[1],
    );
    section_bars(
        &mut h,
        "Alerts by account",
        &d.alerts_by_account,
        PALETTE[4],
    );
    section_bars(
        &mut h,
        "Counted, not alerted",
        &d.counted_not_alerted,
        PALETTE[7],
    );
    category_location(&mut h, d);
    examples(&mut h, d);
    scanned(&mut h, d);
    h.push_str("</body></html>\n");
    h
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222;background:#fff;max-width:1100px}\
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:.9em}\
td.n{text-align:right}.note{color:#555}.cards{display:flex;flex-wrap:wrap;gap:12px}\
.card{border:1px solid #ccc;border-radius:6px;padding:8px 14px;background:#f6f8fa}.card b{display:block;font-size:1.4em}\
code{font-size:.9em}svg{display:block;margin:.5em 0}";

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn totals(h: &mut String, d: &ReportData) {
    let t = &d.totals;
    let cards = [
        ("alerts", t.alerts),
        ("events scanned", t.events),
        ("objects", t.objects),
        ("malformed records", t.malformed),
        ("outside time range", t.outside_time_range),
        ("without a time", t.without_time),
        ("sink test events", t.skipped_test_events),
    ];
    h.push_str("<div class=\"cards\">");
    for (label, n) in cards {
        let _ = write!(h, "<div class=\"card\"><b>{n}</b>{label}</div>");
    }
    let _ = writeln!(
        h,
        "<div class=\"card\"><b>{}</b>read</div></div>",
        esc(&human_bytes(t.bytes))
    );
}

fn section_bars(h: &mut String, title: &str, rows: &BTreeMap<String, u64>, color: &str) {
    let _ = writeln!(h, "<h2>{}</h2>", esc(title));
    if rows.is_empty() {
        h.push_str("<p class=\"note\">none</p>\n");
        return;
    }
    let mut rows: Vec<(&String, u64)> = rows.iter().map(|(k, v)| (k, *v)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    h.push_str(&bar_chart(&rows, color));
}

/// Horizontal bars, one per row, label on the left and count on the right.
fn bar_chart(rows: &[(&String, u64)], color: &str) -> String {
    let (label_w, bar_w, row_h) = (330.0, 420.0, 22.0);
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f64;
    let height = rows.len() as f64 * row_h + 8.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" role=\"img\" class=\"chart\">",
        w = label_w + bar_w + 80.0
    );
    for (i, (label, n)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let w = (*n as f64 / max * bar_w).max(1.0);
        let _ = write!(
            s,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"12\">{label}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bh}\" fill=\"{color}\"/>\
             <text x=\"{nx:.1}\" y=\"{ty}\" font-size=\"12\">{n}</text>",
            lx = label_w - 6.0,
            ty = y + 14.0,
            bh = row_h - 6.0,
            nx = label_w + w + 5.0,
            label = esc(&shorten(label, 48)),
        );
    }
    s.push_str("</svg>\n");
    s
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let head: String = s.chars().take(max - 1).collect();
        head + "…"
    }
}

fn rule_colors(d: &ReportData) -> Vec<(String, &'static str)> {
    d.alerts_by_rule
        .keys()
        .enumerate()
        .map(|(i, r)| (r.clone(), PALETTE[i % PALETTE.len()]))
        .collect()
}

/// Stacked vertical bars over time: buckets keyed by the hour's start (RFC 3339), series by name.
fn time_chart(
    hours: &BTreeMap<String, BTreeMap<String, u64>>,
    series: &[(String, &str)],
) -> String {
    let parsed: Vec<(i64, &BTreeMap<String, u64>)> = hours
        .iter()
        .filter_map(|(k, v)| time::parse_millis(k).map(|ms| (ms, v)))
        .collect();
    let (Some(first), Some(last)) = (parsed.first(), parsed.last()) else {
        return "<p class=\"note\">no timed events</p>\n".to_string();
    };
    let step = bucket_ms(first.0, last.0);
    let start = first.0 - first.0.rem_euclid(step);
    let n = ((last.0 - start) / step + 1) as usize;
    let mut buckets: Vec<BTreeMap<&str, u64>> = vec![BTreeMap::new(); n];
    for (ms, m) in &parsed {
        let b = &mut buckets[((ms - start) / step) as usize];
        for (k, v) in *m {
            *b.entry(k.as_str()).or_default() += v;
        }
    }
    let (left, plot_w, plot_h, top) = (60.0, 780.0, 220.0, 10.0);
    let max = buckets
        .iter()
        .map(|b| b.values().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let bw = plot_w / n as f64;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\" class=\"chart\">",
        left + plot_w + 20.0,
        top + plot_h + 60.0 + 18.0 * series.len().div_ceil(3) as f64
    );
    axes(&mut s, left, top, plot_w, plot_h, max);
    for (i, b) in buckets.iter().enumerate() {
        let mut y = top + plot_h;
        for (name, color) in series {
            let v = b.get(name.as_str()).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let bh = v as f64 / max * plot_h;
            y -= bh;
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{color}\"><title>{} {}: {v}</title></rect>",
                left + i as f64 * bw + bw * 0.1,
                (bw * 0.8).max(0.5),
                esc(&time::format_millis(start + i as i64 * step)),
                esc(name)
            );
        }
    }
    time_labels(&mut s, start, step, n, left, bw, top + plot_h);
    legend(&mut s, series, left, top + plot_h + 40.0);
    s.push_str("</svg>\n");
    s
}

fn bucket_ms(first: i64, last: i64) -> i64 {
    const H: i64 = 3_600_000;
    [H, 6 * H, 24 * H, 7 * 24 * H, 30 * 24 * H]
        .into_iter()
        .find(|step| (last - first) / step < MAX_TIME_BARS)
        .unwrap_or(365 * 24 * H)
}

fn axes(s: &mut String, left: f64, top: f64, w: f64, h: f64, max: f64) {
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{b}\" stroke=\"#444\"/>\
         <line x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#444\"/>\
         <text x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"11\">{max}</text>\
         <text x=\"{tx}\" y=\"{b}\" text-anchor=\"end\" font-size=\"11\">0</text>",
        b = top + h,
        r = left + w,
        tx = left - 4.0,
        ty = top + 10.0,
    );
}

fn time_labels(s: &mut String, start: i64, step: i64, n: usize, left: f64, bw: f64, y: f64) {
    let every = n.div_ceil(6).max(1);
    for i in (0..n).step_by(every) {
        let t = time::format_millis(start + i as i64 * step);
        let label = if step < 24 * 3_600_000 {
            &t[..16]
        } else {
            &t[..10]
        };
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\">{}</text>",
            left + i as f64 * bw,
            y + 16.0,
            esc(label)
        );
    }
}

fn legend(s: &mut String, series: &[(String, &str)], left: f64, y: f64) {
    for (i, (name, color)) in series.iter().enumerate() {
        let x = left + (i % 3) as f64 * 260.0;
        let yy = y + (i / 3) as f64 * 18.0;
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{color}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
            yy - 10.0,
            x + 16.0,
            yy,
            esc(name)
        );
    }
}

fn category_location(h: &mut String, d: &ReportData) {
    h.push_str("<h2>Findings by category and location</h2>\n");
    let locations: std::collections::BTreeSet<&String> = d
        .findings_by_category_location
        .values()
        .flat_map(|m| m.keys())
        .collect();
    if locations.is_empty() {
        h.push_str("<p class=\"note\">none</p>\n");
        return;
    }
    let totals: BTreeMap<String, u64> = d
        .findings_by_category_location
        .iter()
        .map(|(c, m)| (c.clone(), m.values().sum()))
        .collect();
    let mut rows: Vec<(&String, u64)> = totals.iter().map(|(k, v)| (k, *v)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    h.push_str(&bar_chart(&rows, PALETTE[3]));
    h.push_str("<table><tr><th>category</th>");
    for l in &locations {
        let _ = write!(h, "<th>{}</th>", esc(l));
    }
    h.push_str("</tr>\n");
    for (cat, m) in &d.findings_by_category_location {
        let _ = write!(h, "<tr><td>{}</td>", esc(cat));
        for l in &locations {
            let _ = write!(
                h,
                "<td class=\"n\">{}</td>",
                m.get(*l).copied().unwrap_or(0)
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

fn examples(h: &mut String, d: &ReportData) {
    h.push_str("<h2>Examples (masked)</h2>\n");
    if d.examples.is_empty() {
        h.push_str("<p class=\"note\">no alerts</p>\n");
        return;
    }
    h.push_str("<table><tr><th>rule</th><th>severity</th><th>event</th><th>time</th><th>account</th><th>source</th><th>findings (field: category in location, masked, fingerprint)</th></tr>\n");
    for e in &d.examples {
        let findings: Vec<String> = e
            .findings
            .iter()
            .map(|f| {
                format!(
                    "<code>{}</code>: {} in {}, <code>{}</code>, <code>{}</code>",
                    esc(&f.field),
                    esc(&f.category),
                    esc(&f.location),
                    esc(&f.masked),
                    esc(&f.fingerprint[..f.fingerprint.len().min(12)])
                )
            })
            .collect();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}<br><code>{}</code></td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            esc(&e.rule),
            esc(&e.severity),
            esc(&e.event_type),
            esc(&e.event_id),
            esc(e.time.as_deref().unwrap_or("")),
            esc(e.account_sid.as_deref().unwrap_or("")),
            esc(&e.source),
            findings.join("<br>")
        );
    }
    h.push_str("</table>\n");
}

fn scanned(h: &mut String, d: &ReportData) {
    h.push_str("<h2>What was scanned</h2>\n<table>");
    let row = |h: &mut String, k: &str, v: &str| {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    };
    row(h, "sources", &d.sources.join(", "));
    row(
        h,
        "requested time range",
        &format!(
            "{} to {}",
            d.since.as_deref().unwrap_or("(start)"),
            d.until.as_deref().unwrap_or("(end)")
        ),
    );
    row(
        h,
        "event times seen",
        &format!(
            "{} to {}",
            d.first_event_time.as_deref().unwrap_or("-"),
            d.last_event_time.as_deref().unwrap_or("-")
        ),
    );
    let t = &d.totals;
    row(h, "objects", &t.objects.to_string());
    row(h, "bytes read", &human_bytes(t.bytes));
    row(h, "events scanned", &t.events.to_string());
    row(h, "malformed records", &t.malformed.to_string());
    h.push_str("</table>\n");
    if !d.malformed_listed.is_empty() {
        h.push_str("<table><tr><th>malformed record</th><th>error</th></tr>\n");
        for m in &d.malformed_listed {
            let _ = writeln!(
                h,
                "<tr><td><code>{}:{}</code></td><td>{}</td></tr>",
                esc(&m.object),
                m.line,
                esc(&m.error)
            );
        }
        h.push_str("</table>\n");
    }
}

fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    format!("{v:.1} {}", UNITS[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_draws_buckets() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let mut hours = BTreeMap::new();
        for h in ["2026-05-01T00:00:00.000Z", "2026-05-01T05:00:00.000Z"] {
            hours.insert(h.to_string(), BTreeMap::from([("r".to_string(), 2u64)]));
        }
        let svg = time_chart(&hours, &[("r".to_string(), "#000")]);
        assert_eq!(
            svg.matches("<rect").count(),
            2 + 1,
            "two bars and a legend swatch"
        );
        assert_eq!(bucket_ms(0, 200 * 3_600_000), 6 * 3_600_000);
    }
}
