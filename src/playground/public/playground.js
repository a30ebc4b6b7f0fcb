// The playground's only script: served from the gateway itself (CSP script-src 'self'), no
// framework, nothing from the internet. The key lives in sessionStorage and in request headers
// to this same origin; it is never written to the page, the console or the curl command.
'use strict';

(function playground() {
  const KEY_STORAGE = 'ocr-playground:apiKey';
  const OCR_PATH = '/api/v1/ocr';

  const $ = (id) => document.getElementById(id);
  const els = {
    form: $('run-form'),
    key: $('api-key'),
    forget: $('forget-key'),
    file: $('image-file'),
    drop: $('drop-zone'),
    dropLabel: $('drop-label'),
    photo: $('take-photo'),
    mode: $('mode'),
    run: $('run'),
    status: $('status'),
    error: $('error'),
    figure: $('figure'),
    preview: $('preview'),
    boxes: $('boxes'),
    legend: $('legend'),
    facts: $('facts'),
    timing: $('timing'),
    quota: $('quota'),
    text: $('text'),
    markdown: $('markdown'),
    json: $('json'),
    curl: $('curl'),
  };
  const outputs = { text: '', markdown: '', json: '', curl: '' };
  let chosen = null;

  // --- The key: session storage only -------------------------------------------------------
  els.key.value = sessionStorage.getItem(KEY_STORAGE) || '';
  els.key.addEventListener('input', () => {
    const key = els.key.value.trim();
    if (key === '') {
      sessionStorage.removeItem(KEY_STORAGE);
    } else {
      sessionStorage.setItem(KEY_STORAGE, key);
    }
  });
  els.forget.addEventListener('click', () => {
    sessionStorage.removeItem(KEY_STORAGE);
    els.key.value = '';
    els.key.focus();
  });

  // --- The image: pick, drop, or take a photo ----------------------------------------------
  function choose(file) {
    if (!file) {
      return;
    }
    chosen = file;
    els.dropLabel.textContent = `${file.name || 'photo'} (${formatBytes(file.size)})`;
    const reader = new FileReader();
    // A data: URL, which the gateway's img-src 'self' data: allows (a blob: URL it would refuse).
    reader.addEventListener('load', () => {
      els.preview.src = String(reader.result);
      els.figure.hidden = false;
      clear(els.boxes);
    });
    reader.readAsDataURL(file);
    updateCurl();
  }

  els.file.addEventListener('change', () => {
    // "Take a photo" sets capture for one pick; choosing from the gallery stays possible after.
    els.file.removeAttribute('capture');
    choose(els.file.files && els.file.files[0]);
  });
  els.photo.addEventListener('click', () => {
    els.file.setAttribute('capture', 'environment');
    els.file.click();
  });
  for (const type of ['dragenter', 'dragover']) {
    els.drop.addEventListener(type, (event) => {
      event.preventDefault();
      els.drop.classList.add('dragging');
    });
  }
  for (const type of ['dragleave', 'drop']) {
    els.drop.addEventListener(type, () => els.drop.classList.remove('dragging'));
  }
  els.drop.addEventListener('drop', (event) => {
    event.preventDefault();
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) {
      choose(file);
    }
  });
  els.mode.addEventListener('change', updateCurl);

  // --- Tabs and copy buttons ---------------------------------------------------------------
  const tabs = Array.from(document.querySelectorAll('[role="tab"]'));
  for (const tab of tabs) {
    tab.addEventListener('click', () => {
      for (const other of tabs) {
        const selected = other === tab;
        other.setAttribute('aria-selected', String(selected));
        $(other.getAttribute('aria-controls')).hidden = !selected;
      }
    });
  }
  for (const button of document.querySelectorAll('[data-copy]')) {
    button.addEventListener('click', () => copy(button, outputs[button.dataset.copy]));
  }

  async function copy(button, text) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
      } else {
        const area = document.createElement('textarea');
        area.value = text;
        document.body.append(area);
        area.select();
        document.execCommand('copy');
        area.remove();
      }
      flash(button, 'Copied');
    } catch {
      flash(button, 'Copy failed');
    }
  }

  function flash(button, label) {
    button.textContent = label;
    setTimeout(() => (button.textContent = 'Copy'), 1500);
  }

  // --- Run ---------------------------------------------------------------------------------
  els.form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run();
  });

  async function run() {
    hideError();
    const key = els.key.value.trim();
    if (key === '') {
      showProblem(
        'Paste an API key first: it looks like ocr_<id>_<secret>. An administrator makes one with POST /admin/v1/keys or npm run keys.',
      );
      els.key.focus();
      return;
    }
    if (!chosen) {
      showProblem('Choose, drop or photograph an image first.');
      return;
    }
    const body = new FormData();
    body.append('image', chosen, chosen.name || 'photo.jpg');
    body.append('mode', els.mode.value);

    els.run.disabled = true;
    els.form.setAttribute('aria-busy', 'true');
    els.status.textContent = 'Recognising…';
    const started = performance.now();
    let response;
    let answer;
    try {
      response = await fetch(OCR_PATH, { method: 'POST', headers: { 'X-API-Key': key }, body });
      const raw = await response.text();
      answer = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      els.status.textContent = '';
      showProblem(
        response
          ? `The gateway answered ${response.status} without the expected JSON. A proxy in front of it may have refused the request.`
          : 'The gateway could not be reached: check your connection, and that it is running.',
      );
      return;
    } finally {
      els.run.disabled = false;
      els.form.removeAttribute('aria-busy');
    }
    const elapsed = Math.round(performance.now() - started);
    showQuota(response.headers);
    els.status.textContent = '';
    if (!response.ok) {
      showApiError(response, answer);
      return;
    }
    render(answer, elapsed);
  }

  // --- The result --------------------------------------------------------------------------
  const SVG = 'http://www.w3.org/2000/svg';

  function confidenceClass(confidence) {
    if (confidence >= 0.9) {
      return 'conf-high';
    }
    return confidence >= 0.7 ? 'conf-mid' : 'conf-low';
  }

  function render(result, elapsed) {
    const lines = Array.isArray(result.lines) ? result.lines : [];
    els.boxes.setAttribute('viewBox', `0 0 ${result.width} ${result.height}`);
    clear(els.boxes);
    clear(els.text);
    lines.forEach((line, index) => {
      const polygon = document.createElementNS(SVG, 'polygon');
      polygon.setAttribute('points', line.box.map(([x, y]) => `${x},${y}`).join(' '));
      polygon.setAttribute('class', confidenceClass(line.confidence));
      polygon.dataset.line = String(index);
      const title = document.createElementNS(SVG, 'title');
      title.textContent = `${line.text} (confidence ${line.confidence.toFixed(2)})`;
      polygon.append(title);
      els.boxes.append(polygon);

      const span = document.createElement('span');
      span.textContent = line.text;
      span.dataset.line = String(index);
      span.title = `confidence ${line.confidence.toFixed(2)}`;
      if (index > 0) {
        els.text.append('\n');
      }
      els.text.append(span);
    });
    if (lines.length === 0) {
      els.text.textContent = 'No text was found in this image.';
    }
    els.figure.hidden = false;
    els.legend.hidden = lines.length === 0;

    outputs.text = typeof result.text === 'string' ? result.text : '';
    outputs.markdown = typeof result.markdown === 'string' ? result.markdown : '';
    els.markdown.textContent =
      outputs.markdown !== '' ? outputs.markdown : 'Choose the markdown mode and run again to get markdown.';
    outputs.json = JSON.stringify(result, null, 2);
    els.json.textContent = outputs.json;

    const timing = result.timing || {};
    els.timing.textContent =
      `${elapsed} ms here; the server took ${timing.totalMs} ms (queue ${timing.queueMs} ms, ` +
      `inference ${timing.inferenceMs} ms)${result.cached ? ', answered from its cache' : ''}.`;
    els.facts.hidden = false;
  }

  function highlight(index, on) {
    for (const el of document.querySelectorAll(`[data-line="${index}"]`)) {
      el.classList.toggle('active', on);
    }
  }
  for (const container of [els.boxes, els.text]) {
    container.addEventListener('mouseover', (event) => {
      const target = event.target.closest('[data-line]');
      if (target) {
        highlight(target.dataset.line, true);
      }
    });
    container.addEventListener('mouseout', (event) => {
      const target = event.target.closest('[data-line]');
      if (target) {
        highlight(target.dataset.line, false);
      }
    });
  }

  // --- Quota and the rate-limit headers ----------------------------------------------------
  /** `"daily";r=37;t=51234` of RateLimit, `"daily";q=100` of RateLimit-Policy. */
  function dailyField(header, name) {
    const match = new RegExp(`"daily";(?:[^,]*;)?${name}=(\\d+)`).exec(header || '');
    return match ? Number(match[1]) : undefined;
  }

  function showQuota(headers) {
    const left = dailyField(headers.get('RateLimit'), 'r');
    const resets = dailyField(headers.get('RateLimit'), 't');
    const limit = dailyField(headers.get('RateLimit-Policy'), 'q');
    if (left === undefined) {
      return;
    }
    els.quota.textContent =
      `${left}${limit === undefined ? '' : ` of ${limit}`} images` +
      (resets === undefined ? '' : `, resets in ${formatDuration(resets)} (${resetTime(resets)})`);
    els.facts.hidden = false;
  }

  // --- Errors in words a person can act on -------------------------------------------------
  function showApiError(response, answer) {
    const error = (answer && answer.error) || {};
    const message = typeof error.message === 'string' ? error.message : '';
    const retryAfter = Number(response.headers.get('Retry-After')) || undefined;
    const advice = {
      invalid_api_key:
        'The API key was not accepted. Check that you pasted all of it (it starts with ocr_), and that it has not ' +
        'expired or been disabled or revoked; an administrator can make you a new one.',
      forbidden: 'This key may not run OCR: it lacks the "ocr" scope. Use a key made for OCR.',
      quota_exceeded: retryAfter
        ? `This key's daily quota is used up. It resets at ${resetTime(retryAfter)} (in ${formatDuration(retryAfter)}); ` +
          'come back then, or ask for a higher limit.'
        : "This key's daily quota is used up; it resets at midnight UTC.",
      rate_limited: `Too many requests in a short time: wait ${retryAfter ? formatDuration(retryAfter) : 'a moment'} and press Run again.`,
      payload_too_large:
        `The file (${formatBytes(chosen ? chosen.size : 0)}) is too large to send. ${readableLimit(message)} ` +
        'Send a smaller or more compressed image (a JPEG at a lower quality works well).',
      image_too_large: `The image has too many pixels. ${readableLimit(message)} Scale it down and run again.`,
      unsupported_media_type: 'This file type cannot be read: send a JPEG, PNG, WebP, TIFF or GIF image.',
      invalid_image: `The file could not be read as an image. ${message}`,
      worker_overloaded: `The OCR service is busy: press Run again in ${formatDuration(retryAfter || 1)}.`,
      worker_unavailable:
        'The OCR service is not running right now: try again in a minute, or tell whoever runs it.',
      database_unavailable: `The service cannot check keys right now: try again in ${formatDuration(retryAfter || 1)}.`,
      timeout: 'Recognition took too long: try a smaller image, or run again when the service is less busy.',
    }[error.code];
    showProblem(advice || message || `The gateway answered ${response.status}.`, error.code, error.requestId);
  }

  /**
   * The server's sentence with its limit ("The image has 64 megapixels; the limit is 40."), and
   * byte or pixel counts written for people ("the limit of 16777216 bytes" becomes "16.0 MiB").
   */
  function readableLimit(message) {
    return message
      .replace(/(\d{4,}) bytes/g, (_, bytes) => formatBytes(Number(bytes)))
      .replace(/(\d{7,}) pixels/g, (_, pixels) => `${Number(pixels) / 1e6} megapixels`);
  }

  function showProblem(text, code, requestId) {
    clear(els.error);
    const p = document.createElement('p');
    p.textContent = text;
    els.error.append(p);
    if (code || requestId) {
      const meta = document.createElement('p');
      meta.className = 'request-id';
      meta.textContent = `${code || 'error'}${requestId ? `, request ${requestId}: quote it when you report a problem` : ''}`;
      els.error.append(meta);
    }
    els.error.hidden = false;
  }

  function hideError() {
    els.error.hidden = true;
    clear(els.error);
  }

  // --- The same request with curl ----------------------------------------------------------
  function shellQuote(value) {
    return `'${value.replace(/'/g, `'\\''`)}'`;
  }

  function updateCurl() {
    const file = chosen ? chosen.name || 'photo.jpg' : 'image.jpg';
    outputs.curl =
      `curl -sS -X POST ${shellQuote(location.origin + OCR_PATH)} \\\n` +
      `  -H "X-API-Key: $OCR_API_KEY" \\\n` +
      `  -F ${shellQuote(`image=@${file}`)} \\\n` +
      `  -F ${shellQuote(`mode=${els.mode.value}`)}`;
    els.curl.textContent = outputs.curl;
  }

  // --- Small helpers -----------------------------------------------------------------------
  function clear(element) {
    while (element.firstChild) {
      element.firstChild.remove();
    }
  }

  function formatBytes(bytes) {
    if (bytes >= 1024 * 1024) {
      return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
    }
    return bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} bytes`;
  }

  function formatDuration(seconds) {
    if (seconds < 60) {
      return `${seconds} s`;
    }
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.ceil((seconds % 3600) / 60);
    return hours > 0 ? `${hours} h ${minutes} min` : `${minutes} min`;
  }

  function resetTime(seconds) {
    return new Date(Date.now() + seconds * 1000).toLocaleString([], {
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
  }

  updateCurl();
})();
