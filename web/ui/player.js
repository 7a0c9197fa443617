// player.js: live view over WebRTC (WHEP), falling back by itself to HLS
// played with Media Source Extensions; archive replay over HLS. Media
// timestamps from Sluice are absolute (producer wall clock in seconds), so
// video.currentTime is the wall-clock time of the frame shown.

import { authHeaders } from './api.js';

export class Player {
  constructor(video, stateEl) {
    this.video = video;
    this.stateEl = stateEl;
    this.stop = () => {};
  }

  state(text) { if (this.stateEl) this.stateEl.textContent = text; }

  close() { this.stop(); this.stop = () => {}; }

  // live tries WHEP, then HLS if WebRTC fails or shows no frame in 5 s.
  async live(stream) {
    this.close();
    try {
      await this.whep(stream);
      if (await this.framesWithin(5000)) { this.mode = 'webrtc'; this.state('Live (WebRTC)'); return; }
      this.close();
    } catch (e) {
      this.close();
    }
    this.mode = 'hls';
    this.state('Live (LL-HLS)');
    await this.hls(`/hls/${encodeURIComponent(stream)}/index.m3u8`, { live: true });
  }

  framesWithin(ms) {
    return new Promise((resolve) => {
      const t0 = performance.now();
      const check = () => {
        const q = this.video.getVideoPlaybackQuality ? this.video.getVideoPlaybackQuality() : null;
        if (q && q.totalVideoFrames > 0) return resolve(true);
        if (performance.now() - t0 > ms) return resolve(false);
        setTimeout(check, 200);
      };
      check();
    });
  }

  async whep(stream) {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const ms = new MediaStream();
    pc.ontrack = (e) => { ms.addTrack(e.track); this.video.srcObject = ms; this.video.play().catch(() => {}); };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((r) => {
      if (pc.iceGatheringState === 'complete') return r();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
      setTimeout(r, 1500);
    });
    const url = `/whep/${encodeURIComponent(stream)}`;
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp', ...authHeaders() }, body: pc.localDescription.sdp });
    if (!res.ok) { pc.close(); throw new Error(`WHEP ${res.status}: ${await res.text()}`); }
    const location = res.headers.get('Location');
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    this.stop = () => {
      pc.close();
      this.video.srcObject = null;
      if (location) fetch(new URL(location, location.startsWith('http') ? undefined : window.location.href), { method: 'DELETE' }).catch(() => {});
    };
  }

  // hls plays an fMP4 HLS media playlist with MSE: a VOD playlist once,
  // a live one by reloading it. seekTo (epoch seconds) positions replay.
  async hls(url, { live = false, seekTo = null } = {}) {
    this.close();
    const video = this.video;
    const mediaSource = new MediaSource();
    video.srcObject = null;
    video.src = URL.createObjectURL(mediaSource);
    await new Promise((r) => mediaSource.addEventListener('sourceopen', r, { once: true }));
    let stopped = false;
    this.stop = () => { stopped = true; try { video.removeAttribute('src'); video.load(); } catch (e) {} };
    let sb = null;
    const appended = new Set();
    let lastInit = null;
    const append = (buf) => new Promise((resolve, reject) => {
      sb.addEventListener('updateend', resolve, { once: true });
      sb.addEventListener('error', reject, { once: true });
      sb.appendBuffer(buf);
    });
    const fetchBuf = async (u) => {
      const r = await fetch(new URL(u, new URL(url, window.location.href)));
      if (!r.ok) throw new Error(`${r.status} ${u}`);
      return r.arrayBuffer();
    };
    let first = true;
    let joined = false;
    const start = async (seekable) => {
      const end = sb.buffered.length ? sb.buffered.end(sb.buffered.length - 1) : 0;
      // Start once the media at the wanted time is in the buffer: the
      // live edge (less half a second), the replay position, or the beginning.
      if (first && sb.buffered.length && (seekTo === null || end > seekTo)) {
        first = false;
        let t = sb.buffered.start(0);
        if (seekTo !== null) t = Math.max(t, seekTo);
        if (live && seekable) t = Math.max(t, end - 0.5);
        video.currentTime = t;
        video.play().catch(() => {});
      }
    };
    const appendItem = async (uri, map) => {
      if (map && map !== lastInit) {
        const init = await fetchBuf(map);
        if (!sb) {
          sb = mediaSource.addSourceBuffer(`video/mp4; codecs="${codecsOf(new Uint8Array(init)).join(',')}"`);
          sb.mode = 'segments';
        }
        await append(init);
        lastInit = map;
      }
      await append(await fetchBuf(uri));
      appended.add(uri);
    };
    try {
      await loop();
    } catch (e) {
      // The stream ended, the session expired, the server went away: say
      // so and stop (a reload of the page starts again).
      if (!stopped) this.state(`Stopped: ${e.message}`);
    }
    async function loop() {
      for (;;) {
        if (stopped) return;
        const res = await fetch(url);
        const text = await res.text();
        if (!res.ok) throw new Error(`playlist ${res.status}: ${(/"error":"([^"]*)"/.exec(text) || [])[1] || text.slice(0, 100)}`);
        const pl = parsePlaylist(text);
        // A live LL-HLS join starts at the newest complete segment: older
        // ones are marked as seen.
        if (live && !joined) {
          joined = true;
          const done = pl.segments.filter((x) => x.uri);
          for (const x of done.slice(0, -1)) { appended.add(x.uri); for (const p of x.parts) appended.add(p); }
        }
        for (const seg of pl.segments) {
          if (stopped) return;
          if (seg.uri && appended.has(seg.uri)) continue;
          const partsDone = seg.parts.filter((p) => appended.has(p)).length;
          if (seg.uri && partsDone === 0) {
            await appendItem(seg.uri, seg.map); // a whole segment
          } else {
            for (const p of seg.parts) if (!appended.has(p)) await appendItem(p, seg.map); // the parts
            if (seg.uri) appended.add(seg.uri);
          }
          if (!live) await start(true); // replay: start as soon as the wanted time is in
        }
        if (live && sb) await start(true); // live: start near the newest part appended
        if (!live && pl.ended) { try { mediaSource.endOfStream(); } catch (e) {} return; }
        await new Promise((r) => setTimeout(r, pl.partTarget ? 200 : Math.max(500, (pl.target || 2) * 500)));
      }
    }
  }
}

