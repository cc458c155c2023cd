// agentgit's web view: one page, no build step, nothing loaded from
// elsewhere. It reads and acts through the REST API (/api/v1) with the
// cookie of a web login (POST /ui/login) or none (a loopback server
// without users), sends the login's CSRF token on everything that changes
// something, and follows a session live over its event stream (the
// browser's EventSource reconnects by itself and sends Last-Event-ID, so
// nothing is missed; a `reset` event means read the log again).
//
// Views, by the URL's fragment: #/ (sessions), #/s/ID (a session's
// timeline), #/s/ID/c/COMMIT (a commit's diff beside it), #/login.
// Every string from the server reaches the page as text, never as HTML.
'use strict';

const API = '/api/v1';
const POLL_MS = 3000;

const app = {
  me: null,          // GET /ui/me
  cleanups: [],      // what the current view must stop when left
  diffMode: localStorage.getItem('agentgit.diff') === 'split' ? 'split' : 'unified',
};

// ---- small helpers -----------------------------------------------------

// h('a', {href: '#/', class: 'x', onclick: f}, 'text', child...)
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat()) {
    if (kid === undefined || kid === null || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

class ApiError extends Error {
  constructor(message, status, code) { super(message); this.status = status; this.code = code; }
}

async function call(method, path, body) {
  const headers = {'X-AgentGit-UI': '1'};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && app.me && app.me.csrf) headers['X-CSRF-Token'] = app.me.csrf;
  let res;
  try {
    res = await fetch(path, {method, headers, credentials: 'same-origin', cache: 'no-store',
                             body: body === undefined ? undefined : JSON.stringify(body)});
  } catch (e) {
    throw new ApiError('the server cannot be reached (' + e.message + ')', 0, 'NETWORK');
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = {error: text.trim()}; }
  if (!res.ok) throw new ApiError((data && data.error) || res.statusText, res.status, data && data.code);
  return data;
}

function main() { return document.getElementById('main'); }

function show(...nodes) {
  const m = main();
  m.replaceChildren(...nodes);
}

let toastTimer = null;
function toast(message, bad) {
  const t = document.getElementById('toast');
  t.textContent = message;
  t.className = 'toast show' + (bad ? ' bad' : '');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.className = 'toast'; }, bad ? 8000 : 5000);
}

function short(id) { return (id || '').slice(0, 8); }

function ago(seconds) {
  if (!seconds) return '';
  const d = Math.max(0, Math.round(Date.now() / 1000 - seconds));
  if (d < 45) return 'just now';
  if (d < 3600) return Math.round(d / 60) + ' min ago';
  if (d < 86400) return Math.round(d / 3600) + ' h ago';
  return Math.round(d / 86400) + ' d ago';
}

function timeEl(seconds) {
  const when = new Date(seconds * 1000);
  return h('time', {datetime: when.toISOString(), title: when.toLocaleString(), class: 'when'}, ago(seconds));
}

function canWrite(access) {
  return (access === 'write' || access === 'admin') && !(app.me && app.me.read_only);
}

// What an error means to the person looking, and what to do next.
function errorBox(what, e) {
  if (e.status === 401) {
    return h('div', {class: 'notice', role: 'alert'},
             h('p', {}, 'You need to log in to see ' + what + '.'),
             app.me && app.me.can_log_in ? h('p', {}, h('a', {href: '#/login?next=' + encodeURIComponent(location.hash)}, 'Log in'))
                                         : h('p', {}, 'This server has no users to log in as.'));
  }
  if (e.status === 403) return h('div', {class: 'error', role: 'alert'}, h('p', {}, 'Not allowed: ' + e.message));
  if (e.status === 404) return h('div', {class: 'error', role: 'alert'}, h('p', {}, 'Not found: ' + e.message), h('p', {}, h('a', {href: '#/'}, 'Back to the sessions')));
  return h('div', {class: 'error', role: 'alert'}, h('p', {}, 'Could not load ' + what + ': ' + e.message),
           h('p', {class: 'muted'}, 'The page tries again by itself.'));
}

// ---- who is looking ------------------------------------------------------

async function loadMe() {
  try {
    app.me = await call('GET', '/ui/me');
  } catch (e) {
    app.me = {user: null, csrf: null, can_log_in: false, anonymous: 'none', read_only: false};
  }
  renderWho();
}

