// django-markdownx sets up its editors once, at page load, and marks each one
// with data-markdownx-init. An inline row added later ("関連リンク の追加") is a
// copy of the hidden template row: the mark is copied, the listeners are not,
// so its preview never updates. Unmark the new row's editor and run markdownx's
// script again; it sets up only editors that carry no mark.
document.addEventListener("formset:added", (event) => {
  const editors = event.target.querySelectorAll(".markdownx-editor[data-markdownx-init]");
  if (!editors.length) return;
  editors.forEach((editor) => editor.removeAttribute("data-markdownx-init"));
  const original = document.querySelector('script[src*="markdownx/js/markdownx"]');
  if (!original) return;
  const again = document.createElement("script");
  again.src = original.src;
  document.body.appendChild(again);
});
