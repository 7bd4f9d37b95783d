// The daily episode form: the show and title follow the date's weekday (the
// station's schedule, printed by the page as JSON), articles are numbered
// automatically and can be moved with buttons or by dragging, and the error
// summary's links focus the field they name.
"use strict";

(function () {
  const DATE_PATTERN = /^\s*(\d{4})[/-](\d{1,2})[/-](\d{1,2})\s*$/;

  function readSchedule() {
    const element = document.getElementById("station-schedule");
    if (!element) {
      return { slots: {}, shows: {}, is_new: false };
    }
    try {
      return JSON.parse(element.textContent) || { slots: {}, shows: {} };
    } catch (error) {
      return { slots: {}, shows: {} };
    }
  }

  function parseDate(text) {
    const match = DATE_PATTERN.exec(text || "");
    if (!match) {
      return null;
    }
    const day = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    return Number.isNaN(day.getTime()) ? null : day;
  }

  function yyyymmdd(day) {
    const pad = (n) => String(n).padStart(2, "0");
    return String(day.getFullYear()) + pad(day.getMonth() + 1) + pad(day.getDate());
  }

  // --- Show, host and title follow the date --------------------------------------

  function followSchedule(form, schedule) {
    const dateInput = document.getElementById("id_published_at_0");
    const timeInput = document.getElementById("id_published_at_1");
    const showSelect = document.getElementById("id_show");
    const titleInput = document.getElementById("id_title");
    if (!dateInput || !showSelect || !titleInput) {
      return;
    }
    const isNew = Boolean(schedule.is_new);
    const hint = document.createElement("p");
    hint.className = "schedule-hint";
    hint.setAttribute("role", "status");
    (dateInput.closest(".form-row") || dateInput.parentNode).appendChild(hint);

    function generatedTitle() {
      const day = parseDate(dateInput.value);
      const showName = schedule.shows[showSelect.value];
      return day && showName ? showName + " podcast " + yyyymmdd(day) : "";
    }

    // The title follows show and date until the editor types one of their own.
    let titleIsOurs = isNew && (titleInput.value.trim() === "" || titleInput.value === generatedTitle());
    titleInput.addEventListener("input", function () {
      titleIsOurs = titleInput.value.trim() === "";
    });

    const weekdays = ["月", "火", "水", "木", "金", "土", "日"];
    let lastDate = "";

    function update(fromDate) {
      const day = parseDate(dateInput.value);
      if (!day) {
        hint.textContent = "";
        return;
      }
      const weekday = (day.getDay() + 6) % 7; // Monday = 0, as the schedule counts
      const slot = schedule.slots[String(weekday)];
      if (slot) {
        hint.textContent =
          weekdays[weekday] + "曜の放送枠: " + slot.show_name + (slot.host ? "・ホスト " + slot.host : "") +
          "（出演者が空なら保存時にホストが入ります）";
        if (isNew && fromDate) {
          showSelect.value = String(slot.show);
          if (timeInput && !timeInput.value) {
            timeInput.value = slot.airs_at + ":00";
          }
        }
      } else {
        hint.textContent = weekdays[weekday] + "曜は放送枠がありません。";
      }
      const title = generatedTitle();
      if (titleIsOurs && title) {
        titleInput.value = title;
      }
    }

    function dateChanged() {
      if (dateInput.value !== lastDate) {
        lastDate = dateInput.value;
        update(true);
      }
    }

    ["input", "change", "blur"].forEach((name) => dateInput.addEventListener(name, dateChanged));
    // The admin's calendar and 「今日」 link set the value without an input event.
    document.addEventListener("click", function () {
      window.setTimeout(dateChanged, 0);
    });
    showSelect.addEventListener("change", () => update(false));
    lastDate = dateInput.value;
    update(false);
  }

  // --- Articles: numbered automatically, moved by buttons or dragging -------------

  function articleRows(group) {
    return Array.from(group.querySelectorAll(".inline-related:not(.empty-form)")).filter(
      (row) => row.id && /^articles-\d+$/.test(row.id),
    );
  }

  function renumber(group) {
    articleRows(group).forEach(function (row, index) {
      const position = row.querySelector("input[id$='-position']");
      if (position) {
        position.value = String(index + 1);
      }
      const label = row.querySelector(".article-number");
      if (label) {
        label.textContent = "記事 " + (index + 1);
      }
    });
  }

  function addMoveControls(group, row) {
    if (row.querySelector(".article-move")) {
      return;
    }
    const heading = row.querySelector("h3");
    if (!heading) {
      return;
    }
    const controls = document.createElement("span");
    controls.className = "article-move";
    const number = document.createElement("span");
    number.className = "article-number";
    const handle = document.createElement("span");
    handle.className = "article-handle";
    handle.textContent = "⠿";
    handle.title = "ドラッグして並べ替え";
    const up = document.createElement("button");
    up.type = "button";
    up.textContent = "↑";
    up.setAttribute("aria-label", "この記事を上へ");
    const down = document.createElement("button");
    down.type = "button";
    down.textContent = "↓";
    down.setAttribute("aria-label", "この記事を下へ");
    controls.append(handle, number, up, down);
    heading.appendChild(controls);

    up.addEventListener("click", function () {
      const rows = articleRows(group);
      const index = rows.indexOf(row);
      if (index > 0) {
        rows[index - 1].before(row);
        renumber(group);
        up.focus();
      }
    });
    down.addEventListener("click", function () {
      const rows = articleRows(group);
      const index = rows.indexOf(row);
      if (index >= 0 && index < rows.length - 1) {
        rows[index + 1].after(row);
        renumber(group);
        down.focus();
      }
    });

    // Dragging by the handle only, so text in the row can still be selected.
    handle.addEventListener("mousedown", () => row.setAttribute("draggable", "true"));
    row.addEventListener("dragend", function () {
      row.removeAttribute("draggable");
      row.classList.remove("article-dragging");
      renumber(group);
    });
    row.addEventListener("dragstart", function (event) {
      row.classList.add("article-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", row.id);
    });
    row.addEventListener("dragover", function (event) {
      const dragging = group.querySelector(".article-dragging");
      if (!dragging || dragging === row) {
        return;
      }
      event.preventDefault();
      const box = row.getBoundingClientRect();
      if (event.clientY < box.top + box.height / 2) {
        row.before(dragging);
      } else {
        row.after(dragging);
      }
    });
  }

  function numberArticles() {
    const group = document.getElementById("articles-group");
    if (!group) {
      return;
    }
    articleRows(group).forEach((row) => addMoveControls(group, row));
    renumber(group);
    document.addEventListener("formset:added", function (event) {
      if (event.detail && event.detail.formsetName === "articles") {
        addMoveControls(group, event.target);
        renumber(group);
        const title = event.target.querySelector("input[id$='-title']");
        if (title) {
          title.focus();
        }
      }
    });
    document.addEventListener("formset:removed", function (event) {
      if (event.detail && event.detail.formsetName === "articles") {
        renumber(group);
      }
    });
  }

  // --- The error summary: each link focuses its field ------------------------------

  function errorSummary() {
    const summary = document.getElementById("error-summary");
    if (!summary) {
      return;
    }
    summary.querySelectorAll("a[data-focus]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        const target = document.getElementById(link.dataset.focus);
        if (!target) {
          return;
        }
        event.preventDefault();
        target.scrollIntoView({ block: "center" });
        const focusable = target.matches("input, select, textarea")
          ? target
          : target.querySelector("input:not([type=hidden]), select, textarea");
        if (focusable) {
          focusable.focus({ preventScroll: true });
        }
        history.replaceState(null, "", "#" + link.dataset.focus);
      });
    });
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }

  // The summary's #anchor must not ride along: a redirect keeps the fragment, so the saved page
  // would open scrolled to the old field with its message off-screen.
  function dropAnchorOnSubmit(form) {
    form.addEventListener("submit", function () {
      if (location.hash) {
        history.replaceState(history.state, "", location.pathname + location.search);
      }
    });
  }

  // Inline tables start with an empty header over the row's own label: give it a name for screen readers.
  function nameEmptyHeaders(form) {
    form.querySelectorAll("thead th.original").forEach(function (header) {
      if (!header.textContent.trim()) {
        const name = document.createElement("span");
        name.className = "visually-hidden";
        name.textContent = "行";
        header.append(name);
      }
    });
  }

  function start() {
    const form = document.getElementById("episode_form");
    if (!form) {
      return;
    }
    dropAnchorOnSubmit(form);
    nameEmptyHeaders(form);
    followSchedule(form, readSchedule());
    numberArticles();
    errorSummary();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
