//! US or not, for phone numbers. `+1` is shared by the US, Canada and the Caribbean (NANP), so
//! the decision is by area code, from the table generated into `detectors/vocab/`. Area codes the
//! table does not list (including the fictitious 555) count as US: an unknown code is far more
//! likely a new US overlay than a new country.

use std::collections::HashSet;

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Geo {
    Us,
    NonUs,
    /// Not a phone number (client:, sip:, email, Messenger page id, redacted).
    NotAPhone,
}

#[derive(Debug, Default)]
pub struct AreaCodes {
    non_us: HashSet<u16>,
}

#[derive(Deserialize)]
struct Table {
    #[serde(default)]
    ca: Vec<u16>,
    #[serde(default)]
    other: std::collections::BTreeMap<String, Vec<u16>>,
}

impl AreaCodes {
    /// Builds the table from the shipped TOML plus config overrides.
    pub fn new(
        table_toml: Option<&str>,
        extra_us: &[String],
        extra_non_us: &[String],
    ) -> Result<AreaCodes> {
        let mut non_us = HashSet::new();
        if let Some(text) = table_toml {
            let t: Table = toml::from_str(text).context("NANP area-code table")?;
            non_us.extend(t.ca.iter().chain(t.other.values().flatten()));
        }
        for code in extra_non_us {
            non_us.insert(
                code.parse()
                    .with_context(|| format!("policy.non_us_area_codes: `{code}`"))?,
            );
        }
        for code in extra_us {
            non_us.remove(
                &code
                    .parse()
                    .with_context(|| format!("policy.us_area_codes: `{code}`"))?,
            );
        }
        Ok(AreaCodes { non_us })
    }

    /// Where an address (`+14155550100`, `whatsapp:+447700900123`, `(416) 555-0100`) is.
    pub fn classify(&self, address: &str) -> Geo {
        let a = address.trim().trim_start_matches('[').trim_end_matches(']');
        let a = a.rsplit(':').next().unwrap_or(a);
        let plus = a.trim_start().starts_with('+');
        // Message Redaction replaces the last four digits with XXXX: they still count as digits
        let digits: Vec<u8> = a
            .bytes()
            .filter(|b| b.is_ascii_digit() || matches!(b, b'X' | b'x'))
            .map(|b| if b.is_ascii_digit() { b - b'0' } else { 0 })
            .collect();
        let has_letters = a
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && b != b'X' && b != b'x');
        if has_letters || digits.len() < 7 {
            return Geo::NotAPhone;
        }
        let nanp = match (plus, digits.len()) {
            (true, 11) if digits[0] == 1 => &digits[1..],
            (true, _) => return Geo::NonUs,
            (false, 10) => &digits[..],
            (false, 11) if digits[0] == 1 => &digits[1..],
            _ => return Geo::NotAPhone,
        };
        let area = nanp[0] as u16 * 100 + nanp[1] as u16 * 10 + nanp[2] as u16;
        if self.non_us.contains(&area) {
            Geo::NonUs
        } else {
            Geo::Us
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decides_by_area_code_within_plus_one() {
        let t = AreaCodes::new(Some("ca = [416, 604]\n[other]\nJM = [876]\n"), &[], &[]).unwrap();
        assert_eq!(t.classify("+14155550100"), Geo::Us);
        assert_eq!(t.classify("+15555550142"), Geo::Us);
        assert_eq!(t.classify("+14165550100"), Geo::NonUs);
        assert_eq!(t.classify("whatsapp:+18765550100"), Geo::NonUs);
        assert_eq!(t.classify("+447700900123"), Geo::NonUs);
        assert_eq!(t.classify("(416) 555-0100"), Geo::NonUs);
        assert_eq!(t.classify("+1415555XXXX"), Geo::Us);
        assert_eq!(t.classify("client:alice"), Geo::NotAPhone);
        assert_eq!(t.classify("messenger:103800709108123"), Geo::NotAPhone);
        let t = AreaCodes::new(Some("ca = [416]"), &["416".into()], &["212".into()]).unwrap();
        assert_eq!(t.classify("+14165550100"), Geo::Us);
        assert_eq!(t.classify("+12125550100"), Geo::NonUs);
    }
}
