// The criteria builder's live behaviour. Served from /static: pages allow no inline script (CSP).
// Without JavaScript the form works as is: every rule field stays visible, "Add another
// rule" asks the server for more rows and the preview is written when the page is sent.
(function () {
  var form = document.getElementById('achievement-form');
  if (!form) return;
  form.classList.add('js-builder');
  var rows = document.getElementById('rule-rows');
  var preview = document.getElementById('criteria-preview');
  var json = document.getElementById('criteria');
  var useJson = document.getElementById('use-json');
  var ltik = form.querySelector('input[name="ltik"]').value;

  function nextIndex(container, selector) {
    var max = -1;
    container.querySelectorAll(selector).forEach(function (row) { max = Math.max(max, Number(row.getAttribute('data-index'))); });
    return max + 1;
  }
  function addRow(templateId, container, selector) {
    var template = document.getElementById(templateId);
    var index = nextIndex(container, selector);
    var html = template.innerHTML.replace(/__i__/g, String(index)).replace(/__n__/g, String(index + 1));
    container.insertAdjacentHTML('beforeend', html);
    var row = container.lastElementChild;
    wireRow(row);
    var first = row.querySelector('select, input');
    if (first) first.focus();
  }
  function wireRow(row) {
    var kind = row.querySelector('.rule-kind-select');
    if (kind) kind.addEventListener('change', function () { row.setAttribute('data-kind', kind.value || 'none'); });
    var remove = row.querySelector('.rule-remove');
    if (remove) {
      remove.hidden = false;
      remove.addEventListener('click', function () {
        // Keeps numbering stable for the server: the row is emptied and hidden, not renumbered.
        if (kind) kind.value = '';
        row.setAttribute('data-kind', 'none');
        row.hidden = true;
        schedule();
        var add = document.getElementById('add-rule');
        if (add) add.focus();
      });
    }
  }
  rows.querySelectorAll('.rule-row').forEach(wireRow);

  var addRule = document.getElementById('add-rule');
  if (addRule) addRule.addEventListener('click', function (event) { event.preventDefault(); addRow('rule-row-template', rows, '.rule-row'); });
  var addAlignment = document.getElementById('add-alignment');
  var alignmentRows = document.getElementById('alignment-rows');
  if (addAlignment && alignmentRows) addAlignment.addEventListener('click', function (event) { event.preventDefault(); addRow('alignment-row-template', alignmentRows, '.alignment-row'); });

  // Typing JSON means using it.
  if (json && useJson) json.addEventListener('input', function () { useJson.checked = true; });

  var timer = null;
  var sent = 0;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }
  function refresh() {
    var body = new URLSearchParams(new FormData(form));
    var mine = ++sent;
    fetch('/app/achievements/preview', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: 'Bearer ' + ltik },
      body: body.toString(),
    })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (answer) {
        if (!answer || mine !== sent) return;
        preview.textContent = answer.narrative || preview.getAttribute('data-empty');
        if (answer.criteria && json && !(useJson && useJson.checked)) json.value = answer.criteria;
      })
      .catch(function () { /* the preview waits for the next change */ });
  }
  form.addEventListener('input', function (event) { if (event.target !== json || (useJson && useJson.checked)) schedule(); });
  form.addEventListener('change', schedule);
})();
