//! The HTTP target of the load generator: `get-features` requests to a
//! Headroom server, authenticated with an API key.
//!
//! The client ignores proxy settings of the environment, so requests go to
//! the given URL and nowhere else. It speaks plain HTTP/1.1 and has no TLS.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{StatusCode, Url};

use super::{Outcome, Target};
use crate::secrets::ApiKey;

/// Path of the endpoint, below the base URL.
pub const GET_FEATURES_PATH: &str = "/api/v1/feature-service/get-features";
/// Distinct join keys the requests cycle through.
const USERS: u64 = 1000;

pub struct HttpTarget {
    client: reqwest::Client,
    base_url: String,
    endpoint: Url,
    authorization: HeaderValue,
    timeout: Duration,
    sequence: AtomicU64,
}

impl std::fmt::Debug for HttpTarget {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("HttpTarget")
            .field("endpoint", &self.endpoint.as_str())
            .finish_non_exhaustive()
    }
}

impl HttpTarget {
    /// Builds a client for the Headroom server at `base_url`, such as
    /// `http://127.0.0.1:8080`, giving each request `timeout` to complete.
    pub fn new(base_url: &str, key: &ApiKey, timeout: Duration) -> anyhow::Result<HttpTarget> {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let endpoint =
            Url::parse(&format!("{base_url}{GET_FEATURES_PATH}")).with_context(|| {
                format!(
                    "invalid --url \"{base_url}\": expected a URL such as http://127.0.0.1:8080"
                )
            })?;
        if endpoint.scheme() != "http" {
            bail!(
                "invalid --url \"{base_url}\": the load generator speaks plain HTTP only, so the URL must start with http://"
            );
        }

        let mut authorization = HeaderValue::from_str(&format!("Tecton-key {}", key.expose()))
            .context("the API key contains characters that an HTTP header cannot carry")?;
        authorization.set_sensitive(true);
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .build()
            .context("cannot build the HTTP client")?;
        Ok(HttpTarget {
            client,
            base_url,
            endpoint,
            authorization,
            timeout,
            sequence: AtomicU64::new(0),
        })
    }

    /// Sends one request and returns an error with the fix when the server
    /// cannot be reached, rejects the key, or has no such endpoint. Any
    /// other status, 429 and 503 included, passes, because the server runs
    /// and accepts the key.
    pub async fn check(&self) -> anyhow::Result<()> {
        let status = match self.request().await {
            Ok(status) => status,
            Err(error) if error.is_timeout() => bail!(
                "Headroom at {} timed out: no response within {}. Check that it runs there, or raise --timeout",
                self.base_url,
                humantime::format_duration(self.timeout)
            ),
            Err(error) => bail!(
                "cannot reach Headroom at {}: {}. Start it with `headroom serve`, or pass --url with the address it listens on",
                self.base_url,
                error_chain(&error)
            ),
        };
        match status {
            StatusCode::UNAUTHORIZED => bail!(auth_failure_message(Outcome::Unauthorized)),
            StatusCode::FORBIDDEN => bail!(auth_failure_message(Outcome::Forbidden)),
            StatusCode::NOT_FOUND => bail!(
                "{} returned 404 Not Found: --url must be the base URL of a Headroom server, such as http://127.0.0.1:8080",
                self.endpoint
            ),
            _ => Ok(()),
        }
    }

    /// Sends one request, reads the whole response and returns its status.
    async fn request(&self) -> Result<StatusCode, reqwest::Error> {
        let user = self.sequence.fetch_add(1, Ordering::Relaxed) % USERS;
        let body = format!(
            r#"{{"params":{{"feature_service_name":"fraud_detection","join_key_map":{{"user_id":"u_{user}"}}}}}}"#
        );
        let response = self
            .client
            .post(self.endpoint.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await?;
        let status = response.status();
        response.bytes().await?;
        Ok(status)
    }
}

impl Target for HttpTarget {
    async fn send(&self) -> Outcome {
        match self.request().await {
            Ok(StatusCode::OK) => Outcome::Served,
            Ok(StatusCode::TOO_MANY_REQUESTS) => Outcome::Rejected,
            Ok(StatusCode::SERVICE_UNAVAILABLE) => Outcome::Unavailable,
            Ok(StatusCode::UNAUTHORIZED) => Outcome::Unauthorized,
            Ok(StatusCode::FORBIDDEN) => Outcome::Forbidden,
            Ok(status) => Outcome::OtherStatus(status.as_u16()),
            Err(error) if error.is_timeout() => Outcome::TimedOut,
            Err(_) => Outcome::Failed,
        }
    }
}

/// Returns what a 401 or a 403 means and how to fix it.
pub fn auth_failure_message(outcome: Outcome) -> String {
    const CREATE: &str = "headroom service-account create --name load --role consumer";
    match outcome {
        Outcome::Unauthorized => format!(
            "the server rejected the API key with 401 Unauthorized: the key is unknown, revoked or expired. \
             Create a key that may read features with `{CREATE}` and pass it with --api-key-file or HEADROOM_API_KEY"
        ),
        Outcome::Forbidden => format!(
            "the server returned 403 Forbidden: the API key is valid, but its service account may not read \
             features. Grant it the consumer or admin role, or create a key with `{CREATE}`"
        ),
        _ => "the server rejected the API key".to_owned(),
    }
}

/// Returns an error's message followed by the messages of its sources,
/// such as "error sending request: client error (Connect): Connection refused".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::body::Bytes;
    use axum::http::HeaderMap;
    use axum::routing::post;

