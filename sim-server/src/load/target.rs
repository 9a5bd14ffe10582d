//! The simulator a load runs against: one started here as a child process
//! (its memory read from `/proc`), or one started elsewhere with the load's
//! fixtures.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

/// The app every load user belongs to.
pub(super) const APP: &str = "load";

/// The fixtures a simulator under load needs: the app `load` with `users`
/// users `u0`.. whose tokens are `t0`.. (`nccall-sim load-fixtures`
/// writes them for a simulator started elsewhere).
pub fn load_fixtures(users: usize) -> String {
    let mut yaml = format!("apps:\n  - app_key: {APP}\n    users:\n");
    for i in 0..users {
        yaml.push_str(&format!("      - {{ user_id: u{i}, token: t{i} }}\n"));
    }
    yaml
}

/// The simulator a load runs against.
pub enum Target {
    /// Started here as a child process: its memory can be read.
    Child(ChildSimulator),
    /// Started elsewhere (`--url`) with [`load_fixtures`]: no memory figures.
    Remote(String),
}

impl Target {
    /// Where its clients connect.
    pub fn url(&self) -> &str {
        match self {
            Target::Child(c) => &c.url,
            Target::Remote(url) => url,
        }
    }

    /// Resident memory of the simulator, in KiB, when it is a child on Linux.
    pub fn rss_kib(&self) -> Option<u64> {
        match self {
            Target::Child(c) => c.rss_kib(),
            Target::Remote(_) => None,
        }
    }
}

/// A simulator started as a child process; killed when dropped.
pub struct ChildSimulator {
    child: Child,
    /// Where its clients connect.
    pub url: String,
    fixtures: std::path::PathBuf,
}

impl ChildSimulator {
    /// Starts `exe` (this binary) listening on a free loopback port, with
    /// fixtures for `users` load users (`u0`.. with tokens `t0`..).
    pub fn start(exe: &std::path::Path, users: usize) -> Result<ChildSimulator, String> {
        let fixtures =
            std::env::temp_dir().join(format!("nccall-load-{}-{users}.yaml", std::process::id()));
        let yaml = load_fixtures(users);
        std::fs::File::create(&fixtures)
            .and_then(|mut f| f.write_all(yaml.as_bytes()))
            .map_err(|e| format!("cannot write {}: {e}", fixtures.display()))?;
        let mut child = Command::new(exe)
            .args(["--listen", "127.0.0.1:0", "--fixtures"])
            .arg(&fixtures)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the simulator: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout from the simulator")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("nccall-sim: listening on ") {
                        break url.trim().to_string();
                    }
                }
                _ => {
                    let _ = child.kill();
                    return Err("the simulator exited before listening".into());
                }
            }
        };
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Ok(ChildSimulator {
            child,
            url,
            fixtures,
        })
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory of the simulator process, in KiB (Linux only).
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|n| n.parse().ok())
    }
}

impl Drop for ChildSimulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.fixtures);
    }
}
