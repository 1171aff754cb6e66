/*
 * LTI Platform Storage (lti-pm-s 0.1) and client-side postMessage capabilities (lti-cs-pm).
 *
 * Runs in the named frame sent as lti_storage_target, and in the launch page itself (the
 * parent of the tool's iframe), answering:
 *   lti.capabilities  -> supported_messages (put_data/get_data point at the named frame)
 *   lti.put_data      -> stores value under (tool origin, key)
 *   lti.get_data      -> returns it, or error {code: "bad_request"} when nothing is stored
 * plus the older org.imsglobal.lti.* subjects. Messages from an origin that is not one of the
 * tool's registered origins are ignored; replies go to the sender's origin only.
 */
(function () {
  "use strict";
  var configElement = document.getElementById("devlms-storage-config");
  if (!configElement) {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  var origins = config.origins || [];
  var frameName = config.frame;
  var memory = {};
  var SUBJECT = /^(lti\.|org\.imsglobal\.lti\.)([a-z_.]+)$/;

  function storageKey(origin, key) {
    return "lti-storage|" + origin + "|" + key;
  }

  function put(origin, key, value) {
    var k = storageKey(origin, key);
    try {
      window.sessionStorage.setItem(k, JSON.stringify(value));
    } catch (e) {
      memory[k] = value;  /* storage blocked: keep it for the life of this frame */
    }
  }

  function get(origin, key) {
    var k = storageKey(origin, key);
    try {
      var raw = window.sessionStorage.getItem(k);
      if (raw !== null) {
        return { found: true, value: JSON.parse(raw) };
      }
    } catch (e) {
      /* fall through to memory */
    }
    if (Object.prototype.hasOwnProperty.call(memory, k)) {
      return { found: true, value: memory[k] };
    }
    return { found: false };
  }

  function capabilities() {
    var list = [];
    ["lti.", "org.imsglobal.lti."].forEach(function (prefix) {
      list.push({ subject: prefix + "capabilities" });
      list.push({ subject: prefix + "put_data", frame: frameName });
      list.push({ subject: prefix + "get_data", frame: frameName });
    });
    return list;
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object" || typeof data.subject !== "string") {
      return;
    }
    var match = SUBJECT.exec(data.subject);
    if (!match || /\.response$/.test(data.subject)) {
      return;
    }
    if (origins.indexOf(event.origin) === -1 || !event.source) {
      return;  /* never answer, or store for, an origin that is not the tool's */
    }
    var name = match[2];
    var reply = { subject: data.subject + ".response", message_id: data.message_id };
    if (name === "capabilities") {
      reply.supported_messages = capabilities();
    } else if (name !== "put_data" && name !== "get_data") {
      reply.error = { code: "unsupported_subject", message: "unsupported subject " + data.subject };
    } else if (typeof data.key !== "string" || data.key === "") {
      reply.error = { code: "bad_request", message: "key is required" };
    } else if (name === "put_data") {
      put(event.origin, data.key, data.value);
      reply.key = data.key;
      reply.value = data.value;
    } else {
      var found = get(event.origin, data.key);
      reply.key = data.key;
      if (found.found) {
        reply.value = found.value;
      } else {
        reply.error = { code: "bad_request", message: "no value stored for this key" };
      }
    }
    event.source.postMessage(reply, event.origin);
  });
})();