function renderWho() {
  const who = document.getElementById('who');
  const me = app.me;
  if (me.user) {
    who.replaceChildren(h('span', {}, 'Signed in as ', h('strong', {}, me.user)),
                        me.via === 'cookie' ? h('button', {type: 'button', id: 'logout', onclick: logOut}, 'Log out') : null);
  } else if (me.can_log_in) {
    who.replaceChildren(h('span', {}, me.anonymous === 'none' ? 'Not signed in' : 'Anonymous (' + me.anonymous + ')'),
                        h('a', {class: 'button', href: '#/login', id: 'login-link'}, 'Log in'));
  } else {
    who.replaceChildren(h('span', {}, 'Local server: no login needed'));
  }
}

async function logOut() {
  try {
    await call('POST', '/ui/logout');
  } catch (e) {
    toast('Could not log out: ' + e.message, true);
  }
  await loadMe();
  location.hash = '#/';
  route();
}

function renderLogin(next) {
  const error = h('p', {class: 'error', role: 'alert', hidden: true});
  const user = h('input', {id: 'login-user', name: 'user', autocomplete: 'username', required: true});
  const password = h('input', {id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true});
  const submit = h('button', {class: 'primary', type: 'submit'}, 'Log in');
  const form = h('form', {class: 'panel login', id: 'login-form', onsubmit: async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      app.me = await call('POST', '/ui/login', {user: user.value, password: password.value});
      renderWho();
      location.hash = next && next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/';
    } catch (e) {
      error.textContent = e.status === 401 ? 'Wrong user name or password.' : 'Could not log in: ' + e.message;
      error.hidden = false;
      password.focus();
    } finally {
      submit.disabled = false;
    }
  }},
  h('h1', {}, 'Log in'),
  app.me.can_log_in ? null : h('p', {class: 'notice'}, 'This server has no users configured: nothing to log in to.'),
  h('label', {for: 'login-user'}, 'User name'), user,
  h('label', {for: 'login-password'}, 'Password'), password,
  error,
  h('div', {class: 'row'}, submit));
  show(form);
  user.focus();
}

// ---- the sessions --------------------------------------------------------

function stateBadge(state) { return h('span', {class: 'badge ' + state}, state); }

function renderSessions() {
  const live = h('span', {class: 'live'}, '');
  const body = h('div', {}, h('p', {class: 'loading'}, 'Loading sessions…'));
  show(h('div', {class: 'session-head'}, h('h1', {}, 'Sessions'), live), body);
  let last = '';
  const load = async () => {
    try {
      const data = await call('GET', API + '/sessions');
      live.className = 'live on';
      live.textContent = 'live';
      const text = JSON.stringify(data.sessions);
      if (text === last) return;  // unchanged: keep the page (and its focus) as it is
      last = text;
      body.replaceChildren(sessionsTable(data.sessions));
    } catch (e) {
      live.className = 'live off';
      live.textContent = 'not updating';
      last = '';
      body.replaceChildren(errorBox('the sessions', e));
    }
  };
  load();
  const timer = setInterval(() => { if (!document.hidden) load(); }, POLL_MS);
  app.cleanups.push(() => clearInterval(timer));
}

function sessionsTable(sessions) {
  if (!sessions.length) {
    return h('div', {class: 'empty'},
             h('p', {}, h('strong', {}, 'No sessions yet.'), ' A session is an agent\'s workspace: every tool call it makes becomes a commit here.'),
             h('p', {}, 'Start one from a terminal:'),
             h('pre', {}, 'agentgit session start "describe the task"\n# or\ncurl -H \'Content-Type: application/json\' \\\n  -d \'{"task":"describe the task"}\' ' + location.origin + API + '/sessions'));
  }
  const rows = [...sessions].sort((a, b) => (b.created - a.created) || (b.last_activity - a.last_activity)).map((s) =>
    h('tr', {'data-session': s.id},
      h('td', {class: 'task', 'data-label': 'Task'}, h('a', {href: '#/s/' + encodeURIComponent(s.id)}, s.task.split('\n')[0] || '(no task)')),
      h('td', {'data-label': 'Repo'}, h('code', {}, s.repo)),
      h('td', {'data-label': 'State'}, stateBadge(s.state)),
      h('td', {'data-label': 'Last activity'}, timeEl(s.last_activity)),
      h('td', {'data-label': 'Commits'}, s.commits ?? h('span', {class: 'muted'}, '?')),
      h('td', {'data-label': 'Head'}, h('code', {}, short(s.head))),
      h('td', {'data-label': 'Change tracking'}, s.change_tracking === null ? h('span', {class: 'muted'}, 'not yet known')
                                                   : s.change_tracking ? 'on' : h('span', {class: 'badge idle'}, 'off: full scans'))));
  return h('table', {class: 'sessions'},
           h('caption', {class: 'muted', text: sessions.length + (sessions.length === 1 ? ' session' : ' sessions') + ', newest first'}),
           h('thead', {}, h('tr', {}, ['Task', 'Repo', 'State', 'Last activity', 'Commits', 'Head', 'Change tracking'].map((t) => h('th', {scope: 'col'}, t)))),
           h('tbody', {}, rows));
}

