/**
 * A small SVG line chart: series of (x, y) points on shared axes, an optional horizontal target
 * line, ticks and a legend. Enough for the README's performance charts without a dependency.
 */

const WIDTH = 640;
const HEIGHT = 300;
const PAD = { left: 64, right: 16, top: 36, bottom: 44 };
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c'];

function niceStep(range, ticks) {
  const raw = range / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw) ?? 10;
  return step * magnitude;
}

function format(value) {
  if (Math.abs(value) >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (Math.abs(value) >= 1e3) return `${(value / 1e3).toFixed(value % 1000 === 0 ? 0 : 1)}k`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function escape(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * @param {{title: string, xLabel: string, yLabel: string, series: Array<{name: string, points: Array<[number, number]>}>,
 *          target?: {value: number, label: string}, yMin?: number}} chart
 */
export function lineChart(chart) {
  const points = chart.series.flatMap((s) => s.points);
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]).concat(chart.target ? [chart.target.value] : []);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs, xMin + 1);
  const yMin = chart.yMin ?? Math.min(0, ...ys);
  const yStep = niceStep(Math.max(...ys, yMin + 1) - yMin, 5);
  const yMax = Math.ceil(Math.max(...ys, yMin + 1) / yStep) * yStep;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const sx = (x) => PAD.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y) => PAD.top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  for (let y = yMin; y <= yMax + 1e-9; y += yStep) {
    out.push(`<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${sy(y) + 4}" text-anchor="end" fill="#374151">${format(y)}</text>`);
  }
  const xStep = niceStep(xMax - xMin, 6);
  for (let x = Math.ceil(xMin / xStep) * xStep; x <= xMax + 1e-9; x += xStep) {
    out.push(
      `<text x="${sx(x)}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle" fill="#374151">${format(x)}</text>`,
    );
  }
  out.push(`<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${PAD.top + plotH}" stroke="#6b7280"/>`);
  out.push(
    `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH}" stroke="#6b7280"/>`,
  );
  out.push(
    `<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle" fill="#111827">${escape(chart.xLabel)}</text>`,
  );
  out.push(
    `<text transform="translate(14 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#111827">${escape(chart.yLabel)}</text>`,
  );
  if (chart.target) {
    const y = sy(chart.target.value);
    out.push(
      `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y}" y2="${y}" stroke="#111827" stroke-dasharray="5 4"/>`,
    );
    out.push(
      `<text x="${WIDTH - PAD.right - 4}" y="${y - 4}" text-anchor="end" fill="#111827">${escape(chart.target.label)}</text>`,
    );
  }
  chart.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${sx(p[0]).toFixed(1)} ${sy(p[1]).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    out.push(`<rect x="${PAD.left + 8 + i * 150}" y="${PAD.top - 14}" width="10" height="10" fill="${color}"/>`);
    out.push(`<text x="${PAD.left + 22 + i * 150}" y="${PAD.top - 5}" fill="#111827">${escape(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
