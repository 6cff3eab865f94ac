// A small stand-in for the ElevenLabs API, for browser tests that bring a
// workspace's own key: the calls Switchboard's client makes (verify the key,
// list clones by reference, instant clone, text-to-speech preview, edit,
// delete), with the shapes the vendor's spec gives them. Prism serves the
// spec for the Rust tests; this one can take the multipart clone call and
// answer it slowly (`cloneDelayMs`), so a page shows PROCESSING first.
import { createServer } from 'node:http';

/**
 * Starts the mock on a free loopback port. `key` is the only API key it
 * accepts; `preview` is the audio its text-to-speech answers (a WAV).
 * Returns { url, calls, clones, close() }; `calls` lists "METHOD /path".
 */
export async function startElevenLabsMock({ key, preview, cloneDelayMs = 4000 }) {
  const calls = [];
  const clones = new Map(); // voice_id -> { name, description, labels }
  let next = 1;
  const json = (res, status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url, 'http://mock');
      calls.push(`${req.method} ${url.pathname}`);
      if (req.headers['xi-api-key'] !== key) {
        return json(res, 401, { detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
      }
      const body = Buffer.concat(chunks).toString('latin1');
      const field = (name) => {
        const m = body.match(new RegExp(`name="${name}"\\r\\n(?:[^\\r\\n]+\\r\\n)*\\r\\n([\\s\\S]*?)\\r\\n--`));
        return m ? m[1] : null;
      };
      let m;
      if (req.method === 'GET' && url.pathname === '/v1/user') {
        return json(res, 200, { user_id: 'user_acme1234', first_name: 'Ada', subscription: { tier: 'creator' } });
      }
      if (req.method === 'GET' && url.pathname === '/v2/voices') {
        const search = url.searchParams.get('search');
        const voices = [...clones.entries()]
          .filter(([, v]) => !search || v.labels.switchboard_reference === search)
          .map(([voice_id, v]) => ({ voice_id, name: v.name, category: 'cloned', labels: v.labels, description: v.description }));
        return json(res, 200, { voices, has_more: false, total_count: voices.length, next_page_token: null });
      }
      if (req.method === 'POST' && url.pathname === '/v1/voices/add') {
        const files = (body.match(/name="files"/g) || []).length;
        if (!field('name') || files === 0) return json(res, 422, { detail: [{ loc: ['body', 'files'], msg: 'field required' }] });
        await new Promise((r) => setTimeout(r, cloneDelayMs));
        const voice_id = `mockvoice${next++}`;
        clones.set(voice_id, { name: field('name'), description: field('description') || '', labels: JSON.parse(field('labels') || '{}') });
        return json(res, 200, { voice_id, requires_verification: false });
      }
      if (req.method === 'POST' && (m = url.pathname.match(/^\/v1\/text-to-speech\/(\w+)$/))) {
        res.writeHead(200, { 'content-type': 'audio/wav' });
        return res.end(preview);
      }
      if (req.method === 'POST' && (m = url.pathname.match(/^\/v1\/voices\/(\w+)\/edit$/))) {
        const v = clones.get(m[1]);
        if (!v) return json(res, 404, { detail: { status: 'voice_not_found', message: 'Voice not found' } });
        v.name = field('name') ?? v.name;
        v.description = field('description') ?? v.description;
        return json(res, 200, { status: 'ok' });
      }
      if (req.method === 'DELETE' && (m = url.pathname.match(/^\/v1\/voices\/(\w+)$/))) {
        if (!clones.delete(m[1])) return json(res, 404, { detail: { status: 'voice_not_found', message: 'Voice not found' } });
        return json(res, 200, { status: 'ok' });
      }
      return json(res, 404, { detail: { status: 'not_found', message: `no mock for ${req.method} ${url.pathname}` } });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    clones,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
