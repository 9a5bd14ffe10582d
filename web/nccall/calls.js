// The calls this device knows of, kept from the server's answers and
// events alone (docs/state-machines.md, "Engine: one session"): no timers,
// no sockets, no media. Each method returns the callbacks to fire, in
// order, as [callbackName, event] pairs; the engine fires them.

import {
  NCCallDirection,
  NCCallEndReason as R,
  NCCallMediaType,
  NCCallState,
  NCCallType,
  NCCallUserState as U,
  NCCallMediaTypeChangeResult,
  valueOf,
} from "./enums.js";
import { NCCallSession } from "./session.js";
import { logFromWire } from "./call-log.js";

/** How far a participant got, to keep the furthest state for the log. */
function progress(state) {
  switch (state) {
    case U.INVITED:
      return 1;
    case U.CALLING:
    case U.RINGING:
    case U.BUSYLINE_RINGING:
      return 2;
    case U.CONNECTING:
      return 3;
    case U.ONCALL:
      return 4;
    default:
      return 0;
  }
}

function setState(participant, state) {
  participant.userState = state;
  if (progress(state) > progress(participant.reached)) participant.reached = state;
}

/** An incoming call that rings and was not answered here. */
export function isIncomingRinging(state) {
  return state === NCCallState.RINGING || state === NCCallState.BUSYLINE_RINGING || state === NCCallState.INVITED;
}

/** The state a session is left in, from its end reason (docs/state-machines.md). */
export function finalState(reason, wasConnected) {
  if (wasConnected) return NCCallState.ENDED;
  switch (reason) {
    case R.CANCEL:
      return NCCallState.CANCELED;
    case R.REMOTE_CANCEL:
    case R.NO_RESPONSE:
      return NCCallState.MISSED;
    case R.REJECT:
    case R.REMOTE_REJECT:
      return NCCallState.DECLINED;
    case R.REMOTE_NO_RESPONSE:
    case R.REMOTE_BUSY_LINE:
      return NCCallState.NOANSWER;
    case R.NETWORK_ERROR:
    case R.ENGINE_UNSUPPORTED:
    case R.GET_MEDIA_RESOURCES_ERROR:
    case R.PUBLISH_ERROR:
    case R.SUBSCRIBE_ERROR:
      return NCCallState.ERROR;
    default:
      return NCCallState.ENDED;
  }
}

/** A participant of the server's list (docs/protocol.md) as this device keeps it. */
function remoteFromWire(p) {
  const userState = valueOf(U, p.userState) ?? U.IDLE;
  return {
    userId: p.userId,
    userState,
    isCameraEnabled: p.cameraEnabled !== false,
    isMicrophoneEnabled: p.microphoneEnabled !== false,
    reached: userState,
  };
}

export class CallBook {
  constructor() {
    /** @type {Map<string, object>} by call id, in the order they began */
    this.calls = new Map();
    this.currentId = null;
    this.me = null;
  }

  current() {
    return this.currentId ? (this.calls.get(this.currentId) ?? null) : null;
  }

  session(callId) {
    const call = this.calls.get(callId);
    return call ? new NCCallSession(call) : null;
  }

  /** A call in progress that is not an incoming one still ringing. */
  active() {
    return [...this.calls.values()].find((c) => !isIncomingRinging(c.callState)) ?? null;
  }

  setParticipants(call, list) {
    const old = call.remoteParticipants;
    call.remoteParticipants = list
      .filter((p) => p.userId !== this.me)
      .map((p) => {
        const fresh = remoteFromWire(p);
        const before = old.find((o) => o.userId === p.userId);
        if (before) {
          fresh.reached = before.reached;
          setState(fresh, fresh.userState);
        }
        return fresh;
      });
    // Who left is not in the server's list any more: keep them, ENDED.
    for (const gone of old) {
      if (!call.remoteParticipants.some((p) => p.userId === gone.userId)) call.remoteParticipants.push(gone);
    }
  }

