//! `PHISCAN_*` environment overrides: every configuration key can be set from the environment,
//! as Kubernetes deployments expect. Sections are separated by a double underscore:
//! `PHISCAN_SOURCES__KAFKA__GROUP_ID=phiscan-prod` sets `[sources.kafka] group_id`. Values are
//! read as TOML when they parse (`true`, `0.6`, `["a", "b"]`) and as strings otherwise.

use anyhow::{Result, bail};
use toml::{Table, Value};

/// Variables with this prefix are configuration; these few are not (handled elsewhere).
pub const PREFIX: &str = "PHISCAN_";
const NOT_CONFIG: &[&str] = &["PHISCAN_CONFIG", "PHISCAN_FINGERPRINT_KEY", "PHISCAN_LOG"];

/// Apply every `PHISCAN_*` variable of `vars` to `table`.
pub fn apply(
    table: &mut Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<String>> {
    let mut applied = Vec::new();
    for (name, raw) in vars {
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        if NOT_CONFIG.contains(&name.as_str())
            || name.starts_with("PHISCAN_TEST_")
            || name.starts_with("PHISCAN_BENCH_")
        {
            continue;
        }
        let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
        if path.iter().any(String::is_empty) {
            bail!(
                "environment variable {name}: empty key segment (use `__` between sections, e.g. PHISCAN_SOURCES__KAFKA__GROUP_ID)"
            );
        }
        set(table, &path, parse_value(&raw), &name)?;
        applied.push(name);
    }
    Ok(applied)
}

fn parse_value(raw: &str) -> Value {
    let probe = format!("v = {raw}");
    match probe.parse::<Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| Value::String(raw.to_string())),
        Err(_) => Value::String(raw.to_string()),
    }
}

fn set(table: &mut Table, path: &[String], value: Value, name: &str) -> Result<()> {
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut t = table;
    for p in parents {
        let entry = t
            .entry(p.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        let Value::Table(inner) = entry else {
            bail!("environment variable {name}: `{p}` is a value in the config, not a section");
        };
        t = inner;
    }
    // keys with dashes (rule names, librdkafka properties) cannot be spelled in variable names:
    // match an existing key ignoring `-`/`.` versus `_`
    let key = t
        .keys()
        .find(|k| k.replace(['-', '.'], "_") == *last)
        .cloned()
        .unwrap_or_else(|| last.clone());
    t.insert(key, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_nested_keys_with_typed_values() {
        let mut t: Table = "[detect]\nthreshold = 0.5\n[policy.severity]\nphi-in-url = \"low\"\n"
            .parse()
            .unwrap();
        let vars = [
            ("PHISCAN_DETECT__THRESHOLD", "0.7"),
            ("PHISCAN_POLICY__HIPAA_ACCOUNTS", "[\"AC1\"]"),
            ("PHISCAN_POLICY__SEVERITY__PHI_IN_URL", "high"),
            ("PHISCAN_SOURCES__KAFKA__GROUP_ID", "g1"),
            ("PHISCAN_FINGERPRINT_KEY", "not config"),
            ("HOME", "/root"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let applied = apply(&mut t, vars).unwrap();
        assert_eq!(applied.len(), 4);
        assert_eq!(t["detect"]["threshold"].as_float(), Some(0.7));
        assert_eq!(t["policy"]["hipaa_accounts"][0].as_str(), Some("AC1"));
        assert_eq!(t["policy"]["severity"]["phi-in-url"].as_str(), Some("high"));
        assert_eq!(t["sources"]["kafka"]["group_id"].as_str(), Some("g1"));
        let bad = apply(
            &mut t,
            [("PHISCAN_DETECT__THRESHOLD__X".to_string(), "1".to_string())],
        );
        assert!(bad.unwrap_err().to_string().contains("not a section"));
    }
}
