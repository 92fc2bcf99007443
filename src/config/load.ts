// Reads hub.yaml once, at the edge: YAML with positions → ${VAR} substitution → schema → one frozen object.
// Every problem is reported as `file:line:col key.path: what is wrong (what to do)`, all of them at once.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Alias, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { deriveCookieAttributes, deriveUrls, type CookieAttributes, type HubUrls } from './derived.js';
import { logoFileProblem } from './logo-file.js';
import { CertificateProblem, certificateFilesOf, readCertificatePair } from '../tls/certificate-files.js';
import { closestKey, keysAt } from './keys.js';

export type HubConfig = Config & {
  /** Absolute path of the file this came from. */
  readonly file: string;
  /** hub.data_dir resolved against the file's directory. */
  readonly dataDir: string;
  /** hub.logo_file resolved against the file's directory (readable when the config was loaded), or null for Berth's logo. */
  readonly logoFile: string | null;
  /** URL prefixes, the public URL and the subdomain host, derived once (config/derived.ts). */
  readonly urls: HubUrls;
  /** Attributes every hub cookie shares (Secure when the public URL is https). */
  readonly cookie: CookieAttributes;
};

export class ConfigError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(`${file} is not a valid Berth config:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(file: string, env: Env = process.env): HubConfig {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found (pass --config PATH or set BERTH_CONFIG)'
      : code === 'EACCES' ? 'permission denied (make it readable by the hub user)'
      : code === 'EISDIR' ? 'is a directory, not a file' : String(err);
    throw new ConfigError(abs, [`${abs}: ${why}`]);
  }
  return parseConfig(text, abs, env);
}

export function parseConfig(text: string, file: string, env: Env = process.env): HubConfig {
  const name = path.basename(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return name;
    const { line, col } = lines.linePos(offset);
    return `${name}:${line}:${col}`;
  };

  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => `${at(e.pos[0])} YAML syntax error: ${firstLine(e.message)}`));
  }
  const problems = substituteEnv(doc, env, at);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    throw new ConfigError(file, [...problems, aliasBombProblem(doc, at)]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [`${name}: the file must be a mapping of sections (hub, auth, spawner, users, services)`]);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) problems.push(...parsed.error.issues.flatMap((issue) => describeIssue(issue, doc, at)));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(file, problems);

  const config = parsed.data;
  const logoFile = config.hub.logo_file === undefined ? null : path.resolve(path.dirname(file), config.hub.logo_file);
  const logoProblem = logoFile === null ? null : logoFileProblem(logoFile);
  if (logoProblem !== null) {
    const where = at((doc.getIn(['hub', 'logo_file'], true) as Node | undefined)?.range?.[0]);
    throw new ConfigError(file, [`${where} hub.logo_file: ${logoProblem} (the path is relative to ${name}; put the image there, or remove the key to serve Berth's logo)`]);
  }
  const tlsFiles = certificateFilesOf({ file, hub: config.hub });
  if (tlsFiles !== null) {
    try {
      readCertificatePair(tlsFiles);
    } catch (err) {
      if (!(err instanceof CertificateProblem)) throw err;
      const where = at((doc.getIn(['hub', 'tls', err.key], true) as Node | undefined)?.range?.[0]);
      throw new ConfigError(file, [`${where} hub.tls.${err.key}: ${err.message} (paths are relative to ${name})`]);
    }
  }

  return withDerived(config, file);
}

/** The config with the values derived from it (config/derived.ts, paths against the file's directory), frozen. */
export function withDerived(config: Config, file: string): HubConfig {
  const urls = deriveUrls(config.hub);
  return deepFreeze({
    ...config,
    file,
    dataDir: path.resolve(path.dirname(file), config.hub.data_dir),
    logoFile: config.hub.logo_file === undefined ? null : path.resolve(path.dirname(file), config.hub.logo_file),
    urls,
    cookie: deriveCookieAttributes(urls),
  });
}

/**
 * How many nodes aliases may copy in all (the yaml package's weighting): plenty for reusing a list of admins, far
 * too few for a "billion laughs" file whose nested aliases would expand to gigabytes.
 */
