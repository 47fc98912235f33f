/** The fault matrix as a Markdown table (it reads in a terminal and pastes into the README). Pure. */
import { cellName } from './matrix.js';
import { problems, summarize, verdict, type CellResult } from './verdict.js';

const HEADER = [
  'cell',
  'fired at',
  'final state',
  'ended s',
  'failed req',
  'gap s',
  'orphans',
  'rows running',
  'verdict',
];

function cells(r: CellResult): string[] {
  const v = verdict(r);
  const why =
    v === 'FAIL' ? `: ${problems(r).join('; ')}` : v === 'missed' ? `: ${r.note ?? 'boundary not seen'}` : '';
  return [
    cellName(r),
    r.firedAt ?? '-',
    r.final,
    r.endedAfterSeconds === undefined ? '-' : r.endedAfterSeconds.toFixed(0),
    `${r.failedRequests}/${r.requests}`,
    r.gapSeconds ? r.gapSeconds.toFixed(1) : '0',
    String(r.orphans.length),
    String(r.stuckRows.length),
    `${v}${why}`,
  ];
}

const escape = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** One row per cell, columns padded to their widest entry, and a summary line. */
export function renderTable(results: CellResult[]): string {
  const rows = [HEADER, ...results.map(cells)].map((r) => r.map(escape));
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`;
  const s = summarize(results);
  return [
    line(rows[0]!),
    rule,
    ...rows.slice(1).map(line),
    '',
    `${s.cells} cells: ${s.passed} pass, ${s.failed} fail, ${s.missed} missed (boundary not reached).`,
  ].join('\n');
}

/** Details worth reading under the table: the notes and errors of every cell that did not pass. */
export function renderDetails(results: CellResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    if (verdict(r) === 'pass') continue;
    out.push(`${cellName(r)}:`);
    if (r.note) out.push(`  note: ${r.note}`);
    for (const o of r.orphans) out.push(`  orphan: ${o}`);
    for (const row of r.stuckRows) out.push(`  running row: ${row}`);
    for (const e of r.errors) out.push(`  request error: ${e}`);
  }
  return out.join('\n');
}
