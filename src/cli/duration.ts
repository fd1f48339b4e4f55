/**
 * Durations on the command line: `30m`, `24h`, `7d`, `1h30m`, `500ms`. Pure.
 */
import { ValidationError } from "../index.js";

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^(?:\d+(?:ms|s|m|h|d|w))+$/;
const PART = /(\d+)(ms|s|m|h|d|w)/g;

/** The longest duration accepted: 100 years, far beyond any retention and still an exact integer. */
const MAX_DURATION_MS = 100 * 365 * 86_400_000;

/**
 * Parses a duration: one or more `<integer><unit>` parts, units `ms`, `s`, `m`, `h`, `d`, `w`
 * (`90s`, `24h`, `7d`, `1h30m`). Zero and more than 100 years are refused.
 *
 * @param text what was typed
 * @param option the option it was typed for, named in the error (`--older-than`)
 * @throws {@link ValidationError} (`options`, path `[option]`) for anything else.
 *
 * @example (the CLI's own code, not a package export, so not type-checked)
 * ```text
 * parseDuration("24h", "--older-than"); // 86400000
 * ```
 */
export function parseDuration(text: string, option: string): number {
  const trimmed = text.trim();
  let total = 0;
  if (DURATION.test(trimmed)) {
    for (const [, amount, unit] of trimmed.matchAll(PART))
      total += Number(amount) * (UNIT_MS[unit ?? ""] ?? Number.NaN);
  }
  if (!DURATION.test(trimmed) || !Number.isSafeInteger(total) || total <= 0 || total > MAX_DURATION_MS) {
    throw new ValidationError("options", [
      {
        code: "invalid_value",
        path: [option],
        message: `not a duration: ${JSON.stringify(text)} (use a positive amount with a unit: 30m, 24h, 7d, 1h30m; at most 100 years)`,
      },
    ]);
  }
  return total;
}

/** A whole number of milliseconds as the shortest duration text (`86400000` -> `1d`, `5400000` -> `1h30m`). */
export function formatDuration(ms: number): string {
  if (ms <= 0) return "0s";
  const parts: string[] = [];
  let left = ms;
  for (const unit of ["d", "h", "m", "s", "ms"] as const) {
    const size = UNIT_MS[unit] ?? 1;
    const amount = Math.floor(left / size);
    if (amount > 0) parts.push(`${amount}${unit}`);
    left -= amount * size;
  }
  return parts.join("");
}