// ---- one session ---------------------------------------------------------

function parseSummary(summary) {
  const m = /^\[([^\]]{1,60})\] (.*)$/.exec(summary);
  return m ? {tool: m[1], text: m[2]} : {tool: null, text: summary};
}

function renderSession(id, commit) {
  const ctx = {id, session: null, log: [], selected: commit || null, seen: new Set(), es: null, own: new Set()};
  const live = h('span', {class: 'live', id: 'live'}, 'connecting…');
  const head = h('div', {}, h('p', {class: 'loading'}, 'Loading the session…'));
  const timeline = h('ol', {class: 'timeline', id: 'timeline', 'aria-label': 'Commits, newest first', 'aria-live': 'polite'});
  const detail = h('section', {class: 'detail', id: 'detail', 'aria-label': 'Commit'});
  const actions = h('div', {id: 'actions'});
  show(head, actions, h('div', {class: 'layout'}, h('section', {'aria-label': 'Timeline'}, h('div', {class: 'session-head'}, h('h2', {}, 'Timeline'), live), timeline), detail));
  ctx.timeline = timeline;
  ctx.detail = detail;

  const loadSession = async () => {
    try {
      ctx.session = await call('GET', API + '/sessions/' + encodeURIComponent(id));
      head.replaceChildren(sessionHead(ctx.session));
      if (!actions.firstChild) actions.replaceChildren(sessionActions(ctx));
      return true;
    } catch (e) {
      head.replaceChildren(errorBox('this session', e));
      return false;
    }
  };
  let loading = null;
  const loadLog = async (markNew) => {
    if (loading) return loading;
    loading = (async () => {
      try {
        const data = await call('GET', API + '/sessions/' + encodeURIComponent(id) + '/log?stat=true&limit=200');
        ctx.log = data.commits;
        renderTimeline(ctx, markNew);
        if (!ctx.selected && ctx.log.length) selectCommit(ctx, ctx.log[0].commit, false);
      } catch (e) {
        ctx.timeline.replaceChildren(h('li', {}, errorBox('the timeline', e)));
      } finally {
        loading = null;
      }
    })();
    return loading;
  };

  (async () => {
    if (!await loadSession()) return;
    await loadLog(false);
    if (ctx.selected) selectCommit(ctx, ctx.selected, false);
    watch(ctx, live, async () => { await loadLog(true); loadSession(); });
  })();
  // Last activity and state change without events (an idle reclaim).
  const timer = setInterval(() => { if (!document.hidden && ctx.session) loadSession(); }, 15000);
  app.cleanups.push(() => clearInterval(timer));
  const keys = (ev) => {
    if (ev.target.closest('input, textarea, select') || ev.metaKey || ev.ctrlKey || ev.altKey) return;
    if (ev.key !== 'j' && ev.key !== 'k') return;
    const at = ctx.log.findIndex((c) => c.commit === ctx.selected);
    const next = ctx.log[Math.max(0, Math.min(ctx.log.length - 1, at + (ev.key === 'j' ? 1 : -1)))];
    if (next) location.hash = '#/s/' + encodeURIComponent(id) + '/c/' + next.commit;
  };
  document.addEventListener('keydown', keys);
  app.cleanups.push(() => document.removeEventListener('keydown', keys));
  app.session = ctx;
}

// The event stream: each event reloads the timeline; a reconnect is the
// browser's, with Last-Event-ID.
function watch(ctx, live, changed) {
  const es = new EventSource(API + '/sessions/' + encodeURIComponent(ctx.id) + '/events');
  ctx.es = es;
  app.cleanups.push(() => es.close());
  let pending = null;
  const soon = () => { clearTimeout(pending); pending = setTimeout(changed, 80); };
  es.onopen = () => { live.className = 'live on'; live.textContent = 'live'; };
  es.onerror = () => { live.className = 'live off'; live.textContent = 'reconnecting…'; };
  es.addEventListener('commit', soon);
  es.addEventListener('push', (ev) => { soon(); notePush(ctx, ev); });
  es.addEventListener('sync', (ev) => {
    soon();
    try {
      const d = JSON.parse(ev.data);
      if (d.conflicts && d.conflicts.length) toast('Conflicts kept both sides in: ' + d.conflicts.join(', '), true);
    } catch (e) { /* a malformed event changes nothing */ }
  });
  es.addEventListener('reset', soon);
}

