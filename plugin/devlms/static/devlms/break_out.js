/* Leave the tool's iframe: show the course page (with the tool's message) in the whole window. */
(function () {
  "use strict";
  var back = document.getElementById("back");
  if (back) {
    window.top.location.href = back.href;
  }
})();
