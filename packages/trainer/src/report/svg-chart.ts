/** Tiny inline-SVG line chart (no scripts, no external assets) for report.html. */
export interface Series {
  name: string;
  color: string;
  values: number[];
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function lineChart(title: string, series: Series[], width = 420, height = 220): string {
  const pad = { l: 44, r: 10, t: 24, b: 28 };
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let min = Math.min(0, ...all);
  let max = Math.max(...all, 1e-9);
  if (max === min) [min, max] = [min - 1, max + 1];
  const x = (i: number) => pad.l + (n === 1 ? 0.5 : i / (n - 1)) * (width - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - (v - min) / (max - min)) * (height - pad.t - pad.b);
  const paths = series
    .map((s) => {
      const d = s.values
        .map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`)
        .join(' ');
      return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`;
    })
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<text x="${pad.l + 8 + i * 110}" y="16" fill="${s.color}" font-size="12">${escapeHtml(s.name)}</text>`,
    )
    .join('');
  const ticks = [min, (min + max) / 2, max]
    .map((v) => `<text x="4" y="${y(v) + 4}" font-size="10">${v.toFixed(3)}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">
<rect x="${pad.l}" y="${pad.t}" width="${width - pad.l - pad.r}" height="${height - pad.t - pad.b}" fill="#fafafa" stroke="#ccc"/>
${ticks}${paths}${legend}<text x="${width / 2}" y="${height - 8}" font-size="11" text-anchor="middle">epoch (1..${n})</text></svg>`;
}

export interface HistogramSeries {
  name: string;
  color: string;
  values: number[];
}

/**
 * Overlaid histograms on one shared axis (each series normalised to its own count, so a set of
 * 30 photos and one of 150 compare by shape), with an optional vertical marker (the threshold).
 */
export function histogramChart(
  title: string,
  series: HistogramSeries[],
  marker?: { value: number; label: string },
  width = 420,
  height = 220,
  bins = 24,
): string {
  const pad = { l: 44, r: 10, t: 24, b: 34 };
  const all = [...series.flatMap((s) => s.values), ...(marker ? [marker.value] : [])].filter(Number.isFinite);
  let min = Math.min(...all);
  let max = Math.max(...all);
  if (!(max > min)) [min, max] = [min - 1, max + 1];
  const span = max - min;
  const shares = series.map((s) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of s.values)
      counts[Math.min(bins - 1, Math.max(0, Math.floor(((v - min) / span) * bins)))]!++;
    return counts.map((c) => c / Math.max(1, s.values.length));
  });
  const top = Math.max(1e-9, ...shares.flat());
  const plotW = width - pad.l - pad.r;
  const plotH = height - pad.t - pad.b;
  const x = (v: number) => pad.l + ((v - min) / span) * plotW;
  const bars = shares
    .map((share, k) =>
      share
        .map((h, i) => {
          if (h === 0) return '';
          const bh = (h / top) * plotH;
          return `<rect x="${(pad.l + (i / bins) * plotW).toFixed(1)}" y="${(pad.t + plotH - bh).toFixed(1)}" width="${(plotW / bins - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${series[k]!.color}" fill-opacity="0.45"/>`;
        })
        .join(''),
    )
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<text x="${pad.l + 8 + i * 170}" y="16" fill="${s.color}" font-size="12">${escapeHtml(s.name)} (${s.values.length})</text>`,
    )
    .join('');
  const mark = marker
    ? `<line x1="${x(marker.value).toFixed(1)}" x2="${x(marker.value).toFixed(1)}" y1="${pad.t}" y2="${pad.t + plotH}" stroke="#222" stroke-dasharray="4 3"/><text x="${(x(marker.value) + 4).toFixed(1)}" y="${pad.t + 12}" font-size="10">${escapeHtml(marker.label)}</text>`
    : '';
  const ticks = [min, (min + max) / 2, max]
    .map(
      (v, i) =>
        `<text x="${x(v).toFixed(1)}" y="${height - 20}" font-size="10" text-anchor="${['start', 'middle', 'end'][i]}">${v.toFixed(3)}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">
<rect x="${pad.l}" y="${pad.t}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#ccc"/>
${bars}${mark}${ticks}${legend}<text x="${width / 2}" y="${height - 6}" font-size="11" text-anchor="middle">${escapeHtml(title)}</text></svg>`;
}

export interface ReliabilitySeries {
  name: string;
  color: string;
  /** Per confidence bin: mean confidence and accuracy (NaN when empty) and count. */
  bins: { confidence: number; accuracy: number; count: number }[];
}

/** Reliability diagram: accuracy against confidence per bin, with the diagonal of perfect calibration. */
export function reliabilityChart(
  title: string,
  series: ReliabilitySeries[],
  width = 420,
  height = 260,
): string {
  const pad = { l: 44, r: 10, t: 24, b: 34 };
  const plotW = width - pad.l - pad.r;
  const plotH = height - pad.t - pad.b;
  const x = (v: number) => pad.l + v * plotW;
  const y = (v: number) => pad.t + (1 - v) * plotH;
  const lines = series
    .map((s) => {
      const pts = s.bins.filter((b) => b.count > 0);
      const d = pts
        .map((b, i) => `${i === 0 ? 'M' : 'L'}${x(b.confidence).toFixed(1)},${y(b.accuracy).toFixed(1)}`)
        .join(' ');
      const dots = pts
        .map(
          (b) =>
            `<circle cx="${x(b.confidence).toFixed(1)}" cy="${y(b.accuracy).toFixed(1)}" r="${Math.min(7, 2 + Math.sqrt(b.count)).toFixed(1)}" fill="${s.color}" fill-opacity="0.6"><title>${b.count} photos</title></circle>`,
        )
        .join('');
      return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>${dots}`;
    })
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<text x="${pad.l + 8 + i * 180}" y="16" fill="${s.color}" font-size="12">${escapeHtml(s.name)}</text>`,
    )
    .join('');
  const ticks = [0, 0.5, 1]
    .map(
      (v) =>
        `<text x="4" y="${(y(v) + 4).toFixed(1)}" font-size="10">${v}</text><text x="${x(v).toFixed(1)}" y="${height - 20}" font-size="10" text-anchor="middle">${v}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">
<rect x="${pad.l}" y="${pad.t}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#ccc"/>
<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#999" stroke-dasharray="4 3"/>
${lines}${ticks}${legend}<text x="${width / 2}" y="${height - 6}" font-size="11" text-anchor="middle">${escapeHtml(title)}: accuracy vs top-1 confidence</text></svg>`;
}
