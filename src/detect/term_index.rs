//! Every term of every detector (vocabulary words, context words, name-dictionary entries) found
//! as whole words by hashing, not by walking an automaton.
//!
//! Why: terms only count as whole words, so the question at each word start is "which terms are
//! spelled by the text from here to one of the next few word boundaries?". An Aho-Corasick
//! automaton answers it, but building one over ~190,000 terms took over half a second (failure
//! links are computed even for anchored walks), paid by every `phiscan detect` and every CI
//! hook. Here every term, and every prefix of a term that ends on a boundary, is one 64-bit
//! hash in a map: from a word start the text is hashed byte by byte and looked up at each
//! boundary; a prefix no term has ends the walk (usually at the first word end), a complete
//! term is a hit. Building the map is a hash and an insert per boundary of each term. The maps
//! are larger than the L2 cache, so each lookup goes through a per-thread cache of recent words'
//! answers and a Bloom filter first (`WordCache`, `Bloom`): most words never reach the maps.
//!
//! Text is read as the terms were stored: ASCII letters folded to lower case, `-` and `_` read
//! as spaces (`post-op` is the term `post op`), and a Latin letter with a diacritic (U+00C0 to
//! U+017F: é, ñ, ö, ç, š, ł) read as its base letter. People type "José" and "Jose", "Björn" and
//! "Bjorn", "presión" and "presion"; the name dictionaries (Census, SSA) hold ASCII spellings.

use anyhow::{Result, bail};

use super::terms::Hit;

/// The map's value for a prefix that is not itself a term.
const PREFIX_ONLY: u32 = u32::MAX;
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// How a byte of text or of a term is compared: ASCII lower case, `-` and `_` as spaces.
const FOLD: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = match i as u8 {
            b'-' | b'_' => b' ',
            b => b.to_ascii_lowercase(),
        };
        i += 1;
    }
    t
};

/// The base letter of each character U+00C0..=U+017F (two UTF-8 bytes, lead 0xC3..=0xC5),
/// `.` where there is none (×, ß, æ, œ): generated from Unicode's canonical decompositions,
/// with ø, đ, ħ, ı, ł, ŧ, ſ mapped by hand.
const LATIN: &[u8; 192] = b"aaaaaa.ceeeeiiiidnooooo.ouuuuy..aaaaaa.ceeeeiiiidnooooo.ouuuuy.y\
aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii..jjkk.lllllll\
lllnnnnnn...oooooo..rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

/// The byte at `i` as the index reads it, and how many bytes of `bytes` it takes: a Latin
/// letter with a diacritic is its base letter (two bytes), any other byte is `FOLD`ed.
#[inline]
fn read(bytes: &[u8], i: usize) -> (u8, usize) {
    let lead = bytes[i];
    // the common case first: an ASCII byte other than an apostrophe is just folded
    if lead < 0x80 && lead != b'\'' {
        return (FOLD[lead as usize], 1);
    }
    // "O'Brien" is read as "obrien" (the census spells it so), "don't" as "dont"
    if (lead == b'\'' || lead == 0xE2)
        && let Some(w) = inner_apostrophe(bytes, i)
    {
        return (FOLD[bytes[i + w] as usize], w + 1);
    }
    if (0xC3..=0xC5).contains(&lead)
        && let Some(&cont) = bytes.get(i + 1)
        && cont & 0xC0 == 0x80
    {
        let base = LATIN[((usize::from(lead & 0x1F) << 6) | usize::from(cont & 0x3F)) - 0xC0];
        if base != b'.' {
            return (base, 2);
        }
    }
    (FOLD[lead as usize], 1)
}

/// A term as the index stores it (see `read`), appended to `out`.
pub(crate) fn fold_into(term: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < term.len() {
        let (b, width) = read(term, i);
        out.push(b);
        i += width;
    }
}

/// Bytes of a word: ASCII letters and digits, and every byte of a multibyte character.
const WORD_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).is_ascii_alphanumeric() || i >= 0x80;
        i += 1;
    }
    t
};

#[inline]
fn is_word_byte(b: u8) -> bool {
    WORD_BYTES[b as usize]
}

/// An ASCII letter or digit (a table: the term walk asks for every byte).
#[inline]
fn is_ascii_alnum(b: u8) -> bool {
    ALNUM_FOLD[b as usize] != 0
}

