// The browser side of the hub pages that act through /hub/api with the session cookie: one `call()` that
// sends the XSRF header, and shows the API's error message in the page's #result element.

/** Script text defining `result` and `call(method, path, body)`, which resolves to the JSON answer ({} for 204) or null on an error. */
export function apiCallScript(api: string, xsrf: string): string {
  return `  const api = ${JSON.stringify(api)};
  const xsrf = ${JSON.stringify(xsrf)};
  const result = document.getElementById('result');
  async function call(method, path, body) {
    const init = { method, headers: { 'X-XSRFToken': xsrf } };
    if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    const r = await fetch(api + path, init);
    const data = r.status === 204 ? null : await r.json().catch(() => null);
    if (!r.ok) result.textContent = 'Error ' + r.status + ': ' + ((data && data.message) || r.statusText);
    return r.ok ? data || {} : null;
  }`;
}
