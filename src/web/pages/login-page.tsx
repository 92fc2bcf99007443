// The sign-in page: one button per OAuth method (GitHub, OpenID Connect), the PAM form apart from them, and, when
// no method is configured, which hub.yaml keys to set.
import { Layout } from './layout.js';
import type { PageFrame } from './page-frame.js';

export interface LoginPageProps {
  frame: PageFrame;
  /** The redirect methods offered, in order: their button text and where the button starts the round trip. */
  oauth: readonly { id: string; displayName: string; loginPath: string }[];
  pamEnabled: boolean;
  next: string | null;
  error?: string;
  username?: string;
  /** Shown to everyone when hub.yaml names no admin: how to name one (config/policy.ts adminNotice). */
  adminNotice?: string | null;
}

export function LoginPage(o: LoginPageProps) {
  const nextQuery = o.next === null ? '' : `?next=${encodeURIComponent(o.next)}`;
  const none = o.oauth.length === 0 && !o.pamEnabled;
  return (
    <Layout frame={o.frame} title="Sign in">
      <div class="row justify-content-center">
        <div class="col-sm-10 col-md-7 col-lg-5">
          <div class="text-center mb-4">
            <img src={`${o.frame.hubPrefix}/logo`} alt="" style="height:64px;width:auto" />
            <h1 class="h3 mt-3">Sign in</h1>
          </div>
          {o.adminNotice ? <div class="alert alert-warning" role="note" id="no-admin">{o.adminNotice}</div> : null}
          {o.error ? <div class="alert alert-danger" role="alert" id="login-error">{o.error}</div> : null}
          {o.oauth.length > 0 ? (
            <section id="oauth-sign-in" aria-label="Sign in with an account elsewhere" class="d-grid gap-2">
              {o.oauth.map((m) => <a class="btn btn-primary btn-lg" id={m.id} href={`${m.loginPath}${nextQuery}`}>Sign in with {m.displayName}</a>)}
            </section>
          ) : null}
          {o.oauth.length > 0 && o.pamEnabled ? (
            <div class="d-flex align-items-center my-4 text-body-secondary" role="separator" aria-label="or">
              <hr class="flex-grow-1" /><span class="px-2 small">or, with a username and password on this hub</span><hr class="flex-grow-1" />
            </div>
          ) : null}
          {o.pamEnabled ? (
            <form method="post" action={`${o.frame.hubPrefix}/login${nextQuery}`} id="pam-login" class="card card-body">
              <div class="mb-3">
                <label class="form-label" for="username">Username</label>
                <input class="form-control" id="username" name="username" autocomplete="username" autocapitalize="off" required value={o.username ?? ''} />
              </div>
              <div class="mb-3">
                <label class="form-label" for="password">Password</label>
                <input class="form-control" id="password" name="password" type="password" autocomplete="current-password" required />
              </div>
              <button type="submit" class="btn btn-primary">Sign in</button>
            </form>
          ) : null}
          {none ? (
            <div class="alert alert-warning" id="github-not-configured">
              <p class="mb-2"><strong>GitHub sign-in is not configured, and no other sign-in method is.</strong></p>
              <p class="mb-0">
                An administrator must set <code>auth.github.client_id</code> and <code>auth.github.client_secret</code> (GitHub), or{' '}
                <code>auth.oidc.issuer</code> and <code>auth.oidc.client_id</code> (OpenID Connect), or <code>auth.pam.enabled</code> (passwords)
                in hub.yaml, and restart the hub.
              </p>
            </div>
          ) : null}
        </div>
      </div>
    </Layout>
  );
}
