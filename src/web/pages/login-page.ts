// The sign-in page: "Sign in with GitHub", the PAM form when enabled, and what to configure when GitHub is off.
import { escapeHtml, layout } from './layout.js';

export interface LoginPageOptions {
  hubPrefix: string;
  githubConfigured: boolean;
  pamEnabled: boolean;
  next: string | null;
  error?: string;
  username?: string;
}

export function loginPage(o: LoginPageOptions): string {
  const nextQuery = o.next === null ? '' : `?next=${encodeURIComponent(o.next)}`;
  const parts: string[] = ['<h1>Sign in</h1>'];
  if (o.error) parts.push(`<p class="error" role="alert">${escapeHtml(o.error)}</p>`);
  if (o.githubConfigured) {
    parts.push(`<p><a class="button" id="github-login" href="${escapeHtml(`${o.hubPrefix}/oauth_login${nextQuery}`)}">Sign in with GitHub</a></p>`);
  } else {
    parts.push(
      '<p class="notice" id="github-not-configured">GitHub sign-in is not configured. An administrator must set ' +
        '<code>auth.github.client_id</code> and <code>auth.github.client_secret</code> in hub.yaml and restart the hub.</p>',
    );
  }
  if (o.pamEnabled) {
    parts.push(`<form method="post" action="${escapeHtml(`${o.hubPrefix}/login${nextQuery}`)}" id="pam-login">
<p><label>Username <input name="username" autocomplete="username" autocapitalize="off" required value="${escapeHtml(o.username ?? '')}"></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p>
</form>`);
  }
  return layout('Sign in', parts.join('\n'));
}
