// api.js: calls to Sluice's own JSON API (/api/v1) and small helpers.

// session is what /api/v1/session said: {open} or {access_key_id,
// csrf_token}. The session cookie itself is HttpOnly: pages never see it.
export const session = { open: true, access_key_id: '', csrf_token: '' };

// authHeaders are the headers a state-changing request needs besides the
// cookie (the CSRF token).
export function authHeaders() {
  return session.csrf_token ? { 'X-CSRF-Token': session.csrf_token } : {};
}

// UnauthorizedError: the session is missing or ended; the app shows its
// login form.
export class UnauthorizedError extends Error {}

export async function api(method, path, body) {
  const opts = { method, headers: method === 'GET' ? {} : authHeaders() };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const res = await fetch('/api/v1' + path, opts);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text }; }
  if (res.status === 401) throw new UnauthorizedError((data && data.error) || 'not logged in');
  if (!res.ok) throw new Error((data && data.error) || res.statusText);
  return data;
}

// loadSession asks who is logged in; false when nobody is (and keys are
// required).
export async function loadSession() {
  const res = await fetch('/api/v1/session');
  if (res.status === 404) return true; // a server without auth routes: open
  if (!res.ok) return false;
  Object.assign(session, await res.json());
  return true;
}

// login posts an access key; it throws with the server's reason.
export async function login(id, secret) {
  const res = await fetch('/api/v1/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ access_key_id: id, secret_access_key: secret }),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.statusText);
  Object.assign(session, { open: false }, data);
}

export async function logout() {
  await fetch('/api/v1/logout', { method: 'POST', headers: authHeaders() });
  Object.assign(session, { open: false, access_key_id: '', csrf_token: '' });
}

export function toast(msg) {
  const el = document.getElementById('toast');
  el.textContent = msg;
  el.classList.add('show');
  clearTimeout(toast.t);
  toast.t = setTimeout(() => el.classList.remove('show'), 4000);
}

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function fmtBytes(n) {
  if (n === undefined || n === null) return '–';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

export function fmtTime(t) {
  if (!t) return '–';
  const d = new Date(t);
  return d.toLocaleString(undefined, { hour12: false });
}