/// An ASCII letter or digit `FOLD`ed, 0 for any other byte: one load tells the term walk both.
const ALNUM_FOLD: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 128 {
        if (i as u8).is_ascii_alphanumeric() {
            t[i] = (i as u8).to_ascii_lowercase();
        }
        i += 1;
    }
    t
};

/// An apostrophe at `i` (`'`, or `’` as phones type it) and its width in bytes.
fn apostrophe(bytes: &[u8], i: usize) -> Option<usize> {
    match bytes.get(i..) {
        Some([b'\'', ..]) => Some(1),
        Some([0xE2, 0x80, 0x99, ..]) => Some(3),
        _ => None,
    }
}

/// An apostrophe inside a word ("O'Brien", "don’t"), read as nothing; a possessive `'s`
/// ("Maria's") ends the word before it, as any other apostrophe does.
fn inner_apostrophe(bytes: &[u8], i: usize) -> Option<usize> {
    let w = apostrophe(bytes, i)?;
    let letter = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_alphabetic);
    let possessive = matches!(bytes.get(i + w), Some(b's' | b'S'))
        && !bytes.get(i + w + 1).is_some_and(|b| is_word_byte(*b));
    (i > 0 && letter(i - 1) && letter(i + w) && !possessive).then_some(w)
}

/// A term may end at `e` of `bytes`: the end, or not between two word bytes, where an
/// apostrophe is no word byte unless it is inside a word (`inner_apostrophe`).
#[inline]
fn is_boundary(bytes: &[u8], e: usize) -> bool {
    if e == bytes.len() {
        return true;
    }
    let (next, prev) = (bytes[e], bytes[e - 1]);
    if next == b'\'' || next == 0xE2 {
        if inner_apostrophe(bytes, e).is_some() {
            return false;
        }
        if apostrophe(bytes, e).is_some() {
            return true;
        }
    }
    if prev == 0x99 && phone_apostrophe_before(bytes, e) {
        return true;
    }
    !is_word_byte(next) || !is_word_byte(prev)
}

/// Whether the three bytes before `i` are a phone apostrophe (`’`).
fn phone_apostrophe_before(bytes: &[u8], i: usize) -> bool {
    i >= 3 && apostrophe(bytes, i - 3) == Some(3)
}

/// Whether a word continues at `i` (so no term starts there): a word byte before it, or an
/// apostrophe inside a word ("O'Brien": not "Brien").
#[inline]
fn inside_word(bytes: &[u8], i: usize) -> bool {
    if i == 0 {
        return false;
    }
    match bytes[i - 1] {
        b'\'' => inner_apostrophe(bytes, i - 1).is_some(),
        0x99 if phone_apostrophe_before(bytes, i) => inner_apostrophe(bytes, i - 3).is_some(),
        prev => is_word_byte(prev) && is_word_byte(bytes[i]),
    }
}

/// One byte more of a hash; `b` is already read (`read`, `FOLD`).
#[inline]
fn step(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
}

/// Folded terms end to end in one buffer: term `i` is `bytes[ends[i - 1]..ends[i]]`. One
/// allocation for all terms instead of one each.
#[derive(Default)]
pub(crate) struct TermArena {
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

impl TermArena {
    /// Appends a folded term; returns its id.
    pub fn push(&mut self, folded: &[u8]) -> u32 {
        self.bytes.extend_from_slice(folded);
        self.ends.push(self.bytes.len() as u32);
        (self.ends.len() - 1) as u32
    }

    pub fn get(&self, id: u32) -> &[u8] {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }
}

/// The index is split by the top bits of each hash into one map per thread (1, 2 or 4),
/// built in parallel at start-up (the build is most of `phiscan detect`'s start-up on one
/// line); each thread hashes every term once and keeps the prefixes of its shard.
const MAX_SHARD_BITS: u32 = 2;

/// The shard of hash `h` when there are `1 << bits` (two shifts: `bits` may be 0).
#[inline]
fn shard_of(h: u64, bits: u32) -> usize {
    ((h >> 32) >> (32 - bits)) as usize
}

type Map = foldhash::HashMap<u64, u32>;

/// A blocked Bloom filter over every key of the maps, in front of them. Why: the maps hold
/// ~300,000 keys (several MB, past the L2 cache), and the walk asks them once per word of text;
/// most words are no term's first word, and each such question was a cache miss (half the
/// term walk's time on clinical notes). The filter has ~8 bits per key, two of them set in one
/// 64-bit word, and fits in L2: a word no term starts with is usually answered there.
struct Bloom {
    words: Vec<u64>,
    mask: usize,
}

impl Bloom {
    fn new(keys: usize) -> Bloom {
        let len = (keys / 8).next_power_of_two().max(1);
        Bloom {
            words: vec![0; len],
            mask: len - 1,
        }
    }

