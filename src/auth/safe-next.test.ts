import { describe, expect, it } from 'vitest';
import { safeNext } from './safe-next.js';

const refused: [string, unknown][] = [
  ['a relative path', 'relative/path'],
  ['an absolute https URL', 'https://other.domain'],
  ['an absolute ftp URL', 'ftp://other.domain'],
  ['a protocol-relative URL', '//other.domain'],
  ['a triple-slash URL', '///other.domain/triple'],
  ['a double-backslash host', '\\\\other.domain/backslashes'],
  ['a slash-backslash host', '/\\evil'],
  ['a backslash later in the path', '/hub/\\\\evil'],
  ['an absolute URL to this hub with a double slash', 'https://hub.example.org//evil.com/'],
  ['an absolute URL to this hub with four slashes', 'https://hub.example.org////evil/'],
  ['an absolute URL to this hub, even to a local path (only paths are kept)', 'https://hub.example.org/hub/home'],
  ['a javascript: URL', 'javascript:alert(1)'],
  ['a data: URL', 'data:text/html,<script>alert(1)</script>'],
  ['an encoded double slash', '/%2F%2Fevil.com'],
  ['an encoded leading slash pair', '%2F%2Fevil.com'],
  ['a doubly encoded double slash', '/%252F%252Fevil.com'],
  ['an encoded backslash', '/%5Cevil.com'],
  ['an encoded backslash in lower case', '/%5cevil.com'],
  ['a tab inside the host trick', '/\t/evil.com'],
  ['a newline (header splitting)', '/hub/home\r\nSet-Cookie: x=1'],
  ['an encoded newline', '/hub/home%0d%0aSet-Cookie:%20x=1'],
  ['a NUL byte', '/hub/\u0000'],
  ['broken percent-encoding', '/hub/%E0%A4%A'],
  ['an empty string', ''],
  ['a non-string', ['/hub/home']],
  ['undefined', undefined],
  ['an over-long value', `/hub/${'a'.repeat(3000)}`],
];

const kept: [string, string][] = [
  ['the home page', '/hub/home'],
  ['a user server path', '/user/alice/lab/tree/x.ipynb'],
  ['a URL in the query', '/has?repo=https://host.git'],
  ['a URL in the fragment', '/has#repo=https://host.git'],
  ['a query and a hash', '/hub/spawn?x=1#y'],
  ['an encoded slash inside a path segment', '/user/alice/files/a%2Fb'],
];

describe('safeNext', () => {
  it.each(refused)('refuses %s', (_what, raw) => {
    expect(safeNext(raw, '/')).toBeNull();
  });

  it.each(kept)('keeps %s', (_what, raw) => {
    expect(safeNext(raw, '/')).toBe(raw);
  });

  it('keeps only paths under base_url when the hub has one', () => {
    expect(safeNext('/jh/hub/home', '/jh/')).toBe('/jh/hub/home');
    expect(safeNext('/jh', '/jh/')).toBe('/jh');
    expect(safeNext('/other/app', '/jh/')).toBeNull();
    expect(safeNext('/jhx/hub', '/jh/')).toBeNull();
  });
});
