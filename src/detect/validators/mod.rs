//! Checksum and structure validators, one per file (like dd-sds): a regex finds a candidate, a
//! validator decides whether it can be real. A validator sees the matched text only and answers
//! yes or no; separators (spaces, dashes, dots) are its own business.

mod aba;
mod dea;
mod iban;
mod luhn;
mod mbi;
mod nanp;
mod npi;
mod phone_digits;
mod ssn;

pub type Validator = fn(&str) -> bool;

/// Every validator by the name detector files use in their `validator = "…"` key.
pub const ALL: &[(&str, Validator)] = &[
    ("aba_routing", aba::is_valid),
    ("dea", dea::is_valid),
    ("iban", iban::is_valid),
    ("luhn", luhn::is_valid),
    ("medicare_mbi", mbi::is_valid),
    ("nanp_phone", nanp::is_valid),
    ("npi", npi::is_valid),
    ("phone_digits", phone_digits::is_valid),
    ("ssn", ssn::is_valid),
];

pub fn lookup(name: &str) -> Option<Validator> {
    ALL.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// The ASCII digits of `s`, in order, ignoring everything else.
pub(crate) fn digits(s: &str) -> impl Iterator<Item = u32> + '_ {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| u32::from(b - b'0'))
}

/// The ASCII digits of `s` in a fixed buffer, with how many there are; `None` if more than `N`.
pub(crate) fn digit_array<const N: usize>(s: &str) -> Option<([u32; N], usize)> {
    let mut buf = [0; N];
    let mut n = 0;
    for d in digits(s) {
        *buf.get_mut(n)? = d;
        n += 1;
    }
    Some((buf, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_validator_is_reachable_and_rejects_empty() {
        for (i, (name, _)) in ALL.iter().enumerate() {
            // `lookup` returns the first match, so a duplicate name would shadow a later entry.
            assert!(
                ALL[..i].iter().all(|(n, _)| n != name),
                "duplicate validator name {name:?}"
            );
            let v = lookup(name).unwrap_or_else(|| panic!("{name:?} not found by lookup"));
            assert!(!v(""), "{name:?} accepted the empty string");
        }
        assert!(lookup("no_such_validator").is_none());
    }

    #[test]
    fn digit_array_counts_and_bounds() {
        assert_eq!(digit_array::<4>("1-2 3"), Some(([1, 2, 3, 0], 3)));
        assert_eq!(digit_array::<2>("123"), None);
    }
}