    /// The word and the two bits of `h`, from a remix of it (FNV's low bits are weak).
    #[inline]
    fn place(&self, h: u64) -> (usize, u64) {
        let m = (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        let m = m ^ (m >> 32);
        (
            (m >> 12) as usize & self.mask,
            (1 << (m & 63)) | (1 << ((m >> 6) & 63)),
        )
    }

    fn insert(&mut self, h: u64) {
        let (w, bits) = self.place(h);
        self.words[w] |= bits;
    }

    #[inline]
    fn may_contain(&self, h: u64) -> bool {
        let (w, bits) = self.place(h);
        self.words[w] & bits == bits
    }
}

/// The maps' answers for the words a thread saw last, by hash: a direct-mapped table that stays
/// in the L1 cache. Text repeats its words (Zipf), so most words are answered here without
/// touching the Bloom filter or the maps. Kept in the engine's `Scratch`; cleared when used with
/// another index.
pub(crate) struct WordCache {
    index: u64,
    slots: Box<[(u64, u32)]>,
}

/// Slots in a `WordCache` (32 KB).
const WORD_CACHE_SLOTS: usize = 2048;
/// A cached answer: no map holds the hash.
const ABSENT: u32 = u32::MAX - 1;

impl Default for WordCache {
    /// Empty: the slots are allocated on first use (`Scratch` is made per call in places).
    fn default() -> WordCache {
        WordCache {
            index: 0,
            slots: Box::default(),
        }
    }
}

/// Identity of each index built, for `WordCache::index` (0 is no index).
static NEXT_INDEX_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub(crate) struct TermIndex {
    /// This index among those built in the process (see `WordCache`).
    id: u64,
    /// Hash of a folded term prefix ending on a boundary → the term it spells, or
    /// `PREFIX_ONLY`; in the map `shard_of(hash, shard_bits)`.
    maps: Vec<Map>,
    shard_bits: u32,
    /// Every key of `maps`: a key it does not hold is in no map.
    bloom: Bloom,
    /// The folded terms, to confirm a hit byte for byte (a hash is not proof).
    terms: TermArena,
    /// Bytes some term starts with (either case): other positions are not tried.
    first_bytes: [bool; 256],
    pub longest_term: usize,
}

impl TermIndex {
    /// Term `i` of the arena (folded, see `fold_into`) becomes pattern `i` of the hits; the
    /// index keeps the arena to confirm hits. Terms spelled alike are one pattern: the second
    /// vector maps each term to the pattern its hits carry (its own id, or the first term
    /// spelled the same way). The shards are built in parallel (`build_shard`).
    pub fn build(terms: TermArena) -> Result<(TermIndex, Vec<u32>)> {
        let mut starts = [false; 256];
        let mut longest_term = 0;
        for id in 0..terms.len() as u32 {
            let t = terms.get(id);
            let Some(&first) = t.first() else {
                bail!("empty term in the vocabulary");
            };
            starts[first as usize] = true;
            longest_term = longest_term.max(t.len());
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let bits = threads.min(1 << MAX_SHARD_BITS).ilog2();
        // entries per shard, for sizing each map once: the hash spreads them evenly
        let entries: usize = (0..terms.len() as u32)
            .map(|id| boundaries(terms.get(id)))
            .sum();
        let reserve = (entries >> bits) + (entries >> bits) / 16;
        let built: Vec<Result<Shard>> = std::thread::scope(|scope| {
            let terms = &terms;
            let workers: Vec<_> = (1..1usize << bits)
                .map(|shard| scope.spawn(move || build_shard(terms, shard, bits, reserve)))
                .collect();
            let mut all = vec![build_shard(terms, 0, bits, reserve)];
            all.extend(
                workers
                    .into_iter()
                    .map(|w| w.join().expect("term index worker panicked")),
            );
            all
        });
        let mut canonical: Vec<u32> = (0..terms.len() as u32).collect();
        let mut maps = Vec::with_capacity(built.len());
        for shard in built {
            let (map, dups) = shard?;
            for (dup, first) in dups {
                canonical[dup as usize] = first;
            }
            maps.push(map);
        }
        let mut bloom = Bloom::new(maps.iter().map(Map::len).sum());
        for &h in maps.iter().flat_map(Map::keys) {
            bloom.insert(h);
        }
        // a word may start with an accented letter (its lead byte)
        let first_bytes =
            std::array::from_fn(|raw| starts[FOLD[raw] as usize] || (0xC3..=0xC5).contains(&raw));
        let index = TermIndex {
            id: NEXT_INDEX_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            maps,
            shard_bits: bits,
            bloom,
            terms,
            first_bytes,
            longest_term,
        };
        Ok((index, canonical))
    }

    /// Every term that starts and ends on a word boundary, sorted by start (then end).
    #[cfg(test)]
    pub fn find(&self, bytes: &[u8], hits: &mut Vec<Hit>) {
        self.find_cached(bytes, hits, &mut WordCache::default());
    }

    /// As `find`, with the calling thread's `WordCache`.
    pub fn find_cached(&self, bytes: &[u8], hits: &mut Vec<Hit>, words: &mut WordCache) {
        if words.index != self.id {
            words.slots = vec![(0, ABSENT); WORD_CACHE_SLOTS].into_boxed_slice();
            words.index = self.id;
        }
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if self.first_bytes[b as usize] && !inside_word(bytes, i) {
                self.find_from(bytes, i, hits, words);
            }
            i += 1;
            // no term starts inside a run of ASCII letters and digits (`inside_word`): skip it
            if is_ascii_alnum(b) {
                while i < bytes.len() && is_ascii_alnum(bytes[i]) {
                    i += 1;
                }
            }
        }
    }

