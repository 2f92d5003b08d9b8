//! Masked previews: what an alert shows of a value. It keeps the value's shape (separators, a
//! short label prefix, at most the last four characters of a long identifier, the first letter
//! of words) and never enough to be the value. Here, beside the categories it is defined by, so
//! alerts (`alert`) and the redacted forward (`event::redact`) mask the same way without either
//! importing the other.

use super::Category;

/// A preview that keeps the value's shape and never enough of it to be the value: identifiers
/// keep separators, a short label prefix (`MRN-`) and at most their last four characters when
/// at least four others are hidden; words keep only their first letter; credentials keep nothing.
pub fn mask(category: Category, value: &str) -> String {
    use Category::*;
    match category {
        Credential => "*".repeat(value.chars().count().min(40)),
        Email => mask_email(value),
        // a date or age shows nothing: even the year of a birth date narrows who it is
        Date | Age | Zip => value
            .chars()
            .map(|c| if c.is_alphanumeric() { '*' } else { c })
            .collect(),
        Name | Address | Geo | Condition | Medication | Procedure | CareSetting => {
            mask_words(value)
        }
        // the path and query are where the PHI is: none of it shows, not even a last few chars
        Url => mask_url(value),
        _ => mask_identifier(value),
    }
}

fn mask_url(value: &str) -> String {
    let after_scheme = value.find("://").map_or(0, |i| i + 3);
    let host_end = value[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(value.len(), |i| after_scheme + i);
    let (kept, rest) = value.split_at(host_end);
    // user:password@ in the authority is a credential
    let kept = match kept.rfind('@') {
        Some(at) => format!(
            "{}{}",
            &kept[..after_scheme],
            "*".repeat(at - after_scheme) + &kept[at..]
        ),
        None => kept.to_string(),
    };
    kept + &rest
        .chars()
        .map(|c| if c.is_alphanumeric() { '*' } else { c })
        .collect::<String>()
}

fn mask_identifier(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    // a label such as "MRN-" or "ID:" stays: it is the detector's anchor, not the value
    let label = chars.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let label = if (2..=4).contains(&label)
        && chars
            .get(label)
            .is_some_and(|c| matches!(c, '-' | ':' | '#' | ' '))
    {
        label + 1
    } else {
        0
    };
    let secret: Vec<usize> = (label..chars.len())
        .filter(|&i| chars[i].is_alphanumeric())
        .collect();
    let reveal = if secret.len() >= 8 { 4 } else { 0 };
    let hidden: std::collections::HashSet<usize> =
        secret[..secret.len() - reveal].iter().copied().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if hidden.contains(&i) { '*' } else { *c })
        .collect()
}

fn mask_words(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut at_word_start = true;
    for c in value.chars() {
        if c.is_alphanumeric() {
            out.push(if at_word_start && c.is_alphabetic() {
                c
            } else {
                '*'
            });
            at_word_start = false;
        } else {
            out.push(c);
            at_word_start = true;
        }
    }
    // a one-letter word would be shown whole
    if value.chars().filter(|c| c.is_alphanumeric()).count() <= 2 {
        return value
            .chars()
            .map(|c| if c.is_alphanumeric() { '*' } else { c })
            .collect();
    }
    out
}

fn mask_email(value: &str) -> String {
    let Some((local, domain)) = value.split_once('@') else {
        return mask_identifier(value);
    };
    let tld_at = domain.rfind('.').unwrap_or(domain.len());
    let star = |s: &str| "*".repeat(s.chars().count());
    let first = local.chars().next().map(String::from).unwrap_or_default();
    format!(
        "{first}{}@{}{}",
        star(&local[first.len()..]),
        star(&domain[..tld_at]),
        &domain[tld_at..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_shape_but_not_value() {
        assert_eq!(mask(Category::Ssn, "078-05-1120"), "***-**-1120");
        assert_eq!(mask(Category::Mrn, "MRN-00482913"), "MRN-****2913");
        assert_eq!(mask(Category::Phone, "+15555550142"), "+*******0142");
        assert_eq!(mask(Category::Zip, "94107"), "*****");
        assert_eq!(mask(Category::Date, "04/12/1961"), "**/**/****");
        assert_eq!(mask(Category::Name, "Jane Roe"), "J*** R**");
        assert_eq!(
            mask(Category::Email, "jane.roe@example.com"),
            "j*******@*******.com"
        );
        assert_eq!(mask(Category::Credential, "abcd"), "****");
        assert_eq!(mask(Category::Condition, "HIV"), "H**");
        assert_eq!(mask(Category::Condition, "MI"), "**");
        assert_eq!(mask(Category::Procedure, "BP 180/110"), "B* ***/***");
        assert_eq!(mask(Category::Date, "1961-04-12"), "****-**-**");
        assert_eq!(
            mask(
                Category::Url,
                "https://portal.example.com/r?dob=1961-04-12&test=hiv"
            ),
            "https://portal.example.com/*?***=****-**-**&****=***"
        );
        assert_eq!(
            mask(Category::Url, "https://svc:s3cret@hooks.example.com/status"),
            "https://**********@hooks.example.com/******"
        );
        for (c, v) in [
            (Category::Ssn, "078-05-1120"),
            (Category::Name, "Maria"),
            (Category::MedicalCode, "E11.9"),
        ] {
            assert!(!mask(c, v).contains(v));
        }
    }
}
