'use strict';
// Credentials of the publish and watch pages: a bearer token in the URL
// fragment (#token=..., which never reaches a server or its logs), else the
// web UI's session cookie with its CSRF token; neither is needed when the
// server runs without keys. sluiceAuthHeaders resolves to the headers an
// offer needs.
window.sluiceAuthHeaders = async function () {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (token) return { Authorization: 'Bearer ' + token };
  const r = await fetch('/api/v1/session').catch(() => null);
  const s = r && r.ok ? await r.json() : {};
  return s.csrf_token ? { 'X-CSRF-Token': s.csrf_token } : {};
};
