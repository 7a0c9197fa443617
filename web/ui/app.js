// app.js: the pages of Sluice's web UI (hash routes), on /api/v1 and the
// media endpoints. Plain ES modules, no build step, no external requests.
import { api, toast, h, fmtBytes, fmtTime, session, loadSession, login, logout, UnauthorizedError } from './api.js';
import { Player, jumpGaps } from './player.js';

const main = document.getElementById('main');
let cleanup = [];

function setNav(name) {
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.nav === name);
}

async function route() {
  for (const f of cleanup) f();
  cleanup = [];
  if (!(await loadSession())) { loginPage(); return; }
  showUser();
  const hash = location.hash || '#/';
  const [, page, arg] = hash.match(/^#\/(\w*)\/?(.*)$/) || [];
  main.replaceChildren();
  try {
    if (page === 'stream') { setNav('streams'); await streamPage(decodeURIComponent(arg)); }
    else if (page === 'data' && arg) { setNav('data'); await dataStreamPage(decodeURIComponent(arg)); }
    else if (page === 'data') { setNav('data'); await dataStreamsPage(); }
    else { setNav('streams'); await streamsPage(); }
  } catch (e) {
    if (e instanceof UnauthorizedError) { loginPage(e.message); return; }
    main.append(h('p', { role: 'alert' }, 'Error: ' + e.message));
  }
}
window.addEventListener('hashchange', route);
route();

// --- Login ------------------------------------------------------------------

// loginPage asks for an access key (the server sets an HttpOnly session
// cookie; the secret is not kept by the page).
function loginPage(reason) {
  showUser();
  main.replaceChildren(
    h('h1', {}, 'Log in'),
    reason ? h('p', { role: 'alert' }, reason) : null,
    h('form', { class: 'login', id: 'login', onsubmit: async (e) => {
      e.preventDefault();
      const f = e.target;
      try {
        await login(f.id.value.trim(), f.secret.value);
        route();
      } catch (err) {
        f.querySelector('.error').textContent = err.message;
      }
    } },
    h('label', {}, 'Access key ID', h('input', { name: 'id', required: true, autocomplete: 'username' })),
    h('label', {}, 'Secret', h('input', { name: 'secret', type: 'password', required: true, autocomplete: 'current-password' })),
    h('button', { type: 'submit' }, 'Log in'),
    h('p', { class: 'error', role: 'alert' })));
  main.querySelector('input').focus();
}

// showUser shows who is logged in, with a logout button, in the header.
function showUser() {
  const header = document.querySelector('header');
  header.querySelector('.user')?.remove();
  if (session.open || !session.access_key_id) return;
  header.append(h('span', { class: 'user' }, session.access_key_id, ' ',
    h('button', { type: 'button', id: 'logout', onclick: async () => { await logout(); route(); } }, 'Log out')));
}

function every(ms, fn) {
  const id = setInterval(fn, ms);
  cleanup.push(() => clearInterval(id));
}

// --- Video streams -------------------------------------------------------

async function streamsPage() {
  const grid = h('div', { class: 'grid', id: 'streams' });
  const tiles = h('input', { type: 'checkbox', id: 'tiles' });
  main.append(
    h('h1', {}, 'Video streams'),
    h('form', { class: 'inline', onsubmit: createStream },
      h('label', {}, 'New stream', h('input', { name: 'name', required: true, 'aria-label': 'New stream name', pattern: '[a-zA-Z0-9_.\\-]+' })),
      h('label', {}, 'Retention (hours)', h('input', { name: 'retention', type: 'number', min: 0, value: 24, 'aria-label': 'Retention in hours' })),
      h('button', { type: 'submit' }, 'Create')),
    h('form', { class: 'inline', onsubmit: addCamera },
      h('label', {}, 'Camera stream', h('input', { name: 'stream', required: true, 'aria-label': 'Camera stream name' })),
      h('label', {}, 'RTSP URL', h('input', { name: 'url', required: true, size: 40, placeholder: 'rtsp://user:pass@camera/path', 'aria-label': 'Camera RTSP URL' })),
      h('label', {}, 'Transport', h('select', { name: 'transport', 'aria-label': 'Transport' }, h('option', { value: '' }, 'auto'), h('option', {}, 'tcp'), h('option', {}, 'udp'))),
      h('button', { type: 'submit' }, 'Add camera')),
    h('label', { style: 'flex-direction:row;align-items:center' }, tiles, ' Show live tiles'),
    grid);
  const players = new Map();
  cleanup.push(() => { for (const p of players.values()) p.close(); });
  const render = async () => {
    const { streams } = await api('GET', '/streams');
    grid.replaceChildren(...streams.map((s) => {
      const v = (s.tracks || []).find((t) => t.kind === 'video');
      const card = h('div', { class: 'card stream', 'data-stream': s.name, 'data-live': String(s.live) },
        h('a', { class: 'title', href: `#/stream/${encodeURIComponent(s.name)}` }, s.name),
        h('span', { class: 'badge ' + (s.live ? 'live' : 'off') }, s.live ? 'live' : 'offline'),
        h('div', { class: 'meta' },
          s.live && s.source ? `${s.source} · ${v ? `${v.name} ${v.width}×${v.height}` : 'audio'} · ${Math.round((s.bitrate_bps || 0) / 1000)} kb/s` : '',
          s.recorded_by ? h('span', { class: 'node', 'data-node': s.recorded_by }, ` recorded by ${s.recorded_by}`) : '',
          s.archive_delayed ? h('span', { class: 'badge warn', title: 'The archive bucket is failing: fragments wait in the local spool and still play back' }, ` archive delayed (${s.spooled} waiting)`) : '',
          s.dropped ? h('span', { class: 'badge warn' }, ` ${s.dropped} fragments dropped`) : '',
          h('br'), `last fragment ${fmtTime(s.last_fragment)}`, h('br'),
          `retention ${s.retention_hours} h · archived ≈ ${fmtBytes(s.archived_bytes_estimate)} (${s.archived_fragments} fragments)`));
      if (tiles.checked && s.live) {
        const video = h('video', { muted: true, autoplay: true, playsinline: true, 'aria-label': `Live tile of ${s.name}` });
        video.muted = true;
        card.append(video);
        const p = players.get(s.name) || new Player(video);
        p.video = video;
        if (!players.has(s.name)) { players.set(s.name, p); p.whep(s.name).catch(() => {}); }
      }
      return card;
    }));
  };
  tiles.addEventListener('change', () => { for (const p of players.values()) p.close(); players.clear(); render(); });
  await render();
  every(3000, () => render().catch(() => {}));
}

async function createStream(e) {
  e.preventDefault();
  const f = e.target;
  try {
    await api('POST', '/streams', { name: f.name.value, retention_hours: Number(f.retention.value) });
    toast(`Stream ${f.name.value} created`);
    route();
  } catch (err) { toast(err.message); }
}

async function addCamera(e) {
  e.preventDefault();
  const f = e.target;
  try {
    await api('POST', '/cameras', { stream: f.stream.value, url: f.url.value, transport: f.transport.value });
    toast(`Pulling camera into ${f.stream.value}`);
    route();
  } catch (err) { toast(err.message); }
}

async function streamPage(name) {
  const s = await api('GET', `/streams/${encodeURIComponent(name)}`);
  const video = h('video', { controls: true, muted: true, playsinline: true, 'aria-label': `Video of ${name}` });
  video.muted = true;
  jumpGaps(video);
  const state = h('div', { class: 'player-state', id: 'player-state' }, '');
  const clock = h('div', { class: 'player-state', id: 'wallclock' }, '');
  const player = new Player(video, state);
  cleanup.push(() => player.close());
  const bar = h('div', { class: 'timeline', id: 'timeline', role: 'slider', tabindex: 0, 'aria-label': 'Recorded timeline: click to replay, drag to select a range' });
  const axis = h('div', { class: 'axis' });
  const selInfo = h('span', { id: 'selection' }, 'No range selected');
  const progress = h('progress', { id: 'export-progress', max: 1, value: 0, hidden: true, 'aria-label': 'Export progress' });
  const retention = h('input', { type: 'number', min: 0, value: s.retention_hours, 'aria-label': 'Retention in hours' });
  main.append(
    h('h1', {}, name, h('span', { class: 'badge ' + (s.live ? 'live' : 'off') }, s.live ? 'live' : 'offline'),
      s.recorded_by ? h('span', { class: 'node', 'data-node': s.recorded_by }, ` recorded by ${s.recorded_by}`) : ''),
    video, state, clock,
    h('div', { class: 'inline' },
      h('button', { onclick: () => player.live(name) }, 'Live'),
      h('button', { class: 'secondary', onclick: share }, 'Copy share link'),
      h('button', { class: 'secondary', id: 'watch-link', onclick: () => pageLink('watch', 'read') }, 'Copy WebRTC watch link'),
      h('button', { class: 'secondary', id: 'publish-link', onclick: () => pageLink('publish', 'write') }, 'Copy publish link')),
    h('h2', {}, 'Recorded timeline (last 24 hours)'), bar, axis,
    h('div', { class: 'inline' }, selInfo, ' ',
      h('button', { id: 'export', onclick: exportClip }, 'Download MP4')), progress,
    h('h2', {}, 'Settings'),
    h('div', { class: 'meta' }, `Archived: ${fmtBytes(s.archived_bytes)} · created ${fmtTime(s.created)}`),
    h('form', { class: 'inline', onsubmit: async (e) => {
      e.preventDefault();
      try { await api('PUT', `/streams/${encodeURIComponent(name)}/retention`, { retention_hours: Number(retention.value) }); toast('Retention changed'); } catch (err) { toast(err.message); }
    } }, h('label', {}, 'Retention (hours)', retention), h('button', { type: 'submit' }, 'Save')),
    h('button', { class: 'danger', onclick: async () => {
      if (!confirm(`Delete ${name} and all its media?`)) return;
      try { await api('DELETE', `/streams/${encodeURIComponent(name)}`); location.hash = '#/'; } catch (err) { toast(err.message); }
    } }, 'Delete stream'));
  every(250, () => { if (video.currentTime > 1e9) clock.textContent = 'Showing ' + new Date(video.currentTime * 1000).toISOString(); });

  // Timeline: the last 24 h, recorded ranges drawn, gaps empty.
  const end = new Date();
  const start = new Date(end.getTime() - 24 * 3600e3);
  let view = { start: start.getTime(), end: end.getTime() };
  let selection = null;
  const drawTimeline = async () => {
    const tl = await api('GET', `/streams/${encodeURIComponent(name)}/timeline?start=${new Date(view.start).toISOString()}&end=${new Date(view.end).toISOString()}`);
    if (tl.ranges.length) { // zoom to the recorded span (with a margin)
      const a = new Date(tl.ranges[0].start).getTime();
      const b = new Date(tl.ranges[tl.ranges.length - 1].end).getTime();
      const pad = Math.max((b - a) * 0.05, 5000);
      view = { start: a - pad, end: Math.max(b + pad, Date.now()) };
    }
    const x = (t) => ((new Date(t).getTime() - view.start) / (view.end - view.start)) * 100;
    bar.replaceChildren(...tl.ranges.map((r) => h('div', { class: 'range', style: `left:${x(r.start)}%;width:${Math.max(x(r.end) - x(r.start), 0.2)}%`, title: `${fmtTime(r.start)} – ${fmtTime(r.end)}` })));
    if (selection) bar.append(h('div', { class: 'sel', style: `left:${x(selection[0])}%;width:${x(selection[1]) - x(selection[0])}%` }));
    axis.replaceChildren(h('span', {}, fmtTime(view.start)), h('span', {}, fmtTime(view.end)));
  };
  await drawTimeline();
  every(5000, () => drawTimeline().catch(() => {}));
  const timeAt = (clientX) => {
    const r = bar.getBoundingClientRect();
    return view.start + ((clientX - r.left) / r.width) * (view.end - view.start);
  };
  let down = null;
  bar.addEventListener('pointerdown', (e) => { down = timeAt(e.clientX); bar.setPointerCapture(e.pointerId); });
  bar.addEventListener('pointerup', (e) => {
    const up = timeAt(e.clientX);
    if (down !== null && Math.abs(bar.getBoundingClientRect().width * (up - down) / (view.end - view.start)) > 5) {
      selection = [Math.min(down, up), Math.max(down, up)];
      selInfo.textContent = `Selected ${new Date(selection[0]).toISOString()} – ${new Date(selection[1]).toISOString()} (${((selection[1] - selection[0]) / 1000).toFixed(1)} s)`;
      drawTimeline();
    } else {
      replay(up);
    }
    down = null;
  });
  bar.addEventListener('keydown', (e) => { if (e.key === 'Enter') replay(Date.now() - 10000); });

  async function replay(t) {
    const from = new Date(t - 5000).toISOString();
    const to = new Date(Math.min(t + 3600e3, Date.now() + 3600e3)).toISOString();
    state.textContent = `Replay from ${new Date(t).toISOString()}`;
    try {
      await player.hls(`/hls/${encodeURIComponent(name)}/replay.m3u8?start=${from}&end=${to}`, { seekTo: t / 1000 });
    } catch (err) { toast('Replay failed: ' + err.message); }
  }
  // exposed for tests and keyboard users
  window.sluiceReplay = replay;
  window.sluiceSelect = (a, b) => { selection = [a, b]; selInfo.textContent = `Selected ${new Date(a).toISOString()} – ${new Date(b).toISOString()}`; drawTimeline(); };

  async function exportClip() {
    if (!selection) { toast('Drag on the timeline to select a range first'); return; }
    try {
      const { url } = await api('POST', `/streams/${encodeURIComponent(name)}/links`, { kind: 'clip', start: new Date(selection[0]).toISOString(), end: new Date(selection[1]).toISOString(), expires_seconds: 600 });
      const res = await fetch(url);
      if (!res.ok) throw new Error(await res.text());
      const total = Number(res.headers.get('Content-Length')) || (s.bitrate_bps || 2e6) / 8 * (selection[1] - selection[0]) / 1000;
      progress.hidden = false;
      const reader = res.body.getReader();
      const chunks = [];
      let got = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        got += value.length;
        progress.value = Math.min(got / total, 0.99);
      }
      progress.value = 1;
      const a = h('a', { href: URL.createObjectURL(new Blob(chunks, { type: 'video/mp4' })), download: `${name}-${new Date(selection[0]).toISOString()}.mp4` });
      document.body.append(a);
      a.click();
      a.remove();
      toast(`Downloaded ${fmtBytes(got)}`);
    } catch (err) { toast('Export failed: ' + err.message); }
  }

  async function share() {
    try {
      const body = selection ? { kind: 'hls', start: new Date(selection[0]).toISOString(), end: new Date(selection[1]).toISOString(), expires_seconds: 86400 } : { kind: 'hls', expires_seconds: 86400 };
      const { url, expires } = await api('POST', `/streams/${encodeURIComponent(name)}/links`, body);
      await navigator.clipboard.writeText(url).catch(() => {});
      toast(`Link copied (valid until ${fmtTime(expires)})`);
      window.sluiceLastShare = url;
    } catch (err) { toast(err.message); }
  }

  // pageLink copies a link to the minimal WebRTC watch or publish page
  // with a bearer token for this stream alone (a day, in the URL fragment,
  // which browsers never send to servers).
  async function pageLink(page, access) {
    try {
      const t = await api('POST', '/tokens', { stream: name, access, ttl_seconds: 86400 });
      const url = `${location.origin}/${page}/${encodeURIComponent(name)}#token=${encodeURIComponent(t.token)}`;
      await navigator.clipboard.writeText(url).catch(() => {});
      toast(`${page === 'watch' ? 'Watch' : 'Publish'} link copied (valid until ${fmtTime(t.expires)})`);
      window.sluiceLastPageLink = url;
    } catch (err) { toast(err.message); }
  }

  if (s.live) player.live(name); else state.textContent = 'Offline: click the timeline to replay';
}

