// The OAuth provider's confirmation page (GET …/oauth2/authorize for someone else's server, i.e. an admin with
// hub.admin_access): what will be granted, to which server of whom. The form posts back to the same URL, where the
// grant is worked out again: nothing in the form widens it.
import type { ScopeDescription } from '../../auth/scopes.js';
import { Layout } from './layout.js';
import type { PageFrame } from './page-frame.js';

export interface ConsentPageProps {
  frame: PageFrame;
  description: string;
  owner: string | null;
  redirectUri: string;
  scopes: ScopeDescription[];
  xsrf: string | null;
}

export function ConsentPage(o: ConsentPageProps) {
  return (
    <Layout frame={o.frame} title="Authorize access">
      <div class="row justify-content-center">
        <div class="col-lg-8">
          <h1 class="h3">Authorize access</h1>
          <p>
            You are about to sign in to <strong>{o.description}</strong> (OAuth URL: <code class="text-break">{o.redirectUri}</code>)
            {o.owner === null ? '.' : <>, which belongs to <strong>{o.owner}</strong>.</>}
          </p>
          <p>This will grant it permission to:</p>
          <ul id="scopes">
            {o.scopes.map((d) => <li data-scope={d.scope}>{d.description}{d.appliesTo ? ` Applies to ${d.appliesTo}.` : ''}</li>)}
          </ul>
          <form method="post" class="d-flex flex-wrap gap-2">
            {o.xsrf ? <input type="hidden" name="_xsrf" value={o.xsrf} /> : null}
            <button type="submit" class="btn btn-primary" id="authorize">Authorize</button>
            <a class="btn btn-outline-secondary" href={`${o.frame.hubPrefix}/home`}>Cancel</a>
          </form>
        </div>
      </div>
    </Layout>
  );
}
