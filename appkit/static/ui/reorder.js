// appkit's reorderable lists (appkit/ui/reorder.py): drag an item with the mouse (or a
// finger), or with the keyboard: focus an item, Space or Enter picks it up, the arrow keys
// (Home, End) move it, Space or Enter drops it and Escape puts it back. When the order
// changed, the <form> gets a "reorder" event, on which htmx posts its hidden inputs
// (name=order, one per item, in the new order) to the route.
(function () {
  "use strict";
  if (window.appkitReorder) return;

  var ITEM = "[data-reorder-item]";
  var LIST = "form.reorder";
  var held = null;   // {item, form, start: [items], from: index} while the keyboard holds one
  var drag = null;   // {item, form, start, pointer, y, moved} while a pointer drags one
  var dragged = false;  // a drag just ended: the click that follows is not a click

  function itemsOf(form) {
    return Array.prototype.slice.call(form.querySelectorAll(ITEM));
  }

  function order(form) {
    return itemsOf(form).map(function (item) {
      var input = item.querySelector("input[type=hidden]");
      return input ? input.value : "";
    });
  }

  function nameOf(item) {
    var content = item.querySelector(".reorder-content") || item;
    return (item.getAttribute("data-reorder-label") || content.textContent || "").trim();
  }

  function say(form, text) {
    var status = form.querySelector(".reorder-status");
    if (status) status.textContent = text;
  }

  function position(form, item) {
    var items = itemsOf(form);
    return (items.indexOf(item) + 1) + " of " + items.length;
  }

  function finish(form, before) {
    if (order(form).join(",") === before.join(",")) return false;
    form.dispatchEvent(new CustomEvent("reorder", { bubbles: true }));
    return true;
  }

  function moveTo(item, index) {
    var list = item.parentNode;
    var siblings = Array.prototype.filter.call(list.children, function (el) {
      return el.matches(ITEM);
    });
    var current = siblings.indexOf(item);
    index = Math.max(0, Math.min(index, siblings.length - 1));
    if (index === current) return false;
    var reference = index > current ? siblings[index].nextSibling : siblings[index];
    list.insertBefore(item, reference);
    return true;
  }

  // ---- keyboard -----------------------------------------------------------------------

  function pickUp(item) {
    var form = item.closest(LIST);
    held = { item: item, form: form, start: order(form),
             from: itemsOf(form).indexOf(item) };
    item.classList.add("reorder-held");
    say(form, "Picked up " + nameOf(item) + ", position " + position(form, item) +
        ". Arrow keys move it, Space drops it, Escape cancels.");
  }

  function drop(cancel) {
    var h = held;
    held = null;
    h.item.classList.remove("reorder-held");
    if (cancel) {
      moveTo(h.item, h.from);
      h.item.focus();
      say(h.form, nameOf(h.item) + " put back at position " + position(h.form, h.item) + ".");
      return;
    }
    h.item.focus();
    say(h.form, "Dropped " + nameOf(h.item) + " at position " + position(h.form, h.item) + ".");
    finish(h.form, h.start);
  }

  document.addEventListener("keydown", function (event) {
    var item = event.target.closest && event.target.closest(ITEM);
    if (!item || event.target !== item || !item.closest(LIST)) return;
    var key = event.key;
    if (!held) {
      if (key === " " || key === "Enter") { event.preventDefault(); pickUp(item); }
      return;
    }
    if (held.item !== item) return;
    var items = itemsOf(held.form);
    var at = items.indexOf(item);
    var to = { ArrowUp: at - 1, ArrowLeft: at - 1, ArrowDown: at + 1, ArrowRight: at + 1,
               Home: 0, End: items.length - 1 }[key];
    if (to !== undefined) {
      event.preventDefault();
      if (moveTo(item, to)) {
        item.focus();
        say(held.form, nameOf(item) + ", position " + position(held.form, item) + ".");
      }
    } else if (key === " " || key === "Enter") {
      event.preventDefault();
      drop(false);
    } else if (key === "Escape") {
      event.preventDefault();
      drop(true);
    }
  });

  document.addEventListener("focusout", function (event) {
    // Moving an item in the DOM blurs it for a moment; a real blur drops it in place.
    if (!held || event.target !== held.item) return;
    setTimeout(function () {
      if (held && document.activeElement !== held.item) drop(false);
    }, 0);
  });

  // ---- pointer ------------------------------------------------------------------------

  var INTERACTIVE = "a, button, input:not([type=hidden]), select, textarea, label, " +
                    "[contenteditable], [data-reorder-ignore]";

  document.addEventListener("pointerdown", function (event) {
    if (event.button !== 0 || drag) return;
    var item = event.target.closest && event.target.closest(ITEM);
    if (!item || !item.closest(LIST)) return;
    var handle = item.querySelector(".reorder-handle");
    var onHandle = handle && handle.contains(event.target);
    if (!onHandle && event.target.closest(INTERACTIVE)) return;
    var form = item.closest(LIST);
    drag = { item: item, form: form, start: order(form), pointer: event.pointerId,
             y: event.clientY, moved: false };
    if (event.pointerType === "mouse") event.preventDefault();  // no text selection
  });

  document.addEventListener("pointermove", function (event) {
    if (!drag || event.pointerId !== drag.pointer) return;
    if (!drag.moved) {
      if (Math.abs(event.clientY - drag.y) < 4) return;
      drag.moved = true;
      drag.item.classList.add("reorder-dragging");
      drag.form.classList.add("reorder-active");
    }
    event.preventDefault();
    // The item takes the place of the first sibling whose middle the pointer has passed.
    var items = itemsOf(drag.form);
    var at = items.indexOf(drag.item);
    var to = at;
    items.forEach(function (other, i) {
      if (other === drag.item) return;
      var box = other.getBoundingClientRect();
      var middle = box.top + box.height / 2;
      if (i < at && event.clientY < middle && to > i) to = i;
      if (i > at && event.clientY > middle) to = i;
    });
    if (to !== at) moveTo(drag.item, to);
  });

  function endDrag(event) {
    if (!drag || event.pointerId !== drag.pointer) return;
    var d = drag;
    drag = null;
    d.item.classList.remove("reorder-dragging");
    d.form.classList.remove("reorder-active");
    if (!d.moved) return;
    dragged = true;
    setTimeout(function () { dragged = false; }, 0);
    if (event.type === "pointercancel") {
      var items = itemsOf(d.form);
      d.start.forEach(function (value, i) {
        var item = items.filter(function (el) {
          var input = el.querySelector("input[type=hidden]");
          return input && input.value === value;
        })[0];
        if (item) moveTo(item, i);
      });
      return;
    }
    say(d.form, "Moved " + nameOf(d.item) + " to position " + position(d.form, d.item) + ".");
    finish(d.form, d.start);
  }

  document.addEventListener("pointerup", endDrag);
  document.addEventListener("pointercancel", endDrag);
  document.addEventListener("click", function (event) {
    // A drag that ended on a link or button is not a click on it.
    if (dragged) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // The form only gathers the list's fields for htmx: a button inside an item (type
  // "submit" unless it says otherwise) or Enter in a field must not send it as a page.
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches(LIST)) event.preventDefault();
  });

  window.appkitReorder = { order: order };
})();
