// appkit's autocomplete, tags and score fields (appkit/ui/fields.py). The score needs no
// script (a native radio group). An autocomplete is an ARIA combobox whose suggestions
// htmx fetches from the server as the user types (hx-get, after a pause) into its listbox;
// this file opens and closes the list and lets the keyboard choose: Down and Up move,
// Enter picks, Escape closes, Tab leaves. A tags field keeps one hidden input per tag:
// Enter or a comma adds the typed text, Backspace in the empty box removes the last tag,
// and each tag's button removes it. Every change fires "change" on the field, so a live
// form checks it.
(function () {
  "use strict";
  if (window.appkitFields) return;
  window.appkitFields = true;

  // ---- autocomplete -------------------------------------------------------------------

  function listOf(input) {
    return document.getElementById(input.getAttribute("aria-controls") || "");
  }

  function optionsOf(list) {
    return Array.prototype.slice.call(list.querySelectorAll("[role=option]"));
  }

  function activeOf(input, list) {
    var id = input.getAttribute("aria-activedescendant");
    return id ? list.querySelector("[id='" + id + "']") : null;
  }

  function close(input) {
    var list = listOf(input);
    if (list) list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function show(input) {
    var list = listOf(input);
    if (!list) return;
    var any = optionsOf(list).length > 0 && document.activeElement === input;
    list.hidden = !any;
    input.setAttribute("aria-expanded", any ? "true" : "false");
    if (!any) input.removeAttribute("aria-activedescendant");
  }

  function activate(input, list, index) {
    var options = optionsOf(list);
    if (!options.length) return;
    index = (index + options.length) % options.length;
    options.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({ block: "nearest" });
  }

  function pick(input, option) {
    var value = option.getAttribute("data-value") || "";
    var list = listOf(input);
    var tags = input.closest("[data-appkit-tags]");
    close(input);
    if (list) list.textContent = "";
    if (tags) {
      input.value = "";
      if (addTag(tags, value)) changed(tags);
    } else {
      var hidden = valueOf(input);
      if (hidden) {              // values and labels: the label shown, the value sent
        hidden.value = value;
        input.value = option.getAttribute("data-label") || option.textContent;
      } else {
        input.value = value;
      }
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    input.focus();
  }

  // An autocomplete of values and labels: the hidden input beside its text input.
  function valueOf(input) {
    var box = input.closest(".appkit-combobox");
    return box ? box.querySelector("input[data-appkit-value]") : null;
  }

  // Typing in it sends the text until a suggestion is picked (the server accepts a
  // label typed in full, and says so by the field when it is no choice's).
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-appkit-combobox]")) return;
    var hidden = valueOf(input);
    if (hidden) hidden.value = input.value;
  });

  // Suggestions arrived (htmx swapped them into the listbox): number them and show them.
  document.addEventListener("htmx:afterSwap", function (event) {
    var list = event.detail && event.detail.target;
    if (!list || !list.matches || !list.matches(".appkit-listbox")) return;
    optionsOf(list).forEach(function (option, i) { option.id = list.id + "-" + i; });
    var input = document.querySelector("[aria-controls='" + list.id + "']");
    if (input) show(input);
  });

  // A click picks an option; pressing the mouse on it keeps the focus in the input.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest(".appkit-listbox")) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest(".appkit-listbox [role=option]");
    if (!option) return;
    var input = document.querySelector("[aria-controls='" + option.parentNode.id + "']");
    if (input) pick(input, option);
  });

  document.addEventListener("focusout", function (event) {
    var input = event.target;
    if (input.matches && input.matches("[data-appkit-combobox]")) close(input);
  });

  // Returns true when the key was the combobox's.
  function comboKey(event, input) {
    var list = listOf(input);
    if (!list) return false;
    var open = !list.hidden;
    var options = optionsOf(list);
    var active = activeOf(input, list);
    var index = active ? options.indexOf(active) : -1;
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp":
        event.preventDefault();
        if (!open && options.length) {
          show(input);
        } else if (!open) {
          window.htmx && window.htmx.trigger(input, "appkit-suggest");
          return true;
        }
        if (event.key === "ArrowDown") activate(input, list, index < 0 ? 0 : index + 1);
        else activate(input, list, index < 0 ? options.length - 1 : index - 1);
        return true;
      case "Enter":
        if (open && active) {
          event.preventDefault();
          pick(input, active);
          return true;
        }
        if (open) close(input);
        // The text input of values and labels belongs to no form (its text is not
        // sent): Enter submits the form around it, as in any other field.
        var form = valueOf(input) ? input.closest("form") : null;
        if (form && form.requestSubmit) {
          event.preventDefault();
          form.requestSubmit();
          return true;
        }
        return false;
      case "Escape":
        if (open) {
          event.preventDefault();
          event.stopPropagation();   // a dialog around it stays open
          close(input);
          return true;
        }
        return false;
      case "Tab":
        close(input);
        return false;
    }
    return false;
  }

  // ---- tags ---------------------------------------------------------------------------

  function tagsOf(field) {
    return Array.prototype.slice.call(field.querySelectorAll(".appkit-tag"));
  }

  function tagText(tag) {
    var input = tag.querySelector("input[type=hidden]");
    return input ? input.value : "";
  }

  function say(field, text) {
    var status = field.parentNode.querySelector(".appkit-tags-status");
    if (status) status.textContent = text;
  }

  function inputOf(field) {
    return field.querySelector(".appkit-tags-input");
  }

  function chip(field, text) {
    // The same markup as Tags.chip in fields.py; the text only ever goes in as text.
    var name = inputOf(field).name;
    var li = document.createElement("li");
    li.className = "appkit-tag";
    var span = document.createElement("span");
    span.className = "appkit-tag-text";
    span.textContent = text;
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = name;
    hidden.value = text;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "appkit-tag-remove";
    button.setAttribute("aria-label", "Remove " + text);
    button.title = "Remove " + text;
    var icon = field.querySelector(".appkit-tag-remove svg");
    if (icon) button.appendChild(icon.cloneNode(true));
    else button.textContent = "\u00d7";
    li.appendChild(span);
    li.appendChild(hidden);
    li.appendChild(button);
    return li;
  }

  function changed(field) {
    // The field's value is its tags, and an "input" event on it tells the live layer it
    // was edited (live.js leaves a field edited since an event alone when that event's
    // older reply arrives), then "change" has a live form check it.
    if (!("value" in field)) {
      Object.defineProperty(field, "value", { configurable: true, get: function () {
        return tagsOf(field).map(tagText).join(",");
      } });
    }
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function addTag(field, text) {
    text = text.trim();
    if (!text) return false;
    var max = parseInt(field.getAttribute("data-max-count") || "0", 10);
    var folded = text.toLocaleLowerCase();
    var tags = tagsOf(field);
    if (tags.some(function (t) { return tagText(t).toLocaleLowerCase() === folded; })) {
      say(field, text + " is there already.");
      return false;
    }
    if (max && tags.length >= max) {
      say(field, "At most " + max + " tags: remove one first.");
      return false;
    }
    field.querySelector(".appkit-tags-list").appendChild(chip(field, text));
    say(field, "Added " + text + ", " + (tags.length + 1) + " tags.");
    return true;   // the caller empties the box, then says "change"
  }

  function removeTag(field, tag) {
    var text = tagText(tag);
    tag.remove();
    say(field, "Removed " + text + ", " + tagsOf(field).length + " tags.");
    changed(field);
  }

  function tagsKey(event, input, field) {
    if (event.isComposing) return;
    if (event.key === "Enter" || event.key === ",") {
      if (event.key === "Enter" && !input.value.trim()) return;   // Enter submits the form
      event.preventDefault();
      if (addTag(field, input.value)) {
        input.value = "";
        changed(field);
      }
    } else if (event.key === "Backspace" && input.value === "") {
      var tags = tagsOf(field);
      if (tags.length) {
        event.preventDefault();
        removeTag(field, tags[tags.length - 1]);
      }
    }
  }

  // Text with commas (pasted, or typed where the key is not reported) becomes tags.
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".appkit-tags-input")) return;
    if (input.value.indexOf(",") < 0) return;
    var field = input.closest("[data-appkit-tags]");
    var parts = input.value.split(",");
    var rest = parts.pop();
    var added = parts.filter(function (part) { return addTag(field, part); });
    input.value = rest;
    if (added.length) changed(field);
  });

  document.addEventListener("click", function (event) {
    var field = event.target.closest && event.target.closest("[data-appkit-tags]");
    if (!field) return;
    var remove = event.target.closest(".appkit-tag-remove");
    if (remove) {
      removeTag(field, remove.closest(".appkit-tag"));
      inputOf(field).focus();
    } else if (event.target === field || event.target.matches(".appkit-tags-list")) {
      inputOf(field).focus();
    }
  });

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches) return;
    if (input.matches("[data-appkit-combobox]") && comboKey(event, input)) return;
    if (input.matches(".appkit-tags-input")) {
      tagsKey(event, input, input.closest("[data-appkit-tags]"));
    }
  });
})();
