// The glasses catalogue on the page: the frames the server has (GET
// /api/v1/glasses, the built-in ones and those of --glasses-dir) fill the
// page's Glasses list and a strip of thumbnails beside it, with a field for
// the wearer's pupil distance. Choosing a
// thumbnail chooses that entry of the list, and the list's own "input"
// event sends the setting (app.js), so the list stays the one control the
// rest of the page reads.
{
  const select = document.getElementById('glasses');
  const withKey = (path) => {
    const key = new URLSearchParams(location.search).get('key');
    return key ? `${path}${path.includes('?') ? '&' : '?'}key=${encodeURIComponent(key)}` : path;
  };

  const style = document.createElement('style');
  style.textContent = `
    .glasses-catalogue { display: flex; gap: 8px; margin-top: 2px; overflow-x: auto;
      padding: 2px 2px 6px; scrollbar-width: thin; }
    .glasses-catalogue button { flex: none; display: flex; flex-direction: column; align-items: center; gap: 2px;
      padding: 6px 8px; min-height: 0; border: 2px solid transparent; border-radius: 10px; background: #f4f1ee; cursor: pointer;
      font: inherit; font-size: 0.75em; color: #1d1d22; }
    .glasses-catalogue button[aria-pressed="true"] { border-color: #ff5c8a; box-shadow: 0 0 0 2px #ff5c8a; background: #fff; }
    .glasses-catalogue img { width: 84px; height: 36px; object-fit: contain; background: transparent; border-radius: 0; display: block; }
    .glasses-catalogue .none { width: 84px; height: 36px; display: flex; align-items: center; justify-content: center; font-size: 1.4em; }`;
  document.head.appendChild(style);

  const strip = document.createElement('div');
  strip.id = 'glasses-catalogue';
  strip.className = 'glasses-catalogue';
  strip.setAttribute('role', 'group');
  strip.setAttribute('aria-label', 'Glasses catalogue');
  (select.closest('label') || select).insertAdjacentElement('afterend', strip);

  function mark() {
    for (const b of strip.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.style === select.value));
  }

  function choose(name) {
    if (select.value === name) return;
    select.value = name;
    select.dispatchEvent(new Event('input', { bubbles: true }));
    select.dispatchEvent(new Event('change', { bubbles: true }));
  }

  function button(name, title, thumbnail) {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.style = name;
    b.title = title;
    if (thumbnail) {
      const img = document.createElement('img');
      img.src = withKey(thumbnail);
      img.alt = title;
      b.appendChild(img);
    } else {
      const none = document.createElement('span');
      none.className = 'none';
      none.textContent = '∅';
      b.appendChild(none);
    }
    const label = document.createElement('span');
    label.textContent = title;
    b.appendChild(label);
    b.addEventListener('click', () => choose(name));
    return b;
  }

  async function load() {
    const resp = await fetch(withKey('/api/v1/glasses'));
    if (!resp.ok) throw new Error(`GET /api/v1/glasses: ${resp.status}`);
    const { glasses } = await resp.json();
    // ?glasses=NAME (and ?ipd=MM) preset the controls, as app.js does for
    // the list's original entries; the catalogue's other frames come now.
    const params = new URLSearchParams(location.search);
    const current = params.get('glasses') || select.value;
    if (params.get('ipd')) ipd.value = params.get('ipd');
    select.replaceChildren(new Option('none', ''));
    strip.replaceChildren(button('', 'none', ''));
    for (const g of glasses) {
      select.appendChild(new Option(g.title || g.name, g.name));
      strip.appendChild(button(g.name, g.title || g.name, g.thumbnail));
    }
    const chosen = glasses.some((g) => g.name === current) ? current : '';
    select.value = chosen;
    mark();
    if (chosen) select.dispatchEvent(new Event('input', { bubbles: true }));
    strip.dataset.loaded = String(glasses.length);
  }

  // The wearer's inter-pupil distance, for frames at their real size; empty
  // leaves the server's default (63 mm, an adult's mean). app.js and
  // videos.js add extra() to the glasses effect they send.
  const ipdLabel = document.createElement('label');
  ipdLabel.textContent = 'Pupil distance (mm) ';
  const ipd = document.createElement('input');
  Object.assign(ipd, { id: 'ipd', type: 'number', min: 40, max: 80, step: 0.5, placeholder: '63' });
  ipd.style.width = '5em';
  ipdLabel.appendChild(ipd);
  strip.insertAdjacentElement('afterend', ipdLabel);
  ipd.addEventListener('input', () => {
    const v = Number(ipd.value);
    if (ipd.value === '' || (v >= 40 && v <= 80)) select.dispatchEvent(new Event('input', { bubbles: true }));
  });
  window.tryonGlasses = {
    extra: () => {
      const v = Number(ipd.value);
      return ipd.value !== '' && v >= 40 && v <= 80 ? { ipd_mm: v } : {};
    },
  };

  select.addEventListener('input', mark);
  select.addEventListener('change', mark);
  load().catch((err) => { strip.textContent = `Glasses catalogue unavailable: ${err.message}`; });
}
