// HMAC signatures over short cookie values, keyed by the hub's cookie secret. A new secret (the file was
// deleted) makes every signature made before it invalid, which is how "delete the secret to sign everyone out" works.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** `<payload>.<signature>`; the name binds the signature to one use, so a state cookie is never a login cookie. */
export function signValue(secret: Buffer, name: string, payload: string): string {
  return `${payload}.${mac(secret, name, payload)}`;
}

/** The payload when the signature is valid for this name and secret; null otherwise. */
export function verifyValue(secret: Buffer, name: string, signed: string | undefined): string | null {
  if (!signed) return null;
  const dot = signed.lastIndexOf('.');
  if (dot <= 0) return null;
  const payload = signed.slice(0, dot);
  const given = Buffer.from(signed.slice(dot + 1));
  const expected = Buffer.from(mac(secret, name, payload));
  return given.length === expected.length && timingSafeEqual(given, expected) ? payload : null;
}

function mac(secret: Buffer, name: string, payload: string): string {
  return createHmac('sha256', secret).update(name).update('\0').update(payload).digest('base64url');
}

/** One cookie's value from a Cookie header, or undefined; a repeated name keeps the first, as browsers send the most specific first. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
