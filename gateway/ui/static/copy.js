// Copy buttons: copy the snippet named by data-copy. The clipboard API
// needs a secure context (localhost is one, http://ai is not), so fall
// back to selecting the text for Ctrl-C.
(function () {
  'use strict';
  document.querySelectorAll('button.copy').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var el = document.getElementById(btn.dataset.copy);
      if (!el) { return; }
      var done = function () {
        btn.textContent = 'Copied';
        setTimeout(function () { btn.textContent = 'Copy'; }, 1500);
      };
      var select = function () {
        var range = document.createRange();
        range.selectNodeContents(el);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        btn.textContent = 'Press Ctrl-C';
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(el.textContent).then(done, select);
      } else {
        select();
      }
    });
  });
})();
