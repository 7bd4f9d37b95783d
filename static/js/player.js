// The episode player: speed, ±15 s skips, article times that seek, #t=m:ss deep links,
// the position remembered per episode, the transcript following the audio, and the mini-player.
// Works on the page's own <audio controls>; without this script that still plays.
// Lock-screen, headphone and keyboard controls are in remote_controls.js.
(() => {
  "use strict";

  const SPEED_KEY = "zundapod:speed";
  const positionKey = (episode) => `zundapod:position:${episode}`;

  /** "1:05", "1:02:03", "65" or "65.5" → seconds; anything else → null. */
  const parseTime = (text) => {
    if (!text) return null;
    if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
    const match = /^(?:(\d+):)?(\d{1,3}):(\d{1,2}(?:\.\d+)?)$/.exec(text);
    if (!match) return null;
    return Number(match[1] || 0) * 3600 + Number(match[2]) * 60 + Number(match[3]);
  };

  /** The start time a `#t=1:05` address asks for, or null. */
  const hashTime = (hash) => {
    const match = /^#t=([0-9:.]+)$/.exec(hash || "");
    return match ? parseTime(match[1]) : null;
  };

  const store = {
    get(key) {
      try { return window.localStorage.getItem(key); } catch { return null; }
    },
    set(key, value) {
      try { window.localStorage.setItem(key, value); } catch { /* private mode: nothing kept */ }
    },
    remove(key) {
      try { window.localStorage.removeItem(key); } catch { /* ignored */ }
    },
  };

  // A #t= address starts the player once; it is then taken out of the address, so a reload
  // resumes where the listener got to rather than jumping back to the link's time.
  const forgetHashTime = () => {
    if (hashTime(location.hash) !== null) history.replaceState(history.state, "", location.pathname + location.search);
  };

  /** The player's chapters (one per article with a start time) as [[seconds, title], …]. */
  const chaptersOf = (player) => {
    try { return JSON.parse(player.dataset.chapters || "[]"); } catch { return []; }
  };

  /** A WebVTT cue's text as [speaker, words]: `<v お嬢様ずんだもん>…` names the voice, other tags go. */
  const cueParts = (text) => {
    const voice = /^\s*<v(?:\.[^\s>]*)?\s+([^>]*)>/.exec(text);
    const entities = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&nbsp;": "\u00a0", "&lrm;": "\u200e", "&rlm;": "\u200f" };
    const words = text.replace(/<[^>]*>/g, "").replace(/&(amp|lt|gt|nbsp|lrm|rlm);/g, (entity) => entities[entity]);
    return [voice ? voice[1].trim() : "", words.trim()];
  };

  const seek = (audio, seconds, { play = true } = {}) => {
    const apply = () => {
      audio.currentTime = Math.max(0, Math.min(seconds, audio.duration || seconds));
      if (play) audio.play().catch(() => { /* autoplay refused: the position is set anyway */ });
    };
    if (audio.readyState >= 1) return apply();
    audio.addEventListener("loadedmetadata", apply, { once: true });
    // preload="none" (the embed) loads nothing until asked: ask, within the listener's tap.
    if (audio.preload === "none" && audio.networkState !== HTMLMediaElement.NETWORK_LOADING) audio.load();
  };

  const setUpSpeed = (player, audio) => {
    const select = player.querySelector(".player-speed");
    if (!select) return;
    const saved = store.get(SPEED_KEY);
    if (saved && [...select.options].some((option) => option.value === saved)) select.value = saved;
    audio.playbackRate = Number(select.value);
    // A new src resets the rate in some browsers.
    audio.addEventListener("loadedmetadata", () => { audio.playbackRate = Number(select.value); });
    select.addEventListener("change", () => {
      audio.playbackRate = Number(select.value);
      store.set(SPEED_KEY, select.value);
    });
  };

  const setUpSkips = (player, audio) => {
    player.querySelectorAll("[data-skip]").forEach((button) => {
      button.addEventListener("click", () => {
        const target = audio.currentTime + Number(button.dataset.skip);
        audio.currentTime = Math.max(0, Math.min(target, audio.duration || target));
      });
    });
  };

  // Remembered every few seconds of playing, forgotten when the episode ends.
  const setUpMemory = (player, audio, { startAt }) => {
    const key = positionKey(player.dataset.episode);
    let lastSaved = 0;
    audio.addEventListener("timeupdate", () => {
      if (Math.abs(audio.currentTime - lastSaved) < 3) return;
      lastSaved = audio.currentTime;
      store.set(key, String(Math.floor(audio.currentTime)));
    });
    audio.addEventListener("pause", () => store.set(key, String(Math.floor(audio.currentTime))));
    audio.addEventListener("ended", () => store.remove(key));
    if (startAt !== null) return;
    const saved = Number(store.get(key));
    if (saved > 5) {
      seek(audio, saved, { play: false });
      const note = player.querySelector(".player-resume");
      if (note) {
        note.textContent = `前回の続き（${clock(saved)}）から再生します。`;
        note.hidden = false;
      }
    }
  };

  const clock = (seconds) => {
    const whole = Math.floor(seconds);
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = String(whole % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  };

  // The audio a time link on this page refers to: the page's own player, else the mini-player's.
  const pageAudio = () =>
    document.querySelector("main .player[data-episode] audio") || document.querySelector(".mini-player audio");

  // Article times and transcript cues are links to #t=m:ss: a click seeks instead of jumping.
  const setUpSeekLinks = () => {
    document.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-seek]");
      const audio = link && pageAudio();
      if (!audio) return;
      event.preventDefault();
      seek(audio, Number(link.dataset.seek));
      forgetHashTime();
    });
    window.addEventListener("hashchange", () => {
      const seconds = hashTime(location.hash);
      const audio = pageAudio();
      if (seconds !== null && audio) seek(audio, seconds);
      forgetHashTime();
    });
  };

  // The WebVTT cues, loaded only when the transcript is opened or the audio plays.
  const setUpTranscript = (root, audio) => {
    const section = root.querySelector(".transcript[data-vtt]");
    const track = audio.querySelector("track");
    if (!section || !track || !track.track) return;
    const list = section.querySelector(".transcript-cues");
    const plain = section.querySelector(".transcript-text");
    let rows = [];
    let current = null;
    const load = () => {
      if (track.track.mode !== "disabled") return;
      track.track.mode = "hidden";
    };
    const build = () => {
      const cues = [...(track.track.cues || [])];
      if (!cues.length || rows.length) return;
      let speaking = "";
      rows = cues.map((cue) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = `#t=${clock(cue.startTime)}`;
        link.dataset.seek = String(cue.startTime);
        link.className = "cue-time";
        link.textContent = clock(cue.startTime);
        link.setAttribute("aria-label", `${clock(cue.startTime)} から再生`);
        const [speaker, words] = cueParts(cue.text);
        item.append(link, " ");
        // The voice is named when it changes, as a script names its speakers.
        if (speaker && speaker !== speaking) {
          const name = document.createElement("span");
          name.className = "cue-speaker";
          name.textContent = speaker;
          item.append(name, " ");
        }
        speaking = speaker || speaking;
        const text = document.createElement("span");
        text.className = "cue-text";
        text.textContent = words;
        item.append(text);
        list.append(item);
        return { cue, item };
      });
      list.hidden = false;
      if (plain) plain.hidden = true;
    };
    const follow = () => {
      build();
      const time = audio.currentTime;
      const row = rows.find(({ cue }) => cue.startTime <= time && time < cue.endTime);
      if (!row || row === current) return;
      if (current) current.item.classList.remove("is-current");
      current = row;
      row.item.classList.add("is-current");
      row.item.setAttribute("aria-current", "true");
      if (section.querySelector("details").open && !audio.paused) {
        row.item.scrollIntoView({ block: "nearest", behavior: "smooth" });
      }
    };
    track.addEventListener("load", follow);
    section.querySelector("details").addEventListener("toggle", load);
    audio.addEventListener("play", load);
    audio.addEventListener("timeupdate", follow);
    audio.addEventListener("seeked", follow);
  };

  /** Wire one episode player: on load, and for each page the mini-player navigation brings in. */
  const initPlayer = (root, { startAt = null } = {}) => {
    const player = root.querySelector(".player[data-episode]");
    if (!player || player.dataset.ready) return;
    player.dataset.ready = "1";
    const audio = player.querySelector("audio");
    player.querySelectorAll("[hidden].player-controls").forEach((controls) => { controls.hidden = false; });
    setUpSpeed(player, audio);
    setUpSkips(player, audio);
    setUpMemory(player, audio, { startAt });
    setUpTranscript(root, audio);
    if (startAt !== null) seek(audio, startAt);
  };

  // The article being heard: the last chapter that started at or before the time.
  const chapterAt = (chapters, time) => {
    let title = "";
    for (const [start, name] of chapters) if (start <= time + 0.25) title = name;
    return title;
  };

  // --- The mini-player: the audio keeps playing while the listener moves around the site. ---
  // Once something has played, same-site links load the next page's <main> in place (no reload,
  // so the <audio> element and its buffer survive) and the player docks at the bottom.
  const dock = () => document.querySelector(".mini-player");
  const playing = () => {
    const player = dock()?.querySelector(".player") || document.querySelector("main .player[data-episode]");
    const audio = player?.querySelector("audio");
    return audio && (!audio.paused || (dock() && audio.currentTime > 0)) ? player : null;
  };

  const undockable = (link, event) =>
    event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey ||
    link.target || link.hasAttribute("download") || link.origin !== location.origin ||
    /^\/(admin|media|markdownx|api)\/|\.(xml|json|txt|vtt|mp3|m4a)$/.test(link.pathname) ||
    (link.pathname === location.pathname && link.search === location.search && link.hash);

  // One row of at most 72 px: artwork, the episode and the article being heard, play/pause, close.
  const buildDock = () => {
    const container = document.createElement("aside");
    container.className = "mini-player";
    container.setAttribute("aria-label", "再生中のエピソード");
    const art = document.createElement("img");
    art.className = "mini-player-art";
    art.alt = "";
    art.width = art.height = 48;
    const text = document.createElement("div");
    text.className = "mini-player-text";
    const title = document.createElement("a");
    title.className = "mini-player-title";
    const chapter = document.createElement("span");
    chapter.className = "mini-player-chapter";
    text.append(title, chapter);
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "mini-player-toggle";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "mini-player-close";
    close.setAttribute("aria-label", "プレーヤーを閉じる");
    close.textContent = "×";
    container.append(art, text, toggle, close);
    toggle.addEventListener("click", () => {
      const audio = container.querySelector("audio");
      if (audio.paused) audio.play().catch(() => {});
      else audio.pause();
    });
    // Closing pauses (the position is remembered) and takes the player away.
    close.addEventListener("click", () => {
      container.querySelector("audio")?.pause();
      container.remove();
      document.body.classList.remove("has-mini-player");
    });
    document.body.append(container);
    return container;
  };

  const moveToDock = (player) => {
    const container = dock() || buildDock();
    const audio = player.querySelector("audio");
    const title = container.querySelector(".mini-player-title");
    title.href = player.dataset.url;
    title.textContent = player.dataset.title;
    const art = container.querySelector(".mini-player-art");
    if (player.dataset.thumb) art.src = player.dataset.thumb;
    art.hidden = !player.dataset.thumb;
    const chapters = chaptersOf(player);
    const chapter = container.querySelector(".mini-player-chapter");
    const toggle = container.querySelector(".mini-player-toggle");
    const show = () => {
      chapter.textContent = chapterAt(chapters, audio.currentTime);
      toggle.textContent = audio.paused ? "▶" : "❚❚";
      toggle.setAttribute("aria-label", audio.paused ? "再生" : "一時停止");
    };
    if (!player.dataset.docked) {
      player.dataset.docked = "1";
      ["timeupdate", "play", "pause", "seeked"].forEach((type) => audio.addEventListener(type, show));
    }
    show();
    // appendChild moves the element within one task: the media element is never left out of the
    // document at a stable state, so it does not pause.
    if (player.parentElement !== container) container.append(player);
    document.body.classList.add("has-mini-player");
  };

  const swapIn = async (url, { push }) => {
    const player = playing();
    if (!player) return false;
    let response;
    try {
      response = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    } catch {
      return false;
    }
    if (!response.ok || !(response.headers.get("Content-Type") || "").startsWith("text/html")) return false;
    const next = new DOMParser().parseFromString(await response.text(), "text/html");
    const nextMain = next.querySelector("main#content");
    if (!nextMain) return false;
    moveToDock(player);
    const same = nextMain.querySelector(`.player[data-episode="${player.dataset.episode}"]`);
    if (same) {
      const note = document.createElement("p");
      note.className = "player-elsewhere";
      note.textContent = "このエピソードは画面下のプレーヤーで再生中です。";
      same.replaceWith(note);
    }
    document.querySelector("main#content").replaceWith(nextMain);
    const footer = next.querySelector("footer.site-footer");
    if (footer) document.querySelector("footer.site-footer")?.replaceWith(footer);
    document.title = next.title;
    if (push) history.pushState({ miniPlayer: true }, "", response.url);
    initPlayer(nextMain, { startAt: hashTime(new URL(url, location.href).hash) });
    forgetHashTime();
    document.dispatchEvent(new CustomEvent("zundapod:page"));
    nextMain.focus({ preventScroll: true });
    window.scrollTo(0, 0);
    return true;
  };

  document.addEventListener("click", async (event) => {
    const link = event.target.closest("a[href]");
    if (!link || undockable(link, event) || !playing()) return;
    event.preventDefault();
    if (!(await swapIn(link.href, { push: true }))) location.href = link.href;
  });
  // The header's search box (a GET form) too.
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (form.method !== "get" || new URL(form.action).origin !== location.origin || !playing()) return;
    event.preventDefault();
    const url = new URL(form.action);
    url.search = new URLSearchParams(new FormData(form)).toString();
    if (!(await swapIn(url.href, { push: true }))) location.href = url.href;
  });
  window.addEventListener("popstate", async () => {
    if (!dock()) return;
    if (!(await swapIn(location.href, { push: false }))) location.reload();
  });
  // Another episode's own player starting pauses the docked one.
  document.addEventListener("play", (event) => {
    document.querySelectorAll("audio").forEach((audio) => { if (audio !== event.target) audio.pause(); });
  }, true);

  // For queue.js: a player made for another episode goes into the dock (in place of the one there).
  window.zundapodPlayer = {
    dock(player) {
      const wrapper = document.createElement("div");
      wrapper.append(player);
      initPlayer(wrapper);
      dock()?.querySelectorAll(".player").forEach((old) => {
        old.querySelector("audio")?.pause();
        old.remove();
      });
      moveToDock(player);
    },
  };

  setUpSeekLinks();
  initPlayer(document, { startAt: hashTime(location.hash) });
  forgetHashTime();
})();
