// Served from /static so that pages need no 'unsafe-inline' in their Content-Security-Policy.
// The admin API takes the bearer token; it stays in this tab only (sessionStorage).
(function () {
  var tokenInput = document.getElementById('admin-token');
  tokenInput.value = sessionStorage.getItem('selloAdminToken') || '';
  function api(method, path, body) {
    sessionStorage.setItem('selloAdminToken', tokenInput.value);
    return fetch('/admin/api/platforms' + path, {
      method: method,
      headers: { authorization: 'Bearer ' + tokenInput.value, 'content-type': 'application/json', accept: 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.message || r.status); return j; }); });
  }
  function cell(row, text) { var td = document.createElement('td'); td.textContent = text; row.appendChild(td); return td; }
  function load() {
    api('GET', '').then(function (j) {
      var body = document.querySelector('#platforms tbody'); body.textContent = '';
      j.platforms.forEach(function (p) {
        var row = document.createElement('tr');
        cell(row, p.name); cell(row, p.iss); cell(row, p.clientId); cell(row, p.status);
        var actions = cell(row, '');
        [['approve', 'active'], ['disable', 'disabled']].forEach(function (a) {
          if (p.status === a[1]) return;
          var b = document.createElement('button'); b.type = 'button'; b.textContent = a[0];
          b.onclick = function () { api('POST', '/' + p.id + '/' + a[0]).then(load); };
          actions.appendChild(b);
        });
        body.appendChild(row);
      });
      var requests = document.querySelector('#requests tbody'); requests.textContent = '';
      (j.requests || []).forEach(function (r) {
        var row = document.createElement('tr');
        cell(row, r.iss); cell(row, r.clientId); cell(row, r.openidConfigurationUrl); cell(row, r.jwksUrl);
        var actions = cell(row, '');
        ['approve', 'reject'].forEach(function (a) {
          var b = document.createElement('button'); b.type = 'button'; b.textContent = a;
          b.onclick = function () { api('POST', '/' + r.id + '/' + a).then(load); };
          actions.appendChild(b);
        });
        requests.appendChild(row);
      });
      var failures = document.querySelector('#registration-failures tbody'); failures.textContent = '';
      (j.registrationFailures || []).forEach(function (f) {
        var row = document.createElement('tr');
        cell(row, f.at); cell(row, f.openidConfiguration); cell(row, f.code + ': ' + f.reason);
        failures.appendChild(row);
      });
    }).catch(function (e) { document.getElementById('admin-message').textContent = e.message; });
  }
  document.getElementById('admin-load').onclick = load;
  document.getElementById('admin-invite').onclick = function () {
    api('POST', '/invites', {}).then(function (j) {
      document.getElementById('invite-url').textContent = j.invite.url;
      var expires = document.getElementById('invite-expires');
      expires.textContent = expires.getAttribute('data-template').replace('{at}', new Date(j.invite.expiresAt).toLocaleString());
      document.getElementById('invite-result').hidden = false;
    }).catch(function (e) { document.getElementById('admin-message').textContent = e.message; });
  };
  document.getElementById('admin-add').onsubmit = function (event) {
    event.preventDefault();
    var data = {}; new FormData(event.target).forEach(function (v, k) { if (v) data[k] = v; });
    api('POST', '', data).then(function () { event.target.reset(); load(); })
      .catch(function (e) { document.getElementById('admin-message').textContent = e.message; });
  };
  if (tokenInput.value) load();
})();
