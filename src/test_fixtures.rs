//! Fixtures shared by the unit tests inside `src/` (the integration tests have `tests/support`).
//!
//! Why a module: the same scanner construction and the same few CloudEvents were written out in
//! the unit tests of the pipeline, the Kafka and Kinesis sources, the decoder and the file and
//! replay readers. One definition keeps them from drifting apart (an event that stops being a
//! valid CloudEvent in one copy would make that test pass for the wrong reason).

use std::sync::Arc;

use serde_json::{Value, json};

use crate::scan::Scanner;

/// The scanner `phiscan scan` builds with no configuration file.
pub fn default_scanner() -> Arc<Scanner> {
    Arc::new(Scanner::new(&crate::config::Config::default()).expect("default scanner builds"))
}

/// The smallest structured CloudEvent the decoders accept, as one line of JSON.
pub fn minimal_event(id: &str) -> String {
    format!(r#"{{"specversion":"1.0","type":"t","id":"{id}","data":{{}}}}"#)
}

/// A `message.sent` CloudEvent with an empty `data`: decodes, carries nothing to find.
pub fn sent_event(id: &str) -> Value {
    json!({"specversion": "1.0", "id": id, "type": "com.twilio.messaging.message.sent", "data": {}})
}

/// A `message.sent` CloudEvent from a HIPAA account whose `patient_mrn` tag holds `mrn`:
/// exactly one `phi-in-tag` violation under the default policy.
pub fn mrn_tag_event(id: &str, mrn: &str) -> Value {
    json!({
        "specversion": "1.0", "type": "com.twilio.messaging.message.sent", "id": id,
        "source": "/x", "data": {"accountSid": "AC9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
        "to": "+12125550147", "tags": {"patient_mrn": mrn}}
    })
}

#[test]
fn fixtures_decode_and_the_mrn_event_alerts() {
    let mut out = Vec::new();
    crate::event::decode::decode_bytes(minimal_event("EZ1").as_bytes(), &mut out).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(sent_event("EZ2")["id"], "EZ2");
    let event = mrn_tag_event("EZ3", "MRN-31000417");
    let source = crate::alert::SourceRef::File {
        path: "fixture".into(),
        line: 1,
        index: None,
    };
    let (mut scratch, mut stats, mut rules) = (Default::default(), Default::default(), Vec::new());
    default_scanner().scan_event(event, source, &mut scratch, &mut stats, &mut |a| {
        rules.push(a.rule)
    });
    assert_eq!(rules, ["phi-in-tag"]);
}