// A push by someone else is news; the page's own revert or instruction
// (announced as a push too) was told already.
function notePush(ctx, ev) {
  let tip = '';
  try { tip = JSON.parse(ev.data).branch_tip; } catch (e) { /* a malformed event is still news */ }
  if (tip && ctx.own.has(tip)) return;
  toast('Someone pushed to this session: the agent gets it at its next turn.');
}

function sessionHead(s) {
  const clone = 'git clone ' + s.clone_url;
  return h('div', {},
    h('h1', {id: 'session-task'}, s.task.split('\n')[0]),
    h('div', {class: 'meta'},
      stateBadge(s.state),
      h('span', {}, 'repo ', h('code', {}, s.repo)),
      h('span', {}, 'branch ', h('code', {}, s.branch)),
      h('span', {}, 'started ', timeEl(s.created)),
      h('span', {}, 'last activity ', timeEl(s.last_activity)),
      s.commits !== null ? h('span', {id: 'session-commits'}, s.commits + (s.commits === 1 ? ' commit' : ' commits')) : null,
      h('span', {}, 'change tracking ', s.change_tracking === null ? 'not yet known' : s.change_tracking ? 'on' : 'off'),
      h('span', {}, 'your access: ' + s.access)),
    h('div', {class: 'clone'}, h('pre', {id: 'clone-command'}, clone), ' ',
      h('button', {type: 'button', onclick: () => copy(clone)}, 'Copy')));
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast('Copied.');
  } catch (e) {
    toast('Select the text and copy it yourself: the browser refused.', true);
  }
}

function renderTimeline(ctx, markNew) {
  const first = ctx.seen.size === 0;
  const items = ctx.log.map((c) => {
    const s = parseSummary(c.summary);
    const fresh = markNew && !first && !ctx.seen.has(c.commit);
    ctx.seen.add(c.commit);
    const files = c.files || [];
    const cls = [c.commit === ctx.selected ? 'selected' : '', fresh ? 'fresh' : '', c.conflicts.length ? 'conflicted' : ''].join(' ').trim();
    return h('li', {class: cls || null, 'data-commit': c.commit},
      h('a', {class: 'commit', href: '#/s/' + encodeURIComponent(ctx.id) + '/c/' + c.commit,
              'aria-current': c.commit === ctx.selected ? 'true' : null},
        h('div', {class: 'summary'}, s.tool ? h('span', {class: 'tool'}, s.tool) : null, s.text,
          c.agent ? null : h('span', {class: 'badge person', title: 'not the agent\'s: pushed or written by ' + c.author}, ' ' + c.author),
          c.conflicts.length ? h('span', {class: 'badge conflict'}, ' conflicts') : null),
        h('div', {}, timeEl(c.time), ' ', h('code', {class: 'muted'}, short(c.commit)),
          c.parents.length > 1 ? h('span', {class: 'muted'}, ' merge') : null),
        c.conflicts.length ? h('div', {class: 'muted'}, 'both sides kept in: ' + c.conflicts.join(', ')) : null,
        files.length ? h('ul', {class: 'files'},
          files.slice(0, 6).map((f) => h('li', {},
            h('span', {class: 'path'}, f.path),
            f.binary ? h('span', {class: 'muted'}, 'binary') : [h('span', {class: 'plus'}, '+' + f.added), h('span', {class: 'minus'}, '−' + f.deleted)])),
          files.length + c.more_files > 6 ? h('li', {class: 'muted'}, 'and ' + (files.length + c.more_files - 6) + ' more') : null)
          : h('div', {class: 'muted files'}, c.parents.length ? 'no files changed' : 'the first commit')));
  });
  if (!items.length) items.push(h('li', {class: 'empty'}, 'No commits yet.'));
  ctx.timeline.replaceChildren(...items);
}

