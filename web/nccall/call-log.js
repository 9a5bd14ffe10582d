// NCCallLog between the wire (enum names, docs/protocol.md) and the app
// (the spec's numeric enums).

import {
  NCCallDirection,
  NCCallEndReason,
  NCCallMediaType,
  NCCallType,
  NCCallUserState,
  nameOf,
  valueOf,
} from "./enums.js";

const ENUM_FIELDS = {
  callType: NCCallType,
  mediaType: NCCallMediaType,
  direction: NCCallDirection,
  endReason: NCCallEndReason,
};

function convert(log, each) {
  const out = { ...log };
  for (const [field, e] of Object.entries(ENUM_FIELDS)) {
    if (out[field] !== undefined && out[field] !== null) out[field] = each(e, out[field]);
  }
  out.participants = (log.participants ?? []).map((p) => ({ ...p, userState: each(NCCallUserState, p.userState) }));
  return out;
}

/** A log as the server sent it, with the spec's enum values. */
export function logFromWire(log) {
  return convert(log, valueOf);
}

/** A log with enum names, as the wire and the driver protocol carry it. */
export function logToWire(log) {
  return convert(log, nameOf);
}
