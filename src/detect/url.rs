//! Inside URLs. Callback and request URLs are where applications leak PHI most quietly
//! (`?patient=maria+lopez&dob=03%2F02%2F1958`, `/oncology-clinic/appointments`), and the
//! encoding hides it from a plain pass: `%2F` is no date separator and `maria+lopez` no name.
//!
//! So every URL the `url` rule finds is taken apart: each query value is percent- and
//! `+`-decoded and scanned with its parameter name as the field key (the name labels the value:
//! `npi=`, `member_id=`, `dob=`, `email=`), and each path segment is decoded with `-` and `_`
//! read as spaces and scanned with the segment before it as the key. Findings are mapped back
//! to byte offsets of the original text, so alerts and redaction point at the encoded bytes.

use super::finding::Finding;

/// One decoded piece of a URL: the text, and for each of its bytes the span of the original
/// bytes it came from (one byte, or a `%XX` triple).
#[derive(Default)]
pub(crate) struct Decoded {
    pub text: String,
    starts: Vec<usize>,
    ends: Vec<usize>,
}

impl Decoded {
    /// Decodes `src[from..to]`: `%XX` escapes always, `+` and (with `spaces`) `-`/`_` as a space.
    /// `None` when the result is not UTF-8.
    fn decode(src: &[u8], from: usize, to: usize, path: bool, out: &mut Decoded) -> bool {
        out.text.clear();
        out.starts.clear();
        out.ends.clear();
        let mut bytes = Vec::with_capacity(to - from);
        let mut i = from;
        while i < to {
            let (b, len) = match src[i] {
                b'%' if i + 2 < to => {
                    match (hex(src[i + 1]), hex(src[i + 2])) {
                        (Some(h), Some(l)) => (h << 4 | l, 3),
                        _ => (b'%', 1),
                    }
                }
                b'+' => (b' ', 1),
                b'-' | b'_' if path => (b' ', 1),
                b => (b, 1),
            };
            bytes.push(b);
            out.starts.push(i);
            out.ends.push(i + len);
            i += len;
        }
        match String::from_utf8(bytes) {
            Ok(s) => {
                out.text = s;
                true
            }
            Err(_) => false,
        }
    }

