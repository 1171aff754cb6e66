// Dynamic Registration is done: tell the LMS (popup opener or parent frame) to close us.
(function () {
  "use strict";
  var target = window.opener || window.parent;
  if (target && target !== window) {
    target.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
  }
})();
