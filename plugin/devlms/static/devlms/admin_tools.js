/* Dynamic registration: close the tool's registration frame when it posts org.imsglobal.lti.close. */
(function () {
  "use strict";
  var box = document.getElementById("registration");
  var status = document.getElementById("registration-status");
  if (!box) {
    return;
  }
  var origin = box.getAttribute("data-origin");
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== origin || !data || data.subject !== "org.imsglobal.lti.close") {
      return;
    }
    box.parentNode.removeChild(box);
    status.textContent = "Registration finished. Reloading the list of tools…";
    var url = new URL(window.location.href);
    url.searchParams.delete("registration_url");
    window.location.assign(url.toString());
  });
})();
