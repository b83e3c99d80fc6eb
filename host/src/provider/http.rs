//! The HTTP side shared by every API shape: one blocking client, retries with
//! backoff, and response bodies read under a size cap and a deadline.

use std::io::{ErrorKind, Read};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, Response};
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{StatusCode, Url};

use super::{ProviderConfig, ProviderError};

/// A hostile or broken server must not make us buffer without bound.
pub(crate) const MAX_BODY_BYTES: usize = 8 << 20;
/// Error bodies are only quoted in messages; the start is enough.
const MAX_ERROR_BODY_BYTES: usize = 64 << 10;
/// Neither `Retry-After` nor our own backoff may stall a worker longer than this.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);
/// How much of an error body goes into a message.
const EXCERPT_CHARS: usize = 300;

#[derive(Debug)]
pub(crate) struct HttpClient {
    client: Client,
    timeout: Duration,
    max_retries: u32,
    retry_base: Duration,
}

impl HttpClient {
    pub(crate) fn new(config: &ProviderConfig, base: &Url) -> Result<Self, ProviderError> {
        let timeout = Duration::from_millis(config.timeout_ms);
        let mut builder = Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .timeout(timeout)
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            // A redirect could carry the key to another host (reqwest strips
            // `Authorization` across hosts, not `x-api-key`); APIs don't redirect.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("csep/", env!("CARGO_PKG_VERSION")));
        if super::is_loopback(base) {
            // A local server is reached directly even when HTTP(S)_PROXY is set.
            builder = builder.no_proxy();
        }
        let client = builder.build().map_err(ProviderError::Client)?;
        Ok(Self {
            client,
            timeout,
            max_retries: config.max_retries,
            retry_base: Duration::from_millis(config.retry_base_ms),
        })
    }

    /// POSTs `body` as JSON and returns a 2xx response's body. 429, 5xx,
    /// connection failures and timeouts are retried up to `max_retries` times.
    pub(crate) fn post_json(
        &self,
        url: &Url,
        headers: &HeaderMap,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, ProviderError> {
        let attempts = self.max_retries + 1;
        let mut attempt = 1;
        loop {
            let failure = match self.attempt(url, headers, body.clone()) {
                Ok(bytes) => return Ok(bytes),
                Err(failure) => failure,
            };
            if attempt >= attempts || !failure.retryable() {
                return Err(failure.into_error(attempt, headers));
            }
            thread::sleep(backoff(self.retry_base, attempt, failure.retry_after()));
            attempt += 1;
        }
    }

    fn attempt(&self, url: &Url, headers: &HeaderMap, body: Vec<u8>) -> Result<Vec<u8>, Failure> {
        let deadline = Instant::now() + self.timeout;
        let mut response = self
            .client
            .post(url.clone())
            .headers(headers.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .map_err(|e| Failure::Transport {
                timeout: e.is_timeout(),
                // The URL is in `describe()` already; keep messages short.
                message: error_chain(&e.without_url()),
            })?;
        let status = response.status();
        if status.is_success() {
            let (bytes, overflow) = read_capped(&mut response, MAX_BODY_BYTES, deadline)?;
            if overflow {
                return Err(Failure::TooLarge);
            }
            return Ok(bytes);
        }
        let retry_after = retry_after(response.headers());
        // The status tells the story; a body that fails to arrive is left out.
        let body = read_capped(&mut response, MAX_ERROR_BODY_BYTES, deadline)
            .map(|(bytes, _)| bytes)
            .unwrap_or_default();
        Err(Failure::Status {
            status,
            body,
            retry_after,
        })
    }
}

/// TLS with ring as the crypto provider and Mozilla's roots (webpki-roots):
/// no C toolchain beyond `cc`, and the same trust on every machine.
fn tls_config() -> Result<rustls::ClientConfig, ProviderError> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(ProviderError::Tls)?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

enum Failure {
    Status {
        status: StatusCode,
        body: Vec<u8>,
        retry_after: Option<Duration>,
    },
    Transport {
        timeout: bool,
        message: String,
    },
    TooLarge,
}

impl Failure {
    fn retryable(&self) -> bool {
        match self {
            Failure::Status { status, .. } => {
                *status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
            }
            Failure::Transport { .. } => true,
            Failure::TooLarge => false,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Failure::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    fn into_error(self, attempts: u32, headers: &HeaderMap) -> ProviderError {
        match self {
            Failure::Status { status, body, .. } => ProviderError::Status {
                status: status.as_u16(),
                excerpt: excerpt(&body, headers),
                attempts,
            },
            Failure::Transport { timeout, message } => ProviderError::Transport {
                timeout,
                message,
                attempts,
            },
            Failure::TooLarge => ProviderError::BodyTooLarge {
                limit: MAX_BODY_BYTES,
            },
        }
    }
}

/// Reads at most `limit` bytes; the flag says the body had more. Stops at
/// `deadline` too, since the client's timeout bounds each read, not the sum.
fn read_capped(
    response: &mut Response,
    limit: usize,
    deadline: Instant,
) -> Result<(Vec<u8>, bool), Failure> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Ok((Vec::new(), true));
    }
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 16 << 10];
    loop {
        if Instant::now() > deadline {
            return Err(Failure::Transport {
                timeout: true,
                message: "reading the response body timed out".into(),
            });
        }
        let n = match response.read(&mut chunk) {
            Ok(0) => return Ok((bytes, false)),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Failure::Transport {
                    timeout: is_timeout(&e),
                    message: format!("reading the response body: {}", error_chain(&e)),
                });
            }
        };
        if bytes.len() + n > limit {
            bytes.extend_from_slice(&chunk[..limit - bytes.len()]);
            return Ok((bytes, true));
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    e.kind() == ErrorKind::TimedOut
        || e.get_ref()
            .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_timeout)
}

