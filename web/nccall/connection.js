// The signaling connection of docs/protocol.md: one WebSocket, `hello`,
// requests answered by id, events numbered per device session and
// processed exactly once and in order, heartbeats, and the automatic
// reconnect the spec promises ("the SDK reconnects automatically"), which
// resumes the device session so that no event is lost (docs/reliability.md).

import { NCCallCode } from "./enums.js";

/** How long a request may wait for its answer (the reference engine's 10 s). */
const REQUEST_TIMEOUT_MS = 10_000;
/** Events processed between two acknowledgements at most. */
const ACK_EVERY = 32;
/** The first reconnect attempt waits this long; each later one twice as long. */
const FIRST_BACKOFF_MS = 100;

export const ConnectionStatus = Object.freeze({
  CONNECTED: "CONNECTED",
  RECONNECTING: "RECONNECTING",
  DISCONNECTED: "DISCONNECTED",
});

/** A failed request: `code` is the spec's result code. */
export class CallError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export class Connection {
  /**
   * `hooks.onEvent(event)` gets each server event once, in order;
   * `hooks.onSessionLost(serverTime)` is told when a resume was refused
   * (the server ended this device's calls while it was away).
   */
  constructor({ url, appKey, token, deviceId, maxBackoffMs, hooks }) {
    Object.assign(this, { url, appKey, token, deviceId, hooks });
    this.maxBackoffMs = maxBackoffMs ?? 30_000;
    this.status = ConnectionStatus.DISCONNECTED;
    this.reconnections = 0;
    this.userId = null;
    this.sessionId = null;
    this.lastSeq = 0;
    this.ackedSeq = 0;
    this.early = new Map();
    this.gapHeartbeats = 0;
    this.unanswered = 0;
    this.nextId = 1;
    this.pending = new Map();
    this.ws = null;
    this.heartbeatTimer = null;
    this.closedForGood = false;
    this.statusWaiters = new Set();
  }

  /** Opens the first connection; resolves with the user id or rejects with a CallError. */
  async open() {
    await this.attach(false);
    return this.userId;
  }

  /** Closes for good: no reconnect. */
  close() {
    this.closedForGood = true;
    clearInterval(this.heartbeatTimer);
    this.ws?.close();
    this.failPending();
    this.setStatus(ConnectionStatus.DISCONNECTED);
  }

  setStatus(status) {
    this.status = status;
    for (const waiter of [...this.statusWaiters]) waiter();
  }

  /** Resolves true once `test()` holds, false after `timeoutMs`. */
  waitFor(test, timeoutMs) {
    if (test()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = () => {
        if (!test()) return;
        this.statusWaiters.delete(waiter);
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.statusWaiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.statusWaiters.add(waiter);
    });
  }

