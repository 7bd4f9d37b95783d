// Lock-screen, headphone and keyboard controls for the episode player (player.js draws the player).
// Media Session: title, show and artwork on the lock screen; play/pause, ±15 s, and previous/next
// *article* as the chapter buttons. Keyboard: Space, ←/→ (5 s), J/L (15 s), listed on the page.
(() => {
  "use strict";

  const SKIP = 15;
  const NUDGE = 5;
  const session = "mediaSession" in navigator ? navigator.mediaSession : null;

  // The audio the controls act on: the one playing, else the docked one, else the page's own.
  const current = () => {
    const all = [...document.querySelectorAll(".player[data-episode] audio")];
    return all.find((audio) => !audio.paused) || document.querySelector(".mini-player audio") ||
      document.querySelector("main .player[data-episode] audio") || all[0] || null;
  };

  const parse = (text) => {
    try { return JSON.parse(text || "[]"); } catch { return []; }
  };
  const chaptersOf = (audio) => parse(audio.closest(".player")?.dataset.chapters);

  const clampTo = (audio, seconds) => Math.max(0, Math.min(seconds, audio.duration || seconds));
  const skip = (audio, by) => { audio.currentTime = clampTo(audio, audio.currentTime + by); };
  const toggle = (audio) => (audio.paused ? audio.play().catch(() => {}) : audio.pause());

  // Next: the next article's start. Previous: this article's start, or the one before within its first 3 s.
  const chapter = (audio, direction) => {
    const starts = chaptersOf(audio).map(([start]) => start);
    const now = audio.currentTime;
    if (direction > 0) {
      const next = starts.find((start) => start > now + 0.5);
      if (next !== undefined) audio.currentTime = clampTo(audio, next);
      return;
    }
    const earlier = starts.filter((start) => start < now - 3);
    audio.currentTime = earlier.length ? earlier[earlier.length - 1] : 0;
  };

  const updatePosition = (audio) => {
    if (!session?.setPositionState || !Number.isFinite(audio.duration)) return;
    try {
      session.setPositionState({ duration: audio.duration, playbackRate: audio.playbackRate, position: audio.currentTime });
    } catch { /* a position past the duration while seeking: the next update corrects it */ }
  };

  const describe = (audio) => {
    const player = audio.closest(".player[data-episode]");
    if (!session || !player || typeof MediaMetadata === "undefined") return;
    session.metadata = new MediaMetadata({
      title: player.dataset.title || document.title,
      artist: player.dataset.show || "",
      album: player.dataset.station || "",
      artwork: parse(player.dataset.artwork),
      chapterInfo: chaptersOf(audio).map(([startTime, title]) => ({ title, startTime })),
    });
    updatePosition(audio);
  };

  if (session) {
    const handlers = {
      play: () => current()?.play().catch(() => {}),
      pause: () => current()?.pause(),
      seekbackward: (details) => { const audio = current(); if (audio) skip(audio, -(details.seekOffset || SKIP)); },
      seekforward: (details) => { const audio = current(); if (audio) skip(audio, details.seekOffset || SKIP); },
      previoustrack: () => { const audio = current(); if (audio) chapter(audio, -1); },
      nexttrack: () => { const audio = current(); if (audio) chapter(audio, 1); },
      seekto: (details) => { const audio = current(); if (audio) audio.currentTime = clampTo(audio, details.seekTime); },
    };
    for (const [action, handler] of Object.entries(handlers)) {
      try { session.setActionHandler(action, handler); } catch { /* an action this browser does not know */ }
    }
    const episodeAudio = (event) => event.target instanceof HTMLMediaElement && event.target.closest(".player[data-episode]");
    document.addEventListener("play", (event) => {
      if (!episodeAudio(event)) return;
      describe(event.target);
      session.playbackState = "playing";
    }, true);
    document.addEventListener("pause", (event) => {
      if (episodeAudio(event)) session.playbackState = "paused";
    }, true);
    ["seeked", "ratechange", "loadedmetadata"].forEach((type) => {
      document.addEventListener(type, (event) => { if (episodeAudio(event)) updatePosition(event.target); }, true);
    });
    const audio = current();
    if (audio) describe(audio);
  }

  // Keys act on the player unless the listener is typing, or the focused control has its own use for them.
  const EDITABLE = "input, textarea, select, [contenteditable]:not([contenteditable=false])";
  const ACTIVATES = "button, a[href], summary, audio, video, [role=button]";
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
    const target = event.target instanceof Element ? event.target : document.body;
    if (target.closest(EDITABLE)) return;
    const audio = current();
    if (!audio) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const actions = {
      " ": () => toggle(audio),
      ArrowLeft: () => skip(audio, -NUDGE),
      ArrowRight: () => skip(audio, NUDGE),
      j: () => skip(audio, -SKIP),
      l: () => skip(audio, SKIP),
    };
    if (!actions[key]) return;
    if ((key === " " || key.startsWith("Arrow")) && target.closest(ACTIVATES)) return;
    event.preventDefault();
    actions[key]();
  });
})();
