//! What the shell's tasks say to each other, on two planes. The data
//! plane: a connection task tells the hub what happened on its socket
//! ([`ConnEvent`]), the hub tells it what to write or to close
//! ([`ConnCmd`]). The control plane: a [`crate::SimHandle`] asks the hub to
//! move the clock, inject a fault, report, ... ([`Control`]), each answered
//! on its own oneshot. Both sides import this file; neither imports the
//! other.

use nccall_protocol::{ClientFrame, ServerFrame};
use tokio::sync::{mpsc, oneshot};

use super::SimError;
use crate::calls::UserKey;
use crate::clock::Millis;
use crate::core::{ConnId, CoreStats, PushRecord};
use crate::store::SeedSpec;

/// From a connection task to the hub.
pub(super) enum ConnEvent {
    /// A client connected; the hub writes to it through `tx`.
    Open {
        conn: ConnId,
        tx: mpsc::UnboundedSender<ConnCmd>,
    },
    Frame {
        conn: ConnId,
        frame: ClientFrame,
    },
    Closed {
        conn: ConnId,
    },
}

/// From the hub to a connection task.
pub(super) enum ConnCmd {
    Frame(ServerFrame),
    Close,
}

/// From a `SimHandle` to the hub; each carries where its answer goes.
pub(super) enum Control {
    Advance {
        by_ms: Millis,
        ack: oneshot::Sender<Millis>,
    },
    Stats {
        ack: oneshot::Sender<CoreStats>,
    },
    Pushes {
        ack: oneshot::Sender<Vec<PushRecord>>,
    },
    Hold {
        user: UserKey,
        ack: oneshot::Sender<()>,
    },
    Release {
        user: UserKey,
        ack: oneshot::Sender<()>,
    },
    Fault {
        user: UserKey,
        fault: Fault,
        ack: oneshot::Sender<()>,
    },
    Seed {
        app: String,
        spec: SeedSpec,
        prefix: String,
        ack: oneshot::Sender<Result<(), SimError>>,
    },
}

/// Network faults the suite injects for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// Close the user's connections; their sessions wait for a resume.
    Drop,
    /// Drop them and refuse new ones until `Restore`.
    Down,
    Restore,
    /// Events leave this long (simulator time) after they were sent.
    Delay(Millis),
    /// The next so many events arrive last first.
    Reverse(usize),
    /// Connections stay open but nothing gets through either way.
    Partition,
}
