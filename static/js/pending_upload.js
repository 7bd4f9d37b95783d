// Uploads a chosen audio or image file at once, with a progress bar, into the
// pending area (episodes/pending_uploads.py). The form then carries only the
// returned reference, so a validation error elsewhere never loses the file and
// the file is not sent a second time with the form.
"use strict";

(function () {
  function csrfToken(form) {
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setBusy(form, busy) {
    form.dataset.pendingUploads = String(Math.max(0, Number(form.dataset.pendingUploads || 0) + (busy ? 1 : -1)));
  }

  function attach(box) {
    const fileInput = document.getElementById(box.dataset.fileInput);
    const reference = box.querySelector("input[type=hidden]");
    const progress = box.querySelector("progress");
    const status = box.querySelector(".pending-upload-status");
    if (!fileInput || !reference) {
      return;
    }
    const form = fileInput.form;

    fileInput.addEventListener("change", function () {
      const file = fileInput.files && fileInput.files[0];
      if (!file) {
        return;
      }
      const data = new FormData();
      data.append("file", file);
      data.append("kind", box.dataset.kind);
      const request = new XMLHttpRequest();
      request.open("POST", box.dataset.uploadUrl);
      request.setRequestHeader("X-CSRFToken", csrfToken(form));
      request.responseType = "json";
      progress.hidden = false;
      progress.value = 0;
      status.textContent = "アップロード中… 0%（" + file.name + "）";
      box.classList.remove("pending-upload-error", "pending-upload-done");
      setBusy(form, true);
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          const percent = Math.floor((event.loaded / event.total) * 100);
          progress.value = percent;
          status.textContent = "アップロード中… " + percent + "%（" + file.name + "）";
        }
      });
      request.addEventListener("loadend", function () {
        setBusy(form, false);
        const answer = request.response || {};
        if (request.status === 200 && answer.reference) {
          reference.value = answer.reference;
          progress.value = 100;
          status.textContent = "添付済み（まだ保存されていません）: " + answer.label;
          box.classList.add("pending-upload-done");
          // The read-only audio info (saved state) would still say nothing is attached.
          const info = box.dataset.kind === "audio" ? document.querySelector(".field-audio_info .readonly") : null;
          if (info) {
            info.textContent = "ファイル " + answer.label + "（まだ保存されていません。保存すると読み取った情報をここに表示します）";
          }
          // The file now waits on the server: the form must not send it again.
          fileInput.value = "";
        } else {
          progress.hidden = true;
          status.textContent = answer.error || "アップロードできませんでした（通信エラー）。もう一度選んでください。";
          box.classList.add("pending-upload-error");
        }
      });
      request.send(data);
    });

    if (form && !form.dataset.pendingGuard) {
      form.dataset.pendingGuard = "1";
      form.addEventListener("submit", function (event) {
        if (Number(form.dataset.pendingUploads || 0) > 0) {
          event.preventDefault();
          window.alert("ファイルのアップロードが終わるまでお待ちください。");
        }
      });
    }
  }

  function start() {
    document.querySelectorAll(".pending-upload").forEach(attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