    /// The original span of decoded bytes `start..end`.
    fn original(&self, start: usize, end: usize) -> (usize, usize) {
        (self.starts[start], self.ends[end - 1])
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A piece of a URL worth scanning on its own: a byte range of the text and the range of the
/// name that labels it (the parameter name, or the previous path segment).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Part {
    pub value: (usize, usize),
    pub key: Option<(usize, usize)>,
    /// Path segments read `-` and `_` as spaces; query values keep them.
    pub path: bool,
}

/// The path segments and query values of the URL at `text[start..end]`.
pub(crate) fn parts(text: &[u8], start: usize, end: usize, out: &mut Vec<Part>) {
    out.clear();
    let url = &text[start..end];
    let after_scheme = find(url, b"://").map_or(0, |i| i + 3);
    let Some(path_at) = url[after_scheme..]
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .map(|i| after_scheme + i)
    else {
        return;
    };
    let query_at = url[path_at..]
        .iter()
        .position(|&b| b == b'?' || b == b'#')
        .map_or(url.len(), |i| path_at + i);
    let mut prev: Option<(usize, usize)> = None;
    for (s, e) in split(url, path_at, query_at, b'/') {
        if e > s {
            out.push(Part {
                value: (start + s, start + e),
                key: prev,
                path: true,
            });
            prev = Some((start + s, start + e));
        }
    }
    if url.get(query_at) != Some(&b'?') {
        return;
    }
    let fragment_at = url[query_at..]
        .iter()
        .position(|&b| b == b'#')
        .map_or(url.len(), |i| query_at + i);
    for (s, e) in split(url, query_at + 1, fragment_at, b'&') {
        let eq = url[s..e].iter().position(|&b| b == b'=').map(|i| s + i);
        let (key, value) = match eq {
            Some(eq) => (Some((start + s, start + eq)), (start + eq + 1, start + e)),
            None => (None, (start + s, start + e)),
        };
        if value.1 > value.0 {
            out.push(Part {
                value,
                key,
                path: false,
            });
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `(start, end)` of each piece of `s[from..to]` between `sep` bytes (`;` also separates
/// query pairs).
fn split(s: &[u8], from: usize, to: usize, sep: u8) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut at = from;
    std::iter::from_fn(move || {
        while at < to && (s[at] == sep || (sep == b'&' && s[at] == b';')) {
            at += 1;
        }
        if at >= to {
            return None;
        }
        let begin = at;
        while at < to && s[at] != sep && !(sep == b'&' && s[at] == b';') {
            at += 1;
        }
        Some((begin, at))
    })
}

/// Reusable buffers for scanning the inside of URLs.
#[derive(Default)]
pub(crate) struct UrlScratch {
    pub parts: Vec<Part>,
    pub value: Decoded,
    pub key: Decoded,
    pub found: Vec<Finding>,
}

/// Decodes `part` of `text` into `scratch.value` (and its key into `scratch.key`). False when
/// there is nothing worth scanning: not UTF-8, or unchanged by decoding and so already scanned
/// by the plain pass with no label to add.
pub(crate) fn decode_part(text: &[u8], part: &Part, scratch: &mut UrlScratch) -> bool {
    if !Decoded::decode(text, part.value.0, part.value.1, part.path, &mut scratch.value) {
        return false;
    }
    match part.key {
        Some((ks, ke)) => Decoded::decode(text, ks, ke, true, &mut scratch.key),
        None => {
            scratch.key.text.clear();
            scratch.value.text.as_bytes() != &text[part.value.0..part.value.1]
        }
    }
}

/// Maps findings of a decoded part back onto the original text.
pub(crate) fn map_back(scratch: &UrlScratch, out: &mut Vec<Finding>) {
    for f in &scratch.found {
        if f.end <= f.start {
            continue;
        }
        let (start, end) = scratch.value.original(f.start, f.end);
        out.push(Finding { start, end, ..*f });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(url: &str) -> Vec<(String, Option<String>)> {
        let mut parts = Vec::new();
        parts_of(url, &mut parts);
        let mut s = UrlScratch::default();
        parts
            .iter()
            .filter_map(|p| {
                Decoded::decode(url.as_bytes(), p.value.0, p.value.1, p.path, &mut s.value)
                    .then(|| {
                        let key = p.key.map(|(a, b)| url[a..b].to_string());
                        (s.value.text.clone(), key)
                    })
            })
            .collect()
    }

    fn parts_of(url: &str, out: &mut Vec<Part>) {
        parts(url.as_bytes(), 0, url.len(), out);
    }

    #[test]
    fn query_values_are_decoded_with_their_names() {
        let t = texts("https://x.example.com/cb?patient=maria+lopez&dob=03%2F02%2F1958#frag");
        assert!(t.contains(&("maria lopez".into(), Some("patient".into()))), "{t:?}");
        assert!(t.contains(&("03/02/1958".into(), Some("dob".into()))), "{t:?}");
        assert!(!t.iter().any(|(v, _)| v.contains("frag")), "{t:?}");
    }

    #[test]
    fn path_segments_read_dashes_as_spaces() {
        let t = texts("https://x.example.com/oncology-clinic/appointments/");
        assert!(t.contains(&("oncology clinic".into(), None)), "{t:?}");
        assert!(t.contains(&("appointments".into(), Some("oncology-clinic".into()))), "{t:?}");
        assert!(texts("https://x.example.com").is_empty());
    }

    #[test]
    fn spans_map_back_to_the_encoded_bytes() {
        let url = "https://h.io/a?dob=03%2F02%2F1958";
        let mut s = UrlScratch::default();
        let mut parts = Vec::new();
        parts_of(url, &mut parts);
        let p = parts.iter().find(|p| !p.path).unwrap();
        assert!(decode_part(url.as_bytes(), p, &mut s));
        assert_eq!(s.value.text, "03/02/1958");
        assert_eq!(s.value.original(0, 10), (19, url.len()));
        assert_eq!(&url[s.value.original(3, 5).0..s.value.original(3, 5).1], "02");
    }

    #[test]
    fn broken_escapes_stay_literal() {
        let t = texts("https://h.io/a?q=100%&r=%zz");
        assert!(t.contains(&("100%".into(), Some("q".into()))), "{t:?}");
        assert!(t.contains(&("%zz".into(), Some("r".into()))), "{t:?}");
    }
}
