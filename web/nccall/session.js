// NCCallSession: a call as this device sees it. A snapshot: each event and
// each getCurrentCallSession() hands out a new one, so a value the app
// holds never changes under it.

export class NCCallSession {
  /** @param {object} call the engine's record of the call (copied here). */
  constructor(call) {
    this._callId = call.callId;
    this._callState = call.callState;
    this._callType = call.callType;
    this._mediaType = call.mediaType;
    this._remoteParticipants = call.remoteParticipants.map((p) => ({
      userId: p.userId,
      userState: p.userState,
      isCameraEnabled: p.isCameraEnabled,
      isMicrophoneEnabled: p.isMicrophoneEnabled,
    }));
    this._callerUserId = call.callerUserId;
    this._inviterUserId = call.inviterUserId;
    this._startTime = call.startTime;
  }

  getCallId() {
    return this._callId;
  }
  /** @returns {number} an NCCallState */
  getCallState() {
    return this._callState;
  }
  /** @returns {number} an NCCallType */
  getCallType() {
    return this._callType;
  }
  /** @returns {number} an NCCallMediaType */
  getMediaType() {
    return this._mediaType;
  }
  /** Remote participants only: `{userId, userState, isCameraEnabled, isMicrophoneEnabled}[]`. */
  getRemoteParticipants() {
    return this._remoteParticipants.map((p) => ({ ...p }));
  }
  getCallerUserId() {
    return this._callerUserId;
  }
  getInviterUserId() {
    return this._inviterUserId;
  }
  /** The billing start time once connected, else null (not in the spec's getter list). */
  getStartTime() {
    return this._startTime;
  }
}
