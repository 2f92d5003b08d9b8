//! Offset tracking for at-least-once delivery. A Kafka offset may be committed only when every
//! event before it on its partition has had its alerts accepted by the sinks. Events finish out
//! of order (several workers), so each partition keeps the set of offsets still in flight: the
//! committable position is the lowest in-flight offset, or one past the highest seen when
//! nothing is in flight. A crash then replays at most the unfinished tail: duplicates, never misses.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A topic partition.
pub type Partition = (String, i32);

#[derive(Debug, Default)]
struct PartitionState {
    in_flight: BTreeSet<i64>,
    /// Highest offset handed out for this partition.
    highest: Option<i64>,
    /// Last position committed (or reported by `committable` and then marked).
    committed: Option<i64>,
}

impl PartitionState {
    fn position(&self) -> Option<i64> {
        match self.in_flight.first() {
            Some(&lowest) => Some(lowest),
            None => self.highest.map(|h| h + 1),
        }
    }
}

/// Shared by the consumer (which `begin`s offsets) and the delivery stage (which `finish`es them).
#[derive(Debug, Default, Clone)]
pub struct OffsetTracker {
    inner: Arc<(Mutex<HashMap<Partition, PartitionState>>, Condvar)>,
}

/// Proof that an offset is in flight; hand it back to `finish`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

impl OffsetTracker {
    pub fn new() -> OffsetTracker {
        OffsetTracker::default()
    }

    /// An offset was read and is about to be processed.
    pub fn begin(&self, topic: &str, partition: i32, offset: i64) -> Token {
        let (lock, _) = &*self.inner;
        let mut map = lock.lock().expect("offset tracker lock");
        let st = map.entry((topic.to_string(), partition)).or_default();
        st.in_flight.insert(offset);
        st.highest = Some(st.highest.map_or(offset, |h| h.max(offset)));
        Token {
            topic: topic.to_string(),
            partition,
            offset,
        }
    }

    /// Its alerts were accepted by every sink (or it was dead-lettered). Offsets of partitions
    /// no longer assigned are ignored.
    pub fn finish(&self, token: &Token) {
        let (lock, cvar) = &*self.inner;
        let mut map = lock.lock().expect("offset tracker lock");
        if let Some(st) = map.get_mut(&(token.topic.clone(), token.partition)) {
            st.in_flight.remove(&token.offset);
        }
        cvar.notify_all();
    }

    /// Positions (next offset to consume) that moved since they were last taken: what to commit.
    pub fn take_committable(&self) -> BTreeMap<Partition, i64> {
        let (lock, _) = &*self.inner;
        let mut map = lock.lock().expect("offset tracker lock");
        let mut out = BTreeMap::new();
        for (p, st) in map.iter_mut() {
            if let Some(pos) = st.position()
                && st.committed.is_none_or(|c| pos > c)
            {
                st.committed = Some(pos);
                out.insert(p.clone(), pos);
            }
        }
        out
    }

    /// Events still in flight on these partitions.
    pub fn in_flight(&self, partitions: &[Partition]) -> usize {
        let (lock, _) = &*self.inner;
        let map = lock.lock().expect("offset tracker lock");
        partitions
            .iter()
            .filter_map(|p| map.get(p))
            .map(|st| st.in_flight.len())
            .sum()
    }

    /// Wait until the partitions have nothing in flight (a revoke or a shutdown drains them
    /// before committing). Returns false on timeout.
    pub fn wait_drained(&self, partitions: &[Partition], timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (lock, cvar) = &*self.inner;
        let mut map = lock.lock().expect("offset tracker lock");
        loop {
            let busy: usize = partitions
                .iter()
                .filter_map(|p| map.get(p))
                .map(|st| st.in_flight.len())
                .sum();
            if busy == 0 {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            map = cvar
                .wait_timeout(map, deadline - now)
                .expect("offset tracker lock")
                .0;
        }
    }

    /// Forget partitions (after a revoke): later `finish`es for them are ignored.
    pub fn forget(&self, partitions: &[Partition]) {
        let (lock, cvar) = &*self.inner;
        let mut map = lock.lock().expect("offset tracker lock");
        for p in partitions {
            map.remove(p);
        }
        cvar.notify_all();
    }

    /// Committable position of every partition, without marking (for a final commit).
    pub fn positions(&self) -> BTreeMap<Partition, i64> {
        let (lock, _) = &*self.inner;
        let map = lock.lock().expect("offset tracker lock");
        map.iter()
            .filter_map(|(p, st)| st.position().map(|pos| (p.clone(), pos)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_commits_past_an_unfinished_offset() {
        let t = OffsetTracker::new();
        let toks: Vec<_> = (10..15).map(|o| t.begin("e", 0, o)).collect();
        t.finish(&toks[1]);
        t.finish(&toks[2]);
        // offset 10 is unfinished: position stays at 10
        assert_eq!(t.take_committable().get(&("e".into(), 0)), Some(&10));
        t.finish(&toks[0]);
        assert_eq!(t.take_committable().get(&("e".into(), 0)), Some(&13));
        assert!(
            t.take_committable().is_empty(),
            "unchanged positions are not re-committed"
        );
        t.finish(&toks[4]);
        t.finish(&toks[3]);
        assert_eq!(t.take_committable().get(&("e".into(), 0)), Some(&15));
    }

    #[test]
    fn partitions_are_independent_and_forgettable() {
        let t = OffsetTracker::new();
        let a = t.begin("e", 0, 5);
        let b = t.begin("e", 1, 7);
        t.finish(&b);
        let c = t.take_committable();
        assert_eq!(c.get(&("e".into(), 0)), Some(&5));
        assert_eq!(c.get(&("e".into(), 1)), Some(&8));
        assert_eq!(t.in_flight(&[("e".into(), 0)]), 1);
        t.forget(&[("e".into(), 0)]);
        t.finish(&a); // ignored, no panic
        assert!(!t.positions().contains_key(&("e".into(), 0)));
    }

    #[test]
    fn waits_for_drain_across_threads() {
        let t = OffsetTracker::new();
        let tok = t.begin("e", 0, 1);
        let t2 = t.clone();
        let h = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            t2.finish(&tok);
        });
        assert!(t.wait_drained(&[("e".into(), 0)], Duration::from_secs(5)));
        h.join().unwrap();
        let _ = t.begin("e", 0, 2);
        assert!(!t.wait_drained(&[("e".into(), 0)], Duration::from_millis(20)));
    }
}