  /** startCall was answered: the outgoing call begins. */
  started(params, result) {
    const busy = new Set((result.busyLineUserList ?? []).map((b) => b.userId));
    const waitingOnBusy = params.callType === NCCallType.SINGLE && busy.size > 0;
    const video = params.mediaType === NCCallMediaType.AUDIO_VIDEO;
    const call = {
      callId: result.callId,
      callState: waitingOnBusy ? NCCallState.BUSYLINE_WAIT : NCCallState.CALLING,
      callType: params.callType,
      mediaType: params.mediaType,
      // Busy callees join the list when the server says they ring.
      remoteParticipants: params.calleeIds
        .filter((id) => !busy.has(id))
        .map((userId) => ({
          userId,
          userState: U.INVITED,
          isCameraEnabled: video,
          isMicrophoneEnabled: true,
          reached: U.INVITED,
        })),
      callerUserId: this.me,
      inviterUserId: this.me,
      startTime: null,
      extra: params.extra ?? null,
      targetId: params.targetId ?? null,
      reached: U.CALLING,
    };
    this.calls.set(call.callId, call);
    this.currentId = call.callId;
  }

  /** acceptCall was answered. */
  accepted(callId) {
    const call = this.calls.get(callId);
    if (call && call.callState === NCCallState.RINGING) call.callState = NCCallState.CONNECTING;
    this.currentId = callId;
  }

  /** joinCall was answered with the call's info. */
  joined(info) {
    const call = {
      callId: info.callId,
      callState: NCCallState.CONNECTING,
      callType: valueOf(NCCallType, info.callType),
      mediaType: valueOf(NCCallMediaType, info.mediaType),
      remoteParticipants: [],
      callerUserId: info.callerUserId,
      inviterUserId: info.inviterUserId,
      startTime: null,
      extra: null,
      targetId: null,
      reached: U.CONNECTING,
    };
    this.setParticipants(call, info.participants ?? []);
    this.calls.set(call.callId, call);
    this.currentId = call.callId;
  }

  /** A server event (docs/protocol.md, "event"); returns the callbacks to fire. */
  handle(e) {
    const call = e.callId !== undefined ? this.calls.get(e.callId) : undefined;
    switch (e.event) {
      case "callReceived": {
        const busy = this.active() !== null;
        const callState = busy ? NCCallState.BUSYLINE_RINGING : NCCallState.RINGING;
        const fresh = {
          callId: e.callId,
          callState,
          callType: valueOf(NCCallType, e.callType),
          mediaType: valueOf(NCCallMediaType, e.mediaType),
          remoteParticipants: [],
          callerUserId: e.callerUserId,
          inviterUserId: e.inviterUserId,
          startTime: null,
          extra: e.extra ?? null,
          targetId: e.targetId ?? null,
          reached: busy ? U.BUSYLINE_RINGING : U.RINGING,
        };
        this.setParticipants(fresh, e.participants ?? []);
        if (this.currentId === null) this.currentId = e.callId;
        this.calls.set(e.callId, fresh);
        return [["onCallReceived", { session: new NCCallSession(fresh), extra: e.extra ?? null }]];
      }
      case "remoteUserStateChanged": {
        if (!call) return [];
        const userState = valueOf(U, e.userState);
        const reason = e.reason === undefined || e.reason === null ? undefined : valueOf(R, e.reason);
        const p = call.remoteParticipants.find((x) => x.userId === e.userId);
        if (p) setState(p, userState);
        else if (e.userId !== this.me && userState !== U.ENDED) {
          // Someone new: an invitee, or a busy callee who rings after all.
          call.remoteParticipants.push({
            userId: e.userId,
            userState,
            isCameraEnabled: call.mediaType === NCCallMediaType.AUDIO_VIDEO,
            isMicrophoneEnabled: true,
            reached: userState,
          });
        }
        const event = { callId: e.callId, userId: e.userId, userState };
        if (reason !== undefined) event.reason = reason;
        return [["onRemoteUserStateChanged", event]];
      }
      case "callConnected": {
        if (!call) return [];
        call.callState = NCCallState.ONCALL;
        call.reached = U.ONCALL;
        this.setParticipants(call, e.participants ?? []);
        this.currentId = e.callId;
        return [["onCallConnected", { session: new NCCallSession(call) }]];
      }
      case "startTimeReceived": {
        if (!call) return [];
        call.startTime = e.startTime;
        return [["onStartTimeReceived", { startTime: e.startTime }]];
      }
      case "remoteUserInvited":
        if (!call) return [];
        return [
          [
            "onRemoteUserInvited",
            { callId: e.callId, inviteeUserList: e.inviteeUserList, inviterUserId: e.inviterUserId },
          ],
        ];
      case "mediaTypeChangeRequestReceived":
        if (!call) return [];
        return [
          [
            "onMediaTypeChangeRequestReceived",
            {
              userId: e.userId,
              transactionId: e.transactionId,
              mediaType: valueOf(NCCallMediaType, e.mediaType),
            },
          ],
        ];
      case "mediaTypeChangeResultReceived": {
        if (!call) return [];
        // The server sends the call's media type as it is now.
        call.mediaType = valueOf(NCCallMediaType, e.mediaType);
        return [
          [
            "onMediaTypeChangeResultReceived",
            {
              userId: e.userId,
              transactionId: e.transactionId,
              mediaType: call.mediaType,
              result: valueOf(NCCallMediaTypeChangeResult, e.result),
            },
          ],
        ];
      }
      case "remoteCameraStateChanged":
      case "remoteMicrophoneStateChanged": {
        const p = call?.remoteParticipants.find((x) => x.userId === e.userId);
        if (!p) return [];
        const camera = e.event === "remoteCameraStateChanged";
        if (camera) p.isCameraEnabled = !e.disabled;
        else p.isMicrophoneEnabled = !e.disabled;
        const name = camera ? "onRemoteCameraStateChanged" : "onRemoteMicrophoneStateChanged";
        return [[name, { callId: e.callId, userId: e.userId, disabled: e.disabled }]];
      }
      case "callTypeChanged":
        if (!call) return [];
        call.callType = valueOf(NCCallType, e.callType);
        return [["onCallTypeChanged", { callId: e.callId, callType: call.callType }]];
      case "callEnded":
        return this.end(e.callId, valueOf(R, e.reason), e.endTime);
      case "serverCallLogReceived":
        return [["onServerCallLogReceived", { callLog: logFromWire(e.callLog) }]];
      default:
        // Event types this client does not know are ignored (docs/protocol.md, "Versioning").
        return [];
    }
  }

