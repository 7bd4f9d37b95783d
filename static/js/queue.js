// The listening queue: play an episode from any list into the mini-player, "次に再生" adds it
// to the queue, "未聴を続けて再生" queues every episode on the page not yet heard to the end.
// When an episode ends it is marked heard and the next in the queue starts (player.js docks it).
// After a full reload, "続きを聞く" brings the last episode back into the mini-player where it stopped.
// Queued episodes (page and audio) are kept for offline play by the service worker (/sw.js); the
// list shows what that takes and clears it.
(() => {
  "use strict";

  const QUEUE_KEY = "zundapod:queue";
  const LAST_KEY = "zundapod:last";
  const heardKey = (episode) => `zundapod:heard:${episode}`;
  const store = {
    get(key) {
      try { return window.localStorage.getItem(key); } catch { return null; }
    },
    set(key, value) {
      try { window.localStorage.setItem(key, value); } catch { /* private mode: nothing kept */ }
    },
  };
  const load = () => {
    try { return JSON.parse(store.get(QUEUE_KEY) || "[]"); } catch { return []; }
  };
  const save = (items) => store.set(QUEUE_KEY, JSON.stringify(items));

  // What a card's buttons carry, and the title from the card's own heading.
  const itemOf = (element) => {
    const { episode, src, show, url, thumb } = element.dataset;
    const title = element.closest(".episode-card")?.querySelector("h2")?.textContent.trim() || "";
    return { episode, src, title, show, url, thumb };
  };

  const say = (text) => {
    const status = document.querySelector(".queue-status");
    if (status) status.textContent = text;
  };

  const makePlayer = (item) => {
    const player = document.createElement("section");
    player.className = "player";
    player.setAttribute("aria-label", "音声プレーヤー");
    Object.assign(player.dataset, {
      episode: item.episode, title: item.title, url: item.url, show: item.show || "", thumb: item.thumb || "",
      chapters: "[]", artwork: JSON.stringify(item.thumb ? [{ src: item.thumb }] : []),
    });
    const audio = document.createElement("audio");
    audio.controls = true;
    audio.preload = "auto";
    audio.src = item.src;
    player.append(audio);
    return player;
  };

  const play = (item) => {
    if (!window.zundapodPlayer) return;
    const player = makePlayer(item);
    window.zundapodPlayer.dock(player);
    player.querySelector("audio").play().catch(() => { /* refused: the mini-player's ▶ starts it */ });
  };

  // --- Offline: the service worker keeps queued episodes; the listener sees the space and frees it. ---
  const OFFLINE_CACHE = "zundapod-offline-v1";
  const worker = "serviceWorker" in navigator && window.caches ? navigator.serviceWorker : null;

  const showStorage = async () => {
    const status = document.querySelector(".offline-status");
    if (!status || !worker) return;
    const kept = (await (await caches.open(OFFLINE_CACHE)).keys()).filter((request) => !request.url.includes("/episode/"));
    const usage = navigator.storage?.estimate ? (await navigator.storage.estimate()).usage || 0 : 0;
    status.hidden = !kept.length;
    status.querySelector(".offline-size").textContent =
      `オフライン用に ${kept.length} 件を保存しています（約 ${(usage / 1e6).toFixed(1)} MB）。`;
  };

  const keepOffline = (items) => {
    if (!worker) return;
    worker.ready.then((registration) => {
      registration.active?.postMessage({ type: "keep", urls: items.flatMap((item) => [item.src, item.url]) });
    });
  };

  if (worker) {
    const bar = document.querySelector("[data-service-worker]");
    if (bar) worker.register(bar.dataset.serviceWorker, { scope: "/" }).catch(() => { /* no offline, nothing else lost */ });
    worker.addEventListener("message", (event) => {
      if (["kept", "cleared"].includes(event.data?.type)) showStorage();
    });
    document.addEventListener("click", async (event) => {
      if (!event.target.closest("[data-offline-clear]")) return;
      await caches.delete(OFFLINE_CACHE);
      showStorage();
      say("オフライン用の保存を削除しました。");
    });
    showStorage();
  }

  const enqueue = (items) => {
    const queue = load();
    for (const item of items) if (!queue.some((queued) => queued.episode === item.episode)) queue.push(item);
    save(queue);
    keepOffline(items);
    return queue.length;
  };

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-queue-action]");
    if (!button) return;
    const action = button.dataset.queueAction;
    if (action === "unheard") {
      const items = [...document.querySelectorAll("main [data-queue-item]")]
        .map(itemOf)
        .filter((item) => !store.get(heardKey(item.episode)));
      if (!items.length) return say("このページのエピソードはすべて聞き終えています。");
      const [first, ...rest] = items;
      save(load().filter((queued) => !items.some((item) => item.episode === queued.episode)));
      enqueue(rest);
      play(first);
      return say(`${first.title} を再生します（続けて ${rest.length} 件）。`);
    }
    const item = itemOf(button.closest("[data-queue-item]"));
    if (action === "play") {
      play(item);
    } else {
      say(`次に再生に追加しました（${enqueue([item])} 件）。`);
    }
  });

  // An episode heard to the end is marked heard; the queue's next one starts.
  document.addEventListener("ended", (event) => {
    const player = event.target instanceof HTMLMediaElement && event.target.closest(".player[data-episode]");
    if (!player) return;
    store.set(heardKey(player.dataset.episode), "1");
    if (store.get(LAST_KEY)?.includes(`"episode":"${player.dataset.episode}"`)) store.set(LAST_KEY, "");
    const queue = load().filter((item) => item.episode !== player.dataset.episode);
    const next = queue.shift();
    save(queue);
    if (next) play(next);
  }, true);

  // The episode last played (not in an embed), for 続きを聞く after a reload.
  const remember = (event) => {
    const player = event.target instanceof HTMLMediaElement && event.target.closest(".player[data-episode]");
    if (!player || document.body.classList.contains("embed") || event.target.ended) return;
    const { episode, title, show, url, thumb } = player.dataset;
    store.set(LAST_KEY, JSON.stringify({ episode, src: event.target.currentSrc || event.target.src, title, show, url, thumb }));
  };
  document.addEventListener("play", remember, true);

  const offerResume = () => {
    let last;
    try { last = JSON.parse(store.get(LAST_KEY) || "null"); } catch { last = null; }
    const seconds = Number(store.get(`zundapod:position:${last?.episode}`));
    if (!last?.src || !(seconds > 5) || document.body.classList.contains("embed")) return;
    if (document.querySelector(`.player[data-episode="${last.episode}"]`)) return; // its own page says so already
    const bar = document.createElement("aside");
    bar.className = "resume-bar";
    bar.setAttribute("aria-label", "続きを聞く");
    const go = document.createElement("button");
    go.type = "button";
    go.className = "queue-button";
    const minutes = Math.floor(seconds / 60);
    go.textContent = `▶ 続きを聞く（${minutes}:${String(Math.floor(seconds % 60)).padStart(2, "0")}〜）`;
    const title = document.createElement("span");
    title.className = "resume-title";
    title.textContent = last.title;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "resume-close";
    close.setAttribute("aria-label", "閉じる");
    close.textContent = "×";
    bar.append(go, title, close);
    go.addEventListener("click", () => { bar.remove(); play(last); });
    close.addEventListener("click", () => { bar.remove(); store.set(LAST_KEY, ""); });
    document.body.append(bar);
  };

  // The buttons work only with this script: shown by it, on load and on each page the mini-player brings in.
  const reveal = () => {
    document.querySelectorAll("[data-queue-item][hidden], .queue-bar[hidden]").forEach((element) => {
      element.hidden = false;
    });
  };
  document.addEventListener("zundapod:page", reveal);
  reveal();
  offerResume();
})();
