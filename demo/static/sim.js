// The /_sim page: renders the Block Kit and Adaptive Card payloads BridgePulse really sent, and
// turns clicks and typed commands into calls that the demo sends on as signed Slack requests and
// Teams activities. Everything is built with DOM nodes and textContent: no payload text is ever
// parsed as HTML.
"use strict";

const api = async (name, body = {}) => {
  const response = await fetch(`/_sim/api/${name}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// ---- inline markup, safely --------------------------------------------------------------------

// A link is only ever a link to http(s) or mailto; anything else stays text.
function safeHref(url) {
  return /^(https?:\/\/|mailto:)/i.test(url) ? url : null;
}

// Apply inline rules (earliest match first) to plain text, producing DOM nodes.
function inline(text, rules) {
  const out = [];
  let rest = text;
  while (rest) {
    let best = null;
    for (const rule of rules) {
      rule.re.lastIndex = 0;
      const match = rule.re.exec(rest);
      if (match && (best === null || match.index < best.match.index)) best = { rule, match };
    }
    if (!best) {
      out.push(document.createTextNode(rest));
      break;
    }
    if (best.match.index > 0) out.push(document.createTextNode(rest.slice(0, best.match.index)));
    out.push(best.rule.make(best.match, rules));
    rest = rest.slice(best.match.index + best.match[0].length);
  }
  return out;
}

const unescapeSlack = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

const SLACK_RULES = [
  { re: /<([^<>|]+)(?:\|([^<>]+))?>/, make: (m) => {
      const href = safeHref(m[1]);
      const label = unescapeSlack(m[2] || m[1]);
      return href ? el("a", { href, target: "_blank", rel: "noopener noreferrer", text: label }) : el("span", { text: label });
    } },
  { re: /`([^`\n]+)`/, make: (m) => el("code", { text: unescapeSlack(m[1]) }) },
  { re: /(^|[^\w*])\*(\S(?:[^*\n]*\S)?)\*(?![\w*])/, make: (m, rules) => frag(m[1], el("b", {}, inline(m[2], rules))) },
  { re: /(^|[^\w_])_(\S(?:[^_\n]*\S)?)_(?![\w_])/, make: (m, rules) => frag(m[1], el("i", {}, inline(m[2], rules))) },
  { re: /(^|[^\w~])~(\S(?:[^~\n]*\S)?)~(?![\w~])/, make: (m, rules) => frag(m[1], el("s", {}, inline(m[2], rules))) },
  { re: /&(lt|gt|amp);/, make: (m) => document.createTextNode(unescapeSlack(m[0])) },
];

const MARKDOWN_RULES = [
  { re: /\\([\\*_\[\]`])/, make: (m) => document.createTextNode(m[1]) },
  { re: /\[([^\]\n]+)\]\(([^)\s]+)\)/, make: (m) => {
      const href = safeHref(m[2]);
      return href ? el("a", { href, target: "_blank", rel: "noopener noreferrer", text: m[1] }) : el("span", { text: m[1] });
    } },
  { re: /\*\*(.+?)\*\*/, make: (m, rules) => el("b", {}, inline(m[1], rules)) },
  { re: /(^|[^\w_])_(\S(?:[^_\n]*\S)?)_(?![\w_])/, make: (m, rules) => frag(m[1], el("i", {}, inline(m[2], rules))) },
  { re: /`([^`\n]+)`/, make: (m) => el("code", { text: m[1] }) },
];

function frag(lead, node) {
  const f = document.createDocumentFragment();
  if (lead) f.append(document.createTextNode(lead));
  f.append(node);
  return f;
}

const mrkdwn = (text) => el("div", { class: "mrkdwn" }, inline(String(text ?? ""), SLACK_RULES));
const markdown = (text) => inline(String(text ?? ""), MARKDOWN_RULES);

// ---- state ------------------------------------------------------------------------------------

const ui = {
  person: null,
  version: null,
  state: null,
  slackTab: "channel",
  teamsTab: "channel",
  pending: { slack: null, teams: null },
  error: { slack: null, teams: null },
  seen: { dm: 0, chat: 0 },
};

async function refresh(force = false) {
  let state;
  try {
    state = await api("state", { person: ui.person, since: force ? null : ui.version });
  } catch (error) {
    showStatus(`The demo server did not answer (${error.message}). Is it still running?`, "error");
    return;
  }
  showClock(state);
  if (state.unchanged) return;
  if (busyChoosing()) return; // re-rendering would close an open drop-down
  ui.version = state.version;
  ui.state = state;
  ui.person = state.you;
  render();
}

function busyChoosing() {
  const active = document.activeElement;
  return active && active.tagName === "SELECT" && active.closest(".messages");
}

function showClock(state) {
  $("now").textContent = state.now;
  $("week").textContent = state.week ? `week ${state.week} · ${state.poll_open ? "pulse open" : "pulse closed"}` : "setting up";
  const busy = Boolean(state.doing) || !state.ready;
  $("close-now").disabled = busy || !state.poll_open;
  $("next-week").disabled = busy;
  for (const form of ["slack-form", "teams-form"]) $(form).classList.toggle("disabled", !state.ready);
  if (state.problem) showStatus(state.problem, "error");
  else if (!state.ready) showStatus(state.doing ? `${state.doing}… the simulated team is warming up.` : "Starting…", "busy");
  else if (state.doing) showStatus(`${state.doing}… the team answers, reminders go out, polls close.`, "busy");
  else if ($("status").dataset.kind === "busy") showStatus("");
}

function showStatus(text, kind = "info") {
  const status = $("status");
  status.hidden = !text;
  status.textContent = text;
  status.dataset.kind = text ? kind : "";
}

// ---- rendering --------------------------------------------------------------------------------

function render() {
  const s = ui.state;
  renderPeople(s);
  renderFeed(s.feed);
  renderSlack(s.slack);
  renderTeams(s.teams);
}

function renderPeople(s) {
  const select = $("you");
  if (select.options.length !== s.people.length) {
    select.replaceChildren();
    const groups = { marketing: "Marketing", it: "IT", other: "Other" };
    for (const [side, label] of Object.entries(groups)) {
      const group = el("optgroup", { label });
      for (const p of s.people.filter((q) => q.side === side)) {
        group.append(el("option", { value: p.key, text: `${p.name} — ${p.title}${p.manager ? " (manager, gets the digest)" : ""}` }));
      }
      select.append(group);
    }
  }
  select.value = s.you;
  const me = s.people.find((p) => p.key === s.you);
  $("you-name").textContent = me ? `${me.name}, ${me.title} (${me.side === "it" ? "IT" : me.side})` : "";
}

function renderFeed(feed) {
  const list = $("feed");
  list.replaceChildren(
    ...feed.slice().reverse().map((h) => el("li", { class: `happening ${h.platform}` },
      el("div", { class: "when" }, el("span", { text: h.at }), el("span", { class: "where", text: h.where })),
      el("div", { class: h.text.startsWith("↳") ? "what story" : "what", text: h.text }),
      h.detail.length ? el("div", { class: "detail" }, h.detail.map((d) => el("div", { text: d }))) : null))
  );
}

// A list follows new messages while you are at its end, and stays put when you scrolled up.
const stick = {};

function followEnd(container) {
  stick[container.id] = true;
  container.addEventListener("scroll", () => {
    stick[container.id] = container.scrollHeight - container.scrollTop - container.clientHeight < 60;
  });
  // Images (charts) grow the list after it was drawn.
  container.addEventListener("load", () => {
    if (stick[container.id]) container.scrollTop = container.scrollHeight;
  }, true);
}

function keepScroll(container, build) {
  const top = container.scrollTop;
  build();
  container.scrollTop = stick[container.id] ? container.scrollHeight : top;
}

function avatar(name, bot = false) {
  const initials = bot ? "BP" : name.split(" ").map((w) => w[0]).join("").slice(0, 2);
  return el("span", { class: bot ? "avatar bot" : "avatar", "aria-hidden": "true", text: initials });
}

// ---- Slack ------------------------------------------------------------------------------------

function renderSlack(slack) {
  $("slack-channel-name").textContent = slack.channel.name;
  const dmCount = slack.dm.filter((m) => m.kind === "bot").length;
  $("slack-dm-count").textContent = dmCount > ui.seen.dm && ui.slackTab !== "dm" ? String(dmCount - ui.seen.dm) : "";
  if (ui.slackTab === "dm") ui.seen.dm = dmCount;
  const box = $("slack-messages");
  keepScroll(box, () => {
    box.replaceChildren();
    if (ui.slackTab === "home") {
      box.append(slack.home ? el("div", { class: "home" }, blocks(slack.home.blocks, {})) : el("p", { class: "empty", text: "Opening the App Home…" }));
      return;
    }
    const items = ui.slackTab === "dm" ? slack.dm : slack.messages;
    if (!items.length) box.append(el("p", { class: "empty", text: ui.slackTab === "dm" ? "No direct messages from BridgePulse yet: reminders, digests and exports arrive here." : "Nothing here yet." }));
    for (const item of items) box.append(item.kind === "ephemeral" ? slackEphemeral(item) : slackMessage(item));
    if (ui.pending.slack) box.append(el("div", { class: "pending", text: `${ui.pending.slack} …` }));
    if (ui.error.slack) box.append(el("div", { class: "error", text: ui.error.slack }));
  });
}

function slackMessage(m) {
  const context = { channel: m.channel, ts: m.id };
  return el("article", { class: "message" },
    avatar("BridgePulse", true),
    el("div", { class: "body" },
      el("div", { class: "meta" }, el("b", { text: "BridgePulse" }), el("span", { class: "app", text: "APP" }), el("span", { class: "time", text: m.at }), m.edited ? el("span", { class: "time", text: "(edited)" }) : null),
      m.blocks.length ? blocks(m.blocks, context) : (m.text ? mrkdwn(m.text) : null),
      m.files.map(slackFile)));
}

function slackEphemeral(m) {
  return el("article", { class: "message ephemeral" },
    avatar("BridgePulse", true),
    el("div", { class: "body" },
      el("div", { class: "meta" }, el("b", { text: "BridgePulse" }), el("span", { class: "time", text: m.at }), el("span", { class: "only", text: "Only visible to you" })),
      el("div", { class: "did", text: `You: ${m.did}` }),
      m.failed ? el("div", { class: "error", text: "BridgePulse did not answer in time." }) :
        m.blocks.length ? blocks(m.blocks, { reply: m.id }) : mrkdwn(m.text)));
}

function slackFile(f) {
  if (f.image) {
    return el("figure", { class: "file" },
      el("img", { src: f.url, alt: f.alt || f.title, loading: "lazy" }),
      el("figcaption", { text: f.title }));
  }
  return el("a", { class: "file", href: f.url, target: "_blank", text: `📄 ${f.title || f.name}` });
}

function blocks(list, context) {
  return el("div", { class: "blocks" }, list.map((b) => block(b, context)));
}

function block(b, context) {
  switch (b.type) {
    case "header":
      return el("h3", { class: "bk-header", text: b.text?.text ?? "" });
    case "section":
      return el("div", { class: "bk-section" },
        b.text ? (b.text.type === "mrkdwn" ? mrkdwn(b.text.text) : el("div", { text: b.text.text })) : null,
        b.fields ? el("div", { class: "bk-fields" }, b.fields.map((f) => f.type === "mrkdwn" ? mrkdwn(f.text) : el("div", { text: f.text }))) : null,
        b.accessory ? element(b.accessory, b.block_id, context) : null);
    case "context":
      return el("div", { class: "bk-context" }, (b.elements || []).map((e) =>
        e.type === "image" ? el("img", { src: e.image_url, alt: e.alt_text }) : e.type === "mrkdwn" ? mrkdwn(e.text) : el("span", { text: e.text })));
    case "divider":
      return el("hr", { class: "bk-divider" });
    case "actions":
      return el("div", { class: "bk-actions" }, (b.elements || []).map((e) => element(e, b.block_id, context)));
    case "image":
      return el("figure", { class: "bk-image" }, el("img", { src: b.image_url, alt: b.alt_text }), b.title ? el("figcaption", { text: b.title.text }) : null);
    case "data_visualization":
      return lineChart(b);
    default:
      return el("div", { class: "unsupported", text: `[${b.type} block]` });
  }
}

const SERIES_COLOURS = ["#1f3b73", "#e07b00", "#0f8b8d", "#8a8a8a", "#8a8a8a", "#6b4fa0"];

// Slack's native chart (data_visualization), drawn as Slack would: one line per series.
function lineChart(b) {
  const chart = b.chart || {};
  const cats = (chart.axis_config || {}).categories || [];
  const series = chart.series || [];
  const values = series.flatMap((s) => s.data.map((d) => d.value));
  const lo = Math.min(...values), hi = Math.max(...values);
  const span = hi - lo || 1, w = 360, h = 120, pad = 24;
  const x = (i) => pad + (cats.length > 1 ? (i * (w - 2 * pad)) / (cats.length - 1) : (w - 2 * pad) / 2);
  const y = (v) => h - pad - ((v - lo) * (h - 2 * pad)) / span;
  const ns = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  };
  const canvas = svg("svg", { viewBox: `0 0 ${w} ${h}`, class: "bk-chart", role: "img", "aria-label": b.title });
  series.forEach((s, n) => {
    const points = s.data.map((d, i) => `${x(i)},${y(d.value)}`).join(" ");
    canvas.append(svg("polyline", { points, fill: "none", stroke: SERIES_COLOURS[n % 6], "stroke-width": 2 }));
  });
  cats.forEach((c, i) => {
    const label = svg("text", { x: x(i), y: h - 6, "text-anchor": "middle", "font-size": 10 });
    label.textContent = c;
    canvas.append(label);
  });
  const legend = series.map((s, n) => el("span", { class: `series-${n % 6}`, text: `— ${s.name} ` }));
  return el("figure", { class: "bk-image" }, canvas, el("figcaption", {}, el("strong", { text: b.title }), " ", legend));
}

function element(e, blockId, context) {
  if (e.type === "button") {
    return el("button", {
      type: "button",
      class: `bk-button ${e.style || ""}`,
      text: e.text?.text ?? "",
      onclick: () => slackClick({ block_id: blockId, action_id: e.action_id }, context, e.text?.text),
    });
  }
  if (e.type === "static_select") {
    const select = el("select", { class: "bk-select", "aria-label": e.placeholder?.text || "Choose" },
      el("option", { value: "", text: e.placeholder?.text || "Choose…" }),
      (e.options || []).map((o) => el("option", { value: o.value, text: o.text.text })));
    select.addEventListener("change", () => {
      if (!select.value) return;
      const label = select.options[select.selectedIndex].text;
      select.blur();
      slackClick({ block_id: blockId, action_id: e.action_id, value: select.value }, context, label);
    });
    return select;
  }
  if (e.type === "image") return el("img", { class: "bk-accessory", src: e.image_url, alt: e.alt_text });
  return el("span", { class: "unsupported", text: `[${e.type}]` });
}

async function slackClick(action, context, label) {
  await act("slack", `clicked “${label}”`, () => api("slack/click", { person: ui.person, ...action, ...context }));
}

// ---- Teams ------------------------------------------------------------------------------------

function renderTeams(teams) {
  $("teams-channel-name").textContent = teams.channel.name;
  const chatCount = teams.chat.filter((m) => m.kind === "bot").length;
  $("teams-chat-count").textContent = chatCount > ui.seen.chat && ui.teamsTab !== "chat" ? String(chatCount - ui.seen.chat) : "";
  if (ui.teamsTab === "chat") ui.seen.chat = chatCount;
  $("teams-mention").hidden = ui.teamsTab !== "channel";
  const box = $("teams-messages");
  keepScroll(box, () => {
    box.replaceChildren();
    const items = ui.teamsTab === "chat" ? teams.chat : teams.posts;
    if (!items.length) box.append(el("p", { class: "empty", text: ui.teamsTab === "chat" ? "Your 1:1 chat with BridgePulse: private answers, reminders and digests arrive here." : "Nothing here yet." }));
    for (const item of items) box.append(teamsPost(item, ui.teamsTab === "channel"));
    if (ui.pending.teams) box.append(el("div", { class: "pending", text: `${ui.pending.teams} …` }));
    if (ui.error.teams) box.append(el("div", { class: "error", text: ui.error.teams }));
  });
}

function teamsPost(m, threaded) {
  const replies = threaded && m.replies && m.replies.length
    ? el("div", { class: "replies" }, m.replies.map((r) => teamsPost(r, false)))
    : null;
  return el("article", { class: `post ${m.kind}` },
    avatar(m.from, m.kind === "bot"),
    el("div", { class: "body" },
      el("div", { class: "meta" }, el("b", { text: m.from }), el("span", { class: "time", text: m.at })),
      m.text ? el("div", { class: "text" }, markdown(m.text)) : null,
      (m.cards || []).map((card) => adaptiveCard(card, m.id)),
      (m.toasts || []).map((t) => el("div", { class: "toast" }, el("span", { class: "only", text: "Only you can see this" }), el("span", { text: `You ${t.did}: ${t.text}` }))),
      replies));
}

function adaptiveCard(card, messageId) {
  const inputs = {};
  const root = el("div", { class: "ac-card" }, acElements(card.body || [], messageId, inputs));
  if (card.actions && card.actions.length) root.append(acActions(card.actions, messageId, inputs));
  return root;
}

function acElements(list, messageId, inputs) {
  return list.map((e) => {
    const node = acElement(e, messageId, inputs);
    if (node && e.separator) node.classList.add("ac-separator");
    if (node && e.spacing === "None") node.classList.add("ac-tight");
    return node;
  });
}

function acElement(e, messageId, inputs) {
  switch (e.type) {
    case "TextBlock": {
      const classes = ["ac-text", `size-${(e.size || "default").toLowerCase()}`];
      if (e.weight === "Bolder") classes.push("bolder");
      if (e.isSubtle) classes.push("subtle");
      if (e.fontType === "Monospace") classes.push("mono");
      return el("div", { class: classes.join(" ") }, markdown(e.text));
    }
    case "FactSet":
      return el("dl", { class: "ac-facts" }, (e.facts || []).flatMap((f) => [el("dt", {}, markdown(f.title)), el("dd", {}, markdown(f.value))]));
    case "Image": {
      const url = String(e.url || "");
      const ok = url.startsWith("data:image/") || url.startsWith("/");
      return ok ? el("img", { class: "ac-image", src: url, alt: e.altText || "" }) : el("div", { class: "subtle", text: `[image: ${e.altText || url}]` });
    }
    case "ColumnSet":
      return el("div", { class: "ac-columns" }, (e.columns || []).map((c) => el("div", { class: "ac-column" }, acElements(c.items || [], messageId, inputs))));
    case "Container":
      return el("div", { class: "ac-container" }, acElements(e.items || [], messageId, inputs));
    case "ActionSet":
      return acActions(e.actions || [], messageId, inputs);
    case "Input.ChoiceSet": {
      const select = el("select", { class: "ac-choices", "aria-label": e.placeholder || e.id },
        el("option", { value: "", text: e.placeholder || "Choose…" }),
        (e.choices || []).map((c) => el("option", { value: c.value, text: c.title })));
      inputs[e.id] = () => select.value;
      return select;
    }
    case "Input.Text": {
      const input = el("input", { class: "ac-input", placeholder: e.placeholder || "" });
      inputs[e.id] = () => input.value;
      return input;
    }
    default:
      return el("div", { class: "unsupported", text: `[${e.type}]` });
  }
}

function acActions(actions, messageId, inputs) {
  return el("div", { class: "ac-actions" }, actions.map((a) => {
    if (a.type === "Action.OpenUrl") {
      const href = safeHref(a.url || "");
      return href ? el("a", { class: "ac-button", href, target: "_blank", rel: "noopener noreferrer", text: a.title }) : null;
    }
    const style = a.style === "positive" ? "primary" : a.style === "destructive" ? "danger" : "";
    return el("button", {
      type: "button",
      class: `ac-button ${style}`,
      text: a.title,
      onclick: () => {
        const data = { ...(a.data || {}) };
        for (const [id, read] of Object.entries(inputs)) data[id] = read();
        act("teams", `clicked “${a.title}”`, () => api("teams/click", { person: ui.person, message: messageId, data, title: `clicked “${a.title}”` }));
      },
    });
  }));
}

// ---- acting -----------------------------------------------------------------------------------

async function act(platform, what, call) {
  ui.pending[platform] = what;
  ui.error[platform] = null;
  if (ui.state) render();
  try {
    await call();
  } catch (error) {
    ui.error[platform] = error.message;
  } finally {
    ui.pending[platform] = null;
    await refresh(true);
    if (ui.error[platform] && ui.state) render();
  }
}

const SLACK_CHIPS = ["/alignment", "/alignment explain", "/pulse status", "/pulse digest now", "/pulse export", "/pulse help"];
const TEAMS_CHIPS = ["alignment", "alignment explain", "pulse status", "pulse digest now", "pulse help"];

function setUp() {
  for (const [id, chips, input] of [["slack-chips", SLACK_CHIPS, "slack-input"], ["teams-chips", TEAMS_CHIPS, "teams-input"]]) {
    $(id).replaceChildren(...chips.map((c) => el("button", { type: "button", class: "chip", text: c, onclick: () => { $(input).value = c; $(input).focus(); } })));
  }
  $("slack-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("slack-input").value.trim();
    if (!text) return;
    $("slack-input").value = "";
    if (ui.slackTab !== "channel") switchTab("slack", "channel");
    act("slack", `you typed ${text}`, () => api("slack/command", { person: ui.person, text }));
  });
  $("teams-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("teams-input").value.trim();
    if (!text) return;
    $("teams-input").value = "";
    const isPrivate = ui.teamsTab === "chat";
    act("teams", `you wrote “${text}”`, () => api("teams/say", { person: ui.person, text, private: isPrivate }));
  });
  for (const pane of ["slack", "teams"]) {
    for (const tab of document.querySelectorAll(`.${pane} .tabs button`)) {
      tab.addEventListener("click", () => switchTab(pane, tab.dataset.tab));
    }
  }
  $("you").addEventListener("change", async () => {
    ui.person = $("you").value;
    ui.seen = { dm: 0, chat: 0 };
    await api("as", { person: ui.person }).catch(() => null);
    if (ui.slackTab === "home") api("slack/home", { person: ui.person }).catch(() => null);
    await refresh(true);
  });
  followEnd($("slack-messages"));
  followEnd($("teams-messages"));
  $("close-now").addEventListener("click", () => move("time/close"));
  $("next-week").addEventListener("click", () => move("time/next"));
  refresh(true);
  setInterval(refresh, 1200);
}

function switchTab(pane, tab) {
  if (pane === "slack") ui.slackTab = tab;
  else ui.teamsTab = tab;
  for (const button of document.querySelectorAll(`.${pane} .tabs button`)) {
    button.classList.toggle("active", button.dataset.tab === tab);
    button.setAttribute("aria-selected", String(button.dataset.tab === tab));
  }
  if (pane === "slack" && tab === "home") {
    api("slack/home", { person: ui.person }).then(() => refresh(true)).catch((error) => showStatus(error.message, "error"));
  }
  stick[`${pane}-messages`] = true;
  if (ui.state) render();
}

async function move(name) {
  $("close-now").disabled = true;
  $("next-week").disabled = true;
  try {
    await api(name);
  } catch (error) {
    showStatus(error.message, "error");
  }
  refresh(true);
}

document.addEventListener("DOMContentLoaded", setUp);
