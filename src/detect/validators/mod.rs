//! Checksum and structure validators, one per file (like dd-sds): a regex finds a candidate, a
//! validator decides whether it can be real. A validator sees the matched text only and answers
//! yes or no; separators (spaces, dashes, dots) are its own business.

mod aba;
mod dea;
mod luhn;
mod mbi;
mod nanp;
mod npi;
mod ssn;

pub type Validator = fn(&str) -> bool;

/// Every validator by the name detector files use in their `validator = "…"` key.
pub const ALL: &[(&str, Validator)] = &[
    ("aba_routing", aba::is_valid),
    ("dea", dea::is_valid),
    ("luhn", luhn::is_valid),
    ("medicare_mbi", mbi::is_valid),
    ("nanp_phone", nanp::is_valid),
    ("npi", npi::is_valid),
    ("ssn", ssn::is_valid),
];

pub fn lookup(name: &str) -> Option<Validator> {
    ALL.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// The ASCII digits of `s`, in order, ignoring everything else.
pub(crate) fn digits(s: &str) -> impl Iterator<Item = u32> + '_ {
    s.bytes().filter(u8::is_ascii_digit).map(|b| u32::from(b - b'0'))
}
