use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use phiscan::detect::{DetectorSet, Engine, check};

fn load(dir: Option<PathBuf>) -> Result<DetectorSet> {
    match dir {
        Some(d) => DetectorSet::from_dir(&d),
        None => DetectorSet::embedded(),
    }
}

pub fn check(dir: Option<PathBuf>) -> Result<ExitCode> {
    let set = load(dir)?;
    let engine = Engine::new(&set)?;
    let report = check::check(&engine);
    for f in &report.failures {
        println!(
            "FAIL {} ({}): {}: {:?}",
            f.rule, set.origin[&f.rule], f.problem, f.example
        );
    }
    let passed = report.examples - report.failures.len();
    println!(
        "rules check: {} rules, {passed} passed, {} failed",
        report.rules,
        report.failures.len()
    );
    Ok(if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn list(dir: Option<PathBuf>) -> Result<ExitCode> {
    let set = load(dir)?;
    println!(
        "{:<26} {:<15} {:<10} {:<7} file",
        "id", "category", "matches", "strong"
    );
    for r in &set.rules {
        let how = if r.exclude {
            "exclude"
        } else if r.pattern.is_some() {
            "pattern"
        } else if r.names.is_some() {
            "names"
        } else {
            "vocabulary"
        };
        let cat = r.category.map(|c| c.as_str()).unwrap_or("-");
        println!(
            "{:<26} {:<15} {:<10} {:<7} {}",
            r.id,
            cat,
            how,
            if r.strong { "yes" } else { "" },
            set.origin[&r.id]
        );
    }
    Ok(ExitCode::SUCCESS)
}
