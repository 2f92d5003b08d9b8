//! The webhook-sink receiver end to end: the real `phiscan run` binary, signed requests (signed
//! by PyPI `twilio`'s RequestValidator when `PHISCAN_TEST_PYTHON` is set, by our own `sign`
//! otherwise), alerts read back from the JSONL sink, counters scraped from `/metrics`, and every
//! output of the service searched for the planted raw values.
//!
//! ```sh
//! scripts/services.sh install python; eval "$(scripts/services.sh env)"
//! cargo test --test webhook -- --nocapture
//! cargo test --release --test webhook -- --ignored --nocapture webhook_throughput
//! ```

mod support;

use std::time::{Duration, Instant};

use phiscan::source::webhook::signature;
use serde_json::{Value, json};
use support::metrics::metric_sum;
use support::planted::{assert_no_leak, planted_mrn};
use support::tls::self_signed;
use support::webhook::*;
use support::{free_port, random_u64};

fn alerts_for(svc: &Service, id: &str) -> Vec<Value> {
    svc.alerts()
        .into_iter()
        .filter(|a| a["event"]["id"] == id)
        .collect()
}

/// Checks every output of the service for the planted values (and the Auth Token).
fn assert_outputs_clean(svc: &Service, replies: &[&Reply], planted: &[&str]) {
    let mut all: Vec<&str> = planted.to_vec();
    all.push(TOKEN);
    for r in replies {
        assert_no_leak("a response body", &r.body, &all);
        for (k, v) in &r.headers {
            assert_no_leak(
                &format!("response header {k}"),
                v.to_str().unwrap_or(""),
                &all,
            );
        }
    }
    assert_no_leak("the log (stderr)", &svc.stderr(), &all);
    assert_no_leak("/metrics", &svc.metrics_text(), &all);
    assert_no_leak("the alerts", &svc.alerts_text(), &all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_phi_events_are_alerted_before_the_200() {
    let mut svc = Service::start(Options::default());
    let client = client();
    if python().is_none() {
        println!(
            "PHISCAN_TEST_PYTHON is not set: requests are signed with phiscan's own signature::sign"
        );
    }

    // an array (what the webhook sink sends), with a clean event beside the PHI one
    let (id1, mrn1) = (event_id(), planted_mrn());
    let body =
        serde_json::to_vec(&json!([phi_event(&id1, &mrn1), clean_event(&event_id())])).unwrap();
    let r1 = post_signed(&client, &svc, PUBLIC_URL, body).await;
    assert_eq!(r1.status, 200, "{}", r1.body);
    // the 200 means delivered: the alert is already in the file
    let a = alerts_for(&svc, &id1);
    assert_eq!(
        a.len(),
        1,
        "one alert for the PHI event, written before the 200"
    );
    assert_eq!(a[0]["rule"], "phi-in-tag");
    assert_eq!(a[0]["source"]["kind"], "webhook");
    assert!(
        a[0]["source"]["request_id"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );

    // a single object
    let (id2, mrn2) = (event_id(), planted_mrn());
    let body = serde_json::to_vec(&phi_event(&id2, &mrn2)).unwrap();
    let r2 = post_signed(&client, &svc, PUBLIC_URL, body).await;
    assert_eq!(r2.status, 200, "{}", r2.body);
    assert_eq!(alerts_for(&svc, &id2).len(), 1);
    assert_eq!(svc.alerts().len(), 2, "the clean event gives no alert");

    let m = svc.metrics_text();
    assert_eq!(
        metric_sum(
            &m,
            "phiscan_events_total",
            &[("source", "webhook"), ("family", "messaging")]
        ),
        3.0
    );
    assert!(metric_sum(&m, "phiscan_bytes_total", &[("source", "webhook")]) > 1000.0);
    assert_eq!(metric_sum(&m, "phiscan_webhook_rejected_total", &[]), 0.0);
    assert_outputs_clean(&svc, &[&r1, &r2], &[&mrn1, &mrn2]);
    assert!(
        svc.stop().success(),
        "clean exit on SIGTERM:\n{}",
        svc.stderr()
    );
}

/// Twilio discards a batch answered with any 4xx but 429. Before: one malformed item made the
/// whole signed batch a 400, and the good events in it were never scanned. Now the good items
/// are scanned and alerted, the bad one is dead-lettered, and the 200 comes after both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_item_does_not_cost_the_good_items_of_a_signed_batch() {
    let dl_dir = tempfile::tempdir().unwrap();
    let dl_path = dl_dir.path().join("dead.jsonl");
    let mut svc = Service::start(Options {
        extra_config: format!("\n[sinks.dead_letter]\npath = \"{}\"\n", dl_path.display()),
        ..Options::default()
    });
    let client = client();
    let (id1, mrn1) = (event_id(), planted_mrn());
    let (id2, mrn2) = (event_id(), planted_mrn());
    let bad_mrn = planted_mrn();
    let body = serde_json::to_vec(&json!([
        phi_event(&id1, &mrn1),
        {"hello": bad_mrn},
        phi_event(&id2, &mrn2),
    ]))
    .unwrap();
    let r = post_signed(&client, &svc, PUBLIC_URL, body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        alerts_for(&svc, &id1).len(),
        1,
        "the first good item is alerted"
    );
    assert_eq!(
        alerts_for(&svc, &id2).len(),
        1,
        "the item after the bad one too"
    );
    // durable before the 200: the bad item is already in the dead-letter file
    let lines: Vec<Value> = std::fs::read_to_string(&dl_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["kind"], "record");
    assert_eq!(lines[0]["source"]["kind"], "webhook");
    assert!(lines[0]["raw"].as_str().unwrap().contains(&bad_mrn));
    let error = lines[0]["error"].as_str().unwrap();
    assert!(error.contains("batch item 1"), "{error}");
    assert_no_leak("the dead-letter error", error, &[&bad_mrn]);

    // a signed body that is not JSON at all is kept too (and answered 2xx, so Twilio does not
    // count it as discarded while nothing kept it)
    let garbage = format!("[{{\"tags\": \"{bad_mrn}\"").into_bytes();
    let r2 = post_signed(&client, &svc, PUBLIC_URL, garbage).await;
    assert_eq!(r2.status, 200, "{}", r2.body);
    assert_eq!(
        std::fs::read_to_string(&dl_path).unwrap().lines().count(),
        2
    );
    let m = svc.metrics_text();
    assert_eq!(
        metric_sum(
            &m,
            "phiscan_webhook_rejected_total",
            &[("reason", "malformed_item")]
        ),
        2.0,
        "{m}"
    );
    assert_outputs_clean(&svc, &[&r, &r2], &[&mrn1, &mrn2, &bad_mrn]);
    assert!(svc.stop().success(), "{}", svc.stderr());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_rejected_and_counted() {
    let mut svc = Service::start(Options {
        max_body_bytes: 4096,
        ..Options::default()
    });
    let client = client();
    let mrn = planted_mrn();
    let body = serde_json::to_vec(&json!([phi_event(&event_id(), &mrn)])).unwrap();
    let url = signed_url(PUBLIC_URL, &body);
    let pq = path_and_query(&url).to_string();
    let other_host = signed_url("https://attacker.example.net/twilio/events", &body);
    let other_path = signed_url("https://events.example.com/twilio/other", &body);
    let other_query = signed_url("https://events.example.com/twilio/events?tenant=2", &body);
    let altered = String::from_utf8(body.clone())
        .unwrap()
        .replace("SENT", "SENX")
        .into_bytes();
    let altered_url = signed_url(PUBLIC_URL, &altered);
    let malformed =
        format!("[{{\"id\": \"EZ1\", \"data\": {{\"tags\": {{\"mrn\": \"{mrn}\"").into_bytes();
    let malformed_url = signed_url(PUBLIC_URL, &malformed);
    let not_event = format!("{{\"hello\": \"{mrn}\"}}").into_bytes();
    let not_event_url = signed_url(PUBLIC_URL, &not_event);
    let big = serde_json::to_vec(&json!([phi_event(
        &event_id(),
        &format!("{mrn} {}", "x".repeat(5000))
    )]))
    .unwrap();
    let big_url = signed_url(PUBLIC_URL, &big);
    let sigs = sign_all(&[
        (TOKEN, &url),
        ("another-token", &url),
        (TOKEN, &other_host),
        (TOKEN, &other_path),
        (TOKEN, &other_query),
        (TOKEN, &malformed_url),
        (TOKEN, &not_event_url),
        (TOKEN, &big_url),
        (TOKEN, &altered_url),
    ]);
    let [
        good,
        wrong_token,
        sig_host,
        sig_path,
        sig_query,
        sig_malformed,
        sig_not_event,
        sig_big,
        sig_altered,
    ] = sigs.try_into().unwrap();
    let mut replies = Vec::new();
    let mut expect =
        async |what: &str, url: String, body: &[u8], sig: Option<&str>, status: u16| {
            let r = post(&client, &url, body.to_vec(), sig, &[]).await;
            assert_eq!(r.status, status, "{what}: {}", r.body);
            replies.push(r);
        };
    expect("unsigned", svc.url(&pq), &body, None, 403).await;
    expect("empty signature", svc.url(&pq), &body, Some(""), 403).await;
    expect(
        "garbage signature",
        svc.url(&pq),
        &body,
        Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        403,
    )
    .await;
    expect("wrong token", svc.url(&pq), &body, Some(&wrong_token), 403).await;
    expect(
        "altered body, original signature",
        svc.url(&pq),
        &altered,
        Some(&good),
        403,
    )
    .await;
    expect(
        "body altered and its hash recomputed, original signature",
        svc.url(path_and_query(&altered_url)),
        &altered,
        Some(&good),
        403,
    )
    .await;
    let _ = sig_altered; // a correctly re-signed altered body is just a valid request
    expect(
        "signed for another host",
        svc.url(&pq),
        &body,
        Some(&sig_host),
        403,
    )
    .await;
    expect(
        "signed for another path, replayed here",
        svc.url(&pq),
        &body,
        Some(&sig_path),
        403,
    )
    .await;
    expect(
        "signed for another query, replayed without it",
        svc.url(&pq),
        &body,
        Some(&sig_query),
        403,
    )
    .await;
    expect(
        "valid request with a query added",
        svc.url(&format!("{pq}&tenant=2")),
        &body,
        Some(&good),
        403,
    )
    .await;
    expect(
        "bodySHA256 stripped",
        svc.url(PATH),
        &body,
        Some(&good),
        403,
    )
    .await;
    expect(
        "valid request sent to another path",
        svc.url(&pq.replace("/events", "/other")),
        &body,
        Some(&good),
        404,
    )
    .await;
    expect(
        "over the size limit (signed)",
        svc.url(path_and_query(&big_url)),
        &big,
        Some(&sig_big),
        413,
    )
    .await;
    expect(
        "malformed JSON (signed)",
        svc.url(path_and_query(&malformed_url)),
        &malformed,
        Some(&sig_malformed),
        400,
    )
    .await;
    expect(
        "JSON that is not an event (signed)",
        svc.url(path_and_query(&not_event_url)),
        &not_event,
        Some(&sig_not_event),
        400,
    )
    .await;
    // a chunked body (no Content-Length) is cut off as soon as it passes the limit
    let chunked = chunked_post(&svc, &pq, &good, &big).await;
    assert!(
        chunked.starts_with("HTTP/1.1 413"),
        "chunked oversized body: {chunked}"
    );
    assert_no_leak("a response", &chunked, &[&mrn]);
    let get = client.get(svc.url(&pq)).send().await.unwrap();
    assert_eq!(get.status().as_u16(), 405, "GET on the path");

    assert!(svc.alerts().is_empty(), "nothing rejected was scanned");
    let m = svc.metrics_text();
    let rejected = |reason| metric_sum(&m, "phiscan_webhook_rejected_total", &[("reason", reason)]);
    assert_eq!(rejected("missing_signature"), 2.0, "{m}");
    assert_eq!(rejected("bad_signature"), 8.0, "{m}");
    assert_eq!(rejected("body_hash_mismatch"), 1.0, "{m}");
    assert_eq!(rejected("too_large"), 2.0, "{m}");
    assert_eq!(rejected("malformed"), 2.0, "{m}");
    assert_eq!(
        metric_sum(&m, "phiscan_events_total", &[("source", "webhook")]),
        0.0
    );

    // the original, untouched request is still accepted afterwards
    let r = post(&client, &svc.url(&pq), body.clone(), Some(&good), &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(svc.alerts().len(), 1);
    replies.push(r);

    let refs: Vec<&Reply> = replies.iter().collect();
    assert_outputs_clean(&svc, &refs, &[&mrn]);
    let log = svc.stderr();
    for reason in [
        "bad_signature",
        "missing_signature",
        "body_hash_mismatch",
        "too_large",
        "malformed",
    ] {
        assert!(
            log.contains(reason),
            "the log names the rejection reason {reason}"
        );
    }
    assert!(svc.stop().success());
}

/// Resident memory of a process, in bytes (Linux).
fn rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Reads from `conn` until it closes or `wait` passes: the bytes read, and whether it closed.
async fn read_for(conn: &mut tokio::net::TcpStream, wait: Duration) -> (String, bool) {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, conn.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), false),
        }
    }
}