const MAX_ALIAS_COUNT = 100;

/** Points at the alias that multiplies: the first one repeating a node that itself holds aliases. */
function aliasBombProblem(doc: Document, at: (offset?: number) => string): string {
  const aliases: Alias[] = [];
  visit(doc, { Alias: (_key, node) => void aliases.push(node) });
  const holdsAlias = (node: unknown) => {
    let found = false;
    if (node) visit(node as Node, { Alias: () => ((found = true), visit.BREAK) });
    return found;
  };
  const culprit = aliases.find((alias) => holdsAlias(alias.resolve(doc))) ?? aliases[0];
  return `${at(culprit?.range?.[0])} YAML aliases: *${culprit?.source ?? '?'} repeats a node that holds aliases itself, and together ` +
    `they expand past ${MAX_ALIAS_COUNT} copies (an alias bomb?); write the values out instead of nesting aliases`;
}

/** Replaces ${VAR} and ${VAR:-default} in every string scalar, in place; unset variables are problems. */
function substituteEnv(doc: Document, env: Env, at: (offset?: number) => string): string[] {
  const problems: string[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const where = `${at(node.range?.[0])} ${keyPathOf(ancestors, node)}:`;
      node.value = node.value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, variable: string, fallback?: string) => {
        const value = env[variable];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        problems.push(`${where} \${${variable}} is not set in the environment (set it, or write \${${variable}:-default})`);
        return '';
      });
    },
  });
  return problems;
}

/** The dotted key path of a node, from the ancestors `visit` passes (pairs give keys, sequences indices). */
function keyPathOf(ancestors: readonly unknown[], node: unknown): string {
  const parts: string[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const here = chain[i];
    const next = chain[i + 1];
    if (isPair(here) && isScalar(here.key)) parts.push(String(here.key.value));
    else if (isSeq(here)) parts.push(String(here.items.indexOf(next as never)));
  }
  return parts.join('.') || '(top level)';
}

function describeIssue(issue: z.core.$ZodIssue, doc: Document, at: (offset?: number) => string): string[] {
  const keyPath = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(keyPath);
    return issue.keys.map((key) => {
      const hint = closestKey(key, known);
      const where = at(keyNode(doc, keyPath, key)?.range?.[0]);
      return `${where} ${[...keyPath, key].join('.')}: unknown key${hint ? ` (did you mean "${hint}"?)` : ''}; known keys here: ${known.join(', ')}`;
    });
  }
  const node = doc.getIn(issue.path as (string | number)[], true) as Node | undefined;
  const shown = keyPath.join('.') || '(top level)';
  let message = issue.message;
  if (issue.code === 'invalid_type') {
    const got = node === undefined ? 'nothing' : describeValue(doc.getIn(issue.path as (string | number)[]));
    message = node === undefined ? `is required (expected ${issue.expected})` : `expected ${issue.expected}, got ${got}`;
  } else if (issue.code === 'invalid_value' && 'values' in issue) {
    message = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  } else if (issue.code === 'invalid_union') {
    message = `expected a number or a string, got ${describeValue(doc.getIn(issue.path as (string | number)[]))}`;
  } else if (issue.code === 'custom' || issue.code === 'invalid_format') {
    message = issue.message;
  } else if (!message.startsWith('is ') && !message.startsWith('must ')) {
    message = message.charAt(0).toLowerCase() + message.slice(1);
  }
  return [`${at(node?.range?.[0] ?? parentRange(doc, issue.path))} ${shown}: ${message}`];
}

function keyNode(doc: Document, parentPath: string[], key: string): Node | undefined {
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
  return (pair?.key as Node | undefined) ?? undefined;
}

function parentRange(doc: Document, keyPath: PropertyKey[]): number | undefined {
  for (let i = keyPath.length - 1; i >= 0; i--) {
    const node = doc.getIn(keyPath.slice(0, i) as (string | number)[], true) as Node | undefined;
    if (node?.range) return node.range[0];
  }
  return undefined;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

