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
