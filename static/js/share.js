// Copy buttons (feed URLs, the episode's link): the clipboard, or the text selected for copying by hand.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = button.dataset.copy;
  const field = source.startsWith("#") ? document.querySelector(source) : null;
  const text = field ? field.value : source;
  const status = document.querySelector(".copy-status");
  try {
    await navigator.clipboard.writeText(text);
    if (status) status.textContent = "コピーしました。";
  } catch {
    if (field) field.select();
    if (status) status.textContent = "選択しました。長押しか Ctrl+C でコピーしてください。";
  }
});

// Share at the current time: with the box ticked, every share link and the copied link carry #t=m:ss
// (the episode page starts there once, then forgets it); 共有… opens the phone's own share sheet.
(() => {
  const section = document.querySelector(".share[data-share-url]");
  const audio = document.querySelector("main .player[data-episode] audio");
  if (!section) return;
  const tick = section.querySelector(".share-at-time");
  const label = section.querySelector(".share-at-label");
  const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, "0")}`;
  const sharedUrl = () => {
    const base = section.dataset.shareUrl;
    return tick?.checked && audio && audio.currentTime >= 1 ? `${base}#t=${clock(audio.currentTime)}` : base;
  };
  if (audio && tick) {
    section.querySelector(".share-at").hidden = false;
    audio.addEventListener("timeupdate", () => { label.textContent = `再生位置（${clock(audio.currentTime)}）から`; });
  }
  const native = section.querySelector(".share-native");
  if (native && navigator.share) {
    native.closest("li").hidden = false;
    native.addEventListener("click", () => {
      navigator.share({ title: section.dataset.shareText, url: sharedUrl() }).catch(() => { /* closed */ });
    });
  }
  // Links are rewritten as they are tapped, so they always carry the moment of the tap.
  section.addEventListener("click", (event) => {
    const url = sharedUrl();
    const link = event.target.closest("a.share-link");
    const copy = event.target.closest("[data-copy]");
    if (copy) copy.dataset.copy = url;
    if (!link) return;
    const target = new URL(link.href);
    target.searchParams.set("url", url);
    link.href = target.href;
  }, true);
})();
