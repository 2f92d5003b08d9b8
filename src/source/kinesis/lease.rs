//! The DynamoDB lease table: one item per shard (owner, lease counter, checkpoint, parents) and
//! one per live replica (a heartbeat counter), in the spirit of the KCL's table.
//!
//! Every write is conditional, so two replicas can never both believe they own a shard:
//! - take: `leaseCounter = <the value this replica last saw>` (a free lease, or one whose owner
//!   stopped renewing it): the owner becomes us and the counter moves on;
//! - renew and release: `leaseOwner = me AND leaseCounter = <what we wrote last>`;
//! - checkpoint: `leaseOwner = me` (the counter is left alone, so renewals and checkpoints from
//!   the shard's reader never race each other).
//!
//! Expiry is judged by observation, not by clocks: a lease whose counter has not moved for a
//! lease duration (measured on this replica's monotonic clock) is expired. Replicas therefore
//! need no synchronised clocks.

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TableStatus,
};

use crate::internal_events::emit;
use crate::internal_events::source_kinesis::KinesisLeaseTableCreated;

/// The checkpoint of a shard read to its end: its children may start.
pub const SHARD_END: &str = "SHARD_END";
/// Checkpoints that are positions rather than sequence numbers.
pub const TRIM_HORIZON: &str = "TRIM_HORIZON";
pub const LATEST: &str = "LATEST";
pub const AT_TIMESTAMP: &str = "AT_TIMESTAMP";

const KEY: &str = "leaseKey";
const WORKER_PREFIX: &str = "worker#";

/// One shard's lease, as read from the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub shard: String,
    pub owner: Option<String>,
    pub counter: u64,
    pub checkpoint: String,
    pub parents: Vec<String>,
}

impl Lease {
    pub fn ended(&self) -> bool {
        self.checkpoint == SHARD_END
    }
}

/// A replica's heartbeat item.
#[derive(Debug, Clone, PartialEq)]
pub struct Worker {
    pub id: String,
    pub heartbeat: u64,
}

/// What a conditional write came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Write {
    Done,
    /// The condition failed: someone else owns (or took) the lease.
    Lost,
}

#[derive(Clone)]
pub struct LeaseTable {
    client: Client,
    table: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// An SDK error with its cause chain (service code and message; never request content).
pub fn aws_error<E: std::error::Error>(e: E) -> anyhow::Error {
    anyhow::anyhow!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(e))
}

/// A conditional-check failure is `Lost`; anything else is an error worth retrying.
fn outcome<E, R>(r: Result<R, SdkError<E>>, what: &str) -> Result<Write>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match r {
        Ok(_) => Ok(Write::Done),
        Err(e)
            if e.as_service_error().and_then(|s| s.code())
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(Write::Lost)
        }
        Err(e) => Err(aws_error(e).context(format!("lease table: {what} failed"))),
    }
}

impl LeaseTable {
    pub fn new(client: Client, table: String) -> LeaseTable {
        LeaseTable { client, table }
    }

    pub fn name(&self) -> &str {
        &self.table
    }

