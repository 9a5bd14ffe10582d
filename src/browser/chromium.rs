//! Headless Chromium with fake devices: the flags a real-media test needs,
//! a fresh profile per browser, and the process killed with the handle.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::fake_capture::CaptureFiles;

/// Where Chromium is: `NCCALL_CHROMIUM`, else the first of Debian's and
/// the usual names on `PATH`.
pub fn find() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("NCCALL_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome", "chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// One browser process showing one page; killed when dropped.
pub struct Browser {
    child: tokio::process::Child,
    profile: PathBuf,
    log: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Browser {
    /// Starts `binary` headless on `url`, its camera and microphone playing
    /// `capture` (or Chromium's own fake pattern and beep without).
    /// `work` is a directory for its profile and log.
    pub fn open(
        binary: &Path,
        url: &str,
        capture: Option<&CaptureFiles>,
        work: &Path,
    ) -> std::io::Result<Browser> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let profile = work.join(format!("chromium-profile-{n}"));
        let log = work.join(format!("chromium-{n}.log"));
        std::fs::create_dir_all(&profile)?;
        let mut command = tokio::process::Command::new(binary);
        command
            .args([
                "--headless=new",
                // Containers run as root, where the sandbox cannot start.
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                // A tab in the background must not be throttled.
                "--disable-background-timer-throttling",
                "--disable-renderer-backgrounding",
                "--autoplay-policy=no-user-gesture-required",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                // Without it a host whose only interface is loopback gathers
                // no ICE candidates.
                "--allow-loopback-in-peer-connection",
                // The page's console in the log, for a failure's message.
                "--enable-logging=stderr",
            ])
            .arg(format!("--user-data-dir={}", profile.display()));
        // A suite run over TLS (`--tls`): the page trusts the run's
        // self-signed certificate by its public key (Chromium honours the
        // pin only with a --user-data-dir, which every browser here has).
        if let Some(pair) = crate::rig::suite_tls() {
            command.arg(format!(
                "--ignore-certificate-errors-spki-list={}",
                pair.spki_sha256
            ));
        }
        if let Some(capture) = capture {
            command
                .arg(format!(
                    "--use-file-for-fake-video-capture={}",
                    capture.video.display()
                ))
                .arg(format!(
                    "--use-file-for-fake-audio-capture={}",
                    capture.audio.display()
                ));
        }
        let child = command
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .kill_on_drop(true)
            .spawn()?;
        Ok(Browser {
            child,
            profile,
            log,
        })
    }

    /// Where the browser writes its stderr (and the page's console).
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// What the browser wrote to stderr so far (for a failure's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
