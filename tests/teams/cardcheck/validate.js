// Validates Adaptive Cards as Teams would take them, using Microsoft's own `adaptivecards` parser.
// Input on stdin: a JSON array of cards. Output on stdout: a JSON array of problem lists, one per card.
"use strict";
const AC = require("adaptivecards/dist/adaptivecards.js");

const TEAMS_MAX_BYTES = 28 * 1024; // Teams refuses larger messages
const MIN_VERSION = [1, 4]; // Action.Execute (Universal Actions) needs 1.4

function problems(json) {
  const found = [];
  const card = new AC.AdaptiveCard();
  card.hostConfig = new AC.HostConfig({ actions: { maxActions: 6 } });
  const context = new AC.SerializationContext();
  card.parse(json, context);
  for (let i = 0; i < context.eventCount; i++) found.push("parse: " + context.getEventAt(i).message);
  for (const event of card.validateProperties().validationEvents) found.push("validate: " + event.message);
  if (json.type !== "AdaptiveCard") found.push("root type is not AdaptiveCard");
  const version = String(json.version || "").split(".").map(Number);
  if (version[0] < MIN_VERSION[0] || (version[0] === MIN_VERSION[0] && version[1] < MIN_VERSION[1]))
    found.push("version " + json.version + " is below 1.4");
  const size = Buffer.byteLength(JSON.stringify(json));
  if (size > TEAMS_MAX_BYTES) found.push("card is " + size + " bytes, over Teams' limit");
  const ids = new Set();
  walk(json, (element) => {
    if (element.id !== undefined) {
      if (ids.has(element.id)) found.push("duplicate id " + element.id);
      ids.add(element.id);
    }
    if (element.type === "TextBlock" && (typeof element.text !== "string" || !element.text.trim()))
      found.push("empty TextBlock");
    if (element.type === "Action.Execute") {
      if (typeof element.verb !== "string" || !element.verb) found.push("Action.Execute without verb");
      if (typeof element.data !== "object" || element.data === null) found.push("Action.Execute without data");
      if (typeof element.title !== "string" || !element.title) found.push("Action.Execute without title");
    }
    if (element.type === "Image" && !/^(https:\/\/|data:image\/(png|jpeg|gif);base64,)/.test(element.url || ""))
      found.push("Image url must be https or a data URI: " + String(element.url).slice(0, 40));
    if (element.type === "ActionSet" && (!Array.isArray(element.actions) || element.actions.length === 0))
      found.push("empty ActionSet");
  });
  return found;
}

function walk(node, visit) {
  if (Array.isArray(node)) return node.forEach((child) => walk(child, visit));
  if (node === null || typeof node !== "object") return;
  if (typeof node.type === "string") visit(node);
  for (const key of ["body", "actions", "items", "columns", "card"]) if (node[key]) walk(node[key], visit);
}

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const cards = JSON.parse(input);
  process.stdout.write(JSON.stringify(cards.map(problems)));
});
