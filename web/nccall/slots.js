// Receive slots (docs/media.md, "Receive slots"): which remote member each
// audio/video m-line pair carries. A member keeps their slot while they
// stay; a slot freed by a member who left is reused before one is added.

/** The next assignment, from the previous one and the members now. */
export function assignSlots(previous, members) {
  const slots = previous.map((u) => (members.includes(u) ? u : ""));
  for (const member of members) {
    if (slots.includes(member)) continue;
    const free = slots.indexOf("");
    if (free === -1) slots.push(member);
    else slots[free] = member;
  }
  return slots;
}
