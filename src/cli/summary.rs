//! The human summary `scan` writes to stderr: counts only, never values.

use std::io::Write;
use std::time::Duration;

use phiscan::scan::Stats;

use super::scan::{Incomplete, Malformed};

/// How many malformed records are listed by position before the rest are only counted.
pub const MALFORMED_LISTED: usize = 20;

pub fn write(
    out: &mut dyn Write,
    stats: &Stats,
    malformed: &[Malformed],
    elapsed: Duration,
) -> std::io::Result<()> {
    let secs = elapsed.as_secs_f64().max(1e-9);
    writeln!(out)?;
    writeln!(
        out,
        "phiscan: scanned {} events ({}) in {:.2}s: {:.0} events/s, {}/s",
        stats.events,
        human_bytes(stats.bytes as f64),
        secs,
        stats.events as f64 / secs,
        human_bytes(stats.bytes as f64 / secs)
    )?;
    writeln!(
        out,
        "         {} alerts, {} malformed records, {} sink test events skipped",
        stats.alerts(),
        stats.malformed,
        stats.skipped_test_events
    )?;
    table(
        out,
        "alerts by rule",
        stats
            .alerts_by_rule
            .iter()
            .map(|(k, v)| (k.to_string(), *v)),
    )?;
    table(
        out,
        "alerts by severity",
        stats
            .alerts_by_severity
            .iter()
            .rev()
            .map(|(k, v)| (k.as_str().to_string(), *v)),
    )?;
    table(
        out,
        "alerts by event type",
        stats
            .alerts_by_event_type
            .iter()
            .map(|(k, v)| (k.clone(), *v)),
    )?;
    table(
        out,
        "counted, not alerted",
        stats
            .counted_not_alerted
            .iter()
            .map(|(k, v)| (format!("{k} (info)"), *v)),
    )?;
    table(
        out,
        "findings by category",
        stats
            .findings_by_category
            .iter()
            .map(|(k, v)| (k.to_string(), *v)),
    )?;
    write_malformed(out, stats, malformed)
}

/// The first malformed records by position, then how many more.
fn write_malformed(
    out: &mut dyn Write,
    stats: &Stats,
    malformed: &[Malformed],
) -> std::io::Result<()> {
    if malformed.is_empty() {
        return Ok(());
    }
    writeln!(out, "  malformed records (skipped, scan continued):")?;
    for m in malformed.iter().take(MALFORMED_LISTED) {
        writeln!(out, "    {}:{}: {}", m.path, m.line, m.error)?;
    }
    let listed = malformed.len().min(MALFORMED_LISTED) as u64;
    if stats.malformed > listed {
        writeln!(
            out,
            "    … and {} more (use --dead-letter FILE to keep them all)",
            stats.malformed - listed
        )?;
    }
    Ok(())
}

/// Inputs skipped or only partly read: written even with `--quiet`, last, so they cannot be
/// missed (the exit status is then 4 too).
pub fn write_incomplete(out: &mut dyn Write, incomplete: &[Incomplete]) -> std::io::Result<()> {
    if incomplete.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "phiscan: WARNING: {} input(s) not fully scanned (exit status 4):",
        incomplete.len()
    )?;
    for i in incomplete {
        let what = if i.records == 0 {
            "SKIPPED".to_string()
        } else {
            format!("PARTLY READ ({} records read before the error)", i.records)
        };
        writeln!(out, "    {}: {what}: {}", i.path, i.error)?;
    }
    Ok(())
}

fn table(
    out: &mut dyn Write,
    title: &str,
    rows: impl Iterator<Item = (String, u64)>,
) -> std::io::Result<()> {
    let rows: Vec<_> = rows.collect();
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(out, "  {title}:")?;
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in rows {
        writeln!(out, "    {k:<width$}  {v:>8}")?;
    }
    Ok(())
}

fn human_bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} {}", UNITS[0])
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}
