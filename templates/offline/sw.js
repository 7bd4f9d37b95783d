// zundapod's service worker: keeps the listener's queued episodes (page and audio) for the train.
// Pages come from the network first and from this cache when there is none; audio that was kept is
// served from the cache, byte ranges included (players ask for ranges); nothing else is touched.
const CACHE = "zundapod-offline-v1";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

const keep = async (urls) => {
  const cache = await caches.open(CACHE);
  for (const url of urls) {
    if (await cache.match(url)) continue;
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.status === 200) await cache.put(url, response);
    } catch { /* offline already: kept next time */ }
  }
};

const tell = async (message) => {
  for (const client of await self.clients.matchAll()) client.postMessage(message);
};

self.addEventListener("message", (event) => {
  const { type, urls } = event.data || {};
  if (type === "keep") event.waitUntil(keep(urls || []).then(() => tell({ type: "kept" })));
  if (type === "clear") event.waitUntil(caches.delete(CACHE).then(() => tell({ type: "cleared" })));
});

/** A kept whole file answered as the part a `Range: bytes=a-b` header asks for. */
const part = async (request, whole) => {
  const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.get("Range") || "");
  if (!range) return whole;
  const body = await whole.arrayBuffer();
  const size = body.byteLength;
  let start = range[1] === "" ? size - Number(range[2]) : Number(range[1]);
  let end = range[1] === "" || range[2] === "" ? size - 1 : Math.min(Number(range[2]), size - 1);
  start = Math.max(0, start);
  if (start > end) return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${size}` } });
  return new Response(body.slice(start, end + 1), {
    status: 206,
    headers: {
      "Content-Type": whole.headers.get("Content-Type") || "audio/mpeg",
      "Content-Range": `bytes ${start}-${end}/${size}`,
      "Content-Length": String(end - start + 1),
      "Accept-Ranges": "bytes",
    },
  });
};

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  if (request.destination === "audio" || request.destination === "video") {
    event.respondWith((async () => {
      const kept = await caches.match(request.url, { cacheName: CACHE });
      return kept ? part(request, kept) : fetch(request);
    })());
  } else if (request.mode === "navigate") {
    event.respondWith((async () => {
      try {
        return await fetch(request);
      } catch (error) {
        const kept = await caches.match(request.url, { cacheName: CACHE });
        if (kept) return kept;
        throw error;
      }
    })());
  }
});
