//! Progress of a long run on stderr (the load tools, `nccall-conformance bench`).

use std::time::{Duration, Instant};

/// Progress on stderr: a bar redrawn in place on a terminal; in a log (CI),
/// one line per tenth, so the log stays short and readable.
pub struct Progress {
    what: &'static str,
    total: usize,
    last: Instant,
    terminal: bool,
    /// The last tenth written as a line (off a terminal).
    tenth: usize,
}

impl Progress {
    /// Progress of `total` steps of `what`.
    pub fn new(what: &'static str, total: usize) -> Self {
        use std::io::IsTerminal;
        Progress {
            what,
            total,
            last: Instant::now() - Duration::from_secs(1),
            terminal: std::io::stderr().is_terminal(),
            tenth: 0,
        }
    }

    /// `done` of the steps are done.
    pub fn show(&mut self, done: usize) {
        if !self.terminal {
            let tenth = done * 10 / self.total.max(1);
            if tenth > self.tenth {
                self.tenth = tenth;
                eprintln!("{} {done}/{} ({}%)", self.what, self.total, tenth * 10);
            }
            return;
        }
        if self.last.elapsed() < Duration::from_millis(100) && done < self.total {
            return;
        }
        self.last = Instant::now();
        let width = 30;
        let filled = done * width / self.total.max(1);
        eprint!(
            "\r{:<12} [{}{}] {done}/{}",
            self.what,
            "#".repeat(filled),
            "-".repeat(width - filled),
            self.total
        );
        if done >= self.total {
            eprintln!();
        }
    }
}