// --- Data streams --------------------------------------------------------

async function dataStreamsPage() {
  const table = h('table', { id: 'datastreams' });
  main.append(h('h1', {}, 'Data streams'), table);
  let prev = new Map();
  let prevAt = performance.now();
  const render = async () => {
    const { streams } = await api('GET', '/datastreams');
    const now = performance.now();
    table.replaceChildren(
      h('tr', {}, ...['Name', 'Status', 'Mode', 'Open shards', 'Retention', 'Incoming'].map((t) => h('th', {}, t))),
      ...streams.map((s) => {
        const rate = prev.has(s.name) ? (s.records_in - prev.get(s.name)) / ((now - prevAt) / 1000) : 0;
        return h('tr', {},
          h('td', {}, h('a', { href: `#/data/${encodeURIComponent(s.name)}` }, s.name)),
          h('td', {}, s.status), h('td', {}, s.mode), h('td', {}, s.open_shards),
          h('td', {}, `${s.retention_hours} h`), h('td', {}, `${rate.toFixed(1)} records/s`));
      }));
    prev = new Map(streams.map((s) => [s.name, s.records_in]));
    prevAt = now;
  };
  await render();
  every(2000, () => render().catch(() => {}));
}

async function dataStreamPage(name) {
  const s = await api('GET', `/datastreams/${encodeURIComponent(name)}`);
  const tail = h('table', { id: 'tail' }, h('tr', {}, ...['Time', 'Shard', 'Partition key', 'Sequence number', 'Data'].map((t) => h('th', {}, t))));
  const asHex = h('input', { type: 'checkbox', id: 'hex' });
  main.append(
    h('h1', {}, name),
    h('div', { class: 'meta' }, `${s.status} · ${s.mode} · ${s.open_shards} open shards · retention ${s.retention_hours} h`),
    h('h2', {}, 'Shards'),
    h('table', {}, h('tr', {}, ...['Shard', 'Parents', 'Hash keys', 'Sequence numbers', 'State'].map((t) => h('th', {}, t))),
      ...s.shards.map((sh) => h('tr', {},
        h('td', { class: 'mono' }, sh.id),
        h('td', { class: 'mono' }, [sh.parent, sh.adjacent_parent].filter(Boolean).join(', ') || '–'),
        h('td', { class: 'mono' }, `${sh.starting_hash_key} – ${sh.ending_hash_key}`),
        h('td', { class: 'mono' }, `${sh.starting_sequence} – ${sh.ending_sequence || '…'}`),
        h('td', {}, sh.open ? 'open' : 'closed')))),
    h('h2', {}, 'Put a test record'),
    h('form', { class: 'inline', onsubmit: async (e) => {
      e.preventDefault();
      const f = e.target;
      try {
        const r = await api('POST', `/datastreams/${encodeURIComponent(name)}/records`, { partition_key: f.pk.value, data: f.data.value });
        toast(`Stored in ${r.shard} as ${r.sequence}`);
      } catch (err) { toast(err.message); }
    } },
      h('label', {}, 'Partition key', h('input', { name: 'pk', required: true, 'aria-label': 'Partition key' })),
      h('label', {}, 'Data', h('input', { name: 'data', required: true, size: 30, 'aria-label': 'Record data' })),
      h('button', { type: 'submit' }, 'Put record')),
    h('h2', {}, 'Live tail ', h('label', { style: 'display:inline-flex;flex-direction:row' }, asHex, ' hex')),
    tail);
  const es = new EventSource(`/api/v1/datastreams/${encodeURIComponent(name)}/tail`);
  cleanup.push(() => es.close());
  es.addEventListener('record', (e) => {
    const r = JSON.parse(e.data);
    const bytes = Uint8Array.from(atob(r.base64), (c) => c.charCodeAt(0));
    const shown = asHex.checked || r.text === undefined ? [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ') : r.text;
    tail.children[0].after(h('tr', { class: 'record' },
      h('td', {}, fmtTime(r.time)), h('td', { class: 'mono' }, r.shard), h('td', {}, r.partition_key),
      h('td', { class: 'mono' }, r.sequence), h('td', { class: 'mono' }, shown)));
    while (tail.children.length > 201) tail.lastChild.remove();
  });
}
