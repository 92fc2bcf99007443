// The admin page's browser side: each control is one REST API call (cookie + X-XSRFToken) whose refusal is shown
// in #result; one <dialog> asks before anything that cannot be undone or touches many servers. Servers starting or
// stopping are followed through their user's model (GET /hub/api/users/<name>) until they settle, so the page shows
// the outcome without a reload and polls nothing while nothing moves.

const STATUS = {
  stopped: { text: 'stopped', badge: 'text-bg-secondary' },
  spawning: { text: 'starting', badge: 'text-bg-info' },
  running: { text: 'running', badge: 'text-bg-success' },
  stopping: { text: 'stopping', badge: 'text-bg-warning' },
};

export const ADMIN_SCRIPT = `(() => {
  const STATUS = ${JSON.stringify(STATUS)};
  const root = document.getElementById('admin');
  const api = root.dataset.api;
  const xsrf = root.dataset.xsrf;
  const result = document.getElementById('result');
  const enc = encodeURIComponent;
  async function call(method, path, body) {
    const init = { method, headers: { 'X-XSRFToken': xsrf, Accept: 'application/json' } };
    if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    const r = await fetch(api + path, init).catch(() => null);
    if (!r) return { ok: false, message: 'The hub did not answer ' + method + ' ' + path };
    const data = r.status === 204 ? null : await r.json().catch(() => null);
    return { ok: r.ok, status: r.status, data, message: r.ok ? '' : 'Error ' + r.status + ': ' + ((data && data.message) || r.statusText) };
  }
  const report = (res) => { result.textContent = res.ok ? '' : res.message; return res.ok; };
  const dialog = document.getElementById('confirm');
  /** Resolves true when the admin presses the dialog's button (labelled \`ok\`), false on Cancel or Escape. */
  function confirmWith(text, ok) {
    document.getElementById('confirm-text').textContent = text;
    document.getElementById('confirm-ok').textContent = ok;
    dialog.returnValue = '';
    dialog.showModal();
    return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
  }
  const userPath = (name) => '/users/' + enc(name);
  const serverPath = (user, server) => userPath(user) + (server === '' ? '/server' : '/servers/' + enc(server));
  const rowOf = (el) => el.closest('tr[data-user]');

  const me = root.dataset.me;
  const openAll = root.dataset.open === 'all';
  const controls = document.getElementById('server-controls').content;
  // A server line: its badge, the image it runs, and the controls of its state, cloned from #server-controls (whose
  // data-when lists the states that show each); Open only where the admin may open it and the URL is known.
  function show(line, state, running, url) {
    line.dataset.state = state;
    const badge = line.querySelector('.status');
    badge.textContent = STATUS[state].text;
    badge.className = 'badge ' + STATUS[state].badge + ' status';
    const user = rowOf(line).dataset.user;
    const whose = user + "'s server" + (line.dataset.server === '' ? '' : ' ' + line.dataset.server);
    const old = [...line.querySelectorAll('[data-action="start"], [data-action="stop"], [data-open]')];
    const hadFocus = old.includes(document.activeElement);
    for (const c of old) c.remove();
    let run = line.querySelector('[data-running]');
    if (state === 'stopped') { if (run) run.remove(); }
    else if (running !== undefined) {
      if (!run) line.append(run = controls.querySelector('[data-running]').cloneNode(true));
      run.textContent = running || 'spawner.image';
    }
    const mayOpen = url && (openAll || user === me);
    for (const c of controls.querySelectorAll('[data-when]')) {
      if (!c.dataset.when.split(' ').includes(state) || (c.hasAttribute('data-open') && !mayOpen)) continue;
      const el = c.cloneNode(true);
      el.setAttribute('aria-label', el.dataset.verb + ' ' + whose);
      el.removeAttribute('data-when');
      el.removeAttribute('data-verb');
      if (el.hasAttribute('data-open')) el.href = url;
      line.append(el);
    }
    // Keyboard users keep their place: the control they pressed is replaced by the next state's first one.
    if (hadFocus) { const first = line.querySelector('[data-action], [data-open]'); if (first) first.focus(); }
  }
  const stateOf = (m) => !m ? 'stopped' : m.pending === 'spawn' ? 'spawning' : m.pending === 'stop' ? 'stopping' : m.ready ? 'running' : 'stopped';
  const moving = () => document.querySelectorAll('#users [data-state="spawning"], #users [data-state="stopping"]');
  let following = null;
  async function follow() {
    const users = new Set([...moving()].map((line) => rowOf(line).dataset.user));
    for (const user of users) {
      const res = await call('GET', userPath(user) + '?include_stopped_servers=1');
      if (!res.ok) continue;
      const row = document.querySelector('tr[data-user="' + CSS.escape(user) + '"]');
      for (const line of row.querySelectorAll('[data-server]')) {
        const model = (res.data.servers || {})[line.dataset.server];
        const state = stateOf(model);
        if (state !== line.dataset.state) show(line, state, res.data.image ? res.data.image.label : undefined, model && model.url);
      }
    }
    following = moving().length > 0 ? setTimeout(follow, 1500) : null;
  }
  const keepFollowing = () => { if (following === null) following = setTimeout(follow, 500); };
  keepFollowing();

  async function start(line) {
    const res = await call('POST', serverPath(rowOf(line).dataset.user, line.dataset.server), {});
    if (res.ok) show(line, 'spawning');
    return res;
  }
  async function stop(line) {
    const res = await call('DELETE', serverPath(rowOf(line).dataset.user, line.dataset.server));
    if (res.ok) show(line, res.status === 204 ? 'stopped' : 'stopping');
    return res;
  }
  /** Runs \`action\` on each line, all at once, and says how many failed and the first reason. */
  async function each(lines, action, done) {
    const results = await Promise.all(lines.map(action));
    const failed = results.filter((r) => !r.ok);
    result.textContent = failed.length === 0 ? done : failed.length + ' of ' + lines.length + ' failed; the first: ' + failed[0].message;
    keepFollowing();
  }

  const editDialog = document.getElementById('edit-user');
  let editing = null;
  document.getElementById('users').addEventListener('click', async (e) => {
    const button = e.target.closest('button[data-action]');
    if (!button) return;
    const row = rowOf(button);
    const user = row.dataset.user;
    const line = button.closest('[data-server]');
    result.textContent = '';
    const action = button.dataset.action;
    if (action === 'start') { report(await start(line)); keepFollowing(); }
    else if (action === 'stop') { report(await stop(line)); keepFollowing(); }
    else if (action === 'delete') {
      if (!(await confirmWith('Delete user ' + user + '? Their servers must be stopped; their volumes are kept.', 'Delete ' + user))) return;
      if (report(await call('DELETE', userPath(user)))) location.reload();
    } else if (action === 'edit') {
      editing = user;
      editDialog.querySelector('#edit-name').value = user;
      editDialog.querySelector('#edit-admin').checked = row.querySelector('[data-admin]') !== null;
      document.getElementById('edit-error').textContent = '';
      editDialog.showModal();
    }
  });
  editDialog.querySelector('form').addEventListener('submit', async (e) => {
    if (e.submitter && e.submitter.value !== 'save') return;
    e.preventDefault();
    const name = editDialog.querySelector('#edit-name').value.trim().toLowerCase();
    const body = { admin: editDialog.querySelector('#edit-admin').checked };
    if (name !== editing) body.name = name;
    const res = await call('PATCH', userPath(editing), body);
    if (res.ok) { editDialog.close(); location.reload(); } else document.getElementById('edit-error').textContent = res.message;
  });
  // Every row gets Edit and Delete labelled with its user's name (no Delete on the admin's own row).
  const actions = document.getElementById('user-actions').content;
  for (const row of document.querySelectorAll('#users tr[data-user]')) {
    for (const c of actions.children) {
      if (c.dataset.action === 'delete' && row.dataset.user === me) continue;
      const el = c.cloneNode(true);
      el.setAttribute('aria-label', el.dataset.verb + ' ' + row.dataset.user);
      el.removeAttribute('data-verb');
      row.lastElementChild.append(el);
    }
  }
  // Every row's picker gets the options of #image-options, with the admin's pick (data-pick) selected.
  const imageOptions = document.getElementById('image-options').content;
  for (const select of document.querySelectorAll('#users select[data-action="image"]')) {
    select.append(imageOptions.cloneNode(true));
    select.value = select.dataset.pick || '';
    if (select.selectedIndex < 0) select.value = '';
  }
  document.getElementById('users').addEventListener('change', async (e) => {
    const select = e.target.closest('select[data-action="image"]');
    if (!select) return;
    if (report(await call('PATCH', userPath(rowOf(select).dataset.user), { image: select.value || null }))) location.reload();
  });

  document.getElementById('start-all').addEventListener('click', async () => {
    const lines = [...document.querySelectorAll('#users [data-server=""][data-state="stopped"]')];
    if (lines.length === 0) { result.textContent = 'Every default server on this page is already running.'; return; }
    if (!(await confirmWith('Start the ' + lines.length + ' stopped default server(s) of the users on this page?', 'Start ' + lines.length))) return;
    await each(lines, start, 'Starting ' + lines.length + ' server(s).');
  });
  document.getElementById('stop-all').addEventListener('click', async () => {
    const lines = [...document.querySelectorAll('#users [data-server][data-state="running"], #users [data-server][data-state="spawning"]')];
    if (lines.length === 0) { result.textContent = 'No server on this page is running.'; return; }
    if (!(await confirmWith('Stop the ' + lines.length + ' running server(s) on this page, named ones included?', 'Stop ' + lines.length))) return;
    await each(lines, stop, 'Stopping ' + lines.length + ' server(s).');
  });
  document.getElementById('shutdown').addEventListener('click', async () => {
    if (!(await confirmWith('Shut the hub down? Users\\' servers keep running; the hub must be started again from the host.', 'Shut down'))) return;
    if (report(await call('POST', '/shutdown', {}))) result.textContent = 'The hub is shutting down.';
  });

  // Several names at once, each its own request, so one bad or taken name neither blocks nor hides the others.
  const addForm = document.getElementById('add-users');
  addForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const names = [...new Set(addForm.usernames.value.split(/[\\s,]+/).map((n) => n.trim().toLowerCase()).filter(Boolean))];
    const list = document.getElementById('add-results');
    list.replaceChildren();
    if (names.length === 0) { result.textContent = 'Type at least one user name.'; return; }
    const failed = [];
    for (const name of names) {
      const res = await call('POST', userPath(name), { admin: addForm.admin.checked });
      const li = document.createElement('li');
      li.dataset.name = name;
      li.className = res.ok ? 'text-success' : 'text-danger';
      li.textContent = res.ok ? name + ': added' : name + ': ' + ((res.data && res.data.message) || res.message);
      list.append(li);
      if (!res.ok) failed.push(name);
    }
    if (failed.length === 0) { location.reload(); return; }
    addForm.usernames.value = failed.join('\\n');
  });

  const groupPath = (name) => '/groups/' + enc(name);
  const groups = document.getElementById('groups');
  groups.addEventListener('click', async (e) => {
    const button = e.target.closest('button[data-action]');
    if (!button) return;
    const group = button.closest('tr[data-group]').dataset.group;
    if (button.dataset.action === 'remove-member') {
      const member = button.closest('[data-member]').dataset.member;
      if (report(await call('DELETE', groupPath(group) + '/users', { users: [member] }))) location.reload();
    } else if (button.dataset.action === 'delete-group') {
      if (!(await confirmWith('Delete group ' + group + '? Its members stay users.', 'Delete group'))) return;
      if (report(await call('DELETE', groupPath(group)))) location.reload();
    }
  });
  groups.addEventListener('submit', async (e) => {
    const form = e.target;
    e.preventDefault();
    const group = form.closest('tr[data-group]').dataset.group;
    if (form.dataset.action === 'add-member') {
      if (report(await call('POST', groupPath(group) + '/users', { users: [form.member.value.trim().toLowerCase()] }))) location.reload();
    } else if (form.dataset.action === 'properties') {
      let properties;
      try { properties = JSON.parse(form.properties.value); } catch (err) {
        result.textContent = 'The properties of ' + group + ' are not valid JSON: ' + err.message; return;
      }
      if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) {
        result.textContent = 'The properties of ' + group + ' must be a JSON object, like {"key": "value"}.'; return;
      }
      if (report(await call('PUT', groupPath(group) + '/properties', properties))) location.reload();
    }
  });
  document.getElementById('add-group').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (report(await call('POST', groupPath(e.target.group.value.trim()), {}))) location.reload();
  });
})();`;
