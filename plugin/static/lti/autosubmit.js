// Submits the deep linking response form to the LMS as soon as the page loads.
(function () {
  "use strict";
  var form = document.getElementById("mc-autosubmit");
  if (form) { form.submit(); }
})();
