// The dashboard: fills the page from the JSON API and follows the live feed.
// Every value from the server is written with textContent, never as HTML, so a
// transaction described as "<img onerror=...>" shows as those characters.
"use strict";

const RECENT_ROWS = 10;
const money = new Intl.NumberFormat(undefined, {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const when = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium",
  timeStyle: "short",
});

function byId(id) {
  return document.getElementById(id);
}

function toLogin() {
  window.location.replace("/login");
}

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (response.status === 401) {
    toLogin();
    throw new Error("the session has ended");
  }
  const body = await response.json();
  if (!response.ok) {
    throw new Error(body.detail || `${url} answered ${response.status}`);
  }
  return body;
}

function row(cells, className) {
  const tr = document.createElement("tr");
  if (className) tr.className = className;
  for (const [text, isAmount] of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    if (isAmount) td.className = "amount";
    tr.appendChild(td);
  }
  return tr;
}

function transactionRow(tx, withBalance, className) {
  const cells = [
    [when.format(new Date(tx.transaction_date)), false],
    [tx.vendor, false],
    [tx.description, false],
    [money.format(tx.amount), true],
  ];
  if (withBalance) cells.push([money.format(tx.balance_after), true]);
  return row(cells, className);
}

function refreshCharts() {
  const stamp = Date.now();
  byId("balance-chart").src = `/charts/balance.png?at=${stamp}`;
  byId("spenders-chart").src = `/charts/biggest-spenders.png?at=${stamp}`;
}

async function loadAccount() {
  const account = await getJSON("/api/account");
  byId("holder").textContent = account.holder;
  byId("account").textContent = account.account;
  const balance = await getJSON("/transaction/balance");
  byId("balance").textContent = balance.balance;
}

async function loadRecent() {
  const rows = await getJSON("/transaction/transactions");
  byId("recent").replaceChildren(
    ...rows.slice(0, RECENT_ROWS).map((tx) => transactionRow(tx, true)),
  );
}

let searchTimer = null;
let searchSerial = 0;

function searchSoon() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(search, 250);
}

async function search() {
  const term = byId("search").value.trim();
  const serial = ++searchSerial;
  const status = byId("search-status");
  if (!term) {
    byId("search-results").replaceChildren();
    status.textContent = "";
    return;
  }
  try {
    // prefix: the word being typed also matches the words it begins.
    const query = `term=${encodeURIComponent(term)}&prefix=true`;
    const rows = await getJSON(`/transaction/search?${query}`);
    if (serial !== searchSerial) return; // a newer search has been typed
    byId("search-results").replaceChildren(...rows.map((tx) => transactionRow(tx)));
    status.textContent = rows.length ? `${rows.length} newest matches` : "no matches";
  } catch (error) {
    if (serial !== searchSerial) return;
    byId("search-results").replaceChildren();
    status.textContent = error.message;
  }
}

let chartTimer = null;
let lastSeen = "";

function followFeed() {
  const live = byId("live");
  // EventSource reconnects by itself and sends Last-Event-ID, so the server
  // resumes after the last transaction this page has seen; a new EventSource
  // passes that id itself.
  const after = lastSeen ? `?after=${encodeURIComponent(lastSeen)}` : "";
  const feed = new EventSource(`/transaction/stream${after}`);
  feed.addEventListener("open", () => {
    live.textContent = "live";
  });
  feed.addEventListener("transaction", (event) => {
    lastSeen = event.lastEventId;
    const tx = JSON.parse(event.data);
    const recent = byId("recent");
    recent.prepend(transactionRow(tx, true, "new"));
    while (recent.rows.length > RECENT_ROWS) recent.deleteRow(-1);
    byId("balance").textContent = money.format(tx.balance_after);
    clearTimeout(chartTimer);
    chartTimer = setTimeout(refreshCharts, 1000);
  });
  feed.addEventListener("ended", () => {
    feed.close();
    window.location.replace("/login?error=ended");
  });
  feed.addEventListener("error", async () => {
    live.textContent = "reconnecting…";
    if (feed.readyState === EventSource.CLOSED) {
      // Refused: a 401 (getJSON then sends the reader to the login), a 503
      // while Redis is down, or a 429. Anything but a 401 is tried again.
      try {
        await getJSON("/api/session");
      } catch (error) {
        live.textContent = "offline, retrying…";
      }
      setTimeout(followFeed, 3000);
    }
  });
}

// A page restored from the back-forward cache after logout must not show
// account data: load it again, which sends a signed-out reader to the login.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) window.location.reload();
});

document.addEventListener("DOMContentLoaded", async () => {
  byId("search").addEventListener("input", searchSoon);
  refreshCharts();
  try {
    await loadAccount();
    await loadRecent();
    followFeed();
  } catch (error) {
    byId("live").textContent = error.message;
  }
});