/// Before: the body was read (for up to 10 s) before the signature was checked, a client could
/// hold a connection open forever by never finishing its headers, and nothing bounded how many
/// requests were handled at once. Now 600 hostile connections at once (slow heads, unsigned and
/// forged uploads that never send their bodies) are turned away fast, memory stays bounded, and
/// a signed request is served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_and_unsigned_uploads_do_not_starve_signed_requests() {
    use tokio::io::AsyncWriteExt;
    let mut svc = Service::start(Options {
        log: "info",
        ..Options::default()
    });
    let pid = svc.child.as_ref().unwrap().id();
    let addr = svc.webhook.trim_start_matches("http://").to_string();
    let before = rss(pid);
    let head = |sig: Option<&str>| {
        let sig = sig.map_or(String::new(), |s| format!("X-Twilio-Signature: {s}\r\n"));
        format!(
            "POST {PATH}?bodySHA256={} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n{sig}\r\n",
            "0".repeat(64)
        )
    };
    const EACH: usize = 200;
    let started = Instant::now();
    let mut slow_heads = Vec::new();
    let mut uploads = Vec::new();
    for i in 0..EACH * 3 {
        let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
        match i % 3 {
            0 => {
                c.write_all(format!("POST {PATH} HTTP/1.1\r\nHost: {addr}\r\n").as_bytes())
                    .await
                    .unwrap();
                slow_heads.push(c);
            }
            1 => {
                c.write_all(head(None).as_bytes()).await.unwrap();
                uploads.push(c);
            }
            _ => {
                c.write_all(head(Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA=")).as_bytes())
                    .await
                    .unwrap();
                uploads.push(c);
            }
        }
    }
    // a signed request is served while all of them hang on
    let client = client();
    let (id, mrn) = (event_id(), planted_mrn());
    let body = serde_json::to_vec(&json!([phi_event(&id, &mrn)])).unwrap();
    let t = Instant::now();
    let r = post_signed(&client, &svc, PUBLIC_URL, body).await;
    let served = t.elapsed();
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        served < Duration::from_secs(3),
        "signed request took {served:?}"
    );
    assert_eq!(alerts_for(&svc, &id).len(), 1);

    // uploads without a valid signature are refused without their bodies being waited for
    let mut refused = 0;
    for c in &mut uploads {
        let (text, _) = read_for(c, Duration::from_secs(3)).await;
        // 403, or 503 if it came while the concurrency limit was reached: refused either way
        refused += (text.starts_with("HTTP/1.1 403") || text.starts_with("HTTP/1.1 503")) as usize;
    }
    assert_eq!(
        refused,
        uploads.len(),
        "every unsigned or forged upload refused at once"
    );
    let during = rss(pid);
    // slow heads are cut off once the header timeout passes
    let mut closed = 0;
    for c in &mut slow_heads {
        let wait = Duration::from_secs(12).saturating_sub(started.elapsed());
        closed += read_for(c, wait).await.1 as usize;
    }
    assert_eq!(
        closed,
        slow_heads.len(),
        "slow-loris connections are closed"
    );
    println!(
        "{} hostile connections: RSS {} MiB before, {} MiB during; signed request served in {:?}",
        EACH * 3,
        before >> 20,
        during >> 20,
        served
    );
    assert!(
        during < before + (64 << 20),
        "RSS grew from {} to {} MiB",
        before >> 20,
        during >> 20
    );
    assert_outputs_clean(&svc, &[&r], &[&mrn]);
    assert!(svc.stop().success(), "{}", svc.stderr());
}