    /// Create the table if it is missing (when allowed), and wait until it is usable.
    pub async fn ensure(&self, create: bool) -> Result<()> {
        let exists = match self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                false
            }
            Err(e) => {
                return Err(aws_error(e)).with_context(|| format!("lease table {}: cannot describe it (check the DynamoDB endpoint, region and credentials)", self.table));
            }
        };
        if !exists {
            if !create {
                bail!(
                    "lease table {} does not exist: create it (hash key `{KEY}`, string) or set sources.kinesis.create_lease_table = true",
                    self.table
                );
            }
            let r = self
                .client
                .create_table()
                .table_name(&self.table)
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name(KEY)
                        .key_type(KeyType::Hash)
                        .build()?,
                )
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name(KEY)
                        .attribute_type(ScalarAttributeType::S)
                        .build()?,
                )
                .billing_mode(BillingMode::PayPerRequest)
                .send()
                .await;
            if let Err(e) = r
                && !e
                    .as_service_error()
                    .is_some_and(|s| s.is_resource_in_use_exception())
            {
                return Err(aws_error(e))
                    .with_context(|| format!("lease table {}: cannot create it", self.table));
            }
            emit(KinesisLeaseTableCreated { table: &self.table });
        }
        for _ in 0..120 {
            let d = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await;
            if let Ok(d) = d
                && d.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active)
            {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        bail!(
            "lease table {} did not become ACTIVE within 60 s",
            self.table
        )
    }

    /// Every lease and worker (a consistent scan, paged).
    pub async fn scan(&self) -> Result<(Vec<Lease>, Vec<Worker>)> {
        let mut leases = Vec::new();
        let mut workers = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(aws_error)
                .with_context(|| format!("lease table {}: scan failed", self.table))?;
            for item in out.items() {
                let Some(key) = item.get(KEY).and_then(|v| v.as_s().ok()) else {
                    continue;
                };
                let num = |k: &str| {
                    item.get(k)
                        .and_then(|v| v.as_n().ok())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0)
                };
                let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
                if let Some(id) = key.strip_prefix(WORKER_PREFIX) {
                    workers.push(Worker {
                        id: id.to_string(),
                        heartbeat: num("heartbeat"),
                    });
                    continue;
                }
                let parents = item
                    .get("parentShardIds")
                    .and_then(|v| v.as_l().ok())
                    .map(|l| l.iter().filter_map(|p| p.as_s().ok().cloned()).collect())
                    .unwrap_or_default();
                leases.push(Lease {
                    shard: key.clone(),
                    owner: text("leaseOwner"),
                    counter: num("leaseCounter"),
                    checkpoint: text("checkpoint").unwrap_or_else(|| TRIM_HORIZON.into()),
                    parents,
                });
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => break,
            }
        }
        Ok((leases, workers))
    }

    /// A lease for a newly seen shard (no-op when another replica created it first).
    pub async fn create(&self, shard: &str, parents: &[String], checkpoint: &str) -> Result<Write> {
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(KEY, s(shard))
            .item("leaseCounter", n(0))
            .item("checkpoint", s(checkpoint))
            .item(
                "parentShardIds",
                AttributeValue::L(parents.iter().map(|p| s(p.as_str())).collect()),
            )
            .condition_expression("attribute_not_exists(leaseKey)")
            .send()
            .await;
        outcome(r, "creating a lease")
    }

    /// Take a free or expired lease whose counter we last saw at `seen`.
    pub async fn take(&self, shard: &str, me: &str, seen: u64) -> Result<Write> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, s(shard))
            .update_expression("SET leaseOwner = :me, leaseCounter = :next")
            .condition_expression("attribute_exists(leaseKey) AND leaseCounter = :seen")
            .expression_attribute_values(":me", s(me))
            .expression_attribute_values(":next", n(seen + 1))
            .expression_attribute_values(":seen", n(seen))
            .send()
            .await;
        outcome(r, "taking a lease")
    }

    /// Renew a lease we hold at counter `mine` (it becomes `mine + 1`).
    pub async fn renew(&self, shard: &str, me: &str, mine: u64) -> Result<Write> {
        self.bump_owned(
            shard,
            me,
            mine,
            "SET leaseCounter = :next",
            "renewing a lease",
        )
        .await
    }

    /// Give a lease up (after its reader checkpointed): any replica may take it at once.
    pub async fn release(&self, shard: &str, me: &str, mine: u64) -> Result<Write> {
        let update = "REMOVE leaseOwner SET leaseCounter = :next";
        self.bump_owned(shard, me, mine, update, "releasing a lease")
            .await
    }

    /// `update` on a lease only while we own it at counter `mine`; the counter becomes `mine + 1`.
    async fn bump_owned(
        &self,
        shard: &str,
        me: &str,
        mine: u64,
        update: &str,
        what: &str,
    ) -> Result<Write> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, s(shard))
            .update_expression(update)
            .condition_expression("leaseOwner = :me AND leaseCounter = :mine")
            .expression_attribute_values(":me", s(me))
            .expression_attribute_values(":next", n(mine + 1))
            .expression_attribute_values(":mine", n(mine))
            .send()
            .await;
        outcome(r, what)
    }

    /// Record how far a shard is done, while we still own it.
    pub async fn checkpoint(&self, shard: &str, me: &str, checkpoint: &str) -> Result<Write> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, s(shard))
            .update_expression("SET checkpoint = :c")
            .condition_expression("leaseOwner = :me")
            .expression_attribute_values(":me", s(me))
            .expression_attribute_values(":c", s(checkpoint))
            .send()
            .await;
        outcome(r, "writing a checkpoint")
    }

    /// This replica is alive (other replicas count it when spreading shards).
    pub async fn heartbeat(&self, me: &str, beat: u64) -> Result<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(KEY, s(format!("{WORKER_PREFIX}{me}")))
            .item("heartbeat", n(beat))
            .send()
            .await
            .map_err(aws_error)
            .with_context(|| format!("lease table {}: heartbeat failed", self.table))?;
        Ok(())
    }

    /// Remove a worker item (ours on shutdown, or a dead replica's, if unchanged since `seen`).
    pub async fn remove_worker(&self, id: &str, seen: Option<u64>) -> Result<Write> {
        let mut req = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(KEY, s(format!("{WORKER_PREFIX}{id}")));
        if let Some(seen) = seen {
            req = req
                .condition_expression("heartbeat = :seen")
                .expression_attribute_values(":seen", n(seen));
        }
        outcome(req.send().await, "removing a worker")
    }
}
