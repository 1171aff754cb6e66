// microcred preview: ask the dev LMS whether the course was rebuilt; show the new diagnostics
// and reload the module frame (the launch) after each successful rebuild.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("preview-config").textContent);
  var generation = config.generation;
  var modules = JSON.stringify(config.modules);

  function showDiagnostics(status) {
    var list = document.getElementById("diagnostics");
    list.textContent = "";
    var lines = status.diagnostics.length ? status.diagnostics : null;
    (lines || ["None."]).forEach(function (line) {
      var item = document.createElement("li");
      if (lines) {
        var code = document.createElement("code");
        code.textContent = line;
        item.appendChild(code);
      } else {
        item.textContent = line;
      }
      list.appendChild(item);
    });
    var state = document.getElementById("build-state");
    state.className = "note " + (status.ok ? "note-ok" : "note-error");
    state.textContent = status.ok
      ? "Built at " + status.built_at + " (build " + status.generation + ")."
      : "The last save has " + status.errors + " error" + (status.errors === 1 ? "" : "s") +
        " (build " + status.generation + ", " + status.built_at +
        "); the page shows the last good version.";
  }

  function sameModules(status) {
    var now = JSON.stringify(status.modules);
    var same = modules === now;
    modules = now;
    return same;
  }

  function poll() {
    fetch(config.status, {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (status) {
        var changed = sameModules(status) === false;
        if (status.generation !== generation) {
          generation = status.generation;
          showDiagnostics(status);
          if (status.ok) {
            if (changed || !document.getElementById("preview-frame")) {
              location.reload();  // modules added, removed or renamed
              return;
            }
            var frame = document.getElementById("preview-frame");
            frame.src = frame.src;
          }
        }
      })
      .catch(function () { /* the preview stopped or restarts: try again */ })
      .then(function () { setTimeout(poll, config.poll_ms); });
  }
  setTimeout(poll, config.poll_ms);
})();
