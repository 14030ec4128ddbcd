// A grouped bar chart as a standalone SVG string, no charting library: one panel per
// figure (delivered msg/s, p99 latency, …), side by side; in each panel one group of bars
// per transport and one bar per broker (the median), with a dot for each run's value.

export interface ChartPanel {
  title: string;
  better: 'higher' | 'lower';
  /** Value labels and axis ticks. */
  format: (v: number) => string;
  /** The bar (median) and the per-run values for one transport and broker; undefined: no bar. */
  value: (group: string, series: string) => { median: number; runs: number[] } | undefined;
}

export interface ChartSpec {
  title: string;
  /** Lines under the title (wrapped to the chart's width). */
  subtitle: readonly string[];
  /** X groups (transports). */
  groups: readonly string[];
  /** Bars within a group (brokers), in legend order. */
  series: readonly string[];
  panels: readonly ChartPanel[];
}

const COLORS: Record<string, string> = { edgemq: '#2563eb', mosquitto: '#16a34a', aedes: '#ea580c' };
const PALETTE = ['#7c3aed', '#0891b2', '#db2777', '#65a30d'];
const FONT = 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif';

const PANEL_W = 380;
const PANEL_GAP = 24;
const MARGIN = 16;
const TITLE_H = 34;
const LINE_H = 15;
const LEGEND_H = 30;
const PLOT_TOP = 34; // below the panel title
const PLOT_H = 200;
const AXIS_W = 58;
const FOOT_H = 30;

export function colorOf(series: string, index: number): string {
  return COLORS[series] ?? PALETTE[index % PALETTE.length];
}

/** XML text escaping for element content and attribute values. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round axis maximum ≥ `max` and its tick step (about 5 ticks of 1, 2, 2.5 or 5 × 10^k). */
export function niceScale(max: number): { max: number; step: number } {
  if (!(max > 0) || !Number.isFinite(max)) return { max: 1, step: 0.2 };
  const rough = max / 5;
  const pow = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= rough) ?? 10 * pow;
  return { max: Math.ceil(max / step - 1e-9) * step, step };
}

