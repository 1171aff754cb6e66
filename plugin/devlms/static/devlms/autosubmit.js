/* Submit the one form of an auto-submit page (login initiation, id_token form_post). */
(function () {
  "use strict";
  var form = document.getElementById("autosubmit");
  if (form) {
    form.submit();
  }
})();
