import { describe, expect, it } from 'vitest';
import { jsx } from 'hono/jsx';
import { markup } from './markup.js';

const HOSTILE = `"><script>alert('x')</script>&amp;`;

describe('markup``', () => {
  it('escapes every interpolated string in text and in attribute values, as hono/jsx does', () => {
    const ours = String(markup`<span title="${HOSTILE}">${HOSTILE}</span>`);
    expect(ours).toBe('<span title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;amp;</span>');
    expect(ours).toBe(String(jsx('span', { title: HOSTILE }, HOSTILE)));
  });

  it('places markup and lists of it as they are, and leaves out null, undefined and false', () => {
    const item = (text: string) => markup`<li>${text}</li>`;
    expect(String(markup`<ul>${['<a>', 'b'].map(item)}${null}${undefined}${false}${0}</ul>`)).toBe('<ul><li>&lt;a&gt;</li><li>b</li>0</ul>');
  });

  it('is taken by JSX as a child without being escaped twice, and only once', () => {
    const cell = markup`<b>${'<i>'}</b>`;
    expect(String(jsx('td', {}, cell, '<i>'))).toBe('<td><b>&lt;i&gt;</b>&lt;i&gt;</td>');
  });

  it('refuses a value it could only place by calling its toString (an object that is not markup)', () => {
    const smuggled = { toString: () => '<script>' } as unknown as string;
    expect(() => markup`<p>${smuggled}</p>`).toThrow(/cannot place a object/);
    expect(() => markup`<p>${new String('<script>') as unknown as string}</p>`).toThrow(/cannot place/);
  });
});
