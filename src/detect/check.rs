//! `phiscan rules check`: every rule must find each of its `examples` and none of its
//! `negative_examples`. An exclusion rule's examples must leave no finding at all (that is what
//! excluding means), and its negative examples must not be excluded.

use super::Engine;

#[derive(Debug)]
pub struct Failure {
    pub rule: String,
    pub example: String,
    pub problem: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub rules: usize,
    pub examples: usize,
    pub failures: Vec<Failure>,
}

pub fn check(engine: &Engine) -> Report {
    let mut report = Report {
        rules: engine.detectors().len(),
        ..Default::default()
    };
    for (i, rule) in engine.detectors().iter().enumerate() {
        let spec = &rule.spec;
        let found_by_rule = |text: &str| {
            engine
                .detect(text)
                .into_iter()
                .filter(|f| f.detector as usize == i)
                .count()
        };
        for ex in &spec.examples {
            report.examples += 1;
            let problem = if spec.exclude {
                let findings = engine.detect(ex);
                (!findings.is_empty()).then(|| {
                    let names: Vec<_> = findings
                        .iter()
                        .map(|f| engine.detector(f.detector).id().to_string())
                        .collect();
                    format!(
                        "should be excluded, but rules {} still fire",
                        names.join(", ")
                    )
                })
            } else if spec.structural {
                (!structure_found(engine, ex)).then(|| "example not matched".to_string())
            } else {
                (found_by_rule(ex) == 0).then(|| "example not detected".to_string())
            };
            if let Some(problem) = problem {
                report.failures.push(Failure {
                    rule: spec.id.clone(),
                    example: ex.clone(),
                    problem,
                });
            }
        }
        for ex in &spec.negative_examples {
            report.examples += 1;
            let problem = if spec.exclude {
                None // an exclusion's negative examples only document what it leaves alone
            } else if spec.structural {
                structure_found(engine, ex).then(|| "negative example matched".to_string())
            } else {
                (found_by_rule(ex) > 0).then(|| "negative example detected".to_string())
            };
            if let Some(problem) = problem {
                report.failures.push(Failure {
                    rule: spec.id.clone(),
                    example: ex.clone(),
                    problem,
                });
            }
        }
    }
    report
}

/// Whether a structural rule (URLs) matched somewhere in `text`.
fn structure_found(engine: &Engine, text: &str) -> bool {
    let mut scratch = super::Scratch::default();
    let mut out = Vec::new();
    engine.detect_into(text, None, &mut scratch, &mut out);
    !engine.structure(&scratch).is_empty()
}
