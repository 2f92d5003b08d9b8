use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use phiscan::detect::{DetectorSet, Engine, Scratch};
use serde::Serialize;
use serde_json::Value;

use crate::DetectArgs;

#[derive(Serialize)]
struct Output<'a> {
    id: &'a Value,
    findings: Vec<OutFinding<'a>>,
}

#[derive(Serialize)]
struct OutFinding<'a> {
    span: [usize; 2],
    category: &'static str,
    detector: &'a str,
    confidence: f32,
}

pub fn run(args: DetectArgs) -> Result<ExitCode> {
    let config = super::load_config(&args.common)?;
    let set = match &config.detect.detectors_dir {
        Some(d) => DetectorSet::from_dir(d)?,
        None => DetectorSet::embedded()?,
    };
    let engine = Engine::with_threshold(&set, config.detect.threshold)?;
    let input: Box<dyn BufRead> = if args.input.as_os_str() == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(&args.input)
                .with_context(|| format!("cannot open {}", args.input.display()))?,
        ))
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut scratch = Scratch::default();
    let mut findings = Vec::new();
    for (n, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("reading line {}", n + 1))?;
        let (id, text) = parse_line(&line, n as u64 + 1);
        findings.clear();
        engine.detect_into(&text, None, &mut scratch, &mut findings);
        let output = Output {
            id: &id,
            findings: findings
                .iter()
                .map(|f| OutFinding {
                    span: [f.start, f.end],
                    category: f.category.as_str(),
                    detector: engine.detector(f.detector).id(),
                    confidence: (f.confidence * 100.0).round() / 100.0,
                })
                .collect(),
        };
        serde_json::to_writer(&mut out, &output)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `{"id": …, "text": "…"}`, or the line itself as text with its number as id.
fn parse_line(line: &str, number: u64) -> (Value, String) {
    if line.trim_start().starts_with('{')
        && let Ok(Value::Object(mut m)) = serde_json::from_str::<Value>(line)
        && let Some(Value::String(text)) = m.remove("text")
    {
        return (m.remove("id").unwrap_or(Value::from(number)), text);
    }
    (Value::from(number), line.to_string())
}
