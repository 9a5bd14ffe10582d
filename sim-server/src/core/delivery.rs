//! Delivery of call notes to users: every live connection of the user gets
//! the event, numbered with the user's next sequence number.

use nccall_protocol::ServerFrame;

use super::{Output, ServerCore};

impl ServerCore {
    pub(super) fn deliver_notes(&mut self) {
        let notes: Vec<_> = self.calls.drain_notes().collect();
        for note in notes {
            // A user with no live connection misses the event for now; push
            // records and replay on connect belong to the offline-callee rules.
            let Some(conns) = self.online.get(&note.to) else {
                continue;
            };
            let seq = self.event_seq.entry(note.to.clone()).or_insert(0);
            *seq += 1;
            for &conn in conns {
                self.outputs.push_back(Output::Send {
                    conn,
                    frame: ServerFrame::Event {
                        seq: *seq,
                        event: note.event.clone(),
                    },
                });
            }
        }
    }
}
