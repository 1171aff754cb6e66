// LTI Platform Storage (lti-pm-s): keep the OIDC state and nonce in the platform's storage frame
// during login, read them back at launch. No third-party cookie is needed.
// Every message goes to the platform's origin only, and only answers from it are read.
(function () {
  "use strict";
  var root = document.getElementById("lti-storage");
  if (!root) { return; }
  var cfg = JSON.parse(root.getAttribute("data-config"));
  var pending = {};
  var counter = 0;

  window.addEventListener("message", function (event) {
    if (event.origin !== cfg.origin) { return; }
    var data = event.data;
    if (!data || typeof data !== "object" || !data.message_id) { return; }
    var done = pending[data.message_id];
    if (done) { delete pending[data.message_id]; done(data); }
  });

  function platformWindow() {
    return window.parent !== window ? window.parent : window.opener;
  }

  function frameNamed(name) {
    var top = platformWindow();
    if (!top || !name || name === "_parent") { return top; }
    try { return top.frames[name] || top; } catch (e) { return top; }
  }

  function send(win, message, timeoutMs) {
    return new Promise(function (resolve) {
      if (!win) { resolve(null); return; }
      counter += 1;
      var id = "mc-" + Date.now().toString(36) + "-" + counter;
      message.message_id = id;
      var timer = setTimeout(function () { delete pending[id]; resolve(null); }, timeoutMs);
      pending[id] = function (data) { clearTimeout(timer); resolve(data); };
      try {
        win.postMessage(message, cfg.origin);
      } catch (e) {
        clearTimeout(timer); delete pending[id]; resolve(null);
      }
    });
  }

  async function storageFrame() {
    var caps = await send(platformWindow(), { subject: "lti.capabilities" }, 1500);
    var frame = cfg.target;
    if (caps && Array.isArray(caps.supported_messages)) {
      var put = caps.supported_messages.filter(function (m) {
        return m && m.subject === "lti.put_data";
      })[0];
      if (!put) { return null; }
      if (put.frame) { frame = put.frame; }
    }
    return frameNamed(frame);
  }

  function ok(answer) { return answer && !answer.error; }

  async function login() {
    var frame = await storageFrame();
    if (frame) {
      await send(frame, { subject: "lti.put_data", key: "mc_state_" + cfg.state, value: cfg.state }, 2000);
      await send(frame, { subject: "lti.put_data", key: "mc_nonce_" + cfg.nonce, value: cfg.nonce }, 2000);
    }
    // Continue even if storage failed: the state cookie (under HTTPS) may still bind it.
    window.location.replace(cfg.auth_url);
  }

  async function launch() {
    var form = document.getElementById("lti-storage-form");
    var frame = await storageFrame();
    if (frame) {
      var state = await send(frame, { subject: "lti.get_data", key: "mc_state_" + cfg.state }, 2000);
      var nonce = await send(frame, { subject: "lti.get_data", key: "mc_nonce_" + cfg.nonce }, 2000);
      if (ok(state) && ok(nonce)) {
        form.elements.lti_storage_state.value = state.value || "";
        form.elements.lti_storage_nonce.value = nonce.value || "";
      }
    }
    form.submit();
  }

  (cfg.mode === "login" ? login : launch)();
})();