async function selectCommit(ctx, commit, scroll) {
  ctx.selected = commit;
  for (const li of ctx.timeline.querySelectorAll('li')) {
    const on = li.dataset.commit === commit;
    li.classList.toggle('selected', on);
    const a = li.querySelector('a.commit');
    if (a) { if (on) a.setAttribute('aria-current', 'true'); else a.removeAttribute('aria-current'); }
    if (on && scroll) li.scrollIntoView({block: 'nearest'});
  }
  const entry = ctx.log.find((c) => c.commit === commit || c.commit.startsWith(commit));
  ctx.detail.replaceChildren(h('p', {class: 'loading'}, 'Loading the diff…'));
  try {
    const diff = await call('GET', API + '/sessions/' + encodeURIComponent(ctx.id) + '/diff?to=' + encodeURIComponent(commit));
    if (ctx.selected !== commit) return;  // another commit was chosen meanwhile
    ctx.detail.replaceChildren(commitView(ctx, entry, commit, diff));
  } catch (e) {
    ctx.detail.replaceChildren(errorBox('this commit', e));
  }
}

function commitView(ctx, entry, commit, diff) {
  const s = parseSummary(entry ? entry.summary : commit);
  const write = ctx.session && canWrite(ctx.session.access);
  const bar = h('div', {class: 'diff-tools', role: 'toolbar', 'aria-label': 'Diff'},
    ['unified', 'split'].map((mode) => h('button', {type: 'button', 'aria-pressed': String(app.diffMode === mode), id: 'mode-' + mode,
      onclick: () => { app.diffMode = mode; localStorage.setItem('agentgit.diff', mode); selectCommit(ctx, commit, false); }},
      mode === 'unified' ? 'Unified' : 'Side by side')),
    write && entry && entry.parents.length === 1 ? revertControl(ctx, entry) : null);
  const files = parsePatch(diff.patch);
  const body = files.length ? files.map((f) => fileView(f, app.diffMode))
    : [h('p', {class: 'muted'}, entry && !entry.parents.length ? 'The first commit of the session.' : 'This commit changed no files (a tool call that only read).')];
  return h('article', {},
    h('h2', {id: 'commit-title'}, s.tool ? h('span', {class: 'tool'}, s.tool) : null, s.text),
    h('div', {class: 'meta'}, h('code', {}, commit), entry ? h('span', {}, 'by ' + entry.author) : null, entry ? timeEl(entry.time) : null),
    bar,
    diff.truncated ? h('p', {class: 'notice'}, 'This diff is longer than the server sends at once; the rest is cut. Clone the session to see all of it: ',
                       h('code', {}, 'git clone ' + (ctx.session ? ctx.session.clone_url : '')), ' then ', h('code', {}, 'git show ' + short(commit))) : null,
    body);
}

function revertControl(ctx, entry) {
  const box = h('span', {class: 'revert'});
  const ask = h('button', {type: 'button', class: 'danger', id: 'revert', onclick: () => {
    box.replaceChildren(h('span', {}, 'Revert ' + short(entry.commit) + '? '),
      h('button', {type: 'button', class: 'primary', id: 'revert-confirm', onclick: async (ev) => {
        ev.target.disabled = true;
        try {
          const r = await call('POST', API + '/sessions/' + encodeURIComponent(ctx.id) + '/revert', {commit: entry.commit});
          ctx.own.add(r.commit);
          toast('Reverted as ' + short(r.commit) + '. The agent\'s work tree follows at its next turn.');
        } catch (e) {
          toast('Could not revert: ' + e.message, true);
        }
        box.replaceChildren(ask);
      }}, 'Yes, revert'),
      ' ',
      h('button', {type: 'button', onclick: () => { box.replaceChildren(ask); ask.focus(); }}, 'Cancel'));
    box.querySelector('#revert-confirm').focus();
  }}, 'Revert this commit');
  box.append(ask);
  return box;
}

// ---- diffs ----------------------------------------------------------------

// `git diff` output, file by file: {path, status, binary, lines: [{t, text, o, n}]}.
function parsePatch(patch) {
  const files = [];
  let f = null;
  let o = 0, n = 0;
  for (const line of (patch || '').split('\n')) {
    if (line.startsWith('diff --git ')) {
      const m = / b\/(.*)$/.exec(line);
      f = {path: m ? m[1] : line.slice(11), status: 'modified', binary: false, lines: [], added: 0, deleted: 0};
      files.push(f);
      continue;
    }
    if (!f) continue;
    if (!f.lines.length && !line.startsWith('@@')) {
      if (line.startsWith('new file')) f.status = 'added';
      else if (line.startsWith('deleted file')) f.status = 'deleted';
      else if (line.startsWith('Binary files')) f.binary = true;
      continue;
    }
    if (line.startsWith('@@')) {
      const m = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
      o = m ? +m[1] : 0; n = m ? +m[2] : 0;
      f.lines.push({t: 'hunk', text: line});
    } else if (line.startsWith('+')) {
      f.lines.push({t: 'add', text: line.slice(1), n: n++}); f.added++;
    } else if (line.startsWith('-')) {
      f.lines.push({t: 'del', text: line.slice(1), o: o++}); f.deleted++;
    } else if (line.startsWith(' ')) {
      f.lines.push({t: 'ctx', text: line.slice(1), o: o++, n: n++});
    }
  }
  return files;
}