    /// What the maps hold for hash `h` (a term, `PREFIX_ONLY` or `ABSENT`), through the cache
    /// and the Bloom filter.
    #[inline]
    fn lookup(&self, h: u64, words: &mut WordCache) -> u32 {
        let slot = &mut words.slots[(h >> 53) as usize & (WORD_CACHE_SLOTS - 1)];
        if slot.0 == h {
            return slot.1;
        }
        let answer = match self.bloom.may_contain(h) {
            false => ABSENT,
            true => self.maps[shard_of(h, self.shard_bits)]
                .get(&h)
                .copied()
                .unwrap_or(ABSENT),
        };
        *slot = (h, answer);
        answer
    }

    /// The terms spelled from word start `i`: hash on, look up at each boundary, stop at the
    /// first boundary no term reaches. Plain ASCII (the common case) takes a short way with the
    /// same answers: no term ends inside a run of letters and digits, and one may always end
    /// after such a run or after an ASCII separator; other bytes go through `read` and
    /// `is_boundary`.
    fn find_from(&self, bytes: &[u8], i: usize, hits: &mut Vec<Hit>, words: &mut WordCache) {
        let mut h = FNV_OFFSET;
        let (mut e, mut read_len) = (i, 0);
        while e < bytes.len() && read_len < self.longest_term {
            let lead = bytes[e];
            let boundary = if let folded @ 1.. = ALNUM_FOLD[lead as usize] {
                let (run_start, stop) = (e, e + (self.longest_term - read_len));
                let mut folded = folded;
                // a run of ASCII letters and digits: no term ends before its last byte
                let boundary = loop {
                    h = step(h, folded);
                    e += 1;
                    let Some(&next) = bytes.get(e) else {
                        break true;
                    };
                    folded = ALNUM_FOLD[next as usize];
                    if folded == 0 {
                        break next < 0x80 && next != b'\'' || is_boundary(bytes, e);
                    }
                    if e >= stop {
                        return;
                    }
                };
                read_len += e - run_start;
                boundary
            } else if lead < 0x80 && lead != b'\'' {
                h = step(h, FOLD[lead as usize]);
                (e, read_len) = (e + 1, read_len + 1);
                true
            } else {
                let (b, width) = read(bytes, e);
                h = step(h, b);
                (e, read_len) = (e + width, read_len + 1);
                is_boundary(bytes, e)
            };
            if !boundary {
                continue;
            }
            match self.lookup(h, words) {
                ABSENT => return,
                PREFIX_ONLY => {}
                id if self.spells(id, &bytes[i..e]) => hits.push(Hit {
                    start: i,
                    end: e,
                    pattern: id,
                }),
                _ => {}
            }
        }
    }

