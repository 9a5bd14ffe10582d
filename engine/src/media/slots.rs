//! Receive slots: which remote user's media each audio/video m-line pair of
//! the peer connection carries. Slot 0 is the pair that also sends; a group
//! call adds a recvonly pair per further remote member.
//!
//! Assignments are stable: a member keeps their slot while they stay, a
//! slot freed by a member who left is reused before a new one is added, so
//! the connection is renegotiated only when the call grows past its largest
//! size so far.

/// The next assignment, from the previous one and the remote members now
/// in the call (every one not ended, ringing ones included: they get a slot
/// before they answer, so answering needs no renegotiation).
pub(crate) fn assign_slots(previous: &[String], members: &[String]) -> Vec<String> {
    let mut slots: Vec<String> = previous
        .iter()
        .map(|u| {
            if members.contains(u) {
                u.clone()
            } else {
                String::new()
            }
        })
        .collect();
    for member in members {
        if slots.contains(member) {
            continue;
        }
        match slots.iter_mut().find(|s| s.is_empty()) {
            Some(free) => *free = member.clone(),
            None => slots.push(member.clone()),
        }
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::assign_slots;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn members_keep_their_slot_and_newcomers_fill_free_ones_first() {
        let first = assign_slots(&[], &names(&["bob", "carol"]));
        assert_eq!(first, names(&["bob", "carol"]));
        let bob_left = assign_slots(&first, &names(&["carol"]));
        assert_eq!(bob_left, names(&["", "carol"]));
        let dave_came = assign_slots(&bob_left, &names(&["carol", "dave"]));
        assert_eq!(dave_came, names(&["dave", "carol"]));
        let erin_came = assign_slots(&dave_came, &names(&["erin", "carol", "dave"]));
        assert_eq!(erin_came, names(&["dave", "carol", "erin"]));
    }

    #[test]
    fn an_unchanged_membership_gives_the_same_slots() {
        let slots = names(&["carol", "bob"]);
        assert_eq!(assign_slots(&slots, &names(&["bob", "carol"])), slots);
    }
}