  /** Every call ends here with NETWORK_ERROR (a refused resume, or disconnect()). */
  endAll(endTime) {
    return [...this.calls.keys()].flatMap((id) => this.end(id, R.NETWORK_ERROR, endTime));
  }

  end(callId, reason, endTime) {
    const call = this.calls.get(callId);
    if (!call) return [];
    this.calls.delete(callId);
    call.callState = finalState(reason, call.startTime !== null);
    if (this.currentId === callId) {
      // A call still ringing becomes the current one.
      this.currentId = this.calls.keys().next().value ?? null;
    }
    const out = [["onCallEnded", { session: new NCCallSession(call), reason }]];
    // The spec: local call logs are for one-to-one calls only.
    if (call.callType === NCCallType.SINGLE) out.push(["onLocalCallLogReceived", { callLog: this.localLog(call, reason, endTime) }]);
    return out;
  }

  /** The log this device builds itself; it agrees with the server's on all but syncTime. */
  localLog(call, reason, endTime) {
    const outgoing = call.callerUserId === this.me;
    const mine = { userId: this.me, userState: call.reached ?? U.RINGING };
    const others = call.remoteParticipants.map((p) => ({ userId: p.userId, userState: p.reached }));
    let participants;
    if (outgoing) participants = [mine, ...others];
    else {
      // Member order as the server keeps it: the caller first.
      const at = others.findIndex((p) => p.userId === call.callerUserId);
      participants = [...others];
      participants.splice(at === -1 ? others.length : at + 1, 0, mine);
    }
    const connected = mine.userState === U.ONCALL;
    const declined = reason === R.REJECT || reason === R.HANGUP_BY_OTHER_CLIENT;
    return {
      callId: call.callId,
      callerUserId: call.callerUserId,
      inviterUserId: call.inviterUserId,
      participants,
      callType: call.callType,
      mediaType: call.mediaType,
      direction: outgoing ? NCCallDirection.OUTGOING : NCCallDirection.INCOMING,
      startTime: call.startTime,
      endTime,
      durationMs: connected && call.startTime !== null ? Math.max(0, endTime - call.startTime) : 0,
      endReason: reason,
      missed: !outgoing && !connected && !declined,
      extra: call.extra,
      targetId: call.targetId,
      syncTime: null,
    };
  }
}