const BIG_FILE_LINES = 400;

function fileView(f, mode) {
  const header = h('header', {},
    h('span', {class: 'path'}, f.path),
    h('span', {class: 'badge'}, f.status),
    f.binary ? null : [h('span', {class: 'plus'}, '+' + f.added), h('span', {class: 'minus'}, '−' + f.deleted)]);
  if (f.binary) return h('section', {class: 'file'}, header, h('p', {class: 'note'}, 'Binary file: not shown. Clone the session to get it.'));
  const box = h('section', {class: 'file'}, header);
  const render = () => box.append(mode === 'split' ? splitTable(f) : unifiedTable(f));
  if (f.lines.length > BIG_FILE_LINES) {
    const more = h('button', {type: 'button', onclick: () => { more.parentNode.remove(); render(); }}, 'Show ' + f.lines.length + ' lines');
    box.append(h('p', {class: 'note'}, 'A large change (' + f.lines.length + ' lines) is folded. ', more));
  } else {
    render();
  }
  return box;
}

function codeCell(text, cls, lang) {
  return h('td', {class: 'code' + (cls ? ' ' + cls : '')}, highlight(text, lang));
}

function unifiedTable(f) {
  const lang = languageOf(f.path);
  const rows = f.lines.map((l) => l.t === 'hunk'
    ? h('tr', {class: 'hunk'}, h('td', {class: 'n'}), h('td', {class: 'n'}), h('td', {class: 'code'}, l.text))
    : h('tr', {class: l.t}, h('td', {class: 'n'}, l.o ?? ''), h('td', {class: 'n'}, l.n ?? ''),
        h('td', {class: 'code'}, h('span', {class: 'sign'}, l.t === 'add' ? '+' : l.t === 'del' ? '−' : ' '), highlight(l.text, lang))));
  return h('table', {class: 'diff unified', 'aria-label': 'Changes to ' + f.path}, h('tbody', {}, rows));
}

function splitTable(f) {
  const lang = languageOf(f.path);
  const rows = [];
  let dels = [], adds = [];
  const flush = () => {
    for (let i = 0; i < Math.max(dels.length, adds.length); i++) {
      const d = dels[i], a = adds[i];
      rows.push(h('tr', {},
        h('td', {class: 'n'}, d ? d.o : ''), d ? codeCell(d.text, 'del', lang) : h('td', {class: 'code empty'}),
        h('td', {class: 'n'}, a ? a.n : ''), a ? codeCell(a.text, 'add', lang) : h('td', {class: 'code empty'})));
    }
    dels = []; adds = [];
  };
  for (const l of f.lines) {
    if (l.t === 'del') { dels.push(l); continue; }
    if (l.t === 'add') { adds.push(l); continue; }
    flush();
    if (l.t === 'hunk') rows.push(h('tr', {class: 'hunk'}, h('td', {class: 'n'}), h('td', {class: 'code', colspan: 3}, l.text)));
    else rows.push(h('tr', {}, h('td', {class: 'n'}, l.o), codeCell(l.text, '', lang), h('td', {class: 'n'}, l.n), codeCell(l.text, '', lang)));
  }
  flush();
  return h('table', {class: 'diff split', 'aria-label': 'Changes to ' + f.path},
           h('colgroup', {}, h('col', {class: 'n'}), h('col'), h('col', {class: 'n'}), h('col')), h('tbody', {}, rows));
}

// A little syntax highlighting, line by line: comments, strings, numbers
// and keywords of the common languages, chosen by the file's extension.
const KEYWORDS = new Set(('if else for while do return break continue switch case default function const let var class ' +
  'struct enum union typedef namespace template typename public private protected static void int char bool auto ' +
  'unsigned long short double float new delete this true false null nullptr None True False def import from as ' +
  'with try except finally raise catch throw async await yield lambda pass fn mut impl trait use pub match ' +
  'package func go defer select chan interface type export extends implements in of not and or is elif then fi done esac').split(' '));

