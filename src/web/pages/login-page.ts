// The sign-in page: one button per OAuth method (GitHub, OpenID Connect), the PAM form below them, and, when no
// method is configured, which keys to set.
import { escapeHtml, layout } from './legacy-layout.js';

export interface LoginPageOptions {
  hubPrefix: string;
  /** The redirect methods offered, in order: their button text and where the button starts the round trip. */
  oauth: readonly { id: string; displayName: string; loginPath: string }[];
  pamEnabled: boolean;
  next: string | null;
  error?: string;
  username?: string;
}

export function loginPage(o: LoginPageOptions): string {
  const nextQuery = o.next === null ? '' : `?next=${encodeURIComponent(o.next)}`;
  const parts: string[] = ['<h1>Sign in</h1>'];
  if (o.error) parts.push(`<p class="error" role="alert">${escapeHtml(o.error)}</p>`);
  if (o.oauth.length > 0) {
    const buttons = o.oauth.map((m) =>
      `<p><a class="button" id="${escapeHtml(m.id)}" href="${escapeHtml(`${m.loginPath}${nextQuery}`)}">Sign in with ${escapeHtml(m.displayName)}</a></p>`);
    parts.push(`<section id="oauth-sign-in" aria-label="Sign in with an account elsewhere">\n${buttons.join('\n')}\n</section>`);
  }
  if (o.oauth.length > 0 && o.pamEnabled) {
    parts.push('<p class="separator" role="separator" style="border-top:1px solid #ddd;padding-top:1rem;margin-top:1.5rem;color:#555">' +
      'or, with a username and password on this hub</p>');
  }
  if (o.pamEnabled) {
    parts.push(`<form method="post" action="${escapeHtml(`${o.hubPrefix}/login${nextQuery}`)}" id="pam-login">
<p><label>Username <input name="username" autocomplete="username" autocapitalize="off" required value="${escapeHtml(o.username ?? '')}"></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p>
</form>`);
  }
  if (o.oauth.length === 0 && !o.pamEnabled) {
    parts.push(
      '<p class="notice" id="github-not-configured">GitHub sign-in is not configured, and no other sign-in method is. An administrator must set ' +
        '<code>auth.github.client_id</code> and <code>auth.github.client_secret</code> (or <code>auth.oidc.issuer</code> and ' +
        '<code>auth.oidc.client_id</code> for OpenID Connect, or <code>auth.pam.enabled</code>) in hub.yaml and restart the hub.</p>',
    );
  }
  return layout('Sign in', parts.join('\n'));
}
