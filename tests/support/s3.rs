//! moto's S3 (from `scripts/services.sh`): a client and object uploads for the replay tests.

/// An S3 client for moto (`endpoint`, path-style, test credentials) and a runtime to drive it.
pub fn s3_client(endpoint: &str) -> (tokio::runtime::Runtime, aws_sdk_s3::Client) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    (rt, aws_sdk_s3::Client::from_conf(conf))
}

/// Put one object (with a `Content-Encoding` when `encoding` is set); panics naming the key.
pub fn put_object(
    rt: &tokio::runtime::Runtime,
    c: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    encoding: Option<&str>,
) {
    rt.block_on(
        c.put_object()
            .bucket(bucket)
            .key(key)
            .set_content_encoding(encoding.map(str::to_string))
            .body(body.into())
            .send(),
    )
    .unwrap_or_else(|e| panic!("put {key}: {}", aws_sdk_s3::error::DisplayErrorContext(&e)));
}