    /// Whether `text`, read as the index reads it, is term `id` (a hash is not proof).
    fn spells(&self, id: u32, text: &[u8]) -> bool {
        let t = self.terms.get(id);
        // plain ASCII reads one byte as one (`read`)
        if text.iter().all(|&b| b < 0x80 && b != b'\'') {
            return text.len() == t.len()
                && text.iter().zip(t).all(|(&b, &c)| FOLD[b as usize] == c);
        }
        let (mut i, mut k) = (0, 0);
        while i < text.len() {
            let (b, width) = read(text, i);
            if t.get(k) != Some(&b) {
                return false;
            }
            i += width;
            k += 1;
        }
        k == t.len()
    }
}

/// One shard's map and the (duplicate, first) pairs of terms spelled alike.
type Shard = (Map, Vec<(u32, u32)>);

/// How many places a term may end in `t` (see `is_boundary`): its entries in the index.
fn boundaries(t: &[u8]) -> usize {
    (1..=t.len()).filter(|&e| is_boundary(t, e)).count()
}

/// One shard's map: every term prefix ending on a boundary whose hash falls in `shard`, and
/// the (duplicate, first) pairs of terms spelled alike.
fn build_shard(terms: &TermArena, shard: usize, bits: u32, reserve: usize) -> Result<Shard> {
    let mut map = Map::default();
    map.reserve(reserve);
    let mut dups = Vec::new();
    let mut clash = false;
    for_each_boundary(terms, shard, bits, |id, h, whole| {
        let slot = map.entry(h).or_insert(PREFIX_ONLY);
        if whole && *slot == PREFIX_ONLY {
            *slot = id;
        } else if whole && terms.get(*slot) == terms.get(id) {
            dups.push((id, *slot));
        } else if whole {
            clash = true;
        }
    });
    if clash {
        bail!("two vocabulary terms share a 64-bit hash: rename one");
    }
    Ok((map, dups))
}

/// Calls `f(term, hash, whole term?)` for each prefix of each term that ends on a boundary and
/// whose hash falls in `shard` (of `1 << bits`).
fn for_each_boundary(
    terms: &TermArena,
    shard: usize,
    bits: u32,
    mut f: impl FnMut(u32, u64, bool),
) {
    for id in 0..terms.len() as u32 {
        let t = terms.get(id);
        let mut h = FNV_OFFSET;
        for e in 1..=t.len() {
            h = step(h, t[e - 1]);
            if is_boundary(t, e) && shard_of(h, bits) == shard {
                f(id, h, e == t.len());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The terms folded as the engine stores them (`fold_into`), in one arena.
    fn arena(terms: &[&str]) -> TermArena {
        let mut arena = TermArena::default();
        for t in terms {
            let mut folded = Vec::new();
            fold_into(t.as_bytes(), &mut folded);
            arena.push(&folded);
        }
        arena
    }

    fn found(terms: &[&str], text: &str) -> Vec<(String, usize)> {
        let (index, _) = TermIndex::build(arena(terms)).unwrap();
        let mut hits = Vec::new();
        index.find(text.as_bytes(), &mut hits);
        hits.iter()
            .map(|h| (text[h.start..h.end].to_string(), h.pattern as usize))
            .collect()
    }

    #[test]
    fn the_bloom_filter_holds_every_key_and_few_others() {
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            rng = step(rng, 0x5A).rotate_left(17);
            rng
        };
        let keys: Vec<u64> = (0..50_000).map(|_| next()).collect();
        let mut bloom = Bloom::new(keys.len());
        keys.iter().for_each(|&h| bloom.insert(h));
        assert!(keys.iter().all(|&h| bloom.may_contain(h)));
        let others = (0..50_000).filter(|_| bloom.may_contain(next())).count();
        assert!(others < 50_000 / 10, "{others} of 50000 others pass");
    }

    #[test]
    fn a_word_cache_moved_to_another_index_forgets_the_first() {
        let (heart, _) = TermIndex::build(arena(&["heart"])).unwrap();
        let (lung, _) = TermIndex::build(arena(&["lung"])).unwrap();
        let mut words = WordCache::default();
        let text = b"heart lung";
        let mut hits = Vec::new();
        for _ in 0..2 {
            heart.find_cached(text, &mut hits, &mut words);
            assert_eq!(hits.iter().map(|h| h.start).collect::<Vec<_>>(), [0]);
            hits.clear();
            lung.find_cached(text, &mut hits, &mut words);
            assert_eq!(hits.iter().map(|h| h.start).collect::<Vec<_>>(), [6]);
            hits.clear();
        }
    }

    #[test]
    fn whole_words_only_every_term_from_each_start() {
        let terms = ["heart", "heart attack", "art", "f/u", "post op", "c."];
        assert_eq!(
            found(&terms, "Heart-attack, f/u Post_Op; smart art c. cx"),
            vec![
                ("Heart".into(), 0),
                ("Heart-attack".into(), 1),
                ("f/u".into(), 3),
                ("Post_Op".into(), 4),
                ("art".into(), 2),
                ("c.".into(), 5),
            ]
        );
        assert!(found(&terms, "hearts heartattack start f/up").is_empty());
    }

    #[test]
    fn multibyte_text_is_a_word_and_never_split() {
        let terms = ["café", "caf"];
        assert_eq!(found(&terms, "Café é"), vec![("Café".into(), 0)]);
        assert!(found(&terms, "cafés").is_empty());
    }

    #[test]
    fn accented_letters_read_as_their_base_letter() {
        let terms = ["jose", "bjorn", "presión", "zoe"];
        assert_eq!(
            found(&terms, "José, BJÖRN y Jose: presion/presión zoë Zoe×"),
            vec![
                ("José".into(), 0),
                ("BJÖRN".into(), 1),
                ("Jose".into(), 0),
                ("presion".into(), 2),
                ("presión".into(), 2),
                ("zoë".into(), 3),
            ]
        );
        // not a base letter: no fold, so no term; a lone lead byte is no letter either
        assert!(found(&terms, "joseß").is_empty());
    }

    #[test]
    fn terms_spelled_alike_are_one_pattern() {
        let (index, canonical) =
            TermIndex::build(arena(&["jose", "José", "bjorn", "JOSE"])).unwrap();
        assert_eq!(canonical, vec![0, 0, 2, 0]);
        let mut hits = Vec::new();
        index.find("Jose".as_bytes(), &mut hits);
        assert_eq!(hits.iter().map(|h| h.pattern).collect::<Vec<_>>(), vec![0]);
    }

    #[test]
    fn apostrophes_inside_words_are_read_as_nothing() {
        let terms = ["obrien", "maria", "don", "dont", "crohn's disease"];
        assert_eq!(
            found(
                &terms,
                "O'Brien O’Brien Maria's Maria’s DON'T Crohn's disease"
            ),
            vec![
                ("O'Brien".into(), 0),
                ("O’Brien".into(), 0),
                ("Maria".into(), 1),
                ("Maria".into(), 1),
                ("DON'T".into(), 3),
                ("Crohn's disease".into(), 4),
            ]
        );
        // no term starts inside a word: "brien" is not found in "O'Brien"
        let terms = ["obrien", "brien"];
        assert_eq!(found(&terms, "O'Brien"), vec![("O'Brien".into(), 0)]);
    }

    #[test]
    fn every_shard_count_holds_every_term_once() {
        let arena = arena(&["heart", "heart attack", "art", "jose", "jose"]);
        for bits in 0..=MAX_SHARD_BITS {
            let shards: Vec<Shard> = (0..1usize << bits)
                .map(|shard| build_shard(&arena, shard, bits, 0).unwrap())
                .collect();
            // "heart", "heart " and "heart attack" (prefixes end on boundaries), "art", "jose"
            let entries: usize = shards.iter().map(|(m, _)| m.len()).sum();
            assert_eq!(entries, 5, "bits {bits}");
            let dups: Vec<_> = shards.iter().flat_map(|(_, d)| d.clone()).collect();
            assert_eq!(dups, vec![(4, 3)], "bits {bits}");
        }
    }
}
