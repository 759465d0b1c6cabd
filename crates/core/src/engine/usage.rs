//! Disk usage: the bytes each volume takes, from the engine's `GET /system/df`.
//!
//! bollard's typed answer of that endpoint follows the newest API only (`VolumeUsage`), so against an engine that
//! answers in the older shape (`Volumes`, Docker before 29) every size would be missing. This one request is
//! therefore made and read here as plain JSON over the engine's socket (`unix://` or plain `tcp://`), either shape
//! understood; an engine reached otherwise (TLS, named pipe) or one that does not answer gives no sizes.

use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::Engine;

/// How long the engine may take to add the sizes up.
const DF_TIMEOUT: Duration = Duration::from_secs(60);
/// The most the answer may hold.
const MAX_ANSWER: u64 = 64 * 1024 * 1024;
/// The request: HTTP/1.0, so the answer is not chunked and ends when the engine closes the connection.
const REQUEST: &[u8] =
    b"GET /system/df?type=volume&verbose=1 HTTP/1.0\r\nHost: docker\r\nAccept: application/json\r\n\r\n";

impl Engine {
    /// The bytes each volume (by name) takes, as far as the engine says (`-1`, "not available", is left out).
    /// Empty when it cannot be asked or does not answer.
    pub(crate) async fn volume_sizes(&self) -> HashMap<String, u64> {
        let address = self.address().to_string();
        let answer = tokio::time::timeout(DF_TIMEOUT, ask(&address)).await;
        match answer {
            Ok(Some(body)) => parse_volume_sizes(&body),
            _ => HashMap::new(),
        }
    }
}

/// The body of `GET /system/df` from the engine at `address`, when it answered 200.
async fn ask(address: &str) -> Option<Vec<u8>> {
    if let Some(path) = address.strip_prefix("unix://") {
        #[cfg(unix)]
        {
            let stream = tokio::net::UnixStream::connect(path).await.ok()?;
            return exchange(stream).await;
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            return None;
        }
    }
    if let Some(host) = address.strip_prefix("tcp://") {
        let stream = tokio::net::TcpStream::connect(host.trim_end_matches('/'))
            .await
            .ok()?;
        return exchange(stream).await;
    }
    None
}

async fn exchange(mut stream: impl AsyncRead + AsyncWrite + Unpin) -> Option<Vec<u8>> {
    stream.write_all(REQUEST).await.ok()?;
    let mut answer = Vec::new();
    (&mut stream)
        .take(MAX_ANSWER)
        .read_to_end(&mut answer)
        .await
        .ok()?;
    let end = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let status_line = answer[..end].split(|b| *b == b'\n').next()?;
    let ok = String::from_utf8_lossy(status_line)
        .split_whitespace()
        .nth(1)
        == Some("200");
    ok.then(|| answer[end + 4..].to_vec())
}

/// The volume sizes in a `/system/df` answer: `Volumes` (API before 1.52) or `VolumeUsage.Items` (1.52 on).
pub fn parse_volume_sizes(body: &[u8]) -> HashMap<String, u64> {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return HashMap::new();
    };
    let volumes = json
        .get("Volumes")
        .or_else(|| json.get("VolumeUsage").and_then(|u| u.get("Items")))
        .and_then(Value::as_array);
    volumes
        .into_iter()
        .flatten()
        .filter_map(|volume| {
            let name = volume.get("Name")?.as_str()?;
            let size = volume.get("UsageData")?.get("Size")?.as_i64()?;
            u64::try_from(size)
                .ok()
                .map(|size| (name.to_string(), size))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes_of_the_answer_are_read() {
        let old =
            br#"{"LayersSize":1,"Volumes":[{"Name":"a","UsageData":{"Size":4096,"RefCount":1}},
            {"Name":"b","UsageData":{"Size":-1,"RefCount":-1}},{"Name":"c"}]}"#;
        assert_eq!(parse_volume_sizes(old), HashMap::from([("a".into(), 4096)]));
        let new = br#"{"VolumeUsage":{"TotalCount":1,"Items":[{"Name":"d","UsageData":{"Size":7,"RefCount":0}}]}}"#;
        assert_eq!(parse_volume_sizes(new), HashMap::from([("d".into(), 7)]));
        assert!(parse_volume_sizes(b"not json").is_empty());
    }
}