/// POSTs `body` with `Transfer-Encoding: chunked` over a raw connection; returns the response.
async fn chunked_post(svc: &Service, path_and_query: &str, sig: &str, body: &[u8]) -> String {
    use std::io::{Read, Write};
    let addr = svc.webhook.trim_start_matches("http://").to_string();
    let (pq, sig, body) = (path_and_query.to_string(), sig.to_string(), body.to_vec());
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let head = format!(
            "POST {pq} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nX-Twilio-Signature: {sig}\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        s.write_all(head.as_bytes()).unwrap();
        // in 1 KB chunks; the server may answer and close before the last one
        for chunk in body.chunks(1024) {
            if s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).is_err()
                || s.write_all(chunk).is_err()
                || s.write_all(b"\r\n").is_err()
            {
                break;
            }
        }
        let _ = s.write_all(b"0\r\n\r\n");
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_is_checked_before_anything_else() {
    let svc = Service::start(Options {
        basic_auth: Some(("twilio".into(), "s3cret-pass".into())),
        ..Options::default()
    });
    let client = client();
    let (id, mrn) = (event_id(), planted_mrn());
    let body = serde_json::to_vec(&json!([phi_event(&id, &mrn)])).unwrap();
    let url = signed_url(PUBLIC_URL, &body);
    let sig = sign_one(TOKEN, &url);
    let target = svc.url(path_and_query(&url));
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let wrong = format!("Basic {}", b64("twilio:wrong"));
    let right = format!("Basic {}", b64("twilio:s3cret-pass"));

    let none = post(&client, &target, body.clone(), Some(&sig), &[]).await;
    assert_eq!(none.status, 401);
    let challenge = none
        .headers
        .get("www-authenticate")
        .expect("WWW-Authenticate on 401")
        .to_str()
        .unwrap();
    assert!(challenge.starts_with("Basic "), "{challenge}");
    let bad = post(
        &client,
        &target,
        body.clone(),
        Some(&sig),
        &[("authorization", &wrong)],
    )
    .await;
    assert_eq!(bad.status, 401);
    // auth comes first: a wrong password is 401 even when the signature is missing too
    let bad_unsigned = post(
        &client,
        &target,
        body.clone(),
        None,
        &[("authorization", &wrong)],
    )
    .await;
    assert_eq!(bad_unsigned.status, 401);
    // right credentials, no signature: still 403
    let unsigned = post(
        &client,
        &target,
        body.clone(),
        None,
        &[("authorization", &right)],
    )
    .await;
    assert_eq!(unsigned.status, 403);
    let ok = post(
        &client,
        &target,
        body.clone(),
        Some(&sig),
        &[("authorization", &right)],
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(alerts_for(&svc, &id).len(), 1);
    // Twilio may sign the destination URL with its user:pass@ userinfo: accepted too
    let (id2, mrn2) = (event_id(), planted_mrn());
    let body2 = serde_json::to_vec(&json!([phi_event(&id2, &mrn2)])).unwrap();
    let with_userinfo = signed_url(
        "https://twilio:s3cret-pass@events.example.com/twilio/events",
        &body2,
    );
    let sig2 = sign_one(TOKEN, &with_userinfo);
    let ok2 = post(
        &client,
        &svc.url(path_and_query(&with_userinfo)),
        body2,
        Some(&sig2),
        &[("authorization", &right)],
    )
    .await;
    assert_eq!(ok2.status, 200, "{}", ok2.body);
    assert_eq!(alerts_for(&svc, &id2).len(), 1);

    let m = svc.metrics_text();
    assert_eq!(
        metric_sum(
            &m,
            "phiscan_webhook_rejected_total",
            &[("reason", "unauthorized")]
        ),
        3.0
    );
    assert_eq!(
        metric_sum(
            &m,
            "phiscan_webhook_rejected_total",
            &[("reason", "missing_signature")]
        ),
        1.0
    );
    assert_outputs_clean(
        &svc,
        &[&none, &bad, &bad_unsigned, &unsigned, &ok, &ok2],
        &[&mrn, &mrn2, "s3cret-pass"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sink_test_event_is_accepted_without_an_alert() {
    let svc = Service::start(Options::default());
    let client = client();
    let body = serde_json::to_vec(&json!([test_event()])).unwrap();
    let r = post_signed(&client, &svc, PUBLIC_URL, body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // every test event carries the Account SID as its id: a second one is not a duplicate
    let r2 = post_signed(&client, &svc, PUBLIC_URL, body).await;
    assert_eq!(r2.status, 200, "{}", r2.body);
    assert!(svc.alerts().is_empty(), "no alert for the sink test event");
    let m = svc.metrics_text();
    assert_eq!(
        metric_sum(
            &m,
            "phiscan_events_total",
            &[("source", "webhook"), ("family", "eventstreams")]
        ),
        2.0,
        "{m}"
    );
    assert_eq!(
        metric_sum(&m, "phiscan_webhook_duplicate_events_total", &[]),
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivered_events_alert_once() {
    let mut svc = Service::start(Options::default());
    let client = client();
    let (id, mrn) = (event_id(), planted_mrn());
    let body = serde_json::to_vec(&json!([phi_event(&id, &mrn)])).unwrap();
    let r1 = post_signed(&client, &svc, PUBLIC_URL, body.clone()).await;
    assert_eq!(r1.status, 200, "{}", r1.body);
    // Twilio redelivers the same request: 200 (or Twilio retries again), no second alert
    let r2 = post_signed(&client, &svc, PUBLIC_URL, body).await;
    assert_eq!(r2.status, 200, "{}", r2.body);
    // a batch mixing the old event with a new one: only the new one is scanned
    let (id3, mrn3) = (event_id(), planted_mrn());
    let body3 = serde_json::to_vec(&json!([phi_event(&id, &mrn), phi_event(&id3, &mrn3)])).unwrap();
    let r3 = post_signed(&client, &svc, PUBLIC_URL, body3).await;
    assert_eq!(r3.status, 200, "{}", r3.body);
    // the same id twice inside one batch
    let (id4, mrn4) = (event_id(), planted_mrn());
    let body4 =
        serde_json::to_vec(&json!([phi_event(&id4, &mrn4), phi_event(&id4, &mrn4)])).unwrap();
    let r4 = post_signed(&client, &svc, PUBLIC_URL, body4).await;
    assert_eq!(r4.status, 200, "{}", r4.body);

    assert_eq!(
        alerts_for(&svc, &id).len(),
        1,
        "one alert for the redelivered event"
    );
    assert_eq!(alerts_for(&svc, &id3).len(), 1);
    assert_eq!(alerts_for(&svc, &id4).len(), 1);
    let m = svc.metrics_text();
    assert_eq!(
        metric_sum(&m, "phiscan_webhook_duplicate_events_total", &[]),
        3.0,
        "{m}"
    );
    assert_eq!(
        metric_sum(&m, "phiscan_events_total", &[("source", "webhook")]),
        3.0,
        "{m}"
    );
    assert_outputs_clean(&svc, &[&r1, &r2, &r3, &r4], &[&mrn, &mrn3, &mrn4]);
    assert!(svc.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedupe_window_is_bounded() {
    let svc = Service::start(Options {
        dedupe_window: 2,
        ..Options::default()
    });
    let client = client();
    let ids: Vec<String> = (0..3).map(|_| event_id()).collect();
    let mrn = planted_mrn();
    for id in &ids {
        let body = serde_json::to_vec(&json!([phi_event(id, &mrn)])).unwrap();
        assert_eq!(
            post_signed(&client, &svc, PUBLIC_URL, body).await.status,
            200
        );
    }
    // the first id fell out of a two-id window: its redelivery is scanned again (at-least-once)
    let body = serde_json::to_vec(&json!([phi_event(&ids[0], &mrn)])).unwrap();
    assert_eq!(
        post_signed(&client, &svc, PUBLIC_URL, body).await.status,
        200
    );
    // the last one is still remembered
    let body = serde_json::to_vec(&json!([phi_event(&ids[2], &mrn)])).unwrap();
    assert_eq!(
        post_signed(&client, &svc, PUBLIC_URL, body).await.status,
        200
    );
    assert_eq!(alerts_for(&svc, &ids[0]).len(), 2);
    assert_eq!(alerts_for(&svc, &ids[2]).len(), 1);
    assert_eq!(
        metric_sum(
            &svc.metrics_text(),
            "phiscan_webhook_duplicate_events_total",
            &[]
        ),
        1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_requests_finish_on_sigterm() {
    use std::io::{Read, Write};
    let mut svc = Service::start(Options::default());
    let (id, mrn) = (event_id(), planted_mrn());
    let body = serde_json::to_vec(&json!([phi_event(&id, &mrn)])).unwrap();
    let url = signed_url(PUBLIC_URL, &body);
    let sig = sign_one(TOKEN, &url);
    let addr = svc.webhook.trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // headers and half the body: the request is in flight...
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nX-Twilio-Signature: {sig}\r\nContent-Length: {}\r\n\r\n",
        path_and_query(&url),
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body[..body.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // ...when the service is told to stop
    let pid = svc.child.as_ref().unwrap().id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(&body[body.len() / 2..]).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let out = String::from_utf8_lossy(&out);
    assert!(
        out.starts_with("HTTP/1.1 200"),
        "the in-flight request completes: {out}"
    );
    assert_eq!(
        alerts_for(&svc, &id).len(),
        1,
        "and its alert was delivered before the 200"
    );
    assert!(svc.stop().success(), "{}", svc.stderr());
    // new connections are refused once stopped
    assert!(std::net::TcpStream::connect(&addr).is_err());
}

/// A minimal HTTP endpoint for the `[sinks.http]` alert sink: answers 503 until `healthy`,
/// then 200, counting the requests it accepted.
async fn fake_alert_endpoint(
    healthy: std::sync::Arc<std::sync::atomic::AtomicBool>,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> String {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let (healthy, accepted) = (healthy.clone(), accepted.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                // read the head, then Content-Length bytes of body
                let body_len = loop {
                    let Ok(n) = conn.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        break end + 4 + len;
                    }
                };
                while buf.len() < body_len {
                    let Ok(n) = conn.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let ok = healthy.load(Ordering::SeqCst);
                if ok {
                    accepted.fetch_add(1, Ordering::SeqCst);
                }
                let status = if ok {
                    "200 OK"
                } else {
                    "503 Service Unavailable"
                };
                let _ = conn
                    .write_all(
                        format!(
                            "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        )
                        .as_bytes(),
                    )
                    .await;
            });
        }
    });
    format!("http://{addr}/alerts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undelivered_alerts_get_503_inside_twilios_timeout_and_the_retry_is_deduplicated() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let healthy = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicUsize::new(0));
    let endpoint = fake_alert_endpoint(healthy.clone(), accepted.clone()).await;
    let svc = Service::start(Options {
        extra_config: format!(
            "\n[sinks.http]\nurl = \"{endpoint}\"\nmax_retries = 0\ntimeout_ms = 1000\n"
        ),
        ..Options::default()
    });
    let client = client();
    let (id, mrn) = (event_id(), planted_mrn());
    let body = serde_json::to_vec(&json!([phi_event(&id, &mrn)])).unwrap();
    let started = Instant::now();
    let r = post_signed(&client, &svc, PUBLIC_URL, body.clone()).await;
    let took = started.elapsed();
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        took < Duration::from_millis(4800),
        "answered inside Twilio's 5 s ({took:?})"
    );
    assert!(
        took >= Duration::from_millis(3500),
        "waited for delivery first ({took:?})"
    );
    // the sink recovers; the pending batch goes out
    healthy.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(30);
    while accepted.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the alert reached the recovered sink"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Twilio's retry of the same request: delivered already, so 200 and no second alert
    tokio::time::sleep(Duration::from_millis(200)).await;
    let retry = post_signed(&client, &svc, PUBLIC_URL, body).await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    let m = svc.metrics_text();
    assert_eq!(
        metric_sum(&m, "phiscan_webhook_duplicate_events_total", &[]),
        1.0,
        "{m}"
    );
    assert_eq!(
        metric_sum(
            &m,
            "phiscan_webhook_rejected_total",
            &[("reason", "timeout")]
        ),
        1.0,
        "{m}"
    );
    assert_outputs_clean(&svc, &[&r, &retry], &[&mrn]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_listener_accepts_signed_posts() {
    let dir = tempfile::tempdir().unwrap();
    let Some((cert, key)) = self_signed(dir.path()) else {
        return;
    };
    let pem = std::fs::read(&cert).unwrap();
    let mut svc = Service::start_in(
        dir,
        Options {
            tls: Some((cert.clone(), key.clone())),
            plain_http_behind_proxy: false,
            ..Options::default()
        },
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .https_only(true)
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let (id, mrn) = (event_id(), planted_mrn());
    let body = serde_json::to_vec(&json!([phi_event(&id, &mrn)])).unwrap();
    let r = post_signed(&client, &svc, PUBLIC_URL, body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(alerts_for(&svc, &id).len(), 1);
    let unsigned = post(&client, &svc.url(PATH), body, None, &[]).await;
    assert_eq!(unsigned.status, 403);
    // plain HTTP to the TLS port gets nowhere
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let plain_url = svc.url(PATH).replace("https://", "http://");
    assert!(
        plain
            .post(&plain_url)
            .body("[]")
            .send()
            .await
            .map_or(true, |r| !r.status().is_success())
    );
    // an untrusting client fails the handshake
    let untrusting = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    assert!(
        untrusting
            .post(svc.url(PATH))
            .body("[]")
            .send()
            .await
            .is_err()
    );
    assert_outputs_clean(&svc, &[&r, &unsigned], &[&mrn]);
    assert!(svc.stop().success());
}

#[test]
fn startup_refuses_unsafe_configurations() {
    let check = |o: Options, expect: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), &o, free_port(), free_port());
        let stderr = dir.path().join("stderr.log");
        let mut child = command(&config, &o, &stderr).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("phiscan kept running with an unsafe configuration");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let text = std::fs::read_to_string(&stderr).unwrap();
        assert!(!status.success(), "{text}");
        for e in expect {
            assert!(text.contains(e), "the error names {e}: {text}");
        }
    };
    // neither TLS nor an explicit statement that a proxy terminates it
    check(
        Options {
            plain_http_behind_proxy: false,
            ..Options::default()
        },
        &["tls_cert", "tls_key", "plain_http_behind_proxy"],
    );
    // signatures are mandatory
    check(
        Options {
            auth_token: None,
            ..Options::default()
        },
        &["auth_token", "PHISCAN_SOURCES__WEBHOOK__AUTH_TOKEN"],
    );
    // TLS files that cannot be read: the error names them
    let dir = tempfile::tempdir().unwrap();
    check(
        Options {
            tls: Some((
                dir.path().join("missing-cert.pem"),
                dir.path().join("missing-key.pem"),
            )),
            ..Options::default()
        },
        &["missing-cert.pem"],
    );
}

/// Our `signature::sign`/`verify_json` against PyPI `twilio`'s RequestValidator on random URLs
/// and bodies (ports, userinfo, percent-encoded and non-ASCII queries, non-ASCII bodies).
#[test]
fn signatures_agree_with_the_python_oracle() {
    let Some(py) = python() else {
        println!(
            "oracle cross-check skipped: PHISCAN_TEST_PYTHON is not set (run `scripts/services.sh install python; eval \"$(scripts/services.sh env)\"`)"
        );
        return;
    };
    let hosts = [
        "events.example.com",
        "events.example.com:443",
        "events.example.com:8443",
        "u:p@events.example.com",
        "127.0.0.1:9000",
    ];
    let paths = ["/", "/twilio/events", "/a%20b/c", "/hook.php"];
    let queries = [
        "",
        "tenant=1",
        "a=1&b=It%27s+amazing",
        "x=%C3%A9t%C3%A9",
        "q=caf%C3%A9&empty=",
    ];
    let words = ["é", "日本", "\\\"", "MRN-1234", " ", "\n", "🙂", "a"];
    let mut cases = Vec::new();
    for i in 0..60 {
        let r = random_u64();
        let scheme = if r % 3 == 0 { "http" } else { "https" };
        let host = hosts[(r >> 8) as usize % hosts.len()];
        let path = paths[(r >> 16) as usize % paths.len()];
        let query = queries[(r >> 24) as usize % queries.len()];
        let text: String = (0..(r >> 32) % 40)
            .map(|j| words[((r >> (j % 24)) as usize + j as usize) % words.len()])
            .collect();
        let body =
            json!([{"id": format!("EZ{i}"), "type": "t", "data": {"body": text}}]).to_string();
        let public = if query.is_empty() {
            format!("{scheme}://{host}{path}")
        } else {
            format!("{scheme}://{host}{path}?{query}")
        };
        let url = signed_url(&public, body.as_bytes());
        let token = format!("tok{:x}", random_u64());
        cases.push((token, url, body));
    }
    let input = Value::Array(
        cases
            .iter()
            .map(|(t, u, b)| json!({"token": t, "url": u, "body": b}))
            .collect(),
    );
    let script = r#"
import json, sys
from twilio.request_validator import RequestValidator
out = []
for c in json.load(sys.stdin):
    v = RequestValidator(c["token"])
    sig = v.compute_signature(c["url"], {})
    out.append({"sig": sig,
                "valid": v.validate(c["url"], c["body"], sig),
                "altered_valid": v.validate(c["url"], c["body"] + " ", sig)})
print(json.dumps(out))
"#;
    let out = run_python(&py, script, &input);
    let out = out.as_array().unwrap();
    for ((token, url, body), o) in cases.iter().zip(out) {
        let theirs = o["sig"].as_str().unwrap();
        assert_eq!(
            signature::sign(token, url, &[]),
            theirs,
            "signature of {url}"
        );
        assert_eq!(
            o["valid"], true,
            "the oracle accepts its own request for {url}"
        );
        assert_eq!(o["altered_valid"], false);
        assert!(
            signature::verify_json(token, url, body.as_bytes(), Some(theirs)).is_ok(),
            "{url}"
        );
        assert!(
            signature::verify_json(token, url, format!("{body} ").as_bytes(), Some(theirs))
                .is_err()
        );
    }
    // the port quirk both ways: signed with :443, verified on the portless URL, and vice versa
    let body = br#"{"property": "value", "boolean": true}"#;
    let with_port = signed_url("https://mycompany.com:443/myapp.php?foo=1&bar=2", body);
    let without = signed_url("https://mycompany.com/myapp.php?foo=1&bar=2", body);
    let sigs = sign_all(&[("12345", &with_port), ("12345", &without)]);
    assert!(signature::verify_json("12345", &without, body, Some(&sigs[0])).is_ok());
    assert!(signature::verify_json("12345", &with_port, body, Some(&sigs[1])).is_ok());
    assert_eq!(
        sigs[1], "a9nBmqA0ju/hNViExpshrM61xv4=",
        "the official vector"
    );
    println!(
        "oracle cross-check: {} random URL/body pairs agree with twilio's RequestValidator",
        cases.len()
    );
}

/// Requests/s with N concurrent clients, ~10 s in all. Run it by hand:
/// `cargo test --release --test webhook -- --ignored --nocapture webhook_throughput`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn webhook_throughput() {
    let mut svc = Service::start(Options {
        log: "warn",
        dedupe_window: 100_000,
        ..Options::default()
    });
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let levels = [1usize, 4, 16, 64];
    let per_level = Duration::from_millis(2500);
    println!(
        "\nwebhook throughput ({} cores; one ~1 KB PHI event per request, signed, alerts to JSONL)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:>8} {:>9} {:>10} {:>9} {:>9} {:>9} {:>7}",
        "clients", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "non-200"
    );
    for clients in levels {
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..clients {
            let (client, url) = (client.clone(), svc.url(""));
            tasks.spawn(async move {
                let mut lat = Vec::new();
                let mut errors = 0usize;
                // bounded: at most 100k requests per client even on a very fast machine
                for _ in 0..100_000 {
                    if started.elapsed() >= per_level {
                        break;
                    }
                    let body = serde_json::to_vec(&json!([phi_event(&event_id(), "MRN-20417736")]))
                        .unwrap();
                    let signed = signed_url(PUBLIC_URL, &body);
                    let sig = signature::sign(TOKEN, &signed, &[]);
                    let t = Instant::now();
                    let r = client
                        .post(format!("{url}{}", path_and_query(&signed)))
                        .header("content-type", "application/json")
                        .header("X-Twilio-Signature", sig)
                        .body(body)
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().as_u16() == 200 => {
                            let _ = r.bytes().await;
                        }
                        _ => errors += 1,
                    }
                    lat.push(t.elapsed());
                }
                (lat, errors)
            });
        }
        let mut lat = Vec::new();
        let mut errors = 0;
        while let Some(r) = tasks.join_next().await {
            let (l, e) = r.unwrap();
            lat.extend(l);
            errors += e;
        }
        let secs = started.elapsed().as_secs_f64();
        lat.sort();
        let pct = |p: f64| {
            lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "{clients:>8} {:>9} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {errors:>7}",
            lat.len(),
            lat.len() as f64 / secs,
            pct(0.5),
            pct(0.99),
            lat.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        );
    }
    let m = svc.metrics_text();
    println!(
        "events scanned: {}, alerts written: {}",
        metric_sum(&m, "phiscan_events_total", &[("source", "webhook")]),
        svc.alerts_text().lines().count()
    );
    assert!(svc.stop().success());
}
