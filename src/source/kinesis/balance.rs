//! Which leases this replica should take or give up: an even spread of the shards that can be
//! read now over the replicas that are alive. Pure, so the rules are unit-tested on their own.
//!
//! - A shard can be read once every parent has ended (KCL: children wait for their parents),
//!   and is done when it has ended itself.
//! - Each replica aims at `ceil(readable / replicas)` leases. Below that it takes free leases
//!   first, then expired ones (their owner stopped renewing: crashed or partitioned). Above it,
//!   it gives leases up gracefully (its reader checkpoints, then the lease is released), which
//!   is how a replica that joins gets its share without anyone stealing.

use std::collections::{BTreeSet, HashSet};

use super::lease::Lease;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// (shard, counter last seen) to take.
    pub take: Vec<(String, u64)>,
    /// Shards to give up.
    pub release: Vec<String>,
    /// Leases each replica should hold.
    pub target: usize,
}

/// Shards that may be read now: not ended, every parent ended (or gone from the table).
pub fn readable(leases: &[Lease]) -> Vec<&Lease> {
    let known: HashSet<&str> = leases.iter().map(|l| l.shard.as_str()).collect();
    let ended: HashSet<&str> = leases
        .iter()
        .filter(|l| l.ended())
        .map(|l| l.shard.as_str())
        .collect();
    leases
        .iter()
        .filter(|l| !l.ended())
        .filter(|l| {
            l.parents
                .iter()
                .all(|p| ended.contains(p.as_str()) || !known.contains(p.as_str()))
        })
        .collect()
}

/// `alive`: other replicas seen renewing their heartbeat; `expired`: whether a lease's owner
/// stopped renewing it. `busy`: shards this replica is already giving up (not counted).
pub fn plan(
    me: &str,
    leases: &[Lease],
    alive: &BTreeSet<String>,
    expired: &dyn Fn(&Lease) -> bool,
    busy: &HashSet<String>,
) -> Plan {
    let readable = readable(leases);
    let replicas = alive.iter().filter(|w| *w != me).count() + 1;
    let target = readable.len().div_ceil(replicas);
    let mut mine: Vec<&str> = readable
        .iter()
        .filter(|l| l.owner.as_deref() == Some(me) && !busy.contains(&l.shard))
        .map(|l| l.shard.as_str())
        .collect();
    mine.sort_unstable();
    let mut plan = Plan {
        target,
        ..Plan::default()
    };
    if mine.len() > target {
        plan.release = mine[target..].iter().map(|s| s.to_string()).collect();
        return plan;
    }
    let want = target - mine.len();
    let free = readable.iter().filter(|l| l.owner.is_none());
    let stale = readable
        .iter()
        .filter(|l| l.owner.as_deref().is_some_and(|o| o != me) && expired(l));
    plan.take = free
        .chain(stale)
        .take(want)
        .map(|l| (l.shard.clone(), l.counter))
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(shard: &str, owner: Option<&str>, checkpoint: &str, parents: &[&str]) -> Lease {
        Lease {
            shard: shard.into(),
            owner: owner.map(str::to_string),
            counter: 3,
            checkpoint: checkpoint.into(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn alive(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn children_wait_for_every_parent() {
        let leases = vec![
            lease("p0", None, "SHARD_END", &[]),
            lease("p1", Some("a"), "123", &[]),
            lease("c0", None, "TRIM_HORIZON", &["p0"]),
            lease("c1", None, "TRIM_HORIZON", &["p0", "p1"]),
            lease("c2", None, "TRIM_HORIZON", &["trimmed-away"]),
        ];
        let r: Vec<&str> = readable(&leases).iter().map(|l| l.shard.as_str()).collect();
        assert_eq!(r, vec!["p1", "c0", "c2"]);
    }

    #[test]
    fn a_lone_replica_takes_everything_readable() {
        let leases = vec![
            lease("s0", None, "TRIM_HORIZON", &[]),
            lease("s1", None, "TRIM_HORIZON", &[]),
        ];
        let p = plan("a", &leases, &alive(&[]), &|_| false, &HashSet::new());
        assert_eq!(p.take.len(), 2);
        assert!(p.release.is_empty());
    }

    #[test]
    fn a_joining_replica_gets_half_by_graceful_release() {
        let leases: Vec<Lease> = (0..4)
            .map(|i| lease(&format!("s{i}"), Some("a"), "1", &[]))
            .collect();
        let both = alive(&["a", "b"]);
        let a = plan("a", &leases, &both, &|_| false, &HashSet::new());
        assert_eq!(a.target, 2);
        assert_eq!(a.release, vec!["s2".to_string(), "s3".to_string()]);
        // b takes nothing that is live and owned
        let b = plan("b", &leases, &both, &|_| false, &HashSet::new());
        assert!(b.take.is_empty() && b.release.is_empty());
        // released leases are free: b takes them
        let mut after = leases.clone();
        after[2].owner = None;
        after[3].owner = None;
        let b = plan("b", &after, &both, &|_| false, &HashSet::new());
        assert_eq!(b.take.len(), 2);
    }

    #[test]
    fn expired_leases_are_taken_over() {
        let leases = vec![
            lease("s0", Some("dead"), "42", &[]),
            lease("s1", Some("b"), "43", &[]),
        ];
        let p = plan(
            "b",
            &leases,
            &alive(&["b"]),
            &|l| l.owner.as_deref() == Some("dead"),
            &HashSet::new(),
        );
        assert_eq!(p.take, vec![("s0".to_string(), 3)]);
        let p = plan(
            "b",
            &leases,
            &alive(&["b", "dead"]),
            &|_| false,
            &HashSet::new(),
        );
        assert!(p.take.is_empty(), "a live owner's lease is never taken");
    }
}
