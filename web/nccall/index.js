// The Web NCCallEngine: what an app imports.
export { NCCallEngine } from "./engine.js";
export { NCCallSession } from "./session.js";
export { ConnectionStatus } from "./connection.js";
export * from "./enums.js";
