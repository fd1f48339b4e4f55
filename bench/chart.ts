/**
 * A small SVG line-chart renderer for the benchmarks (hand-written SVG, no dependencies): log
 * or linear axes, grid, tick labels, axis titles, a legend, one polyline with markers per
 * series. `bench/throughput.ts` uses it for `bench/throughput.svg`; run directly, it re-renders
 * that chart from the JSON a run wrote:
 *
 *   npx tsx bench/chart.ts [bench/throughput.json] [bench/throughput.svg]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

/** One point of a series. */
export interface ChartPoint {
  readonly x: number;
  readonly y: number;
  /** The spread behind `y` (for example the lowest and highest round), drawn as a whisker. */
  readonly range?: readonly [number, number];
}

/** One line of the chart. */
export interface ChartSeries {
  readonly label: string;
  readonly points: readonly ChartPoint[];
  /** The line colour; by default the next of a colour-blind-safe palette. */
  readonly color?: string;
  /** Draw dashed with hollow markers (a variant of another series in the same colour). */
  readonly dashed?: boolean;
}

/** What {@link renderLineChart} draws. */
export interface LineChartOptions {
  readonly title: string;
  /** Lines under the title (date, machine, load). */
  readonly subtitle?: readonly string[];
  readonly xLabel: string;
  readonly yLabel: string;
  /** The x values to label (the x axis is log 2). */
  readonly xTicks: readonly number[];
  /** Linear y from 0 instead of log 10. Default false (log). */
  readonly yLinear?: boolean;
  readonly series: readonly ChartSeries[];
  readonly width?: number;
  readonly height?: number;
}

/** Okabe-Ito: distinguishable with the common colour-vision deficiencies. */
const COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];
const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** 1,000 -> "1k", 20,000 -> "20k", 1,500,000 -> "1.5M". */
export function shortNumber(value: number): string {
  const trim = (n: number): string => String(Number(n.toPrecision(3)));
  if (value >= 1e6) return `${trim(value / 1e6)}M`;
  if (value >= 1e3) return `${trim(value / 1e3)}k`;
  return trim(value);
}

function yTicksLog(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let exponent = Math.floor(Math.log10(min)); exponent <= Math.ceil(Math.log10(max)); exponent += 1) {
    for (const mantissa of [1, 2, 5]) {
      const value = mantissa * 10 ** exponent;
      if (value >= min * 0.999 && value <= max * 1.001) ticks.push(value);
    }
  }
  return ticks;
}

function yTicksLinear(max: number): number[] {
  const rough = max / 6;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? rough;
  const ticks: number[] = [];
  for (let value = 0; value <= max * 1.0001; value += step) ticks.push(value);
  return ticks;
}

