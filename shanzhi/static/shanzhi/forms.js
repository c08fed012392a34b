/* Shared behaviour of forms, kept in a static file for the Content-Security-Policy:

   1. The error summary (templates/_form_errors.html): focused when the page comes back with errors,
      so it is read and seen first; following one of its links focuses that field.
   2. Photo pickers ([data-photo-upload], templates/_photo_upload.html): each chosen photo is resized
      in the browser (longest side 1600 px, JPEG, EXIF orientation respected), sent on its own with a
      progress bar, and kept as a token the form sends; a failed one offers a retry. Without script
      the plain file input sends the photos with the form. */
(function () {
  "use strict";

  var MAX_SIDE = 1600;
  var MAX_BYTES = 380 * 1024;  // the request stays under 400 KB with its multipart envelope
  var QUALITIES = [0.8, 0.7, 0.6, 0.5];

  /* ---- the error summary ---- */

  function focusField(id) {
    var target = document.getElementById(id);
    if (!target) { return false; }
    var field = target;
    if (!/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName)) {
      field = target.querySelector("input:not([type=hidden]), select, textarea, button") || target;
      if (field === target && !target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    }
    var box = target.closest("fieldset, label, p, .step") || target;
    box.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
    return true;
  }

  function setUpSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    summary.addEventListener("click", function (e) {
      var link = e.target.closest("a[href^='#']");
      if (link && focusField(link.getAttribute("href").slice(1))) { e.preventDefault(); }
    });
    summary.scrollIntoView({ block: "start" });
    var first = summary.querySelector("a");
    (first || summary).focus({ preventScroll: true });
  }

  /* ---- photos ---- */

  function readAsDataUrl(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = reject;
      reader.readAsDataURL(file);
    });
  }

  // Decoded with its EXIF orientation applied: createImageBitmap where it exists, else an <img> from a
  // data: URL (the policy allows data: images, not blob: ones; browsers orient <img> by EXIF).
  function decode(file) {
    function viaImg() {
      return readAsDataUrl(file).then(function (url) {
        return new Promise(function (resolve, reject) {
          var img = new Image();
          img.onload = function () { resolve(img); };
          img.onerror = reject;
          img.src = url;
        });
      });
    }
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(viaImg);
    }
    return viaImg();
  }

  function toBlob(canvas, quality) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", quality); });
  }

  function draw(src, side) {
    var w = src.width, h = src.height;
    var scale = Math.min(1, side / Math.max(w, h));
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(w * scale));
    canvas.height = Math.max(1, Math.round(h * scale));
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";  // transparent PNGs become white, not black
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(src, 0, 0, canvas.width, canvas.height);
    return canvas;
  }

  // The smallest effort that fits: quality steps down first, then the picture shrinks.
  function shrink(src, side) {
    var canvas = draw(src, side);
    var i = 0;
    function attempt() {
      return toBlob(canvas, QUALITIES[i]).then(function (blob) {
        if (blob && blob.size <= MAX_BYTES) { return blob; }
        i += 1;
        if (i < QUALITIES.length) { return attempt(); }
        if (side <= 400) { return blob; }
        return shrink(src, Math.round(side * 0.75));
      });
    }
    return attempt();
  }

  function prepare(file) {
    return decode(file).then(function (src) {
      var thumb = draw(src, 160).toDataURL("image/jpeg", 0.7);
      return shrink(src, MAX_SIDE).then(function (blob) {
        if (src.close) { src.close(); }
        if (!blob) { throw new Error("encode"); }
        return { blob: blob, thumb: thumb };
      });
    }, function () {
      return { blob: file, thumb: "" };  // not decodable here: the server decides (and says why)
    });
  }

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setUpPicker(box) {
    var input = box.querySelector("input[type=file]");
    var list = box.querySelector(".photo-list");
    var note = box.querySelector(".photo-note");
    var form = box.closest("form");
    var url = box.dataset.uploadUrl;
    var max = parseInt(box.dataset.max || "9", 10);
    var name = box.dataset.tokenName || "photo_tokens";
    if (!input || !list || !url || !window.FormData || !window.XMLHttpRequest) { return; }
    var say = box.dataset;

    function tell(text) { if (note) { note.textContent = text || ""; } }
    function count() { return list.querySelectorAll(".photo-item").length; }

    function button(text, cls) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "link " + cls;
      b.textContent = text;
      return b;
    }

    function send(item) {
      var bar = item.querySelector("progress");
      var status = item.querySelector(".photo-status");
      var retry = item.querySelector(".photo-retry");
      item.className = "photo-item uploading";
      retry.hidden = true;
      bar.value = 0;
      status.textContent = say.sayUploading || "";
      var data = new FormData();
      data.append("photo", item.photoBlob, item.photoName);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken(form));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.value = Math.min(99, Math.round(e.loaded * 100 / e.total)); }
      });
      function settled() { box.dispatchEvent(new CustomEvent("photo-settled")); }
      function failed(message) {
        item.className = "photo-item failed";
        status.textContent = message || say.sayFailed || "";
        retry.hidden = false;
        settled();
      }
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
        if (xhr.status === 201 && body && body.token) {
          var hidden = document.createElement("input");
          hidden.type = "hidden";
          hidden.name = name;
          hidden.value = body.token;
          item.appendChild(hidden);
          bar.value = 100;
          item.className = "photo-item done";
          status.textContent = say.sayDone || "";
          item.photoBlob = null;
          settled();
          return;
        }
        failed(body && body.error ? body.error.message : "");
      });
      xhr.addEventListener("error", function () { failed(say.sayOffline); });
      xhr.send(data);
    }

    function add(file) {
      var item = document.createElement("li");
      item.className = "photo-item preparing";
      var img = document.createElement("img");
      img.alt = "";
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      var status = document.createElement("span");
      status.className = "photo-status";
      status.textContent = say.sayPreparing || "";
      var retry = button(say.sayRetry || "retry", "photo-retry");
      retry.hidden = true;
      var remove = button(say.sayRemove || "remove", "photo-remove");
      retry.addEventListener("click", function () { send(item); });
      remove.addEventListener("click", function () {
        item.remove();
        tell("");
        box.dispatchEvent(new CustomEvent("photo-settled"));
      });
      item.append(img, bar, status, retry, remove);
      list.appendChild(item);
      item.photoName = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
      prepare(file).catch(function () { return { blob: file, thumb: "" }; }).then(function (ready) {
        if (!item.isConnected) { return; }
        if (ready.thumb) { img.src = ready.thumb; }
        if (ready.blob === file) { item.photoName = file.name || "photo"; }
        item.photoBlob = ready.blob;
        item.dataset.bytes = String(ready.blob.size);
        send(item);
      });
    }

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      input.value = "";  // the photos go one by one; the form sends their tokens, not the files
      var room = max - count();
      if (files.length > room) { tell(say.sayTooMany || ""); }
      files.slice(0, Math.max(0, room)).forEach(add);
    });

    // Server-drawn photos kept from a form sent back: "remove" unticks their keep box.
    Array.prototype.forEach.call(list.querySelectorAll(".photo-item .photo-keep"), function (keep) {
      var item = keep.closest(".photo-item");
      var remove = button(say.sayRemove || "remove", "photo-remove");
      remove.addEventListener("click", function () { item.remove(); tell(""); });
      keep.closest("label").hidden = true;
      item.appendChild(remove);
    });

    // Sent while photos are still on their way: wait for them, then send the form by itself.
    var waiting = false;
    function busyItem() { return list.querySelector(".photo-item.uploading, .photo-item.preparing"); }
    box.addEventListener("photo-settled", function () {
      if (!waiting || busyItem()) { return; }
      waiting = false;
      if (list.querySelector(".photo-item.failed")) { tell(say.sayFix); return; }
      tell("");
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    });
    if (form) {
      form.addEventListener("submit", function (e) {
        var busy = busyItem();
        var failed = list.querySelector(".photo-item.failed");
        if (busy || failed) {
          e.preventDefault();
          e.stopImmediatePropagation();
          waiting = !!busy;
          tell(busy ? say.sayBusy : say.sayFix);
          (failed || busy).scrollIntoView({ block: "center" });
        }
      }, true);
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-photo-upload]"), setUpPicker);
    setUpSummary();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
