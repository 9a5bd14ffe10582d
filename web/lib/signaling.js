// A client of the simulator's signaling protocol (docs/protocol.md): one
// WebSocket, JSON text frames, requests answered by id, numbered events.

export class Signaling {
  /** Opens the WebSocket at `url`; `onEvent(event)` gets each event once, in order. */
  static open(url, onEvent) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => resolve(new Signaling(ws, onEvent));
      ws.onerror = () => reject(new Error(`cannot open ${url}`));
    });
  }

  constructor(ws, onEvent) {
    this.ws = ws;
    this.onEvent = onEvent;
    this.nextId = 1;
    this.pending = new Map();
    this.lastSeq = 0;
    this.heartbeat = null;
    ws.onmessage = (message) => this.receive(message.data);
    ws.onclose = () => {
      clearInterval(this.heartbeat);
      for (const { reject } of this.pending.values()) reject(new Error("connection closed"));
      this.pending.clear();
    };
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.type === "response") {
      const waiter = this.pending.get(frame.id);
      if (!waiter) return;
      this.pending.delete(frame.id);
      if (frame.code === 0) waiter.resolve(frame.result ?? {});
      else waiter.reject(Object.assign(new Error(frame.message ?? "refused"), { code: frame.code }));
    } else if (frame.type === "event") {
      // Each event at most once, across resumes.
      if (frame.seq <= this.lastSeq) return;
      this.lastSeq = frame.seq;
      this.onEvent(frame);
    }
  }

  /** Sends request `type` with `fields`; resolves with its result, rejects with its code. */
  request(type, fields = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, type, ...fields }));
    });
  }

  /** Says hello as the owner of `token` in app `appKey`; starts heartbeats. */
  async hello(appKey, token, deviceId) {
    const result = await this.request("hello", { protocolVersion: 1, appKey, token, deviceId });
    this.heartbeat = setInterval(() => {
      this.request("heartbeat").catch(() => {});
      this.request("ack", { seq: this.lastSeq }).catch(() => {});
    }, result.heartbeatIntervalMs);
    return result;
  }

  close() {
    clearInterval(this.heartbeat);
    this.ws.close();
  }
}
