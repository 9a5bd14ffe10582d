// The spec's enums, as TypeScript numeric enums compile: NAME -> number and
// number -> NAME on the same object (so `NCCallUserState[userState]`, as the
// spec's example writes, gives the name). The numbers are those of
// docs/codes.md: the spec's own for NCCallLogOrder, the ancestor's
// (RongCloud CallPlus) or this project's for the rest. On the wire
// (docs/protocol.md) every enum travels by name.

function numericEnum(entries) {
  const e = {};
  for (const [name, value] of Object.entries(entries)) {
    e[name] = value;
    e[value] = name;
  }
  return Object.freeze(e);
}

export const NCCallType = numericEnum({ SINGLE: 0, GROUP: 1 });
export const NCCallMediaType = numericEnum({ AUDIO: 0, AUDIO_VIDEO: 1 });
export const NCCallState = numericEnum({
  IDLE: 0,
  CALLING: 100,
  INVITED: 101,
  RINGING: 102,
  BUSYLINE_RINGING: 103,
  BUSYLINE_WAIT: 104,
  CONNECTING: 200,
  ONCALL: 300,
  ENDED: 1000,
  NOANSWER: 1001,
  MISSED: 1002,
  CANCELED: 1003,
  DECLINED: 1004,
  ERROR: 2000,
});
export const NCCallUserState = numericEnum({
  IDLE: 0,
  CALLING: 100,
  INVITED: 101,
  RINGING: 102,
  BUSYLINE_RINGING: 103,
  CONNECTING: 200,
  ONCALL: 300,
  ENDED: 1000,
});
export const NCCallLogOrder = numericEnum({ ASC: 0, DESC: 1 });
export const NCCallDirection = numericEnum({ OUTGOING: 0, INCOMING: 1 });
export const NCCallMediaTypeChangeResult = numericEnum({
  ALLOWED: 0,
  CANCELED: 1,
  REJECTED: 2,
  TIMEOUT: 3,
});
export const NCCallEndReason = numericEnum({
  CANCEL: 1,
  REJECT: 2,
  HANGUP: 3,
  BUSY_LINE: 4,
  NO_RESPONSE: 5,
  ENGINE_UNSUPPORTED: 6,
  NETWORK_ERROR: 7,
  GET_MEDIA_RESOURCES_ERROR: 8,
  PUBLISH_ERROR: 9,
  SUBSCRIBE_ERROR: 10,
  REMOTE_CANCEL: 11,
  REMOTE_REJECT: 12,
  REMOTE_HANGUP: 13,
  REMOTE_BUSY_LINE: 14,
  REMOTE_NO_RESPONSE: 15,
  REMOTE_ENGINE_UNSUPPORTED: 16,
  REMOTE_NETWORK_ERROR: 17,
  REMOTE_GET_MEDIA_RESOURCES_ERROR: 18,
  REMOTE_PUBLISH_ERROR: 19,
  REMOTE_SUBSCRIBE_ERROR: 20,
  OTHER_CLIENT_JOINED_CALL: 21,
  OTHER_CLIENT_IN_CALL: 22,
  KICKED_BY_SERVER: 23,
  ACCEPT_SYSTEM_CALL: 24,
  REMOTE_OTHER_CLIENT_JOINED_CALL: 31,
  REMOTE_OTHER_CLIENT_IN_CALL: 32,
  REMOTE_KICKED_BY_SERVER: 33,
  REMOTE_ACCEPT_SYSTEM_CALL: 34,
  ACCEPT_BY_OTHER_CLIENT: 101,
  HANGUP_BY_OTHER_CLIENT: 102,
  ADDED_TO_BLACKLIST: 103,
  SERVICE_NOT_OPENED: 104,
});
// Resolutions numbered by this project (docs/codes.md); frame rates by
// their frames per second.
export const NCCallVideoResolution = numericEnum({
  RESOLUTION_176X144: 1,
  RESOLUTION_240X240: 2,
  RESOLUTION_320X180: 3,
  RESOLUTION_320X240: 4,
  RESOLUTION_480X360: 5,
  RESOLUTION_640X360: 6,
  RESOLUTION_640X480: 7,
  RESOLUTION_720X480: 8,
  RESOLUTION_1280X720: 9,
  RESOLUTION_1920X1080: 10,
});
export const NCCallVideoFrameRate = numericEnum({ FPS_10: 10, FPS_15: 15, FPS_24: 24, FPS_30: 30 });
// The ancestor's RCCallQuality, in the order the suite compares them.
export const NCCallQuality = numericEnum({
  UNKNOWN: 0,
  EXCELLENT: 1,
  GOOD: 2,
  POOR: 3,
  BAD: 4,
  VERY_BAD: 5,
  DOWN: 6,
});

/** Result codes (docs/codes.md). */
export const NCCallCode = Object.freeze({
  SUCCESS: 0,
  PARAM_ERROR: 80001,
  SESSION_EXIST: 80002,
  NOT_IN_CALL: 80003,
  MEDIATYPE_INVALID: 80004,
  RTC_SERVICE_UNAVAILABLE: 80006,
  USER_LIST_INVALID: 80007,
  CALL_ID_INVALID: 80008,
  TRANSACTION_ID_INVALID: 80009,
  USER_ID_INVALID: 80010,
  SINGLE_CALL_NOT_SUPPORT_MULTI_PERSON: 80011,
  SIGNAL_DISCONNECTED: 80012,
  CALL_STATE_INVALID: 80013,
  UNSUPPORTED: 80014,
  USER_ALREADY_IN_CALL: 80015,
  GROUP_CALL_NOT_SUPPORTED: 80017,
  DEVICE_ID_INVALID: 80019,
  SERVER_ERROR: 80026,
  REQUEST_TIMEOUT: 80025,
  LOCAL_VIEW_NOT_SET: 80027,
  DEVICE_UNAVAILABLE: 80029,
  UNKNOWN_SERVER_CODE: 80099,
});

/** The wire name of `value` in `enumObject`, or undefined. */
export function nameOf(enumObject, value) {
  const name = enumObject[value];
  return typeof name === "string" ? name : undefined;
}

/** The value of a wire name (or number) in `enumObject`, or undefined. */
export function valueOf(enumObject, wire) {
  if (typeof wire === "number") return typeof enumObject[wire] === "string" ? wire : undefined;
  const value = enumObject[wire];
  return typeof value === "number" ? value : undefined;
}
