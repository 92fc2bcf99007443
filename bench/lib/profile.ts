// Reads a V8 .cpuprofile (node --cpu-prof) and ranks where the CPU went: self time per function and per module
// (a package under node_modules, a Berth source file, or Node's internals), as tables for the results.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Table } from './report.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  /** Milliseconds sampled, without "(idle)". */
  busyMs: number;
  idleMs: number;
  functions: { name: string; ms: number; share: number }[];
  modules: { name: string; ms: number; share: number }[];
  /** Berth's own functions (src/), with everything they call. */
  berthInclusive: { name: string; ms: number; share: number }[];
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  const fns = new Map<string, number>();
  const mods = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const where = shortUrl(frame.url);
    const name = `${frame.functionName || '(anonymous)'}${where ? ` ${where}:${frame.lineNumber + 1}` : ''}`;
    fns.set(name, (fns.get(name) ?? 0) + us);
    const mod = moduleOf(frame.url, frame.functionName);
    mods.set(mod, (mods.get(mod) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (!f.url.includes('/hub-build/') && !f.url.includes('/src/') && !f.url.includes('/probe-build-')) continue;
      const key = `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const rank = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({ name, ms: us / 1000, share: busyUs ? us / busyUs : 0 }));
  return { file, busyMs: busyUs / 1000, idleMs: idleUs / 1000, functions: rank(fns), modules: rank(mods), berthInclusive: rank(inclusive) };
}

export function profileTables(s: ProfileSummary, label: string): Table[] {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return [
    { title: `${label}: CPU by module (self time; ${Math.round(s.busyMs)} ms busy, ${Math.round(s.idleMs)} ms idle)`, columns: ['module', 'ms', 'share of busy'], rows: s.modules.map((m) => [m.name, Math.round(m.ms), pct(m.share)]) },
    { title: `${label}: hottest functions (self time)`, columns: ['function', 'ms', 'share of busy'], rows: s.functions.map((f) => [f.name, Math.round(f.ms), pct(f.share)]) },
    { title: `${label}: Berth's functions (inclusive: with what they call)`, columns: ['function', 'ms', 'share of busy'], rows: s.berthInclusive.map((f) => [f.name, Math.round(f.ms), pct(f.share)]) },
  ];
}

function shortUrl(url: string): string {
  if (!url) return '';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('node_modules/');
  if (nm >= 0) return clean.slice(nm + 'node_modules/'.length);
  const build = clean.indexOf('/hub-build/');
  if (build >= 0) return `src/${clean.slice(build + '/hub-build/'.length)}`;
  return clean.startsWith('node:') ? clean : path.basename(clean);
}

function moduleOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native / V8 builtins)';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = clean.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (clean.startsWith('node:')) return `node:${clean.slice(5).split('/')[0] === 'internal' ? clean.slice(5).split('/').slice(0, 2).join('/') : clean.slice(5)}`;
  return shortUrl(url);
}