/// `Retry-After` in seconds; the HTTP-date form falls back to our own backoff.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_DELAY))
}

/// The pause before retry number `attempt` (1-based): the server's
/// `Retry-After` when it sent one, else `base * 2^(attempt-1)`.
fn backoff(base: Duration, attempt: u32, retry_after: Option<Duration>) -> Duration {
    retry_after
        .unwrap_or_else(|| base.saturating_mul(1u32 << (attempt - 1).min(16)))
        .min(MAX_RETRY_DELAY)
}

/// The start of an error body for a message: one line, secrets redacted, and
/// any credential we sent scrubbed in case the server echoes it back.
fn excerpt(body: &[u8], headers: &HeaderMap) -> String {
    let text = String::from_utf8_lossy(body);
    let mut line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(EXCERPT_CHARS)
        .collect();
    for value in headers.values().filter(|v| v.is_sensitive()) {
        let Ok(value) = value.to_str() else { continue };
        for part in value.split(' ').filter(|p| p.len() >= 8) {
            line = line.replace(part, "[REDACTED]");
        }
    }
    crate::redact::redact(&line).0.into_owned()
}

/// An error with its causes, e.g. "error sending request: client error
/// (Connect): tcp connect error: Connection refused"; reqwest's own message
/// alone rarely says what went wrong.
pub(super) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{AUTHORIZATION, HeaderValue};

    #[test]
    fn backoff_doubles_and_honours_retry_after() {
        let base = Duration::from_millis(500);
        assert_eq!(backoff(base, 1, None), Duration::from_millis(500));
        assert_eq!(backoff(base, 3, None), Duration::from_millis(2000));
        assert_eq!(backoff(base, 40, None), MAX_RETRY_DELAY);
        assert_eq!(backoff(base, 2, Some(Duration::ZERO)), Duration::ZERO);
        assert_eq!(
            backoff(base, 1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn retry_after_takes_seconds_and_caps_them() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3600"));
        assert_eq!(retry_after(&headers), Some(MAX_RETRY_DELAY));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn excerpt_is_short_and_scrubs_the_sent_key() {
        let mut headers = HeaderMap::new();
        let mut auth = HeaderValue::from_static("Bearer local-key-12345");
        auth.set_sensitive(true);
        headers.insert(AUTHORIZATION, auth);
        let body = format!(
            "{{\"error\": \"bad key local-key-12345\"}}\n{}",
            "x".repeat(1000)
        );
        let line = excerpt(body.as_bytes(), &headers);
        assert!(!line.contains("local-key-12345"), "{line}");
        assert!(line.contains("bad key [REDACTED]"), "{line}");
        assert!(line.chars().count() <= EXCERPT_CHARS + 16);
    }
}
