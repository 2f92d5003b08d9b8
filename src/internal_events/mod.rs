//! Everything the service writes to its logs, with the counters that go with each line, as named
//! events: one small struct (or enum) per thing that happens, whose [`InternalEvent::emit`]
//! writes the log line and increments its counter(s). The model is Vector's `internal_events`.
//!
//! Why one place: a reviewer can read every log line and every logged field phiscan can ever
//! write in these files, instead of hunting for `tracing` calls across the code. That is also
//! where the promise that no raw value is ever logged is easiest to check. The rule every event
//! here follows: **fields are positions, counts, names and error texts, never event content.**
//! Positions are topics, partitions, offsets, shard ids, sequence-number kinds, request ids and
//! peer addresses; names are sinks, sources, properties, paths of phiscan's own outputs; error
//! texts come from phiscan or its libraries (librdkafka, the AWS SDK, reqwest, serde), never a
//! quote of a record; a [`crate::alert::SourceRef`] (a record's position) is logged as its JSON.
//! A panic's message is withheld for the same reason (it may quote what was being scanned).
//! Counters carry only labels from small fixed sets (see `crate::metrics`).
//!
//! Log lines keep their component's `tracing` target (`phiscan::source::kafka`, …), set
//! explicitly here, so `PHISCAN_LOG=phiscan::source::kafka=debug` still selects them.
//!
//! Counters that have no log line (per-event counts on the scan path, gauges published from
//! state) stay where they are counted: an event is for something worth a line.
//!
//! To add one: pick the area's file (`source_kafka`, `source_kinesis`, `webhook`, `sink`,
//! `service`), define a struct whose fields borrow what the line needs (`&str`, numbers,
//! `&dyn Display` for errors: no allocation to build it), implement [`InternalEvent`] with the
//! `tracing` macro and the counters, and call `emit(TheEvent { .. })` where it happens. A
//! `tracing` macro anywhere else in `src/` fails `tests/structure.rs`.

pub mod service;
pub mod sink;
pub mod source_kafka;
pub mod source_kinesis;
pub mod webhook;

/// Something phiscan tells its operator about: a log line and the counters that go with it.
pub trait InternalEvent {
    /// Write the log line and count it.
    fn emit(self);
}

/// Emit `event` (so call sites read `emit(KafkaPartitionsAssigned { .. })`).
#[inline]
pub fn emit(event: impl InternalEvent) {
    event.emit()
}

#[cfg(test)]
mod tests {
    /// Each `tracing` target named here is a module of this crate (the line keeps the target
    /// it had when it was written where it happens, so log filters keep selecting it).
    #[test]
    fn targets_name_modules_that_exist() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let re = regex::Regex::new(r#"const \w+: &str = "(phiscan(::\w+)+)";"#).unwrap();
        let mut targets = 0;
        for entry in std::fs::read_dir(src.join("internal_events")).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for c in re.captures_iter(&text) {
                let rel = c[1].trim_start_matches("phiscan::").replace("::", "/");
                let (file, dir) = (src.join(format!("{rel}.rs")), src.join(rel).join("mod.rs"));
                assert!(
                    file.is_file() || dir.is_file(),
                    "target {} is no module",
                    &c[1]
                );
                targets += 1;
            }
        }
        assert!(targets >= 12, "found only {targets} targets");
    }
}
