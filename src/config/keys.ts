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

export { closestKey } from './nearest.js';
