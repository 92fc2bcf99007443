// The JSON bodies of the sharing API (JupyterHub 5's ShareGrantRequest, ShareRevokeRequest, ShareCodeGrantRequest):
// unknown fields are refused, as JupyterHub's pydantic models (extra='forbid') refuse them.
import { z } from 'zod';
import { CODE_EXPIRY } from '../../shares/rules.js';

const shown = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};
const name = z.string({ error: (issue) => `must be a name, got ${shown(issue.input)}` }).min(1, 'must not be empty').max(255, 'is longer than 255 characters').nullish();
const scopes = z.array(z.string(), { error: (issue) => `must be a list of scopes, got ${shown(issue.input)}` }).max(20, 'lists more than 20 scopes').nullish();

function strict<Shape extends z.ZodRawShape>(shape: Shape) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `Unknown fields: ${issue.keys.join(', ')} (allowed: ${allowed})` : 'Request body must be a JSON object'),
  });
}

/** POST (grant) and PATCH (revoke) /hub/api/shares/:owner/:server: exactly one of `user` and `group`. */
export const shareBody = strict({ user: name, group: name, scopes }).refine((b) => !(b.user != null && b.group != null), {
  error: 'Expected exactly one of `user` or `group`, not both.',
}).refine((b) => b.user != null || b.group != null, { error: 'Specify exactly one of `user` or `group`' });

const expiresIn = {
  error: (issue: { input?: unknown }) =>
    `expires_in must be a whole number of seconds from ${CODE_EXPIRY.minSeconds} (one minute) to ${CODE_EXPIRY.maxSeconds} (one year); got ${shown(issue.input)}`,
};

/** POST /hub/api/share-codes/:owner/:server. */
export const shareCodeBody = strict({
  scopes,
  expires_in: z.number(expiresIn).int(expiresIn).min(CODE_EXPIRY.minSeconds, expiresIn).max(CODE_EXPIRY.maxSeconds, expiresIn).default(CODE_EXPIRY.defaultSeconds),
});
