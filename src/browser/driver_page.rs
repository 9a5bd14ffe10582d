//! `--driver chromium`: the suite's scenarios through a driver page in
//! headless Chromium. Serves `web/` over HTTP, listens for the page's
//! driver connections (`driver::listen`), opens the page with the address
//! to connect to, how many connections to keep open (one per scenario
//! running at once) and the suite's virtual devices, and keeps the
//! browser until the run ends.
//!
//! `--driver chromium` opens `web/driver/driver.html` (the Web
//! NCCallEngine); `--driver chromium:URL` opens a team's own page instead,
//! with the same query parameters appended.

use std::path::{Path, PathBuf};

use super::chromium::{self, Browser};
use super::pages::PageServer;
use crate::driver::listen::Listener;

/// The virtual devices every engine starts with (`docs/driver-protocol.md`).
const DEVICES_YAML: &str = include_str!("../../fixtures/devices.yaml");

/// A browser hosting the driver page, and what it needs; dropping it ends the browser.
pub struct BrowserDriver {
    /// The `--driver` target the scenarios use (`listen:ADDR`).
    pub target: String,
    /// The page the browser opened.
    pub page: String,
    browser: Browser,
    _pages: PageServer,
}

impl BrowserDriver {
    /// Starts the page server, the listener and Chromium on the page
    /// `spec` names (`chromium` or `chromium:URL`), for `connections`
    /// scenarios at once.
    pub async fn start(spec: &str, connections: usize, work: &Path) -> Result<Self, String> {
        let binary = chromium::find().ok_or(
            "no Chromium: install Debian's chromium (apt-get install -y chromium) or set NCCALL_CHROMIUM",
        )?;
        let web: PathBuf = concat!(env!("CARGO_MANIFEST_DIR"), "/web").into();
        let pages = PageServer::start(web)
            .await
            .map_err(|e| format!("cannot serve web/: {e}"))?;
        let listener = Listener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let page = match spec.strip_prefix("chromium:") {
            Some(url) if !url.is_empty() => url.to_string(),
            _ => pages.url("driver/driver.html"),
        };
        let devices: serde_json::Value = serde_norway::from_str(DEVICES_YAML)
            .map_err(|e| format!("fixtures/devices.yaml: {e}"))?;
        let query = format!(
            "driver={}&connections={connections}&devices={}",
            encode(&format!("ws://{}", listener.address())),
            encode(&devices.to_string())
        );
        let separator = if page.contains('?') { '&' } else { '?' };
        let url = format!("{page}{separator}{query}");
        std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
        let browser = Browser::open(&binary, &url, None, work)
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        Ok(BrowserDriver {
            target: format!("listen:{}", listener.address()),
            page,
            browser,
            _pages: pages,
        })
    }

    /// Where the browser's log (and the page's console) goes.
    pub fn log_path(&self) -> &Path {
        self.browser.log_path()
    }
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(super::encode("ws://a:1"), "ws%3A%2F%2Fa%3A1");
        assert_eq!(super::encode("{\"x\":[1]}"), "%7B%22x%22%3A%5B1%5D%7D");
    }
}