function languageOf(path) {
  const ext = (/\.([A-Za-z0-9]+)$/.exec(path) || [])[1] || '';
  if (/^(c|h|cc|cpp|cxx|hpp|hh|js|mjs|ts|tsx|jsx|java|go|rs|cs|swift|kt|scala|css|json)$/.test(ext)) return 'c';
  if (/^(py|sh|bash|rb|pl|yaml|yml|toml|cmake|mk|r)$/.test(ext) || /(^|\/)(Makefile|CMakeLists\.txt|Dockerfile)$/.test(path)) return 'hash';
  return null;
}

function highlight(text, lang) {
  if (!lang || text.length > 2000) return document.createTextNode(text);
  const frag = document.createDocumentFragment();
  const comment = lang === 'c' ? '\\/\\/.*|\\/\\*.*?(?:\\*\\/|$)' : '#.*';
  const re = new RegExp('(' + comment + ')|("(?:[^"\\\\]|\\\\.)*"?|\'(?:[^\'\\\\]|\\\\.)*\'?|`[^`]*`?)|(\\b\\d[\\w.]*\\b)|([A-Za-z_][A-Za-z0-9_]*)', 'g');
  let at = 0;
  for (let m; (m = re.exec(text));) {
    if (m.index > at) frag.append(text.slice(at, m.index));
    const cls = m[1] ? 'tok-com' : m[2] ? 'tok-str' : m[3] ? 'tok-num' : KEYWORDS.has(m[4]) ? 'tok-kw' : null;
    frag.append(cls ? h('span', {class: cls}, m[0]) : m[0]);
    at = m.index + m[0].length;
  }
  if (at < text.length) frag.append(text.slice(at));
  return frag;
}

// ---- actions: an instruction, a promotion ----------------------------------

function sessionActions(ctx) {
  const s = ctx.session;
  if (!canWrite(s.access)) {
    return h('p', {class: 'muted', id: 'read-only-note'},
             app.me && app.me.read_only ? 'This server is read-only: no actions.' : 'You can read this session; acting on it needs write access.');
  }
  const panel = h('div', {});
  const open = (which) => panel.replaceChildren(which === 'instruction' ? instructionForm(ctx, panel) : promoteForm(ctx, panel));
  return h('div', {},
    h('div', {class: 'row diff-tools'},
      h('button', {type: 'button', id: 'open-instruction', onclick: () => open('instruction')}, 'Write an instruction…'),
      h('button', {type: 'button', id: 'open-promote', onclick: () => open('promote')}, 'Promote files…')),
    panel);
}

function instructionForm(ctx, panel) {
  const path = h('input', {id: 'instruction-path', value: 'INSTRUCTIONS.md', required: true});
  const text = h('textarea', {id: 'instruction-text', required: true, placeholder: 'What the agent should do next'});
  const message = h('input', {id: 'instruction-message', placeholder: 'Instruction: INSTRUCTIONS.md'});
  const submit = h('button', {class: 'primary', type: 'submit'}, 'Commit the instruction');
  const form = h('form', {class: 'panel', id: 'instruction-form', onsubmit: async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    try {
      const body = {path: path.value, text: text.value};
      if (message.value.trim()) body.message = message.value;
      const r = await call('POST', API + '/sessions/' + encodeURIComponent(ctx.id) + '/instruction', body);
      const made = r.result === 'committed';
      if (made) ctx.own.add(r.commit);
      toast(made ? 'Committed as ' + short(r.commit) + '. The agent sees it at its next turn.' : 'Nothing changed: the file already says that.');
      panel.replaceChildren();
    } catch (e) {
      toast('Could not commit the instruction: ' + e.message, true);
      submit.disabled = false;
    }
  }},
  h('h2', {}, 'Write an instruction'),
  h('p', {class: 'muted'}, 'A file committed to the session\'s branch, as a push would: the agent\'s work tree gets it at its next turn, and it stays in history.'),
  h('label', {for: 'instruction-path'}, 'File path'), path,
  h('label', {for: 'instruction-text'}, 'Text'), text,
  h('label', {for: 'instruction-message'}, 'Commit message (optional)'), message,
  h('div', {class: 'row'}, submit, h('button', {type: 'button', onclick: () => panel.replaceChildren()}, 'Cancel')));
  setTimeout(() => text.focus(), 0);
  return form;
}

