// Warns two minutes before the session ends and lets the citizen stay logged in (WCAG 2.2.1).
// Only a convenience: without JavaScript the page says when the session ends, and a step sent after
// that is kept until the citizen has logged in again.
(function () {
  'use strict';
  var note = document.getElementById('sitzung');
  if (!note || typeof HTMLDialogElement !== 'function') return;
  var WARN_SECONDS = 120;
  var timer;

  function schedule(secondsLeft) {
    clearTimeout(timer);
    timer = setTimeout(warn, Math.max(0, secondsLeft - WARN_SECONDS) * 1000);
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text) el.textContent = text;
    return el;
  }

  function warn() {
    var dialog = element('dialog', 'portal-timeout-dialog kern-stack');
    dialog.setAttribute('aria-labelledby', 'sitzung-titel');
    dialog.setAttribute('aria-describedby', 'sitzung-text');
    var title = element('h2', 'kern-heading-medium', note.dataset.title);
    title.id = 'sitzung-titel';
    var text = element('p', 'kern-body', note.dataset.text);
    text.id = 'sitzung-text';
    var button = element('button', 'kern-btn kern-btn--primary');
    button.type = 'button';
    button.append(element('span', 'kern-label', note.dataset.extend));
    button.addEventListener('click', function () {
      var body = new URLSearchParams({ csrf_token: note.dataset.csrf });
      // Only a 204 means the session goes on; an ended session answers with a redirect to the
      // login page, and reloading shows the citizen that page.
      fetch('/konto/sitzung', { method: 'POST', body: body, credentials: 'same-origin', redirect: 'manual' })
        .then(function (response) {
          if (response.status !== 204) {
            window.location.reload();
            return;
          }
          schedule(Number(note.dataset.minutes) * 60);
        })
        .catch(function () {
          window.location.reload();
        })
        .finally(function () {
          dialog.close();
          dialog.remove();
        });
    });
    dialog.append(title, text, button);
    document.body.append(dialog);
    dialog.showModal();
  }

  schedule(Number(note.dataset.secondsLeft));
})();
