// What a benchmark hands back and how it is shown: markdown tables on stdout, JSON files in bench/results/.
// A benchmark that cannot run says why ("not available: …") instead of failing the whole run.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Machine } from './machine.js';

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

export interface BenchResult {
  name: string;
  /** 'ok', or 'partial'/'unavailable' with the reasons in `notes`. */
  status: 'ok' | 'partial' | 'unavailable';
  tables: Table[];
  /** Targets from the issues (6, 16) and whether this run met them. */
  targets: TargetCheck[];
  notes: string[];
  /** Raw measurements, for the JSON file. */
  data: Record<string, unknown>;
  seconds: number;
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | null;
  /** The issue and point that set the target, for the run's summary of an issue (bench/lib/targets.ts). */
  issue?: number;
  point?: number;
}

export function unavailable(name: string, why: string): BenchResult {
  return { name, status: 'unavailable', tables: [], targets: [], notes: [`not available: ${why}`], data: {}, seconds: 0 };
}

export function formatNumber(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return a / b;
}

export function formatRatio(value: number | null): string {
  return value === null ? '–' : `${value.toFixed(2)}×`;
}

export function markdownTable(table: Table): string {
  const cell = (v: string | number | null) => (v === null ? '–' : String(v));
  const lines = [
    `| ${table.columns.join(' | ')} |`,
    `| ${table.columns.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
  return `**${table.title}**\n\n${lines.join('\n')}\n`;
}

export function renderResult(result: BenchResult): string {
  const parts = [`## ${result.name} (${result.status}, ${result.seconds.toFixed(0)} s)\n`];
  for (const table of result.tables) parts.push(markdownTable(table));
  if (result.targets.length > 0) {
    parts.push(markdownTable({
      title: 'Targets',
      columns: ['target', 'measured', 'met'],
      rows: result.targets.map((t) => [t.target, t.measured, t.met === null ? 'n/a' : t.met ? 'yes' : '**no**']),
    }));
  }
  for (const note of result.notes) parts.push(`- ${note}`);
  return `${parts.join('\n')}\n`;
}

export function machineLine(m: Machine): string {
  return `${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, Linux ${m.kernel}, ` +
    `Node ${m.node}, Docker ${m.docker}${m.wrk ? `, ${m.wrk}` : ''}`;
}

export function writeResults(dir: string, machine: Machine, results: BenchResult[], startedAt: Date): string[] {
  mkdirSync(dir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
  const written: string[] = [];
  for (const result of results) {
    const file = path.join(dir, `${result.name}-${stamp}.json`);
    writeFileSync(file, `${JSON.stringify({ startedAt, machine, result }, null, 2)}\n`);
    written.push(file);
  }
  const latest = path.join(dir, 'latest.json');
  writeFileSync(latest, `${JSON.stringify({ startedAt, machine, results }, null, 2)}\n`);
  const markdown = path.join(dir, 'latest.md');
  writeFileSync(markdown, `Measured on ${machineLine(machine)} (${startedAt.toISOString()}).\n\n${results.map(renderResult).join('\n')}`);
  written.push(latest, markdown);
  return written;
}
