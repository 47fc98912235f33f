import type { ModelVersion } from '../types';

/** The metadata fields whose value is a number in at least one version (e.g. `Test-Score`). */
export function numericFields(versions: ModelVersion[]): string[] {
  const fields = new Set<string>();
  for (const v of versions) {
    for (const [k, value] of Object.entries(v.metadata))
      if (value.trim() !== '' && Number.isFinite(Number(value))) fields.add(k);
  }
  return [...fields].sort();
}

// Small enough that its 16-unit labels stay readable when a 390 px screen scales it down.
const W = 480;
const H = 260;
const PAD = { left: 64, right: 24, top: 20, bottom: 40 };
/** Room between the axes and the first and last points. */
const INSET = 24;

/** One point per version that has a numeric value for `field`, versions on the x axis, in order. */
export function MetricPlot({ versions, field }: { versions: ModelVersion[]; field: string }) {
  const points = versions
    .map((v) => ({ version: v.version, value: Number(v.metadata[field]) }))
    .filter((p) => v(p.value))
    .sort((a, b) => a.version - b.version);
  if (points.length === 0) return <p>No version has a numeric {field}.</p>;
  const xs = points.map((p) => p.version);
  const ys = points.map((p) => p.value);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const width = W - PAD.left - PAD.right - 2 * INSET;
  const height = H - PAD.top - PAD.bottom - 2 * INSET;
  const x = (n: number) => PAD.left + INSET + (x1 === x0 ? 0.5 : (n - x0) / (x1 - x0)) * width;
  const y = (n: number) => H - PAD.bottom - INSET - ((n - y0) / (y1 - y0)) * height;
  const label = `${field} across ${points.length} versions: ${points.map((p) => `v${p.version} ${p.value}`).join(', ')}`;
  return (
    <figure class="plot">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} preserveAspectRatio="xMidYMid meet">
        <line x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} class="axis" />
        <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} class="axis" />
        <text x={PAD.left - 6} y={y(y1) + 4} text-anchor="end">
          {round(y1)}
        </text>
        <text x={PAD.left - 6} y={y(y0) + 4} text-anchor="end">
          {round(y0)}
        </text>
        <polyline points={points.map((p) => `${x(p.version)},${y(p.value)}`).join(' ')} class="line" />
        {points.map((p) => (
          <g key={p.version} class="metric-point" data-version={p.version} data-value={p.value}>
            <circle cx={x(p.version)} cy={y(p.value)} r={6}>
              <title>
                v{p.version}: {p.value}
              </title>
            </circle>
            <text x={x(p.version)} y={H - PAD.bottom + 22} text-anchor="middle">
              v{p.version}
            </text>
          </g>
        ))}
      </svg>
      <figcaption>
        {field} by version ({points.length} {points.length === 1 ? 'point' : 'points'})
      </figcaption>
    </figure>
  );
}

function v(n: number): boolean {
  return Number.isFinite(n);
}

function round(n: number): string {
  return Number(n.toPrecision(4)).toString();
}
