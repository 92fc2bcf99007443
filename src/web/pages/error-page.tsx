// The HTML page a browser gets for any error: what happened (the status and the hub's message, which says what
// was wrong and what to do) and where to go from here.
import { STATUS_CODES } from 'node:http';
import type { Child } from 'hono/jsx';
import { Layout } from './layout.js';
import type { PageFrame } from './page-frame.js';

export interface ErrorPageProps {
  frame: PageFrame;
  status: number;
  message: string;
  /** Extra ways on, shown before the usual Home / Sign in link (e.g. "Start the server"). */
  actions?: Child;
}

export function ErrorPage({ frame, status, message, actions }: ErrorPageProps) {
  const reason = STATUS_CODES[status] ?? 'Error';
  const hub = frame.hubPrefix;
  return (
    <Layout frame={frame} title={`${status} ${reason}`}>
      <div class="row justify-content-center">
        <div class="col-lg-8">
          <h1 class="h2">
            <span class="badge text-bg-danger me-2" id="error-status">{status}</span>
            {reason}
          </h1>
          <p class="lead" id="error-message">{message}</p>
          <p class="text-body-secondary">{hint(status)}</p>
          <div class="d-flex flex-wrap gap-2">
            {actions}
            {frame.user
              ? <a class="btn btn-outline-primary" href={`${hub}/home`} id="error-home">Back home</a>
              : <a class="btn btn-outline-primary" href={`${hub}/login`} id="error-login">Sign in</a>}
          </div>
        </div>
      </div>
    </Layout>
  );
}

/** What a person can do about each kind of error, beyond what the message says. */
function hint(status: number): string {
  if (status === 401 || status === 403) return 'If you think you should have access, ask an administrator of this hub, or sign in as another user.';
  if (status === 404) return 'Check the address, or start again from your home page.';
  if (status === 429) return 'Wait a little before trying again.';
  if (status >= 500) return 'This is a problem on the hub, not with what you did. Try again in a moment; if it persists, an administrator can find the details in the hub log.';
  return 'Go back and try again, or start again from your home page.';
}
