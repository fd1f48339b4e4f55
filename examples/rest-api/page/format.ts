/**
 * page/format.ts — times and people as an operator reads them. Pure (Intl only).
 */
import type { DemoOperatorInfo } from "./types.js";

const TIME = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** An ISO time as a clock time (`10:02:11`). */
export function clock(iso: string | null | undefined): string {
  if (iso == null) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : TIME.format(date);
}

/** An ISO time as a date and time (`12 May 2026, 10:02`). */
export function when(iso: string | null | undefined): string {
  if (iso == null) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : DATE_TIME.format(date);
}

/** A function naming actor ids: the demo operators by name, workers as such, anyone else by id. */
export function namer(operators: readonly DemoOperatorInfo[]): (actorId: string) => string {
  return (actorId) => {
    const known = operators.find((operator) => operator.id === actorId);
    if (known !== undefined) return known.name;
    if (actorId.startsWith("worker")) return `the background worker (${actorId})`;
    return actorId;
  };
}
