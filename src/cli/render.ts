/**
 * Text output: aligned tables and labelled lines, plain ASCII (no colours: the output is for
 * terminals, logs and diffs alike). JSON output goes through {@link jsonText}.
 */

/** A cell: text, a number, or nothing (shown as `-`). */
export type Cell = string | number | boolean | null | undefined;

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined || cell === "") return "-";
  if (typeof cell === "boolean") return cell ? "yes" : "no";
  return String(cell).replace(/\s*\r?\n\s*/g, " ");
}

/**
 * An aligned table: a header row, then one line per row, columns two spaces apart, the last
 * column unpadded. Indented by `indent` spaces.
 */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], indent = 2): string {
  const texts = [headers.map((header) => header.toUpperCase()), ...rows.map((row) => row.map(cellText))];
  const widths = headers.map((_, column) => Math.max(...texts.map((row) => (row[column] ?? "").length)));
  const pad = " ".repeat(indent);
  return texts
    .map(
      (row) =>
        pad +
        row
          .map((text, column) => (column === row.length - 1 ? text : text.padEnd(widths[column] ?? 0)))
          .join("  ")
          .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}

/** Labelled lines (`label   value`), labels padded to one width, indented by `indent` spaces. */
export function fields(pairs: readonly (readonly [string, Cell])[], indent = 2): string {
  const width = Math.max(0, ...pairs.map(([label]) => label.length));
  const pad = " ".repeat(indent);
  return pairs.map(([label, value]) => `${pad}${label.padEnd(width)}  ${cellText(value)}\n`).join("");
}

/** A value as the CLI prints JSON: two-space indented, one trailing newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** `n thing` / `n things`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