// jumpGaps skips over holes between buffered ranges (recording gaps).
export function jumpGaps(video) {
  video.addEventListener('waiting', () => {
    const b = video.buffered;
    for (let i = 0; i < b.length; i++) {
      if (b.start(i) > video.currentTime) { video.currentTime = b.start(i); return; }
    }
  });
}

// parsePlaylist reads an HLS media playlist: segments (with their LL-HLS
// parts) and, last, the open segment's parts (uri null).
export function parsePlaylist(text) {
  const out = { segments: [], ended: false, target: 2, partTarget: 0 };
  let map = null;
  let pdt = null;
  let parts = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MAP:')) map = (/URI="([^"]+)"/.exec(line) || [])[1] || null;
    else if (line.startsWith('#EXT-X-TARGETDURATION:')) out.target = Number(line.split(':')[1]);
    else if (line.startsWith('#EXT-X-PART-INF:')) out.partTarget = Number((/PART-TARGET=([\d.]+)/.exec(line) || [])[1] || 0);
    else if (line.startsWith('#EXT-X-PART:')) parts.push((/URI="([^"]+)"/.exec(line) || [])[1]);
    else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) pdt = line.slice(25);
    else if (line === '#EXT-X-ENDLIST') out.ended = true;
    else if (line && !line.startsWith('#')) { out.segments.push({ uri: line, map, pdt, parts }); pdt = null; parts = []; }
  }
  if (parts.length) out.segments.push({ uri: null, map, pdt, parts });
  return out;
}

// codecsOf reads the RFC 6381 codec strings of an fMP4 init segment.
export function codecsOf(b) {
  const codecs = [];
  const u32 = (o) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  const type = (o) => String.fromCharCode(b[o + 4], b[o + 5], b[o + 6], b[o + 7]);
  const hex = (v) => v.toString(16).padStart(2, '0');
  const walk = (start, end) => {
    for (let o = start; o + 8 <= end;) {
      const size = u32(o) || end - o;
      const t = type(o);
      if (['moov', 'trak', 'mdia', 'minf', 'stbl'].includes(t)) walk(o + 8, o + size);
      else if (t === 'stsd') walk(o + 16, o + size);
      else if (t === 'avc1' || t === 'avc3') {
        let found = 'avc1.42e01e'; // the avcC box carries profile, compatibility, level
        for (let i = o + 8; i + 12 < o + size; i++) {
          if (b[i] === 0x61 && b[i + 1] === 0x76 && b[i + 2] === 0x63 && b[i + 3] === 0x43) { found = `avc1.${hex(b[i + 5])}${hex(b[i + 6])}${hex(b[i + 7])}`; break; }
        }
        codecs.push(found);
      } else if (t === 'hvc1' || t === 'hev1') codecs.push('hvc1.1.6.L93.B0');
      else if (t === 'vp09') codecs.push('vp09.00.10.08');
      else if (t === 'av01') codecs.push('av01.0.08M.08');
      else if (t === 'mp4a') codecs.push('mp4a.40.2');
      else if (t === 'Opus') codecs.push('opus');
      o += size;
    }
  };
  walk(0, b.length);
  return codecs;
}
