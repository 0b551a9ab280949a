// Settings page: validates and saves the config through the admin API.
// Every call sends X-Aperture-CSRF, a header a cross-site page cannot add
// without a CORS preflight, which the gateway refuses.
(function () {
  'use strict';
  var form = document.getElementById('config-form');
  if (!form) { return; }
  var text = document.getElementById('config');
  var msgs = document.getElementById('messages');
  var cursor = document.getElementById('cursor');
  var saveBtn = document.getElementById('save');
  var headers = { 'Content-Type': 'application/json', 'X-Aperture-CSRF': '1' };

  // goTo selects line (1-based) in the editor.
  function goTo(line) {
    var lines = text.value.split('\n');
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    var end = start + (lines[line - 1] || '').length;
    text.focus();
    text.setSelectionRange(start, end);
    var lh = text.scrollHeight / Math.max(lines.length, 1);
    text.scrollTop = Math.max(0, (line - 3) * lh);
  }

  // shown counts the notices shown, so a check started earlier does not
  // replace a later answer.
  var shown = 0;

  // show replaces the messages with one notice and its diagnostics.
  function show(kind, title, diags) {
    shown++;
    msgs.textContent = '';
    var box = document.createElement('div');
    box.className = 'notice ' + kind;
    box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    var p = document.createElement('p');
    p.textContent = title;
    box.appendChild(p);
    if (diags && diags.length) {
      var ul = document.createElement('ul');
      diags.forEach(function (d) {
        var li = document.createElement('li');
        if (d.line) {
          var a = document.createElement('a');
          a.href = '#config';
          a.textContent = 'line ' + d.line + (d.column ? ', col ' + d.column : '');
          a.addEventListener('click', function (e) { e.preventDefault(); goTo(d.line); });
          li.appendChild(a);
          li.appendChild(document.createTextNode(': '));
        }
        li.appendChild(document.createTextNode(d.severity + ': ' + (d.path ? d.path + ': ' : '') + d.message));
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    msgs.appendChild(box);
  }

  function call(method, url, body) {
    return fetch(url, {
      method: method, headers: headers, body: JSON.stringify(body), credentials: 'same-origin'
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        return { status: res.status, data: data };
      });
    });
  }

  function message(data, fallback) {
    return (data && data.error && data.error.message) || fallback;
  }

  function count(n, what) { return n + ' ' + what + (n === 1 ? '' : 's'); }

  // Errors stop a save; warnings are shown and saved, as `aperture
  // validate` passes them (exit 0) and the gateway loads them.
  function errorCount(data) {
    return (data.diagnostics || []).filter(function (d) { return d.severity === 'error'; }).length;
  }

  // report shows what validation found; quiet shows nothing when there
  // is nothing to say (the check made when the page opens).
  function report(r, quiet) {
    var diags = (r.data && r.data.diagnostics) || [];
    if (r.status !== 200) {
      show('error', message(r.data, 'Validation failed (HTTP ' + r.status + ').'));
    } else if (errorCount(r.data) > 0) {
      show('error', count(errorCount(r.data), 'error') + ' would stop this config from being saved' +
        (diags.length > errorCount(r.data) ? ' (warnings alone would not)' : '') + ':', diags);
    } else if (diags.length > 0) {
      show('warn', 'This config can be saved, with ' + count(diags.length, 'warning') + ':', diags);
    } else if (!quiet) {
      show('ok', 'No problems found.');
    }
  }

  function validate(quiet) {
    var seen = shown;
    return call('POST', '/api/config/validate', { config: text.value }).then(function (r) {
      if (!quiet || shown === seen) { report(r, quiet); }
    }).catch(function (e) { if (!quiet) { show('error', 'Could not reach the gateway: ' + e); } });
  }

  document.getElementById('validate').addEventListener('click', function () { validate(false); });

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    saveBtn.disabled = true;
    call('PUT', '/api/config', { config: text.value, hash: form.dataset.hash }).then(function (r) {
      if (r.status === 200) {
        form.dataset.hash = r.data.hash;
        var diags = r.data.diagnostics || [];
        if (diags.length) {
          show('warn', 'Saved and applied, with ' + count(diags.length, 'warning') + ':', diags);
        } else {
          show('ok', 'Saved and applied.');
        }
      } else {
        show('error', message(r.data, 'Saving failed (HTTP ' + r.status + ').'), r.data.diagnostics);
      }
    }).catch(function (e) {
      show('error', 'Could not reach the gateway: ' + e);
    }).finally(function () { saveBtn.disabled = false; });
  });

  function where() {
    var before = text.value.slice(0, text.selectionStart).split('\n');
    cursor.textContent = 'line ' + before.length + ', col ' + (before[before.length - 1].length + 1);
  }
  ['keyup', 'click', 'focus'].forEach(function (e) { text.addEventListener(e, where); });

  // The running config's warnings (a provider without its key, say) are
  // shown as soon as the page opens.
  validate(true);
})();