/** 1234567 → 1.23M, 43812 → 43.8k, 512 → 512. */
export function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(a >= 1e8 ? 0 : a >= 1e7 ? 1 : 2)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(a >= 1e5 ? 0 : a >= 1e4 ? 1 : 2)}k`;
  if (a >= 10 || v === 0) return `${Math.round(v)}`;
  return v.toFixed(a >= 1 ? 1 : 2);
}

const r1 = (n: number) => Math.round(n * 10) / 10;

/** Splits `text` at spaces into lines of at most `max` characters (longer words stay whole). */
export function wrap(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > max) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

export function barChartSvg(spec: ChartSpec): string {
  const width = MARGIN * 2 + spec.panels.length * PANEL_W + (spec.panels.length - 1) * PANEL_GAP;
  const subtitle = spec.subtitle.flatMap((l) => wrap(l, Math.floor((width - 2 * MARGIN) / 6.2)));
  const legendY = TITLE_H + subtitle.length * LINE_H + 8;
  const headerH = legendY + LEGEND_H;
  const height = headerH + PLOT_TOP + PLOT_H + FOOT_H + MARGIN;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="26" font-size="17" font-weight="600" fill="#111827">${esc(spec.title)}</text>`,
    ...subtitle.map(
      (line, i) =>
        `<text x="${MARGIN}" y="${TITLE_H + 10 + i * LINE_H}" font-size="11" fill="#4b5563">${esc(line)}</text>`,
    ),
  );
  // Legend.
  let lx = MARGIN;
  spec.series.forEach((name, i) => {
    out.push(
      `<rect x="${lx}" y="${legendY}" width="12" height="12" rx="2" fill="${colorOf(name, i)}"/>`,
      `<text x="${lx + 17}" y="${legendY + 10}" font-size="12" fill="#111827">${esc(name)}</text>`,
    );
    lx += 30 + name.length * 7.5;
  });
  const manyRuns = spec.panels.some((p) =>
    spec.groups.some((g) => spec.series.some((s) => (p.value(g, s)?.runs.length ?? 0) > 1)),
  );
  if (manyRuns) {
    out.push(
      `<circle cx="${lx + 6}" cy="${legendY + 6}" r="2.5" fill="#111827" fill-opacity="0.65"/>`,
      `<text x="${lx + 14}" y="${legendY + 10}" font-size="11" fill="#4b5563">one run (bar: median)</text>`,
    );
  }
  spec.panels.forEach((panel, p) => {
    out.push(panelSvg(spec, panel, MARGIN + p * (PANEL_W + PANEL_GAP), headerH));
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** An axis tick: in k or M past 1000, as many decimals as the step needs (0.25 → 2, 2.5 → 1). */
export function tickLabel(v: number, step: number): string {
  const [unit, div] = step >= 1e6 ? ['M', 1e6] : step >= 1e3 ? ['k', 1e3] : ['', 1];
  const s = step / div;
  let decimals = 0;
  while (decimals < 6 && Math.abs(s * 10 ** decimals - Math.round(s * 10 ** decimals)) > 1e-6) decimals++;
  return v === 0 ? '0' : `${(v / div).toFixed(decimals)}${unit}`;
}

function panelSvg(spec: ChartSpec, panel: ChartPanel, x0: number, y0: number): string {
  const out: string[] = [];
  const cells = spec.groups.flatMap((g) => spec.series.map((s) => panel.value(g, s)));
  const max = Math.max(0, ...cells.flatMap((c) => (c === undefined ? [] : [c.median, ...c.runs])));
  const scale = niceScale(max * 1.08); // room for the value labels above the tallest bar
  const plotX = x0 + AXIS_W;
  const plotW = PANEL_W - AXIS_W - 8;
  const plotY = y0 + PLOT_TOP;
  const yOf = (v: number) => r1(plotY + PLOT_H - (Math.max(0, v) / scale.max) * PLOT_H);
  const hint = panel.better === 'higher' ? 'higher is better' : 'lower is better';
  out.push(
    `<text x="${x0}" y="${y0 + 14}" font-size="13" font-weight="600" fill="#111827">${esc(panel.title)}` +
      ` <tspan font-size="11" font-weight="400" fill="#6b7280">(${hint})</tspan></text>`,
  );
  // Grid and y ticks.
  for (let v = 0; v <= scale.max + scale.step / 2; v += scale.step) {
    const y = yOf(v);
    out.push(
      `<line x1="${plotX}" y1="${y}" x2="${plotX + plotW}" y2="${y}" stroke="${v === 0 ? '#9ca3af' : '#e5e7eb'}" stroke-width="1"/>`,
      `<text x="${plotX - 6}" y="${r1(y + 4)}" font-size="10" fill="#6b7280" text-anchor="end">${esc(tickLabel(v, scale.step))}</text>`,
    );
  }
  // Bars.
  const groupW = plotW / Math.max(1, spec.groups.length);
  const innerW = groupW * 0.78;
  const barW = innerW / Math.max(1, spec.series.length);
  spec.groups.forEach((group, g) => {
    const gx = plotX + g * groupW + (groupW - innerW) / 2;
    spec.series.forEach((series, s) => {
      const cell = panel.value(group, series);
      const bx = r1(gx + s * barW + barW * 0.08);
      const bw = r1(barW * 0.84);
      const cx = r1(bx + bw / 2);
      if (cell === undefined) {
        out.push(
          `<text x="${cx}" y="${plotY + PLOT_H - 4}" font-size="10" fill="#9ca3af" text-anchor="middle">n/a</text>`,
        );
        return;
      }
      const y = yOf(cell.median);
      const label = `${series} ${group}: ${panel.format(cell.median)}`;
      out.push(
        `<rect x="${bx}" y="${y}" width="${bw}" height="${r1(plotY + PLOT_H - y)}" fill="${colorOf(series, s)}"><title>${esc(label)}</title></rect>`,
        `<text x="${cx}" y="${r1(Math.max(plotY + 9, y - 4))}" font-size="10" fill="#111827" stroke="#ffffff" stroke-width="3" paint-order="stroke" text-anchor="middle">${esc(panel.format(cell.median))}</text>`,
      );
      if (cell.runs.length > 1) {
        for (const run of cell.runs) {
          out.push(`<circle cx="${cx}" cy="${yOf(run)}" r="2.5" fill="#111827" fill-opacity="0.65"/>`);
        }
      }
    });
    out.push(
      `<text x="${r1(plotX + g * groupW + groupW / 2)}" y="${plotY + PLOT_H + 18}" font-size="12" fill="#111827" text-anchor="middle">${esc(group)}</text>`,
    );
  });
  return out.join('\n');
}
