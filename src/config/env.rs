//! `PHISCAN_*` environment overrides: every configuration key can be set from the environment,
//! as Kubernetes deployments expect. Sections are separated by a double underscore:
//! `PHISCAN_SOURCES__KAFKA__GROUP_ID=phiscan-prod` sets `[sources.kafka] group_id`.
//!
//! Values are typed by the configuration's own schema, not guessed from their text: a value is
//! first read as TOML (`true`, `0.6`, `["a", "b"]`), and where the configuration expects a
//! string there (an all-digit auth token or password, `007`), `Config::load_with_env` puts the
//! text back as a string (see `Override::as_text`). An error about a value from the environment
//! names the variable and the expected type, never the value (it may be a secret).
//!
//! Why not `figment` (the layering crate issue 8 suggests; 0.10.19 checked): its `Env`
//! provider guesses each value's type from its text, so an all-digit auth token becomes a
//! number and then fails against a `String` field; that failure (`Kind::InvalidType`) prints
//! the value ("found unsigned int `…`"), which is exactly the leak this module exists to
//! prevent; and it reads only the process environment (tests and the fuzz target pass their
//! own variables). Using it would mean wrapping its errors and re-typing its values — more code
//! than the ~100 lines here, which only parse with `toml` and retype with `serde_path_to_error`.

use anyhow::{Result, bail};
use toml::{Table, Value};

/// Variables with this prefix are configuration; these few are not (handled elsewhere).
pub const PREFIX: &str = "PHISCAN_";
const NOT_CONFIG: &[&str] = &["PHISCAN_CONFIG", "PHISCAN_FINGERPRINT_KEY", "PHISCAN_LOG"];

/// One applied `PHISCAN_*` variable.
#[derive(Debug, Clone)]
pub struct Override {
    pub name: String,
    /// The config path it set (`sources.webhook.auth_token`), as the config spells it.
    pub path: Vec<String>,
    raw: String,
    /// Set as text already (it did not parse as TOML, or was switched back by `as_text`).
    pub text: bool,
}

impl Override {
    /// The dotted path, as serde_path_to_error reports it.
    pub fn dotted(&self) -> String {
        self.path.join(".")
    }

    /// Put the variable's text in place of its TOML reading (the schema wants a string).
    pub fn as_text(&mut self, table: &mut Table) -> Result<()> {
        self.text = true;
        let path = self.path.clone();
        set_exact(table, &path, Value::String(self.raw.clone()), &self.name)
    }
}

/// Apply every `PHISCAN_*` variable of `vars` to `table`.
pub fn apply(
    table: &mut Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<Override>> {
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
        let value = parse_value(&raw);
        let text = value.is_str();
        let path = set(table, &path, value, &name)?;
        applied.push(Override {
            name,
            path,
            raw,
            text,
        });
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

/// Set `value` at `path`, creating sections; returns the path with the key as the config
/// spells it.
fn set(table: &mut Table, path: &[String], value: Value, name: &str) -> Result<Vec<String>> {
    let (last, parents) = path.split_last().expect("non-empty path");
    let t = section(table, parents, name)?;
    // keys with dashes (rule names, librdkafka properties) cannot be spelled in variable names:
    // match an existing key ignoring `-`/`.` versus `_`
    let key = t
        .keys()
        .find(|k| k.replace(['-', '.'], "_") == *last)
        .cloned()
        .unwrap_or_else(|| last.clone());
    t.insert(key.clone(), value);
    let mut full = parents.to_vec();
    full.push(key);
    Ok(full)
}

fn set_exact(table: &mut Table, path: &[String], value: Value, name: &str) -> Result<()> {
    let (last, parents) = path.split_last().expect("non-empty path");
    section(table, parents, name)?.insert(last.clone(), value);
    Ok(())
}

fn section<'t>(table: &'t mut Table, parents: &[String], name: &str) -> Result<&'t mut Table> {
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
    Ok(t)
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
        assert_eq!(applied[2].dotted(), "policy.severity.phi-in-url");
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
