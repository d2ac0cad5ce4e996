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
