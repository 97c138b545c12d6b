// Served from /static so that the page needs no 'unsafe-inline' in its Content-Security-Policy.
// The admin API takes the bearer token; it stays in this tab only (sessionStorage), as on /admin/platforms.
(function () {
  var tokenInput = document.getElementById('admin-token');
  var table = document.getElementById('trust-lists');
  var message = document.getElementById('admin-message');
  tokenInput.value = sessionStorage.getItem('selloAdminToken') || '';
  function cell(row, text) { var td = document.createElement('td'); td.textContent = text; row.appendChild(td); return td; }
  function load() {
    sessionStorage.setItem('selloAdminToken', tokenInput.value);
    message.textContent = '';
    fetch('/admin/api/trust-lists', { headers: { authorization: 'Bearer ' + tokenInput.value, accept: 'application/json' } })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.message || r.status); return j; }); })
      .then(function (j) {
        var body = table.querySelector('tbody'); body.textContent = '';
        document.getElementById('trust-lists-none').hidden = j.lists.length > 0;
        j.lists.forEach(function (list) {
          if (!list.ok) {
            var row = document.createElement('tr');
            cell(row, list.list); cell(row, table.getAttribute('data-error')); cell(row, ''); cell(row, list.code + ': ' + list.message);
            body.appendChild(row);
            return;
          }
          list.memberships.forEach(function (m) {
            var row = document.createElement('tr');
            cell(row, list.list); cell(row, list.name); cell(row, m.did);
            cell(row, m.member ? table.getAttribute('data-member').replace('{since}', new Date(m.since).toLocaleString()) : table.getAttribute('data-not-member'));
            body.appendChild(row);
          });
        });
      })
      .catch(function (e) { message.textContent = e.message; });
  }
  document.getElementById('admin-load').onclick = load;
  if (tokenInput.value) load();
})();
