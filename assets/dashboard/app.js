// Shahr Gateway dashboard: figures from rulingStats / requestStats and a live feed of
// rulingEvents over graphql-transport-ws, resuming by cursor after a reconnect.
'use strict';
(() => {
  const TOKEN_KEY = 'shahr.dashboard.token';
  const CURSOR_KEY = 'shahr.dashboard.cursor';
  const FEED_MAX = 50;
  const profile = document.querySelector('meta[name="shahr-profile"]').content;
  const $ = (id) => document.getElementById(id);

  const fa = (n, digits = 0) => Number(n).toLocaleString('fa-IR', { maximumFractionDigits: digits });
  /** Text with its ASCII digits written in Persian (names, ruling numbers, dates). */
  const faText = (text) => String(text).replace(/[0-9]/g, (d) => '۰۱۲۳۴۵۶۷۸۹'[d]).replace(/,/g, '،');
  const jalaliMonth = new Intl.DateTimeFormat('en-u-ca-persian-nu-latn', {
    timeZone: 'Asia/Tehran', year: 'numeric', month: 'numeric' });
  const longDate = new Intl.DateTimeFormat('fa-IR-u-ca-persian', {
    timeZone: 'Asia/Tehran', weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
  const eventTime = new Intl.DateTimeFormat('fa-IR-u-ca-persian', {
    timeZone: 'Asia/Tehran', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const isoDay = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Tehran', year: 'numeric', month: '2-digit', day: '2-digit' });
  const persianDayOfMonth = new Intl.DateTimeFormat('en-u-ca-persian-nu-latn', {
    timeZone: 'Asia/Tehran', day: 'numeric' });
  const MONTHS = ['فروردین', 'اردیبهشت', 'خرداد', 'تیر', 'مرداد', 'شهریور',
    'مهر', 'آبان', 'آذر', 'دی', 'بهمن', 'اسفند'];
  const EVENT_LABELS = {
    RULING_ISSUED: 'صدور رأی', RULING_SERVED: 'ابلاغ رأی', OBJECTION_FILED: 'اعتراض به رأی',
    OBJECTION_LATE: 'اعتراض خارج از مهلت', RULING_FINAL: 'قطعیت رأی', FINE_PAID: 'پرداخت کامل جریمه',
    INSTALMENT_PAID: 'پرداخت قسط جریمه', CASE_CHANGED: 'تغییر وضعیت پرونده', OTHER: 'رویداد',
  };
  // The case's state an event reached, as the urbanism system names it.
  const CASE_STATES = {
    DETECTED: 'کشف تخلف', EXPERT_REVIEW: 'بررسی کارشناسی', REFERRED: 'ارجاع به دبیرخانه',
    ASSIGNED: 'تعیین کمیسیون و جلسه', DEFENCE_WINDOW: 'مهلت دفاعیه', IN_SESSION: 'طرح در جلسه',
    RULING_ISSUED: 'رأی صادر شد', NOTIFIED: 'رأی ابلاغ شد', OBJECTION_WINDOW: 'مهلت اعتراض',
    APPEALED: 'تجدیدنظرخواهی', APPEAL_RULED: 'رأی تجدیدنظر صادر شد', FINAL: 'قطعی',
    ENFORCEMENT: 'اجرای حکم', CLOSED: 'مختومه',
  };
  // Request states a request leaves no more: nothing waits in them.
  const FINISHED = new Set(['ISSUED', 'REJECTED', 'WITHDRAWN']);

  let token = null;
  let socket = null;
  let backoff = 500;
  let reloadTimer = null;
  let districtNames = {};
  let todayCount = 0;
  let lastEventAt = null;

  // ---- session ---------------------------------------------------------------------
  function readToken() {
    const hash = new URLSearchParams(location.hash.slice(1));
    if (hash.get('token')) {
      sessionStorage.setItem(TOKEN_KEY, hash.get('token'));
      history.replaceState(null, '', location.pathname + location.search);
    }
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function showLogin(message) {
    $('board').hidden = true;
    $('login').hidden = false;
    const error = $('login-error');
    error.hidden = !message;
    error.textContent = message || '';
    if (profile !== 'dev') {
      $('login-form').hidden = true;
      error.hidden = false;
      error.textContent = (message ? message + ' ' : '') +
        'برای دیدن داشبورد از درگاه ورود سازمانی وارد شوید.';
    }
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(CURSOR_KEY);
    token = null;
    if (socket) { socket.onclose = null; socket.close(1000); socket = null; }
    setStatus('offline');
    showLogin(message);
  }

  // ---- dates -----------------------------------------------------------------------
  function today() { return isoDay.format(new Date()); }

  /** The Gregorian ISO day on which the current Jalali month began (Tehran). */
  function monthStart() {
    const now = Date.now();
    for (let back = 0; back < 32; back++) {
      const day = new Date(now - back * 86400000);
      if (persianDayOfMonth.format(day) === '1') return isoDay.format(day);
    }
    return today();
  }

  // ---- formatting ------------------------------------------------------------------
  function span(seconds) {
    if (seconds === null || seconds === undefined) return '–';
    if (seconds < 60) return fa(Math.round(seconds)) + ' ثانیه';
    if (seconds < 3600) return fa(Math.round(seconds / 60)) + ' دقیقه';
    if (seconds < 86400) return fa(seconds / 3600, 1) + ' ساعت';
    return fa(seconds / 86400, 1) + ' روز';
  }

  function money(rials) {
    const n = Number(rials);
    if (n >= 1e9) return fa(n / 1e9, 1) + ' میلیارد ریال';
    if (n >= 1e6) return fa(n / 1e6, 1) + ' میلیون ریال';
    return fa(n) + ' ریال';
  }

  function monthLabel(month) {
    const [y, m] = month.split('/').map(Number);
    return MONTHS[m - 1] + ' ' + fa(y).replace(/٬/g, '');
  }

  /** The last `count` Jalali months (`1405/09`), oldest first, ending with this one. */
  function lastMonths(count) {
    const parts = jalaliMonth.formatToParts(new Date());
    let year = Number(parts.find((p) => p.type === 'year').value);
    let month = Number(parts.find((p) => p.type === 'month').value);
    const out = [];
    for (let i = 0; i < count; i++) {
      out.unshift(year + '/' + String(month).padStart(2, '0'));
      month -= 1;
      if (month === 0) { month = 12; year -= 1; }
    }
    return out;
  }

  /** The case's number inside its global id (the dashboard is this gateway's own page). */
  function caseKey(id) {
    try {
      const text = atob(id.replace(/-/g, '+').replace(/_/g, '/'));
      return text.startsWith('ViolationCase:') ? text.slice('ViolationCase:'.length) : null;
    } catch (_) {
      return null;
    }
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- GraphQL over HTTP -----------------------------------------------------------
  // The page's operations are trusted documents: the gateway knows them by hash (the page
  // lists the hashes), so only the hash travels, and this client may send nothing else.
  const CLIENT = 'shahr-dashboard';
  const DOCUMENTS = Object.fromEntries(
    Array.from(document.querySelectorAll('meta[name="shahr-document"]'), (m) => [m.dataset.operation, m.content]));
  function persisted(operation) {
    return { persistedQuery: { version: 1, sha256Hash: DOCUMENTS[operation] } };
  }

  async function graphql(operation, variables) {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: 'Bearer ' + token,
        'graphql-client-name': CLIENT,
      },
      body: JSON.stringify({ operationName: operation, variables, extensions: persisted(operation) }),
    });
    const body = await response.json();
    const code = body.errors && body.errors[0] && body.errors[0].extensions && body.errors[0].extensions.code;
    if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') {
      const error = new Error(body.errors[0].extensions.messageFa || body.errors[0].message);
      error.signOut = true;
      throw error;
    }
    if (body.errors) throw new Error(body.errors[0].message);
    return body.data;
  }


  async function loadStats() {
    const day = today();
    const from = monthStart();
    const data = await graphql('DashboardStats', {
      today: { from: day, to: day },
      month: { from, to: day },
      requests: { from, to: day },
    });
    districtNames = {};
    for (const d of data.districts || []) districtNames[d.number] = d.name;
    render(data);
    return data.month.asOf;
  }

  /** Reloads the figures soon, and again until they include the last event seen. */
  function scheduleReload(attempt = 0) {
    clearTimeout(reloadTimer);
    // The gateway refreshes its figures a second or a few after a ruling event.
    reloadTimer = setTimeout(() => {
      loadStats().then((asOf) => {
        const behind = lastEventAt && (!asOf || new Date(asOf) < lastEventAt);
        if (behind && attempt < 10) scheduleReload(attempt + 1);
      }).catch(report);
    }, 1500);
  }

  function report(error) {
    if (error && error.signOut) { signOut(error.message); return; }
    $('asof').textContent = 'به‌روزرسانی آمار ناموفق بود؛ دوباره تلاش می‌شود.';
    console.warn(error);
  }

  // ---- rendering -------------------------------------------------------------------
  function gap(id, month, all) {
    const use = month.count > 0 ? month : all;
    $(id).textContent = span(use.medianSeconds);
    $(id + '-p90').textContent = use.count > 0
      ? 'صدک ۹۰: ' + span(use.p90Seconds) + '، ' + fa(use.count) + ' رأی' + (use === all ? ' (کل دوره)' : '')
      : 'داده‌ای نیست';
  }

  function bars(container, rows) {
    const box = $(container);
    box.replaceChildren();
    const max = Math.max(1, ...rows.map((r) => r.count));
    if (rows.length === 0) box.append(el('p', 'note', 'در این ماه رأیی ثبت نشده است.'));
    for (const row of rows) {
      const line = el('div', 'bar');
      line.append(el('span', 'label', row.label));
      const track = el('span', 'track');
      const fill = el('span', 'fill');
      fill.style.width = (100 * row.count / max).toFixed(1) + '%';
      track.append(fill);
      const n = el('span', 'n', fa(row.count));
      if (row.today) n.append(el('small', 'today', ' (امروز ' + fa(row.today) + ')'));
      line.append(track, n);
      box.append(line);
    }
  }

  /** The median issue-to-service gap of the last twelve months, a column each, newest on the
   *  left; a month without served rulings shows zero. Plain HTML, so its text keeps its size
   *  on a phone (which shows the last six). */
  function trend(months) {
    const box = $('chart-trend');
    box.replaceChildren();
    if (!months.some((m) => m.issueToService.count > 0)) {
      box.append(el('p', 'note', 'هنوز رأی ابلاغ‌شده‌ای نیست.'));
      return;
    }
    const byMonth = new Map(months.map((m) => [m.month, m]));
    const rows = lastMonths(12).map((month) => {
      const m = byMonth.get(month);
      const served = m && m.issueToService.count > 0;
      return { month, days: served ? m.issueToService.medianSeconds / 86400 : 0,
        count: served ? m.issueToService.count : 0 };
    });
    const max = Math.max(1, ...rows.map((r) => r.days));
    const chart = el('div', 'columns');
    chart.setAttribute('role', 'img');
    chart.setAttribute('aria-label', 'روند میانه فاصله صدور تا ابلاغ در دوازده ماه اخیر');
    rows.forEach((row, i) => {
      const column = el('div', 'column' + (i < rows.length - 6 ? ' older' : ''));
      column.dataset.month = row.month;
      column.title = monthLabel(row.month) + ': ' +
        (row.count > 0 ? span(row.days * 86400) + '، ' + fa(row.count) + ' رأی' : 'رأی ابلاغ‌شده‌ای نیست');
      column.append(el('span', 'value', fa(row.days, 1)));
      const bar = el('span', 'bar-v' + (row.count === 0 ? ' zero' : ''));
      bar.style.height = (100 * row.days / max).toFixed(1) + '%';
      const track = el('span', 'track-v');
      track.append(bar);
      const [y, m] = row.month.split('/').map(Number);
      const label = el('span', 'month');
      label.append(el('span', 'name', MONTHS[m - 1]), el('span', 'year', fa(y % 100).padStart(2, '۰')));
      column.append(track, label);
      chart.append(column);
    });
    box.append(chart);
  }

  function steps(requestStats) {
    const body = $('steps');
    body.replaceChildren();
    for (const s of requestStats.steps) {
      const tr = el('tr');
      // A finished state is where requests end: none of them is waiting.
      const finished = FINISHED.has(s.state);
      tr.dataset.state = s.state || '';
      tr.append(el('td', '', s.labelFa), el('td', '', fa(s.handled)),
        el('td', '', span(s.handlingTime.medianSeconds)),
        el('td', s.breached + s.overdue > 0 ? 'late' : '', fa(s.breached + s.overdue)),
        el('td', 'open', finished ? 'پایان‌یافته' : fa(s.open)));
      body.append(tr);
    }
    if (requestStats.steps.length === 0) {
      const tr = el('tr');
      const td = el('td', 'note', 'در این ماه درخواستی ثبت نشده است.');
      td.colSpan = 5;
      tr.append(td);
      body.append(tr);
    }
  }

  function render(data) {
    todayCount = data.today.total;
    $('k-today').textContent = fa(todayCount);
    $('k-month').textContent = fa(data.month.total);
    gap('k-session', data.month.sessionToIssue, data.all.sessionToIssue);
    gap('k-service', data.month.issueToService, data.all.issueToService);
    $('k-fines').textContent = money(data.month.finesImposed);
    $('k-collected').textContent = 'وصول‌شده: ' + money(data.month.finesCollected);
    $('k-requests').textContent = fa(data.requests.total);
    $('k-sla').textContent = 'در مهلت: ' + fa(data.requests.handledInTime) +
      '، خارج از مهلت: ' + fa(data.requests.slaBreaches) +
      '؛ عوارض وصول‌شده: ' + money(data.requests.feesCollected) +
      ' (برخط: ' + money(data.requests.feesCollectedOnline) + ')';
    const todayOf = (list, key, value) => (list.find((x) => x[key] === value) || {}).count || 0;
    bars('chart-district', data.month.byDistrict.map((d) => ({
      label: d.district ? faText(districtNames[d.district] || 'منطقه ' + fa(d.district)) : 'نامشخص',
      count: d.count, today: todayOf(data.today.byDistrict, 'district', d.district) })));
    bars('chart-commission', data.month.byCommission.map((c) => ({
      label: c.commission ? faText(c.commission.name) : 'نامشخص',
      count: c.count, today: todayOf(data.today.byCommission, 'commissionId', c.commissionId) })));
    trend(data.all.byMonth);
    steps(data.requests);
    $('asof').textContent = data.month.asOf
      ? 'آمار تا ' + faText(eventTime.format(new Date(data.month.asOf)))
      : 'آمار در حال آماده‌شدن است.';
  }

  // ---- live feed -------------------------------------------------------------------

  function setStatus(state) {
    $('status').dataset.state = state;
    $('status-text').textContent = { live: 'زنده', connecting: 'در حال اتصال', offline: 'قطع' }[state];
  }

  function onEvent(event) {
    sessionStorage.setItem(CURSOR_KEY, event.id);
    lastEventAt = new Date(event.occurredAt);
    document.body.dataset.events = String(Number(document.body.dataset.events || 0) + 1);
    const item = el('li', 'new');
    item.dataset.type = event.type;
    let what = EVENT_LABELS[event.type] || EVENT_LABELS.OTHER;
    if (event.rulingNumber) what += ' ' + faText(event.rulingNumber);
    item.append(el('span', 'what', what));
    const where = [];
    const key = event.caseId && caseKey(event.caseId);
    if (key) where.push('پرونده ' + faText(key));
    if (event.district) where.push(districtNames[event.district] || 'منطقه ' + fa(event.district));
    if (where.length) item.append(document.createTextNode('، ' + where.join('، ')));
    if (event.status && CASE_STATES[event.status]) {
      item.append(document.createElement('br'), el('span', 'state', 'وضعیت پرونده: ' + CASE_STATES[event.status]));
    }
    item.append(document.createElement('br'), el('span', 'when', faText(eventTime.format(new Date(event.occurredAt)))));
    const feed = $('feed');
    feed.prepend(item);
    while (feed.children.length > FEED_MAX) feed.lastElementChild.remove();
    $('feed-empty').hidden = true;
    if (event.type === 'RULING_ISSUED' && isoDay.format(new Date(event.occurredAt)) === today()) {
      // Counted at once; the figures that follow confirm it.
      todayCount += 1;
      $('k-today').textContent = fa(todayCount);
    }
    scheduleReload();
  }

  function connect() {
    if (!token) return;
    setStatus('connecting');
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const ws = new WebSocket(scheme + location.host + '/graphql', 'graphql-transport-ws');
    socket = ws;
    ws.onopen = () => ws.send(JSON.stringify({
      type: 'connection_init', payload: { Authorization: 'Bearer ' + token, clientName: CLIENT } }));
    ws.onmessage = (message) => {
      const msg = JSON.parse(message.data);
      if (msg.type === 'connection_ack') {
        backoff = 500;
        setStatus('live');
        const after = sessionStorage.getItem(CURSOR_KEY);
        ws.send(JSON.stringify({ id: 'feed', type: 'subscribe',
          payload: { operationName: 'DashboardEvents', variables: { after }, extensions: persisted('DashboardEvents') } }));
      } else if (msg.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong' }));
      } else if (msg.type === 'next') {
        const errors = msg.payload.errors;
        if (errors) {
          const ext = errors[0].extensions || {};
          console.info('live feed: subscribing again after', errors[0].message);
          // Fell behind: resume from where the gateway says, never skipping.
          if (ext.resumeAfter) sessionStorage.setItem(CURSOR_KEY, ext.resumeAfter);
          else if (ext.field === 'after') sessionStorage.removeItem(CURSOR_KEY);
          ws.close(4000, 'resubscribe');
          return;
        }
        onEvent(msg.payload.data.rulingEvents);
      } else if (msg.type === 'error') {
        const ext = (msg.payload[0] && msg.payload[0].extensions) || {};
        if (ext.code === 'FORBIDDEN' || ext.code === 'UNAUTHENTICATED') { signOut(msg.payload[0].message); return; }
        sessionStorage.removeItem(CURSOR_KEY);
        ws.close(4000, 'resubscribe');
      } else if (msg.type === 'complete') {
        ws.close(1000);
      }
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = null;
      setStatus('offline');
      if (event.code === 4401 || event.code === 4403) { signOut('نشست شما به پایان رسید؛ دوباره وارد شوید.'); return; }
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    };
  }

  // ---- start -----------------------------------------------------------------------
  /** The district a staff token is limited to, read from its claims (display only). */
  function tokenDistrict() {
    try {
      const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const claims = JSON.parse(atob(part + '='.repeat((4 - part.length % 4) % 4)));
      const auditor = (claims.roles || []).some((r) => ['auditor', 'admin'].includes(String(r).toLowerCase()));
      return auditor ? null : claims.district || null;
    } catch (_) {
      return null;
    }
  }

  function start() {
    const district = tokenDistrict();
    $('scope').textContent = district ? 'منطقه ' + fa(district) : 'همه مناطق';
    $('login').hidden = true;
    $('board').hidden = false;
    loadStats().catch(report);
    connect();
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('today').textContent = faText(longDate.format(new Date()));
    $('login-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const value = $('token').value.trim().replace(/^Bearer\s+/i, '');
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      sessionStorage.removeItem(CURSOR_KEY);
      token = value;
      start();
    });
    $('logout').addEventListener('click', () => signOut());
    setInterval(() => { if (token) loadStats().catch(report); }, 60000);
    token = readToken();
    if (token) start(); else showLogin();
  });
})();