    use super::*;
    use crate::routes::features::parse_request;

    /// Returns a key whose 43 characters after the prefix are all `fill`.
    fn key(fill: char) -> ApiKey {
        ApiKey::parse(&format!("hdrm_{}", fill.to_string().repeat(43))).expect("well-formed key")
    }

    /// Starts a mock of the get-features endpoint on 127.0.0.1. Its status
    /// depends on the key: `a` 200, `b` 429, `c` 503, `d` 401, `e` 403,
    /// others 500. It stores every body it receives.
    async fn mock_server() -> (SocketAddr, Arc<Mutex<Vec<Bytes>>>) {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let received = Arc::clone(&bodies);
        let handler = move |headers: HeaderMap, body: Bytes| {
            let received = Arc::clone(&received);
            async move {
                received.lock().unwrap().push(body);
                let authorization = headers
                    .get(AUTHORIZATION)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("");
                let fill = authorization.chars().last().unwrap_or(' ');
                let status = match fill {
                    'a' => StatusCode::OK,
                    'b' => StatusCode::TOO_MANY_REQUESTS,
                    'c' => StatusCode::SERVICE_UNAVAILABLE,
                    'd' => StatusCode::UNAUTHORIZED,
                    'e' => StatusCode::FORBIDDEN,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                (status, "{}")
            }
        };
        let app = Router::new().route(GET_FEATURES_PATH, post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (address, bodies)
    }

    fn target(address: SocketAddr, fill: char) -> HttpTarget {
        HttpTarget::new(
            &format!("http://{address}/"),
            &key(fill),
            Duration::from_secs(5),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn send_maps_status_to_outcome() {
        let (address, _) = mock_server().await;
        let cases = [
            ('a', Outcome::Served),
            ('b', Outcome::Rejected),
            ('c', Outcome::Unavailable),
            ('d', Outcome::Unauthorized),
            ('e', Outcome::Forbidden),
            ('f', Outcome::OtherStatus(500)),
        ];
        for (fill, expected) in cases {
            assert_eq!(target(address, fill).send().await, expected, "key {fill}");
        }
    }

    #[tokio::test]
    async fn send_posts_valid_get_features_body() {
        let (address, bodies) = mock_server().await;
        let target = target(address, 'a');
        target.send().await;
        target.send().await;
        let bodies = bodies.lock().unwrap().clone();
        assert_eq!(bodies.len(), 2);
        let first = parse_request(&bodies[0]).expect("valid body");
        let second = parse_request(&bodies[1]).expect("valid body");
        assert_eq!(first.feature_service_name, "fraud_detection");
        assert_eq!(first.join_keys, [("user_id".to_owned(), "u_0".to_owned())]);
        assert_eq!(second.join_keys, [("user_id".to_owned(), "u_1".to_owned())]);
    }

    #[tokio::test]
    async fn check_explains_rejected_key() {
        let (address, _) = mock_server().await;
        let unauthorized = target(address, 'd').check().await.unwrap_err().to_string();
        assert!(unauthorized.contains("401 Unauthorized"), "{unauthorized}");
        assert!(unauthorized.contains("--role consumer"), "{unauthorized}");
        let forbidden = target(address, 'e').check().await.unwrap_err().to_string();
        assert!(forbidden.contains("403 Forbidden"), "{forbidden}");
        assert!(forbidden.contains("consumer or admin role"), "{forbidden}");
    }

    #[tokio::test]
    async fn check_passes_busy_server() {
        let (address, _) = mock_server().await;
        for fill in ['a', 'b', 'c'] {
            target(address, fill)
                .check()
                .await
                .expect("reachable with a valid key");
        }
    }

    #[tokio::test]
    async fn check_explains_unreachable_server() {
        // A port that was just free and has no listener.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let message = target(address, 'a').check().await.unwrap_err().to_string();
        assert!(
            message.starts_with(&format!("cannot reach Headroom at http://{address}")),
            "{message}"
        );
        assert!(message.contains("headroom serve"), "{message}");
    }

    #[tokio::test]
    async fn check_explains_wrong_path() {
        let (address, _) = mock_server().await;
        let base = format!("http://{address}/prefix");
        let message = HttpTarget::new(&base, &key('a'), Duration::from_secs(5))
            .unwrap()
            .check()
            .await
            .unwrap_err()
            .to_string();
        assert!(message.contains("404 Not Found"), "{message}");
    }

    #[test]
    fn new_rejects_https_and_garbage() {
        let https = HttpTarget::new("https://127.0.0.1:8443", &key('a'), Duration::from_secs(1))
            .unwrap_err();
        assert!(
            https.to_string().contains("must start with http://"),
            "{https}"
        );
        let garbage = HttpTarget::new("not a url", &key('a'), Duration::from_secs(1)).unwrap_err();
        assert!(
            garbage
                .to_string()
                .starts_with("invalid --url \"not a url\""),
            "{garbage}"
        );
    }

    #[test]
    fn debug_hides_key() {
        let target =
            HttpTarget::new("http://127.0.0.1:1", &key('a'), Duration::from_secs(1)).unwrap();
        let text = format!("{target:?}");
        assert!(!text.contains("aaaa"), "{text}");
    }
}
