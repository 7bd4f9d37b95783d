// Click-to-play: the YouTube player (and its requests) load only after a click.
document.addEventListener("click", (event) => {
  const button = event.target.closest(".youtube-preview");
  if (!button) return;
  const frame = document.createElement("iframe");
  frame.src = button.dataset.embed;
  frame.title = "YouTube版（スライド付き）の動画プレーヤー";
  frame.allow = "autoplay; encrypted-media; picture-in-picture";
  frame.allowFullscreen = true;
  frame.className = "youtube-frame";
  button.replaceWith(frame);
  // Keyboard and screen-reader users land in the player they asked for, not back at <body>.
  frame.focus();
});
