// The try-on mirror's own controls, around the ones app.js and makeup.js
// read: colour swatches for each effect, the looks as chips, the
// before/after split over the picture, the camera inset, the rate badge,
// and the settings remembered between visits (localStorage).
//
// Every swatch and chip sets the plain control it stands for (#color,
// #look, #blush-color, …) and fires that control's own "input" event, so
// app.js and makeup.js stay the only code that builds the config.
{
  const $ = (id) => document.getElementById(id);
  const fire = (el, type = 'input') => el.dispatchEvent(new Event(type, { bubbles: true }));

  // ---- swatches ----
  const PALETTES = {
    color: [['Classic red', '#b0123a'], ['Rose', '#c04a6a'], ['Nude', '#b7786a'], ['Coral', '#e0604a'],
      ['Pink', '#e0457b'], ['Berry', '#7a1f4a'], ['Plum', '#5a1a3a'], ['Electric blue', '#2040ff']],
    'foundation-color': [['Fair', '#e8c4a8'], ['Light', '#d9a988'], ['Medium', '#c08a6a'], ['Tan', '#a06a4a'], ['Deep', '#6e4630']],
    'blush-color': [['Rose', '#e07078'], ['Peach', '#f08a6a'], ['Berry', '#c0506a'], ['Soft pink', '#e89aa8']],
    'eyeshadow-color': [['Mauve', '#8a5a5e'], ['Bronze', '#6a4a3a'], ['Smoky', '#3a3a4a'], ['Gold', '#a08060'], ['Blue', '#5a6a9a']],
    'eyeliner-color': [['Black', '#1a1414'], ['Brown', '#3a2a20'], ['Navy', '#1a2a5a']],
    'brows-color': [['Brown', '#4a342a'], ['Dark', '#2a201a'], ['Light', '#8a6a4a']],
  };
  const switchFor = (colorId) => colorId === 'color' ? $('lipstick') : $(colorId.replace(/-color$/, '-on'));

  function markSwatches() {
    for (const box of document.querySelectorAll('.swatches')) {
      const input = $(box.dataset.for), on = switchFor(box.dataset.for);
      for (const b of box.children) b.setAttribute('aria-pressed', String(!!on?.checked && input.value.toLowerCase() === b.dataset.color));
    }
    for (const card of document.querySelectorAll('.makeup-effect')) {
      card.classList.toggle('on', !!card.querySelector('input[id$="-on"]')?.checked);
    }
  }

  function swatches(box) {
    const input = $(box.dataset.for);
    for (const [name, color] of PALETTES[box.dataset.for] || []) {
      const b = document.createElement('button');
      b.type = 'button'; b.className = 'swatch'; b.dataset.color = color;
      b.style.setProperty('--c', color);
      b.title = name; b.setAttribute('aria-label', name);
      b.addEventListener('click', () => {
        const on = switchFor(box.dataset.for);
        if (on && !on.checked) { on.checked = true; fire(on); fire(on, 'change'); }
        input.value = color;
        fire(input); fire(input, 'change');
        markSwatches();
      });
      box.append(b);
    }
  }

  // The makeup effects' rows come from makeup.js: a swatch row goes in
  // each, after its switch.
  for (const card of document.querySelectorAll('.makeup-effect')) {
    const color = card.querySelector('input[type=color]');
    if (!color || !PALETTES[color.id]) continue;
    const box = document.createElement('div');
    box.className = 'swatches'; box.dataset.for = color.id;
    box.setAttribute('role', 'group'); box.setAttribute('aria-label', `${card.querySelector('label').textContent.trim()} colours`);
    card.querySelector('label').after(box);
  }
  document.querySelectorAll('.swatches').forEach(swatches);
  // The lipstick's finish (built by makeup.js) sits with the other lip controls.
  const finish = $('finish')?.closest('label');
  if (finish) document.querySelector('.effect-lips').append(finish);
  document.addEventListener('input', markSwatches);
  document.addEventListener('change', markSwatches);

  // ---- looks ----
  const lookSelect = $('look'), chips = $('look-chips');
  function buildChips() {
    if (!lookSelect) return;
    chips.replaceChildren(...[...lookSelect.options].map((o) => {
      const b = document.createElement('button');
      b.type = 'button'; b.dataset.look = o.value;
      b.textContent = o.value ? o.textContent : 'No look';
      if (o.title) b.title = o.title;
      b.addEventListener('click', () => { lookSelect.value = o.value; fire(lookSelect); fire(lookSelect, 'change'); markChips(); markSwatches(); });
      return b;
    }));
    markChips();
  }
  function markChips() {
    for (const b of chips.children) b.setAttribute('aria-pressed', String(b.dataset.look === (lookSelect?.value || '')));
  }
  if (lookSelect) {
    new MutationObserver(buildChips).observe(lookSelect, { childList: true });
    lookSelect.addEventListener('input', markChips);
    buildChips();
  }

  // ---- the mirror: before/after, inset, rate ----
  const view = $('mirror-view'), split = $('split'), compare = $('compare');
  const preview = $('preview'), before = $('before-video'), mirror = $('mirror'), inset = $('show-inset');
  function showSplit() {
    const v = Number(split.value);
    view.style.setProperty('--split', `${v}%`);
    view.classList.toggle('comparing', v > 0);
    compare.setAttribute('aria-pressed', String(v > 0));
    split.setAttribute('aria-valuetext', v === 0 ? 'after only' : v === 100 ? 'before only' : `${v}% before, ${100 - v}% after`);
  }
  split.addEventListener('input', showSplit);
  compare.addEventListener('click', () => { split.value = Number(split.value) > 0 ? 0 : 50; showSplit(); });
  // The "before" layer plays the camera's own stream, mirrored as the
  // answer is (app.js mirrors the frames it sends).
  const syncCamera = () => {
    if (before.srcObject !== preview.srcObject) { before.srcObject = preview.srcObject; before.play().catch(() => {}); }
    before.classList.toggle('mirrored', mirror.checked);
  };
  preview.addEventListener('loadedmetadata', syncCamera);
  mirror.addEventListener('change', syncCamera);
  setInterval(syncCamera, 1000);
  const showInset = () => { preview.hidden = !inset.checked; };
  inset.addEventListener('change', showInset);

  const rate = $('rate');
  setInterval(() => {
    if (!window.tryon) return;
    const s = window.tryon.stats();
    const fps = s.transport === 'webrtc' ? s.webrtc?.fps : s.answered;
    rate.textContent = fps === undefined || fps === null ? '– fps' : `${Math.round(fps)} fps`;
  }, 1000);

  // ---- remembered settings ----
  // Saved on a person's own changes (trusted events) only, and not
  // restored when the address presets settings (?transport=…, ?look=…): a
  // shared link starts from what it says.
  const STORE = 'tryon-settings';
  const panel = document.querySelector('.panel');
  const controls = () => [...panel.querySelectorAll('input[id], select[id]')].filter((el) => el.type !== 'file');
  const save = () => {
    const values = {};
    for (const el of controls()) values[el.id] = el.type === 'checkbox' ? el.checked : el.value;
    try { localStorage.setItem(STORE, JSON.stringify(values)); } catch { /* storage off */ }
  };
  for (const type of ['input', 'change', 'click']) {
    panel.addEventListener(type, (e) => { if (e.isTrusted) setTimeout(save, 0); });
  }
  const params = [...new URLSearchParams(location.search).keys()].filter((k) => k !== 'key' && k !== 'relay');
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(STORE) || 'null'); } catch { saved = null; }
  const restore = () => {
    const set = (el, v) => {
      if (!el || v === undefined) return;
      if (el.type === 'checkbox' ? el.checked === v : el.value === v) return;
      if (el.tagName === 'SELECT' && ![...el.options].some((o) => o.value === v)) return;
      if (el.type === 'checkbox') el.checked = v; else el.value = v;
      fire(el); fire(el, 'change');
    };
    set(lookSelect, saved.look); // first: a look sets the other controls
    for (const el of controls()) if (el !== lookSelect) set(el, saved[el.id]);
    markChips(); markSwatches(); showInset();
  };
  if (saved && !params.length) {
    // The looks and the glasses catalogue come from the server first.
    const started = Date.now();
    const wait = setInterval(() => {
      const ready = (!lookSelect || lookSelect.options.length > 1) && $('glasses-catalogue')?.dataset.loaded;
      if (ready || Date.now() - started > 8000) { clearInterval(wait); restore(); }
    }, 100);
  }

  showSplit(); showInset(); syncCamera(); markSwatches();
}