  /** One WebSocket and its `hello`; `resume` asks for the previous device session. */
  attach(resume) {
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = new WebSocket(this.url);
      } catch (e) {
        reject(new CallError(NCCallCode.SIGNAL_DISCONNECTED, `cannot open ${this.url}: ${e}`));
        return;
      }
      this.ws = ws;
      let opened = false;
      ws.onmessage = (message) => {
        if (this.ws === ws) this.receive(message.data);
      };
      ws.onclose = () => {
        if (this.ws !== ws) return;
        if (opened) {
          this.detached();
          return;
        }
        // Never got through hello: whoever attached decides what next.
        this.ws = null;
        this.failPending();
        reject(new CallError(NCCallCode.SIGNAL_DISCONNECTED, `cannot reach ${this.url}`));
      };
      ws.onopen = async () => {
        const params = {
          protocolVersion: 1,
          appKey: this.appKey,
          token: this.token,
          deviceId: this.deviceId,
        };
        const resuming = resume && this.sessionId !== null;
        if (resuming) params.resume = { sessionId: this.sessionId, lastSeq: this.lastSeq };
        try {
          const hello = await this.send("hello", params);
          opened = true;
          this.userId = hello.userId;
          this.unanswered = 0;
          if (!hello.resumed) {
            this.sessionId = hello.sessionId;
            this.lastSeq = 0;
            this.ackedSeq = 0;
            this.early.clear();
            this.gapHeartbeats = 0;
          }
          clearInterval(this.heartbeatTimer);
          this.heartbeatTimer = setInterval(() => this.beat(), hello.heartbeatIntervalMs);
          this.setStatus(ConnectionStatus.CONNECTED);
          if (resuming && !hello.resumed) this.hooks.onSessionLost(hello.serverTime);
          resolve(hello);
        } catch (e) {
          // A refused hello (the server closes the connection) or none in time.
          if (this.ws === ws) this.ws = null;
          ws.onclose = null;
          ws.close();
          reject(e);
        }
      };
    });
  }

  /** The WebSocket closed: fail what waits, then reconnect unless closed for good. */
  detached() {
    clearInterval(this.heartbeatTimer);
    this.ws = null;
    this.failPending();
    if (this.closedForGood || this.status === ConnectionStatus.DISCONNECTED) {
      this.setStatus(ConnectionStatus.DISCONNECTED);
      return;
    }
    this.setStatus(ConnectionStatus.RECONNECTING);
    this.reconnect(FIRST_BACKOFF_MS);
  }

  reconnect(backoffMs) {
    setTimeout(async () => {
      if (this.closedForGood) return;
      try {
        await this.attach(true);
        this.reconnections += 1;
        this.setStatus(ConnectionStatus.CONNECTED);
      } catch {
        if (!this.closedForGood && this.status === ConnectionStatus.RECONNECTING) {
          this.reconnect(Math.min(backoffMs * 2, this.maxBackoffMs));
        }
      }
    }, backoffMs);
  }

  failPending() {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(
        new CallError(
          NCCallCode.SIGNAL_DISCONNECTED,
          "the signaling connection closed before the server answered",
        ),
      );
    }
    this.pending.clear();
  }

  /** A heartbeat with the acknowledgement of what was processed; a dead link is dropped. */
  beat() {
    if (!this.ws || this.status !== ConnectionStatus.CONNECTED) return;
    if (this.unanswered >= 2 || this.gapHeartbeats >= 2) {
      // Half-open, or a gap in the events that stayed open: resume from
      // the last event processed in order.
      this.ws.close();
      this.detachedNow();
      return;
    }
    this.unanswered += 1;
    if (this.early.size > 0) this.gapHeartbeats += 1;
    this.ack();
    this.send("heartbeat", {}).catch(() => {});
  }

  /** Drops the current socket at once (its close event may come late, or never). */
  detachedNow() {
    const ws = this.ws;
    if (!ws) return;
    ws.onclose = null;
    ws.onmessage = null;
    this.detached();
  }

  ack() {
    if (this.lastSeq > this.ackedSeq) {
      this.ackedSeq = this.lastSeq;
      this.send("ack", { seq: this.lastSeq }).catch(() => {});
    }
  }

  /** A request once connected; rejects with SIGNAL_DISCONNECTED otherwise. */
  request(type, fields = {}) {
    if (this.status !== ConnectionStatus.CONNECTED) {
      return Promise.reject(
        new CallError(NCCallCode.SIGNAL_DISCONNECTED, "not connected: call connect first"),
      );
    }
    return this.send(type, fields);
  }

  send(type, fields) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new CallError(NCCallCode.SIGNAL_DISCONNECTED, "not connected"));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CallError(NCCallCode.REQUEST_TIMEOUT, `no answer to ${type} in 10 s`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ id, type, ...fields }));
    });
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    this.unanswered = 0;
    if (frame.type === "response") {
      const waiter = this.pending.get(frame.id);
      if (!waiter) return;
      this.pending.delete(frame.id);
      clearTimeout(waiter.timer);
      if (frame.code === 0) waiter.resolve(frame.result ?? {});
      else waiter.reject(new CallError(frame.code, frame.message ?? "refused"));
    } else if (frame.type === "event") {
      this.ordered(frame);
    }
  }

  /** Exactly once and in order: skip what was processed, hold what is early. */
  ordered(frame) {
    const seq = frame.seq ?? 0;
    if (seq !== 0 && (seq <= this.lastSeq || this.early.has(seq))) return;
    if (seq > this.lastSeq + 1) {
      this.early.set(seq, frame);
      return;
    }
    if (seq !== 0) this.lastSeq = seq;
    this.deliver(frame);
    while (this.early.has(this.lastSeq + 1)) {
      this.lastSeq += 1;
      const next = this.early.get(this.lastSeq);
      this.early.delete(this.lastSeq);
      this.deliver(next);
    }
    if (this.early.size === 0) this.gapHeartbeats = 0;
    if (this.lastSeq >= this.ackedSeq + ACK_EVERY) this.ack();
  }

  deliver(frame) {
    try {
      this.hooks.onEvent(frame);
    } catch (e) {
      console.error("an event handler threw", e);
    }
  }
}