/** Renders a line chart as a standalone SVG document. */
export function renderLineChart(options: LineChartOptions): string {
  const width = options.width ?? 1060;
  const height = options.height ?? 600;
  const subtitle = options.subtitle ?? [];
  const top = 56 + subtitle.length * 20;
  const left = 86;
  const right = 320;
  const bottom = 70;
  const plotW = width - left - right;
  const plotH = height - top - bottom;

  // Points that cannot be drawn (not measured: NaN; zero or below on a log axis) are left out.
  const drawable = (p: ChartPoint): boolean =>
    Number.isFinite(p.x) && p.x > 0 && Number.isFinite(p.y) && (p.y > 0 || options.yLinear === true);
  const allSeries = options.series.map((s, index) => ({
    label: s.label,
    color: s.color ?? COLORS[index % COLORS.length]!,
    dash: s.dashed === true ? "7 4" : "",
    hollow: s.dashed === true,
    points: s.points
      .filter(drawable)
      .map((p) =>
        p.range !== undefined && p.range.every((v) => Number.isFinite(v) && v > 0) ? p : { x: p.x, y: p.y },
      ),
  }));
  const xs = allSeries.flatMap((s) => s.points.map((p) => p.x)).concat(options.xTicks);
  const ys = allSeries.flatMap((s) => s.points.flatMap((p) => [p.y, ...(p.range ?? [])])).filter((y) => y > 0);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const yDataMin = ys.length > 0 ? Math.min(...ys) : 1;
  const yDataMax = ys.length > 0 ? Math.max(...ys) : 10;
  const yLog = options.yLinear !== true;
  // Log axes end on the 1-2-5 steps around the data, linear ones on a round step above it.
  const steps = (value: number): number[] => {
    const decade = 10 ** Math.floor(Math.log10(value));
    return [0.5, 1, 2, 5, 10].map((m) => m * decade);
  };
  const yMin = yLog
    ? steps(yDataMin)
        .filter((s) => s <= yDataMin * 0.95)
        .at(-1)!
    : 0;
  const yMax = yLog
    ? steps(yDataMax).find((s) => s >= yDataMax * 1.05)!
    : (yTicksLinear(yDataMax * 1.05).at(-1) ?? yDataMax);
  const yTicks = yLog ? yTicksLog(yMin, yMax) : yTicksLinear(yMax);

  const px = (x: number): number =>
    left + ((Math.log2(x) - Math.log2(xMin)) / (Math.log2(xMax) - Math.log2(xMin))) * plotW;
  const py = (y: number): number => {
    const t = yLog
      ? (Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))
      : y / yMax;
    return top + plotH - t * plotH;
  };
  const r = (n: number): string => n.toFixed(1);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" role="img" aria-label="${escapeXml(options.title)}">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="32" font-size="20" font-weight="600" fill="#111">${escapeXml(options.title)}</text>`);
  subtitle.forEach((line, i) => {
    out.push(`<text x="${left}" y="${56 + i * 20}" font-size="14" fill="#444">${escapeXml(line)}</text>`);
  });

  // Grid and y ticks.
  for (const tick of yTicks) {
    const y = py(tick);
    const major = !yLog || Math.abs(Math.log10(tick) - Math.round(Math.log10(tick))) < 1e-9;
    out.push(
      `<line x1="${left}" y1="${r(y)}" x2="${left + plotW}" y2="${r(y)}" stroke="${major ? "#c8c8c8" : "#e6e6e6"}" stroke-width="1"/>`,
    );
    out.push(
      `<text x="${left - 10}" y="${r(y + 5)}" font-size="14" text-anchor="end" fill="#333">${shortNumber(tick)}</text>`,
    );
  }
  // x ticks.
  for (const tick of options.xTicks) {
    const x = px(tick);
    out.push(`<line x1="${r(x)}" y1="${top}" x2="${r(x)}" y2="${top + plotH}" stroke="#e6e6e6" stroke-width="1"/>`);
    out.push(
      `<text x="${r(x)}" y="${top + plotH + 22}" font-size="14" text-anchor="middle" fill="#333">${shortNumber(tick)}</text>`,
    );
  }
  // Axes.
  out.push(
    `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888" stroke-width="1"/>`,
  );
  out.push(
    `<text x="${left + plotW / 2}" y="${height - 20}" font-size="15" text-anchor="middle" fill="#222">${escapeXml(options.xLabel)}</text>`,
  );
  out.push(
    `<text transform="translate(22 ${top + plotH / 2}) rotate(-90)" font-size="15" text-anchor="middle" fill="#222">${escapeXml(options.yLabel)}</text>`,
  );

  // Series, then the legend ordered by the last value (top line first).
  const order = allSeries
    .map((series, index) => ({ series, index, last: series.points.at(-1)?.y ?? 0 }))
    .sort((a, b) => b.last - a.last);
  for (const { series, index } of order) {
    const { color, dash, hollow } = series;
    const path = series.points.map((p) => `${r(px(p.x))},${r(py(p.y))}`).join(" ");
    out.push(
      `<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2.5"${dash === "" ? "" : ` stroke-dasharray="${dash}"`} stroke-linejoin="round"/>`,
    );
    // Whiskers, nudged sideways per series so that overlapping ones stay apart.
    const nudge = (index - (allSeries.length - 1) / 2) * 3;
    for (const p of series.points) {
      if (p.range === undefined) continue;
      const x = r(px(p.x) + nudge);
      const [lo, hi] = [py(p.range[0]), py(p.range[1])];
      out.push(
        `<path d="M${x},${r(lo)}V${r(hi)}M${r(px(p.x) + nudge - 3)},${r(lo)}h6M${r(px(p.x) + nudge - 3)},${r(hi)}h6" stroke="${color}" stroke-width="1.2" stroke-opacity="0.55" fill="none"/>`,
      );
    }
    for (const p of series.points) {
      out.push(
        `<circle cx="${r(px(p.x))}" cy="${r(py(p.y))}" r="4" ${hollow ? `fill="#fff" stroke="${color}" stroke-width="2"` : `fill="${color}"`}><title>${escapeXml(`${series.label}: ${Math.round(p.y).toLocaleString("en-US")} at ${p.x}`)}</title></circle>`,
      );
    }
  }
  const legendX = left + plotW + 24;
  order.forEach(({ series, last }, row) => {
    const { color, dash, hollow } = series;
    const y = top + 14 + row * 44;
    out.push(
      `<line x1="${legendX}" y1="${y}" x2="${legendX + 30}" y2="${y}" stroke="${color}" stroke-width="2.5"${dash === "" ? "" : ` stroke-dasharray="${dash}"`}/>`,
    );
    out.push(
      `<circle cx="${legendX + 15}" cy="${y}" r="4" ${hollow ? `fill="#fff" stroke="${color}" stroke-width="2"` : `fill="${color}"`}/>`,
    );
    out.push(`<text x="${legendX + 40}" y="${y + 5}" font-size="15" fill="#111">${escapeXml(series.label)}</text>`);
    const lastX = series.points.at(-1)?.x;
    if (lastX !== undefined) {
      out.push(
        `<text x="${legendX + 40}" y="${y + 24}" font-size="13" fill="#555">${shortNumber(last)}/s at ${lastX}</text>`,
      );
    }
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/** What `bench/throughput.ts` writes to `bench/throughput.json`. */
export interface ThroughputResults {
  /** When the run started (ISO). */
  readonly date: string;
  /** Cores, CPU model, Node version. */
  readonly machine: string;
  /** The 1-minute load average at the start and at the end of the run. */
  readonly load: readonly [number, number];
  /** Milliseconds per point per round. */
  readonly pointMs: number;
  /** Rounds measured (each point is their median). */
  readonly rounds: number;
  /** Per adapter: commits per second by client count. */
  readonly series: readonly {
    readonly adapter: string;
    readonly label: string;
    readonly points: readonly {
      readonly clients: number;
      /** The median of the rounds. */
      readonly commitsPerSecond: number;
      /** Every round's figure. */
      readonly rounds: readonly number[];
    }[];
  }[];
}

/** One colour per adapter; its shared-draft line is the same colour, dashed. */
const ADAPTER_COLORS: Readonly<Record<string, string>> = {
  memory: "#0072B2",
  sqlite: "#009E73",
  postgres: "#CC79A7",
  mysql: "#E69F00",
  redis: "#D55E00",
};

/** The throughput chart of a run: commits per second against clients, one line per adapter. */
export function throughputChart(results: ThroughputResults): string {
  const clients = [...new Set(results.series.flatMap((s) => s.points.map((p) => p.clients)))].sort((a, b) => a - b);
  return renderLineChart({
    title: "engine.execute: commits per second against concurrent clients",
    subtitle: [
      "solid: each client on its own draft; dashed: all on one draft, retrying after each version conflict; whiskers: lowest and highest round",
      `${results.date.slice(0, 10)} · ${results.machine} · load average ${results.load[0]} → ${results.load[1]} · median of ${results.rounds} rounds × ${results.pointMs} ms`,
    ],
    xLabel: "concurrent clients (log scale)",
    yLabel: "commits per second (log scale)",
    xTicks: clients,
    series: results.series.map((s) => ({
      label: s.label,
      color: ADAPTER_COLORS[s.adapter.replace(/-shared$/, "")] ?? "#555555",
      dashed: s.adapter.endsWith("-shared"),
      points: s.points.map((p) => ({
        x: p.clients,
        y: p.commitsPerSecond,
        range: [Math.min(...p.rounds), Math.max(...p.rounds)] as const,
      })),
    })),
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const input = process.argv[2] ?? "bench/throughput.json";
  const output = process.argv[3] ?? "bench/throughput.svg";
  writeFileSync(output, throughputChart(JSON.parse(readFileSync(input, "utf8")) as ThroughputResults));
  console.log(`wrote ${output} from ${input}`);
}