function promoteForm(ctx, panel) {
  const list = h('ul', {class: 'promote-files', id: 'promote-files'}, h('li', {class: 'loading'}, 'Loading the files this session changed…'));
  const target = h('input', {id: 'promote-target', required: true, list: 'promote-repos', placeholder: 'a repository name'});
  const repos = h('datalist', {id: 'promote-repos'});
  const branch = h('input', {id: 'promote-branch', value: 'main'});
  const message = h('input', {id: 'promote-message', required: true, placeholder: 'What these changes do'});
  const submit = h('button', {class: 'primary', type: 'submit'}, 'Promote');
  call('GET', API + '/repos').then((r) => {
    for (const repo of r.repos || []) if (!repo.name.startsWith('session-')) repos.append(h('option', {value: repo.name}));
  }).catch(() => {});
  call('GET', API + '/sessions/' + encodeURIComponent(ctx.id) + '/touched').then((t) => {
    if (!t.files.length) { list.replaceChildren(h('li', {class: 'muted'}, 'This session has changed no files yet.')); return; }
    list.replaceChildren(...t.files.map((f) => {
      const box = h('input', {type: 'checkbox', value: f.path, class: 'pf'});
      const hunks = f.hunks.length > 1 ? h('ul', {}, f.hunks.map((hk) => h('li', {}, h('label', {},
        h('input', {type: 'checkbox', value: hk.id, class: 'ph', onchange: () => { if (box.checked) box.checked = false; }}),
        h('code', {}, hk.header))))) : null;
      box.addEventListener('change', () => { if (hunks) for (const c of hunks.querySelectorAll('input')) c.checked = false; });
      return h('li', {}, h('label', {}, box, h('span', {}, f.path), h('span', {class: 'badge'}, f.status), f.binary ? h('span', {class: 'muted'}, 'binary') : null), hunks);
    }));
  }).catch((e) => list.replaceChildren(h('li', {}, errorBox('the changed files', e))));
  const form = h('form', {class: 'panel', id: 'promote-form', onsubmit: async (ev) => {
    ev.preventDefault();
    const files = [...list.querySelectorAll('input.pf:checked')].map((c) => c.value);
    const hunks = [...list.querySelectorAll('input.ph:checked')].map((c) => c.value);
    if (!files.length && !hunks.length) { toast('Choose the files or hunks to promote.', true); return; }
    submit.disabled = true;
    try {
      const r = await call('POST', API + '/sessions/' + encodeURIComponent(ctx.id) + '/promote',
                           {target: target.value.trim(), branch: branch.value.trim() || 'main', files, hunks, message: message.value});
      toast('Promoted to ' + target.value + ' ' + (r.branch || branch.value) + ' as ' + short(r.commit) + '.');
      panel.replaceChildren();
    } catch (e) {
      toast('Could not promote: ' + e.message, true);
      submit.disabled = false;
    }
  }},
  h('h2', {}, 'Promote files'),
  h('p', {class: 'muted'}, 'Write the chosen files (or hunks of them) as one commit onto a durable repository\'s branch.'),
  h('fieldset', {}, h('legend', {}, 'Files and hunks the session changed'), list),
  h('label', {for: 'promote-target'}, 'Target repository'), target, repos,
  h('label', {for: 'promote-branch'}, 'Branch'), branch,
  h('label', {for: 'promote-message'}, 'Commit message'), message,
  h('div', {class: 'row'}, submit, h('button', {type: 'button', onclick: () => panel.replaceChildren()}, 'Cancel')));
  return form;
}

// ---- routing ----------------------------------------------------------------

function leave() {
  for (const stop of app.cleanups.splice(0)) stop();
  app.session = null;
}

function route() {
  const hash = location.hash || '#/';
  const [path, query] = hash.slice(1).split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  // Within a session, choosing a commit keeps the timeline and its stream.
  if (parts[0] === 's' && app.session && app.session.id === parts[1]) {
    if (parts[2] === 'c' && parts[3]) { selectCommit(app.session, parts[3], true); return; }
  }
  leave();
  main().focus({preventScroll: true});
  if (parts[0] === 'login') {
    const next = new URLSearchParams(query || '').get('next');
    renderLogin(next);
  } else if (parts[0] === 's' && parts[1]) {
    renderSession(parts[1], parts[2] === 'c' ? parts[3] : null);
  } else {
    renderSessions();
  }
}

window.addEventListener('hashchange', route);
window.addEventListener('DOMContentLoaded', async () => {
  await loadMe();
  route();
});
