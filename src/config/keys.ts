// Knows which keys the schema accepts at a path, to suggest the nearest one for a typo.
import { z } from 'zod';
import { configSchema } from './schema.js';

/** Unwraps defaults, optionals, pipes and refinements down to the schema that holds keys. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema as z.ZodType & { def: Record<string, unknown> };
  for (;;) {
    const def = current.def as { type: string; innerType?: z.ZodType; in?: z.ZodType; schema?: z.ZodType };
    if (def.innerType) current = def.innerType as typeof current;
    else if (def.type === 'pipe' && def.in) current = def.in as typeof current;
    else return current;
  }
}

/** The keys the schema knows at `path` (object keys only; record and array levels are passed through). */
export function keysAt(path: string[], root: z.ZodType = configSchema): string[] {
  let schema = unwrap(root);
  for (const key of path) {
    if (schema instanceof z.ZodObject) schema = unwrap(schema.shape[key] as z.ZodType);
    else if (schema instanceof z.ZodRecord) schema = unwrap(schema.def.valueType as z.ZodType);
    else if (schema instanceof z.ZodArray) schema = unwrap(schema.def.element as z.ZodType);
    else return [];
    if (!schema) return [];
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** The known key closest to `typo` by edit distance, if it is close enough to be a likely typo. */
export function closestKey(typo: string, known: string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const key of known) {
    const d = editDistance(typo.toLowerCase(), key);
    if (d < bestDistance) [best, bestDistance] = [key, d];
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}
