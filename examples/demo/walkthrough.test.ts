/**
 * The demo (`npm run demo`) is a newcomer's first contact: it must read as a guided tour.
 * Runs it in-process for the order of its lines, and once as `npm run demo` does (a child
 * process, stdout not a TTY) for the exit code, the absence of colour codes and equal output.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LIFECYCLE_STATES } from "../../src/index.js";
import { runWalkthrough, type WalkthroughResult } from "./walkthrough.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCRIPT = fileURLToPath(new URL("./walkthrough.ts", import.meta.url));

interface Tour {
  readonly lines: readonly string[];
  readonly result: WalkthroughResult;
  readonly elapsedMs: number;
}

async function tour(): Promise<Tour> {
  const lines: string[] = [];
  const started = performance.now();
  const result = await runWalkthrough({ write: (line) => lines.push(line), colour: false });
  return { lines, result, elapsedMs: performance.now() - started };
}

/** Index of the first line matching `pattern` at or after `from`; fails the test when absent. */
function indexOf(lines: readonly string[], pattern: RegExp, from = 0): number {
  const index = lines.findIndex((line, i) => i >= from && pattern.test(line));
  expect(index, `no line matching ${pattern} after line ${from}`).toBeGreaterThanOrEqual(0);
  return index;
}

/** The table: header, column spans from the header line, and its row lines (steps and notes excluded). */
function table(lines: readonly string[]) {
  const headerAt = indexOf(lines, /^ {3}actor\s+command\s+result\s+v\s+state\s+wizard\s+poll\s+readiness$/);
  const header = lines[headerAt] ?? "";
  const titles = header.trim().split(/\s+/);
  const starts = titles.map((title) => header.search(new RegExp(`\\b${title}\\b`)));
  const column = (line: string, title: string): string => {
    const i = titles.indexOf(title);
    return line.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : undefined).trim();
  };
  const endAt = indexOf(lines, /^Audit trail/, headerAt);
  const rows: { index: number; line: string }[] = [];
  for (let index = headerAt + 2; index < endAt; index += 1) {
    const line = lines[index] ?? "";
    // Rows are indented by three spaces; steps start with their number, notes with "↳".
    if (/^ {3}\S/.test(line) && !line.trimStart().startsWith("↳")) rows.push({ index, line });
  }
  return { headerAt, titles, column, rows, endAt };
}

