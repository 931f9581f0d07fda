// The page's makeup controls: a look, each makeup effect (foundation,
// blush, eyeshadow, eyeliner, brows) and the lipstick's finish, built into
// <fieldset id="makeup-controls">. The lipstick's own controls (#lipstick,
// #color, #strength) stay in the "Effect" fieldset; this module reads them.
//
// makeupSelection() is what the live connection (app.js) and the video
// panel (videos.js) send: {look, effects}. Without a look, effects is the
// whole makeup list. With one, it holds only what was changed on the page
// after the look was chosen, so the server keeps the rest of the look
// (docs/protocol.md, "Looks"). Choosing a look sets the controls to its
// values, from GET /api/v1/looks.

const $ = (id) => document.getElementById(id);

// The makeup effects in the order they are drawn: skin, eyes, lips last.
const EFFECTS = [
  { name: 'foundation', label: 'Foundation', color: '#c08a6a', strength: 0.6, tone: true },
  { name: 'blush', label: 'Blush', color: '#e07078', strength: 0.4 },
  { name: 'eyeshadow', label: 'Eyeshadow', color: '#8a5a5e', strength: 0.6 },
  { name: 'eyeliner', label: 'Eyeliner', color: '#1a1414', strength: 0.85, thickness: 0.5, wing: 0.3, lower: 0 },
  { name: 'brows', label: 'Brows', color: '#4a342a', strength: 0.6 },
];
const FINISHES = ['matte', 'satin', 'gloss', 'shimmer'];

const listeners = [];
let looks = []; // from the server
const dirty = new Set(); // effect names changed on the page since the look was chosen

function range(id, value, label) {
  return `<label>${label} <input id="${id}" type="range" min="0" max="1" step="0.05" value="${value}"></label>`;
}

function build() {
  const box = $('makeup-controls');
  if (!box) return false;
  let html = '<legend>Makeup</legend>' +
    '<label>Look <select id="look"><option value="">none</option></select></label>' +
    '<label>Lipstick finish <select id="finish">' +
    FINISHES.map((f) => `<option value="${f}"${f === 'satin' ? ' selected' : ''}>${f}</option>`).join('') + '</select></label>';
  for (const e of EFFECTS) {
    html += `<span class="makeup-effect" data-effect="${e.name}">` +
      `<label><input id="${e.name}-on" type="checkbox"> ${e.label}</label>` +
      (e.tone ? `<label><input id="${e.name}-tone" type="checkbox"> tone</label>` : '') +
      `<input id="${e.name}-color" type="color" value="${e.color}" aria-label="${e.label} colour">` +
      range(`${e.name}-strength`, e.strength, 'strength') +
      (e.thickness !== undefined ? range('eyeliner-thickness', e.thickness, 'thickness') + range('eyeliner-wing', e.wing, 'wing') +
        range('eyeliner-lower', e.lower, 'lower line') : '') +
      '</span>';
  }
  box.innerHTML = html;
  // A change to an effect's controls marks it changed (an override of the look).
  for (const el of box.querySelectorAll('.makeup-effect input')) {
    el.addEventListener('input', () => { dirty.add(el.closest('.makeup-effect').dataset.effect); changed(); });
  }
  $('finish').addEventListener('input', () => { dirty.add('lipstick'); changed(); });
  for (const id of ['lipstick', 'color', 'strength']) {
    const el = $(id);
    if (el) el.addEventListener('input', () => dirty.add('lipstick')); // app.js sends the config
  }
  $('look').addEventListener('input', () => { showLook($('look').value); changed(); });
  return true;
}

function changed() { for (const f of listeners) f(); }

// showLook sets the controls to a look's effects and forgets the changes.
function showLook(name) {
  dirty.clear();
  const look = looks.find((l) => l.name === name);
  if (!look) return;
  const by = Object.fromEntries(look.effects.map((e) => [e.name, e]));
  for (const e of EFFECTS) {
    const s = by[e.name];
    $(`${e.name}-on`).checked = !!s;
    if (!s) continue;
    if (s.color) $(`${e.name}-color`).value = s.color;
    if (e.tone) $(`${e.name}-tone`).checked = !!s.color;
    if (s.strength !== undefined) $(`${e.name}-strength`).value = s.strength;
    if (e.name === 'eyeliner') {
      if (s.thickness !== undefined) $('eyeliner-thickness').value = s.thickness;
      if (s.wing !== undefined) $('eyeliner-wing').value = s.wing;
      $('eyeliner-lower').value = s.lower || 0;
    }
  }
  const lip = by.lipstick;
  if ($('lipstick')) $('lipstick').checked = !!lip;
  if (lip) {
    if (lip.color && $('color')) $('color').value = lip.color;
    if (lip.strength !== undefined && $('strength')) $('strength').value = lip.strength;
    if (lip.finish) $('finish').value = lip.finish;
  }
}

function spec(name) {
  if (name === 'lipstick') {
    if (!$('lipstick') || !$('lipstick').checked) return null;
    return { name, color: $('color').value, strength: Number($('strength').value), finish: $('finish') ? $('finish').value : 'satin' };
  }
  const e = EFFECTS.find((x) => x.name === name);
  if (!$(`${name}-on`).checked) return null;
  const s = { name, strength: Number($(`${name}-strength`).value) };
  if (!e.tone || $(`${name}-tone`).checked) s.color = $(`${name}-color`).value;
  if (name === 'eyeliner') {
    s.thickness = Number($('eyeliner-thickness').value);
    s.wing = Number($('eyeliner-wing').value);
    s.lower = Number($('eyeliner-lower').value);
  }
  return s;
}

// makeupSelection is {look, effects} for a config message or a video job.
export function makeupSelection() {
  const names = [...EFFECTS.map((e) => e.name), 'lipstick'];
  const look = $('look') ? $('look').value : '';
  if (!$('makeup-controls') || !$('look')) {
    const lip = spec('lipstick');
    return { look: '', effects: lip ? [lip] : [] };
  }
  if (!look) return { look: '', effects: names.map(spec).filter(Boolean) };
  // With a look: only what was changed; an effect switched off is sent at
  // strength 0, which takes it off the look.
  const effects = [];
  for (const n of names) {
    if (!dirty.has(n)) continue;
    effects.push(spec(n) || { name: n, strength: 0 });
  }
  return { look, effects };
}

// onMakeupChange calls f whenever a makeup control changes.
export function onMakeupChange(f) { listeners.push(f); }

if (build()) {
  // Read by the browser test; harmless for people.
  window.tryonMakeup = { selection: makeupSelection, looks: () => looks };
  const preset = new URLSearchParams(location.search).get('look');
  fetch('/api/v1/looks').then((r) => r.json()).then((body) => {
    looks = body.looks || [];
    const sel = $('look');
    for (const l of looks) {
      const o = document.createElement('option');
      o.value = l.name; o.textContent = l.name; o.title = l.description;
      sel.append(o);
    }
    if (preset && looks.some((l) => l.name === preset)) {
      sel.value = preset;
      showLook(preset);
      changed();
    }
  }).catch(() => {});
}
