// Autosave for quiz forms: PUT the form's fields every few seconds after a change, with the
// session token as a bearer header. Without JavaScript the "Save answers" button does the same.
(function () {
  "use strict";
  var DELAY_MS = 2000;

  function tokenOf(form) {
    var field = form.querySelector('input[name="mc_session"]');
    return field ? field.value : "";
  }

  function setup(form) {
    var url = form.getAttribute("data-autosave");
    var status = form.querySelector(".save-status");
    var timer = null;
    var busy = false;
    var dirty = false;

    function say(text) { if (status) { status.textContent = text; } }

    function save() {
      timer = null;
      if (busy) { dirty = true; return; }
      busy = true;
      dirty = false;
      var body = new URLSearchParams(new FormData(form));
      body.delete("action");
      fetch(url, {
        method: "PUT",
        headers: { "Authorization": "Bearer " + tokenOf(form),
                   "Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/json" },
        body: body.toString(),
        credentials: "omit"
      }).then(function (response) {
        if (response.ok) {
          say("Answers saved at " + new Date().toLocaleTimeString() + ".");
        } else if (response.status === 409) {
          say("This attempt was already submitted; reload the page to see the result.");
        } else {
          say("Your answers could not be saved automatically; use Save answers.");
        }
      }).catch(function () {
        say("Your answers could not be saved automatically; use Save answers.");
      }).then(function () {
        busy = false;
        if (dirty) { schedule(); }
      });
    }

    function schedule() {
      if (timer === null) { timer = window.setTimeout(save, DELAY_MS); }
    }

    form.addEventListener("change", schedule);
    form.addEventListener("input", schedule);
    form.addEventListener("submit", function () {
      if (timer !== null) { window.clearTimeout(timer); timer = null; }
    });
  }

  var forms = document.querySelectorAll("form[data-autosave]");
  for (var i = 0; i < forms.length; i += 1) { setup(forms[i]); }
}());