describe("examples/demo: the guided tour", () => {
  it("does a full onboarding on the memory store, with a rejected stale write, fast", async () => {
    const { result, elapsedMs } = await tour();
    expect(result.draft.lifecycle.state).toBe("completed");
    expect(result.conflict.code).toBe("version_conflict");
    expect(result.afterConflict.version).toBe(result.conflict.actualVersion);
    expect(result.conflict.expectedVersion).toBeLessThan(result.conflict.actualVersion);
    expect(elapsedMs).toBeLessThan(2500);
  });

  it("explains every column in a legend printed before the table", async () => {
    const { lines } = await tour();
    const legendAt = indexOf(lines, /^How to read the table$/);
    const { headerAt, titles } = table(lines);
    expect(legendAt).toBeLessThan(headerAt);
    for (const title of titles) {
      const at = indexOf(lines, new RegExp(`^ {2}${title}\\s{2,}\\S`), legendAt);
      expect(at, `legend entry for ${title}`).toBeLessThan(headerAt);
    }
    // Every value of the result column that appears in the table is explained.
    const { rows, column } = table(lines);
    const results = new Set(rows.map(({ line }) => column(line, "result")).filter((value) => value !== ""));
    for (const value of results) {
      const explained = lines
        .slice(legendAt, headerAt)
        .some((line) => new RegExp(`^\\s+${value}\\b.*\\s{2}\\S`).test(line));
      expect(explained, `legend explains result ${value}`).toBe(true);
    }
    expect(results).toContain("deduped");
    expect(results).toContain("REJECTED");
  });

  it("shows only lifecycle states in the state column; the rejected write shows its code and the unchanged draft", async () => {
    const { lines, result } = await tour();
    const { rows, column } = table(lines);
    expect(rows.length).toBeGreaterThan(10);
    for (const { line } of rows) {
      const state = column(line, "state");
      if (state !== "") expect(LIFECYCLE_STATES, line).toContain(state);
    }
    const rejected = rows.find(({ line }) => column(line, "result") === "REJECTED");
    expect(rejected).toBeDefined();
    const { index, line } = rejected ?? { index: -1, line: "" };
    expect(column(line, "actor")).toBe("bob");
    expect(column(line, "v")).toBe(String(result.afterConflict.version));
    expect(column(line, "state")).toBe(result.afterConflict.lifecycle.state);
    expect(column(lines[index + 1] ?? "", "result")).toBe("version_conflict");
    expect(lines.filter((l) => column(l, "state") === "version_conflict")).toEqual([]);
  });

  it("explains the stale write right after its row, naming the versions and that the draft stayed put", async () => {
    const { lines, result } = await tour();
    const { rows, column } = table(lines);
    const stepAt = indexOf(lines, /^\d+\. bob, whose tab still shows version \d+/);
    const rowAt = rows.find(({ line }) => column(line, "result") === "REJECTED")?.index ?? -1;
    const noteAt = indexOf(lines, /^ {3}↳ stale write rejected/);
    expect(stepAt).toBeLessThan(rowAt);
    expect(rowAt).toBeLessThan(noteAt);
    // Nothing but the row's continuation line between the row and its explanation.
    expect(noteAt - rowAt).toBe(2);
    const note = lines
      .slice(noteAt, indexOf(lines, /^$/, noteAt))
      .map((line) => line.trim())
      .join(" ");
    expect(note).toContain("version_conflict");
    expect(note).toContain(`based on version ${result.conflict.expectedVersion}`);
    expect(note).toContain(`stayed at version ${result.afterConflict.version}`);
  });

  it("calls the double click a double click, answered deduped with the existing run id", async () => {
    const { lines, result } = await tour();
    const verificationRun = result.draft.verification?.runId ?? "missing";
    const queuedAt = indexOf(lines, /^\d+\. alice clicks "Verify access"/);
    const doubleAt = indexOf(lines, /^\d+\. alice double-clicks "Verify access"/, queuedAt);
    const noteAt = indexOf(lines, /^ {3}↳ a double click, answered deduped with the existing run id/, doubleAt);
    const note = lines
      .slice(noteAt, indexOf(lines, /^$/, noteAt))
      .map((line) => line.trim())
      .join(" ");
    expect(note).toContain(`existing run id ${verificationRun}`);
    expect(note).toContain("no second run was queued");
    const { rows, column } = table(lines);
    const row = rows.find(({ index }) => index > doubleAt && index < noteAt);
    expect(row && column(row.line, "result")).toBe("deduped");
  });

  it("names the operation of every bootstrap report", async () => {
    const { lines, result } = await tour();
    const runs = result.draft.bootstrap?.runs ?? [];
    expect(runs.length).toBe(2);
    const { rows, column } = table(lines);
    const reports = rows.filter(({ line }) => column(line, "command") === "record_bootstrap_result");
    expect(reports.length).toBe(runs.length);
    for (const [i, report] of reports.entries()) {
      const run = runs[i];
      expect(column(lines[report.index + 1] ?? "", "command")).toBe(`${run?.runId} ${run?.operation} succeeded`);
    }
  });

  it("ends by pointing at the README, the docs, the engine's source and the walk-through", async () => {
    const { lines, result } = await tour();
    const readAt = indexOf(lines, /^Read next$/);
    expect(readAt).toBeGreaterThan(indexOf(lines, /^Done: /));
    const pointed = lines.slice(readAt + 1).map((line) => line.trim().split(/\s{2,}/)[0]);
    expect(pointed).toEqual(result.pointers);
    for (const path of ["README.md", "src/engine/engine.ts", "examples/demo/walkthrough.ts"])
      expect(pointed).toContain(path);
    expect(pointed.filter((path) => path?.startsWith("docs/")).length).toBeGreaterThanOrEqual(3);
    for (const path of pointed) expect(existsSync(`${ROOT}${path}`), path).toBe(true);
  });

  it("runs as `npm run demo` does: exit 0, no colour codes when stdout is not a TTY, the same lines", async () => {
    const { lines } = await tour();
    const started = performance.now();
    const child = spawnSync(process.execPath, ["--import", "tsx", SCRIPT], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 20_000,
      env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined },
    });
    const elapsedMs = performance.now() - started;
    expect(child.error).toBeUndefined();
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    expect(child.stdout).not.toContain("\u001b[");
    // ... while the same tour on a terminal is coloured (so the check above means something).
    const coloured: string[] = [];
    await runWalkthrough({ write: (line) => coloured.push(line), colour: true });
    expect(coloured.join("\n")).toContain("\u001b[");
    expect(child.stdout.trimEnd().split("\n")).toEqual(lines);
    // Includes starting Node and tsx; the tour itself takes a fraction of a second.
    expect(elapsedMs).toBeLessThan(10_000);
  });
});
