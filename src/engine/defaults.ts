import { randomUUID } from "node:crypto";
import type { Clock, IdGenerator } from "./types.js";

/** The system clock. */
export const defaultClock: Clock = { now: () => Date.now() };

/** Random UUIDs for every kind of id. */
export const defaultIds: IdGenerator = {
  draftId: () => randomUUID(),
  runId: () => randomUUID(),
  eventId: () => randomUUID(),
};

/** Converts a clock reading to the ISO-8601 UTC string the engine stores. */
export function toIso(value: number | Date): string {
  return (typeof value === "number" ? new Date(value) : value).toISOString();
}
