// The string frame the admin page still uses until it moves to layout.tsx (issue 13, point 7); delete with it.

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Berth</title>
<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
.error{color:#a00}button,.button{padding:.5rem 1rem;border:1px solid #555;border-radius:4px;background:#f5f5f5;cursor:pointer;text-decoration:none;color:#222}
table{border-collapse:collapse}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left}</style>
</head><body>${body}</body></html>`;
}
