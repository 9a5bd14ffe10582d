//! Serves `web/` over HTTP on loopback, and takes what its test pages
//! report: `POST /report/<name>` with a JSON body replaces page `name`'s
//! report, which a test reads or waits on. A page needs HTTP (not `file:`)
//! to load ES modules.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// The largest report a page may post.
const MAX_BODY: usize = 1 << 20;

#[derive(Default)]
struct Reports {
    latest: Mutex<HashMap<String, Value>>,
    changed: Notify,
}

/// A running page server; stops when dropped.
pub struct PageServer {
    base: String,
    reports: Arc<Reports>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for PageServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PageServer {
    /// Serves the files under `root` on an ephemeral loopback port.
    pub async fn start(root: impl Into<PathBuf>) -> std::io::Result<PageServer> {
        let root: PathBuf = root.into();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let reports = Arc::new(Reports::default());
        let shared = reports.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (root, reports) = (root.clone(), shared.clone());
                tokio::spawn(async move {
                    // A browser that drops a connection mid-request is not the
                    // test's failure: the page's report (or its absence) is.
                    let _ = serve(stream, &root, &reports).await;
                });
            }
        });
        Ok(PageServer {
            base,
            reports,
            task,
        })
    }

    /// The URL of `path` (relative to the root, e.g. `tests/media-call.html`).
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    /// Page `name`'s latest report.
    pub fn report(&self, name: &str) -> Option<Value> {
        self.reports.latest.lock().ok()?.get(name).cloned()
    }

    /// Waits until page `name`'s report satisfies `ready`, at most `limit`;
    /// returns the last report seen either way, and whether it was ready.
    pub async fn wait_report(
        &self,
        name: &str,
        limit: Duration,
        ready: impl Fn(&Value) -> bool,
    ) -> (Option<Value>, bool) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let changed = self.reports.changed.notified();
            let latest = self.report(name);
            if latest.as_ref().is_some_and(&ready) {
                return (latest, true);
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return (self.report(name), false);
            }
        }
    }
}

/// One HTTP/1.1 exchange (the pages' requests are small and few: one
/// request per connection is enough).
async fn serve(stream: TcpStream, root: &Path, reports: &Reports) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).await?;
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let path = target.split('?').next().unwrap_or("/").to_string();
    let method = method.to_string();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let (status, content_type, body) = if method == "POST" {
        match path.strip_prefix("/report/") {
            Some(name) if content_length <= MAX_BODY => {
                let mut body = vec![0; content_length];
                reader.read_exact(&mut body).await?;
                match serde_json::from_slice::<Value>(&body) {
                    Ok(report) => {
                        if let Ok(mut latest) = reports.latest.lock() {
                            latest.insert(name.to_string(), report);
                        }
                        reports.changed.notify_waiters();
                        ("204 No Content", "text/plain", Vec::new())
                    }
                    Err(e) => ("400 Bad Request", "text/plain", e.to_string().into_bytes()),
                }
            }
            _ => ("404 Not Found", "text/plain", b"no such report".to_vec()),
        }
    } else {
        match file_under(root, &path).map(std::fs::read) {
            Some(Ok(bytes)) => ("200 OK", content_type_of(&path), bytes),
            _ => ("404 Not Found", "text/plain", b"not found".to_vec()),
        }
    };
    let mut stream = reader.into_inner();
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&body).await?;
    stream.shutdown().await
}

/// The file a request path names, if it stays under `root`.
fn file_under(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    Some(root.join(relative))
}

fn content_type_of(path: &str) -> &'static str {
    // Module scripts load only with a JavaScript type.
    match Path::new(path).extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_under_the_root_are_served() {
        let root = Path::new("/srv/web");
        assert_eq!(
            file_under(root, "/tests/a.html"),
            Some(PathBuf::from("/srv/web/tests/a.html"))
        );
        assert_eq!(file_under(root, "/../etc/passwd"), None);
        assert_eq!(file_under(root, "/tests/../../x"), None);
        assert_eq!(
            content_type_of("/lib/markers.js"),
            "text/javascript; charset=utf-8"
        );
    }
}
