// Generated from docs/driver-protocol.schema.json (src/driver/schema.rs): do not edit.
// The driver protocol's messages, for JSDoc types in web/driver/*.js.

/** `hello`'s result. */
export type HelloResult = {
  implementation: string;
  version: string;
  protocolVersion: number;
  /** The commands this driver implements. */ capabilities: string[];
};

/** Suite → driver: one command for one engine (one participant), or for the driver itself (`hello`, `reset`) when `engine` is absent. */
export type Command = {
  id: number;
  command: string;
  engine?: string | null;
  params?: unknown;
};

/** Driver → suite: the answer to a command, or an event of an engine. */
export type Message = Reply | EventMessage | FrameMessage;

/** The answer to command `id`: `code` 0 with `result`, a spec error code with `message`, or `unimplemented` (the SDK does not have the command: reported as such, neither a pass nor a failure of the behaviour). */
export type Reply = {
  id: number;
  code?: number;
  message?: string | null;
  result?: unknown;
  unimplemented?: boolean;
};

/** One callback of one engine: `callback` is the spec's name (`onCallReceived`), `event` its fields. */
export type EventMessage = {
  engine: string;
  callback: string;
  event: unknown;
};

/** A frame shown in a view the suite bound (`setLocalVideoView`, `setRemoteVideoView`): which engine, which view (the suite's `viewId`), and the frame (`{number, width, height, delayMs}`). */
export type FrameMessage = {
  engine: string;
  view: string;
  frame: FrameSchema;
};

/** The shape of `nccall::RenderedFrame` on the wire, for the schema. */
export type FrameSchema = {
  /** The marker's frame number; 0 when no marker could be read. */ number: number;
  width: number;
  height: number;
  /** Camera to view: the receiver's clock minus the marker's capture time, in milliseconds modulo 2^20. */ delayMs: number;
  /** The sender's marker tag; absent when no marker could be read. */ senderTag?: number | null;
};

/** Anything that travels over a driver connection. */
export type DriverMessage = Command | Message;
