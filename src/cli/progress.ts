/**
 * Progress of a long command on stderr: on a terminal, one bar redrawn in place (`\r`, no
 * newline until the end); otherwise one plain line per step, so logs stay readable.
 */
import type { CliStream } from "./io.js";

/** What a step reports. */
export interface ProgressState {
  /** Items done so far. */
  readonly done: number;
  /** Items expected in all, when known. */
  readonly total: number | null;
  /** A short tally shown after the counts (`40 upgraded, 0 failed`). */
  readonly detail: string;
}

/** A progress display. */
export interface Progress {
  /** Shows the state after a step. */
  update(state: ProgressState): void;
  /** Ends the display (a terminal's bar gets its newline). */
  finish(): void;
}

const BAR_WIDTH = 24;

function percent(state: ProgressState): number | null {
  if (state.total === null || state.total <= 0) return null;
  return Math.min(100, Math.floor((state.done / state.total) * 100));
}

function counts(state: ProgressState): string {
  return state.total === null ? `${state.done}` : `${state.done}/${Math.max(state.total, state.done)}`;
}

/** The bar drawn on a terminal. */
export function barFrame(label: string, state: ProgressState): string {
  const share = percent(state);
  const filled = share === null ? 0 : Math.floor((share / 100) * BAR_WIDTH);
  const bar = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
  const shown = share === null ? "  ?%" : `${String(share).padStart(3)}%`;
  return `${label} ${bar} ${shown} ${counts(state)} ${state.detail}`;
}

/** The line written when stderr is not a terminal. */
export function plainLine(label: string, state: ProgressState): string {
  const share = percent(state);
  return `${label}: ${counts(state)} scanned${share === null ? "" : ` (${share}%)`}, ${state.detail}`;
}

/**
 * A progress display on `stream`: a bar when it is a terminal (`mode` `auto` or `bar`), plain
 * lines when it is not (or `mode` `plain`), nothing for `none`.
 */
export function createProgress(stream: CliStream, label: string, mode: "auto" | "bar" | "plain" | "none"): Progress {
  const style = mode === "auto" ? (stream.isTTY === true ? "bar" : "plain") : mode;
  let drawn = 0;
  return {
    update(state) {
      if (style === "none") return;
      if (style === "plain") {
        stream.write(`${plainLine(label, state)}\n`);
        return;
      }
      const frame = barFrame(label, state);
      // Clear what a longer previous frame left behind.
      stream.write(`\r${frame}${" ".repeat(Math.max(0, drawn - frame.length))}`);
      drawn = frame.length;
    },
    finish() {
      if (style === "bar" && drawn > 0) stream.write("\n");
      drawn = 0;
    },
  };
}
