//! Payment card numbers (PAN): 13–19 digits (separators ignored), passing the Luhn mod-10 check
//! of ISO/IEC 7812-1, not all zeros, and starting with a known issuer prefix (IIN ranges as
//! published by the networks: Visa 4; Mastercard 51–55 and 2221–2720; Amex 34/37, 15 digits;
//! Discover 6011, 644–649, 65; Diners Club 300–305, 36, 38; JCB 3528–3589; UnionPay 62;
//! Maestro 5018, 5020, 5038, 5893, 6304, 6759, 6761–6763; Dankort 5019; UATP 1, 15 digits).

use super::digit_array;

pub fn is_valid(s: &str) -> bool {
    let Some((d, n)) = digit_array::<19>(s) else {
        return false;
    };
    let d = &d[..n];
    n >= 13 && d.iter().any(|&x| x != 0) && known_issuer(d) && luhn_sum(d) % 10 == 0
}

/// The Luhn sum of `d`, whose last digit is the check digit: every second digit from the right,
/// starting with the one left of the check digit, is doubled (minus 9 if over 9).
pub(super) fn luhn_sum(d: &[u32]) -> u32 {
    d.iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| match (i % 2 == 1, x * 2) {
            (false, _) => x,
            (true, y) if y > 9 => y - 9,
            (true, y) => y,
        })
        .sum()
}

fn known_issuer(d: &[u32]) -> bool {
    // The first k digits as a number (d has at least 13).
    let prefix = |k: usize| d[..k].iter().fold(0, |acc, &x| acc * 10 + x);
    let (p2, p3, p4) = (prefix(2), prefix(3), prefix(4));
    match d[0] {
        4 => true,                                  // Visa
        1 => d.len() == 15,                         // UATP
        5 => (51..=55).contains(&p2) || [5018, 5019, 5020, 5038, 5893].contains(&p4), // Mastercard, Maestro, Dankort
        2 => (2221..=2720).contains(&p4),           // Mastercard 2-series
        3 if p2 == 34 || p2 == 37 => d.len() == 15, // Amex
        3 => (300..=305).contains(&p3) || p2 == 36 || p2 == 38 || (3528..=3589).contains(&p4),
        6 => {
            p4 == 6011
                || (644..=649).contains(&p3)
                || p2 == 65
                || p2 == 62
                || [6304, 6759, 6761, 6762, 6763].contains(&p4) // Maestro
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn accepts_network_test_numbers() {
        for s in [
            "4111111111111111",    // Visa
            "4111 1111 1111 1111", // Visa, spaced
            "4111-1111-1111-1111", // Visa, dashed
            "4222222222222",       // Visa, 13 digits
            "378282246310005",     // Amex
            "3782 822463 10005",   // Amex, grouped 4-6-5
            "5555555555554444",    // Mastercard
            "2223003122003222",    // Mastercard 2-series
            "6011111111111117",    // Discover
            "6759649826438453",    // Maestro UK
            "5019717010103742",    // Dankort
            "122000000000003",     // UATP
            "3056930009020004",    // Diners Club
            "36227206271667",      // Diners Club, 14 digits
            "3530111333300000",    // JCB
            "6200000000000005",    // UnionPay
        ] {
            assert!(is_valid(s), "{s}");
        }
    }

    #[test]
    fn rejects_bad_checksum() {
        assert!(!is_valid("4111111111111112"));
        assert!(!is_valid("378282246310006"));
    }

    #[test]
    fn rejects_unknown_issuer() {
        assert!(!is_valid("1234567812345670")); // Luhn-valid, no issuer
        assert!(!is_valid("5655555555554443")); // 56 is not Mastercard
    }

    #[test]
    fn rejects_amex_prefix_with_wrong_length() {
        assert!(!is_valid("3400000000000000")); // 16 digits, Luhn-valid
    }

    #[test]
    fn rejects_bad_lengths_and_zeros() {
        assert!(!is_valid(""));
        assert!(!is_valid("411111111117")); // 12 digits
        assert!(!is_valid("41111111111111111115")); // 20 digits
        assert!(!is_valid("0000000000000000"));
    }
}
