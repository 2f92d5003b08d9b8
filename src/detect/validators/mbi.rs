//! Medicare Beneficiary Identifier: 11 characters, optionally shown as `XXXX-XXX-XXXX`, with the
//! per-position layout of CMS's "Understanding the MBI Format" (MBI format specifications):
//! `C A AN N A AN N A A N N`, where C is 1–9, N is 0–9, A is a letter other than S L O I B Z,
//! and AN is either. Case-insensitive.

/// Character classes by position.
#[derive(Clone, Copy)]
enum Class {
    NonZero,
    Num,
    Alpha,
    AlphaNum,
}
use Class::{Alpha, AlphaNum, NonZero, Num};

const LAYOUT: [Class; 11] = [
    NonZero, Alpha, AlphaNum, Num, Alpha, AlphaNum, Num, Alpha, Alpha, Num, Num,
];

pub fn is_valid(s: &str) -> bool {
    // The last run of letters, digits and dashes, so a label in front ("MBI: …") does not matter.
    let tok = s
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find(|t| !t.is_empty())
        .unwrap_or("");
    let b = tok.as_bytes();
    let mut chars = [0u8; 11];
    match b.len() {
        11 => chars.copy_from_slice(b),
        13 if b[4] == b'-' && b[8] == b'-' => {
            chars[..4].copy_from_slice(&b[..4]);
            chars[4..7].copy_from_slice(&b[5..8]);
            chars[7..].copy_from_slice(&b[9..]);
        }
        _ => return false,
    }
    chars
        .iter()
        .zip(LAYOUT)
        .all(|(&c, class)| fits(c.to_ascii_uppercase(), class))
}

fn fits(c: u8, class: Class) -> bool {
    let alpha = c.is_ascii_uppercase() && !matches!(c, b'S' | b'L' | b'O' | b'I' | b'B' | b'Z');
    match class {
        NonZero => matches!(c, b'1'..=b'9'),
        Num => c.is_ascii_digit(),
        Alpha => alpha,
        AlphaNum => alpha || c.is_ascii_digit(),
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn accepts_valid() {
        for s in [
            "1EG4-TE5-MK73",
            "1EG4TE5MK73",
            "1eg4-te5-mk73",
            "MBI: 1EG4TE5MK73",
            "9AA0AA0AA00",
        ] {
            assert!(is_valid(s), "{s}");
        }
        assert!(is_valid("1E94TE5MK73")); // position 3 may be a digit
        assert!(is_valid("1EG4T95MK73")); // position 6 may be a digit
    }

    #[test]
    fn rejects_zero_first() {
        assert!(!is_valid("0EG4TE5MK73"));
    }

    #[test]
    fn rejects_excluded_letters() {
        for c in ['S', 'L', 'O', 'I', 'B', 'Z'] {
            let s = format!("1{c}G4TE5MK73");
            assert!(!is_valid(&s), "{s}");
        }
        assert!(!is_valid("1ES4TE5MK73")); // excluded letter in an alphanumeric position
    }

    #[test]
    fn rejects_wrong_class_at_position() {
        assert!(!is_valid("1EGATE5MK73")); // position 4 must be numeric
        assert!(!is_valid("1EG4TE5M173")); // position 9 must be alphabetic
        assert!(!is_valid("1EG4TE5MK7A")); // position 11 must be numeric
    }

    #[test]
    fn rejects_wrong_shape() {
        assert!(!is_valid(""));
        assert!(!is_valid("1EG4TE5MK7"));
        assert!(!is_valid("1EG4TE5MK733"));
        assert!(!is_valid("1EG4-TE5MK73")); // one dash only
        assert!(!is_valid("1EG-4TE5-MK73")); // dashes in the wrong places
    }
}
