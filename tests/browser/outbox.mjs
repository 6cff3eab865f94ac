// Email in the browser tests: the server writes each message as an .eml
// file into <data-dir>/outbox/; these read and decode them.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { assert, eventually } from './helpers.mjs';

/** Decodes one MIME body by its Content-Transfer-Encoding. */
function decodeBody(headers, body) {
  const cte = (headers.match(/^content-transfer-encoding:\s*(\S+)/im)?.[1] || '').toLowerCase();
  if (cte === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (cte === 'quoted-printable') {
    const soft = body.replace(/=\r?\n/g, '');
    const bytes = [];
    for (let i = 0; i < soft.length; i++) {
      const hex = soft.slice(i + 1, i + 3);
      if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(soft[i], 'utf8'));
      }
    }
    return Buffer.from(bytes).toString('utf8');
  }
  return body;
}

/** The decoded text of every part of an .eml (plus the raw message with QP soft breaks removed, as a fallback). */
export function emailText(raw) {
  const texts = [raw.replace(/=\r?\n/g, '')];
  const boundary = raw.match(/boundary="?([^";\r\n]+)"?/i)?.[1];
  const chunks = boundary ? raw.split(`--${boundary}`) : [raw];
  for (const chunk of chunks) {
    const m = chunk.match(/^\r?\n?([\s\S]*?)\r?\n\r?\n([\s\S]*)$/);
    if (m) texts.push(decodeBody(m[1], m[2]));
  }
  return texts.join('\n');
}

/**
 * Waits for a new .eml in the server's outbox addressed to `to` whose text
 * matches `pattern`, and returns { file, text, match }. `seen` (a Set of
 * file names) skips messages already read and records this one.
 */
export async function waitForEmail(server, { to, pattern, seen = new Set(), timeout = 15_000 }) {
  const dir = path.join(server.dataDir, 'outbox');
  return eventually(() => {
    let names = [];
    try { names = readdirSync(dir).filter((n) => n.endsWith('.eml')).sort(); } catch { /* not created yet */ }
    for (const name of names) {
      if (seen.has(name)) continue;
      const raw = readFileSync(path.join(dir, name), 'utf8');
      const headerBlock = raw.split(/\r?\n\r?\n/)[0];
      if (!headerBlock.toLowerCase().includes(to.toLowerCase())) continue;
      const text = emailText(raw);
      const match = text.match(pattern);
      if (!match) continue;
      seen.add(name);
      return { file: name, text, match };
    }
    assert.fail(`no new email to ${to} matching ${pattern} in ${dir} (files there: ${names.join(', ') || 'none'})`);
  }, { timeout, interval: 200 });
}
