//! Every alert `phiscan scan` writes validates against the published JSON Schema
//! (schema/alert.schema.json), the contract outside tools rely on.

mod support;

use std::path::Path;

#[test]
fn alerts_validate_against_the_published_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("schema/alert.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");

    let mut inputs = vec![root.join("examples")];
    let samples = root.join("../shared/samples/twilio-events");
    if samples.is_dir() {
        inputs.push(samples);
    } else {
        println!(
            "note: {} not found; validating alerts of examples/ only",
            samples.display()
        );
    }
    inputs.retain(|p| p.exists());
    assert!(!inputs.is_empty(), "no inputs: examples/ is missing");

    let out = support::launch::phiscan_command("schema-test-key")
        .args(["scan", "--quiet"])
        .args(&inputs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut n = 0;
    for line in stdout.lines() {
        let alert: serde_json::Value = serde_json::from_str(line).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&alert)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "alert does not match schema: {errors:?}\n{line}"
        );
        n += 1;
    }
    assert!(n >= 5, "expected alerts from the example events, got {n}");
    println!("{n} alerts validated against schema/alert.schema.json");
}
