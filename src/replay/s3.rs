//! S3 archives: list a prefix, stream each object into the same record reader as local files.
//!
//! The SDK is async; replay workers are plain threads (scanning is CPU work). One small tokio
//! runtime runs the requests, and each object's body is handed to its worker chunk by chunk
//! through a bounded channel, so an object of any size is scanned while it downloads, in
//! constant memory. Credentials, region and endpoint come from the standard AWS chain
//! (environment, profile, web identity, container and instance metadata); `--s3-endpoint` and
//! `--s3-path-style` point it at a VPC endpoint or an S3-compatible store.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, anyhow, bail};
use aws_sdk_s3::Client;
use bytes::Bytes;

/// How to reach S3.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// Endpoint URL instead of AWS's (a VPC endpoint, moto, MinIO).
    pub endpoint: Option<String>,
    /// `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`.
    pub path_style: bool,
    /// Region; else the AWS chain's, else us-east-1.
    pub region: Option<String>,
}

/// An object under a listed prefix.
#[derive(Debug, Clone)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
}

pub struct S3 {
    client: Client,
    rt: tokio::runtime::Runtime,
}

impl S3 {
    pub fn connect(opts: &S3Options) -> Result<S3> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("phiscan-s3")
            .enable_all()
            .build()
            .context("starting the S3 client runtime")?;
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let client = rt.block_on(async {
            // the option, else the environment, else us-east-1 (the SDK's default region chain
            // builds its own HTTP client for instance metadata, which this build does not have)
            let region = opts
                .region
                .clone()
                .or_else(|| std::env::var("AWS_REGION").ok())
                .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
                .unwrap_or_else(|| "us-east-1".to_string());
            let region = aws_sdk_s3::config::Region::new(region);
            let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .http_client(http)
                .region(region);
            if let Some(url) = &opts.endpoint {
                loader = loader.endpoint_url(url);
            }
            let shared = loader.load().await;
            let conf = aws_sdk_s3::config::Builder::from(&shared)
                .force_path_style(opts.path_style)
                .build();
            Client::from_conf(conf)
        });
        Ok(S3 { client, rt })
    }

    /// Every object under `prefix`, in key order (ListObjectsV2, all pages).
    pub fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>> {
        self.rt.block_on(async {
            let mut out = Vec::new();
            let mut pages = self
                .client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| {
                    anyhow!(
                        "listing s3://{bucket}/{prefix}: {} (check the bucket name, credentials, region, and --s3-endpoint/--s3-path-style for S3-compatible stores)",
                        crate::aws::describe(&e)
                    )
                })?;
                for o in page.contents() {
                    let Some(key) = o.key() else { continue };
                    if key.ends_with('/') {
                        continue; // a "folder" marker
                    }
                    out.push(ObjectInfo {
                        key: key.to_string(),
                        size: o.size().unwrap_or(0).max(0) as u64,
                    });
                }
            }
            out.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(out)
        })
    }

    /// Stream one object, decompressed by its key's suffix, its Content-Encoding or its magic
    /// bytes. `count` grows by the bytes downloaded.
    pub fn open(
        &self,
        bucket: &str,
        key: &str,
        count: Arc<AtomicU64>,
    ) -> Result<Box<dyn BufRead + Send>> {
        let out = self
            .rt
            .block_on(self.client.get_object().bucket(bucket).key(key).send())
            .map_err(|e| {
                anyhow!(
                    "reading s3://{bucket}/{key}: {}",
                    crate::aws::describe(&e)
                )
            })?;
        let encoding = out.content_encoding().unwrap_or("").to_ascii_lowercase();
        let mut body = out.body;
        let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(8);
        self.rt.spawn(async move {
            loop {
                let item = match body.next().await {
                    None => return,
                    Some(Ok(chunk)) => Ok(chunk),
                    Some(Err(e)) => Err(io::Error::other(format!("download interrupted: {e}"))),
                };
                let failed = item.is_err();
                if tx.send(item).await.is_err() || failed {
                    return;
                }
            }
        });
        let reader = ChunkReader {
            rx,
            chunk: Bytes::new(),
            count,
        };
        decompress(Box::new(reader), &key.to_ascii_lowercase(), &encoding)
    }
}

/// Wrap `raw` in a decoder chosen by name suffix, Content-Encoding or magic bytes.
pub fn decompress(
    raw: Box<dyn Read + Send>,
    name: &str,
    encoding: &str,
) -> Result<Box<dyn BufRead + Send>> {
    let mut buffered = BufReader::with_capacity(1 << 16, raw);
    let magic = buffered
        .fill_buf()
        .context("reading the first bytes")?
        .get(..4)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let gz = name.ends_with(".gz") || encoding.contains("gzip") || magic.starts_with(&[0x1f, 0x8b]);
    let zst = name.ends_with(".zst")
        || encoding.contains("zstd")
        || magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
    Ok(if gz && magic.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(buffered)))
    } else if zst && magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(BufReader::new(zstd::Decoder::with_buffer(buffered)?))
    } else if gz || zst {
        // named or labelled compressed, but the bytes are not: some clients decompress
        // transparently on Content-Encoding; read what is there rather than fail
        if !magic.is_empty()
            && (magic[0] == b'{' || magic[0] == b'[' || magic[0].is_ascii_whitespace())
        {
            Box::new(buffered)
        } else {
            bail!("named or labelled as compressed, but the content is neither gzip nor zstd");
        }
    } else {
        Box::new(buffered)
    })
}

/// A blocking `Read` over the chunks the download task sends.
struct ChunkReader {
    rx: tokio::sync::mpsc::Receiver<io::Result<Bytes>>,
    chunk: Bytes,
    count: Arc<AtomicU64>,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(chunk)) => {
                    self.count.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    self.chunk = chunk;
                }
                Some(Err(e)) => return Err(e),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

/// `s3://bucket/prefix` → (bucket, prefix).
pub fn parse_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket.to_string(), prefix.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_decoders() {
        assert_eq!(parse_url("s3://b/p/q"), Some(("b".into(), "p/q".into())));
        assert_eq!(parse_url("s3://b"), Some(("b".into(), "".into())));
        assert_eq!(parse_url("s3:///x"), None);
        let plain = b"{\"a\":1}\n".to_vec();
        let gz = {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&plain).unwrap();
            e.finish().unwrap()
        };
        let zst = zstd::encode_all(&plain[..], 1).unwrap();
        for (bytes, name, enc) in [
            (gz.clone(), "x", "gzip"),
            (gz, "x.gz", ""),
            (zst, "x", ""),
            (plain.clone(), "x.gz", "gzip"),
            (plain.clone(), "x", ""),
        ] {
            let mut out = String::new();
            decompress(Box::new(io::Cursor::new(bytes)), name, enc)
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            assert_eq!(out.as_bytes(), plain, "{name} {enc}");
        }
        assert!(decompress(Box::new(io::Cursor::new(vec![0u8; 8])), "x.gz", "").is_err());
    }
}
