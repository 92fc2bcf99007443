// Where a browser may be sent after signing in: only a path on this hub. JupyterHub had two open-redirect
// advisories here (GHSA-rv62, GHSA-3vff), so anything that a browser could read as another host is refused.

const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_LENGTH = 2048;

/** `raw` when it is a path under `baseUrl` that cannot be read as another origin; null otherwise (use the default). */
export function safeNext(raw: unknown, baseUrl: string): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_LENGTH) return null;
  // Check every decoding a browser, a proxy or the hub itself might apply, so %2F%2F and %5C cannot slip through.
  let form = raw;
  for (let round = 0; round < 4; round++) {
    if (!isLocalPath(form)) return null;
    let decoded: string;
    try {
      decoded = decodeURIComponent(form);
    } catch {
      return null;
    }
    if (decoded === form) break;
    form = decoded;
  }
  const resolved = new URL(raw, 'http://berth.invalid');
  if (resolved.host !== 'berth.invalid' || resolved.protocol !== 'http:') return null;
  const path = pathPart(raw);
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  if (!(path === base.slice(0, -1) || path.startsWith(base))) return null;
  return raw;
}

function isLocalPath(value: string): boolean {
  if (CONTROL.test(value)) return false;
  const path = pathPart(value);
  // Browsers treat "\" as "/", so "/\host" and "\\host" are protocol-relative URLs; ":" before the first "/" would be a scheme.
  return path.startsWith('/') && !path.startsWith('//') && !path.includes('\\');
}

function pathPart(value: string): string {
  const end = value.search(/[?#]/);
  return end < 0 ? value : value.slice(0, end);
}
