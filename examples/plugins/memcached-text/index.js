// A Clovisor decoder plugin for the memcached text protocol (get/gets/set/add/replace/append/
// prepend/cas/delete/incr/decr/touch and the single-line admin commands). See docs/plugins.md.
//
// Frames: a request is one command line, plus its data block for storage commands; a response
// is one line, or VALUE/STAT lines (with data blocks) up to END. Data blocks are counted, never
// kept: a block that has not fully arrived is absorbed into the parser state.

const STORAGE = new Set(['set', 'add', 'replace', 'append', 'prepend', 'cas']);
const RETRIEVAL = new Set(['get', 'gets', 'gat', 'gats']);
const KEYED = new Set(['delete', 'incr', 'decr', 'touch']);
const OTHER = new Set(['version', 'stats', 'flush_all', 'verbosity', 'quit', 'mn']);
const MAX_LINE = 2048;
const CRLF = Buffer.from('\r\n');

function known(cmd) {
  return STORAGE.has(cmd) || RETRIEVAL.has(cmd) || KEYED.has(cmd) || OTHER.has(cmd);
}

/** The line at the front of buf (without CRLF) and where the next one starts, or null. */
function line(buf, from) {
  const end = buf.indexOf(CRLF, from);
  if (end < 0) return null;
  return { text: buf.toString('latin1', from, end), next: end + 2 };
}

/** Parse one request command line; null when it is not memcached. */
export function parseRequestLine(text) {
  const tokens = text.split(' ').filter((t) => t !== '');
  const cmd = (tokens[0] ?? '').toLowerCase();
  if (!known(cmd)) return null;
  const noreply = tokens[tokens.length - 1] === 'noreply';
  const args = tokens.slice(1, noreply ? -1 : undefined);
  if (STORAGE.has(cmd)) {
    const bytes = Number(args[3]);
    if (args.length < 4 || !Number.isInteger(bytes) || bytes < 0) return null;
    return { command: cmd, keys: [args[0]], noreply, dataBytes: bytes };
  }
  if (RETRIEVAL.has(cmd)) return { command: cmd, keys: cmd.startsWith('gat') ? args.slice(1) : args, noreply: false, dataBytes: 0 };
  if (KEYED.has(cmd)) return { command: cmd, keys: args.slice(0, 1), noreply, dataBytes: 0 };
  return { command: cmd, keys: [], noreply, dataBytes: 0 };
}

function newDirectionState() {
  return { frame: null, remaining: 0 };
}

function parseRequest(buf, st) {
  if (st.frame !== null) {
    const take = Math.min(st.remaining, buf.length);
    st.remaining -= take;
    if (st.remaining > 0) return { kind: 'needs-more-data', absorbed: take };
    const frame = st.frame;
    st.frame = null;
    return { kind: 'success', frame, consumed: take };
  }
  const l = line(buf, 0);
  if (l === null) return buf.length > MAX_LINE ? { kind: 'invalid', reason: 'command line too long' } : { kind: 'needs-more-data', absorbed: 0 };
  const frame = parseRequestLine(l.text);
  if (frame === null) return { kind: 'invalid', reason: 'not a memcached command' };
  const need = frame.dataBytes > 0 || STORAGE.has(frame.command) ? frame.dataBytes + 2 : 0;
  if (buf.length - l.next >= need) return { kind: 'success', frame, consumed: l.next + need };
  st.frame = frame;
  st.remaining = need - (buf.length - l.next);
  return { kind: 'needs-more-data', absorbed: buf.length };
}

/** Response lines up to END (or one single line). */
function parseResponse(buf, st) {
  let pos = 0;
  if (st.remaining > 0) {
    const take = Math.min(st.remaining, buf.length);
    st.remaining -= take;
    if (st.remaining > 0) return { kind: 'needs-more-data', absorbed: take };
    pos = take;
  }
  for (;;) {
    const l = line(buf, pos);
    if (l === null) {
      if (buf.length - pos > MAX_LINE) return { kind: 'invalid', reason: 'response line too long' };
      return { kind: 'needs-more-data', absorbed: pos };
    }
    const tokens = l.text.split(' ');
    const head = tokens[0];
    const frame = st.frame ?? { result: '', values: 0, stats: 0, valueBytes: 0, message: null };
    if (head === 'VALUE') {
      const bytes = Number(tokens[3]);
      if (!Number.isInteger(bytes) || bytes < 0) return { kind: 'invalid', reason: 'bad VALUE line' };
      frame.values++;
      frame.valueBytes += bytes;
      st.frame = frame;
      const need = bytes + 2;
      if (buf.length - l.next < need) {
        st.remaining = need - (buf.length - l.next);
        return { kind: 'needs-more-data', absorbed: buf.length };
      }
      pos = l.next + need;
      continue;
    }
    if (head === 'STAT') { frame.stats++; st.frame = frame; pos = l.next; continue; }
    if (st.frame !== null && head !== 'END') return { kind: 'invalid', reason: `unexpected ${head} inside a multi-line response` };
    st.frame = null;
    frame.result = head === 'END' && frame.values > 0 ? 'VALUE' : head;
    if (head === 'CLIENT_ERROR' || head === 'SERVER_ERROR') frame.message = tokens.slice(1).join(' ');
    return { kind: 'success', frame, consumed: l.next };
  }
}

const RESPONSE_HEADS = ['VALUE', 'STAT', 'END', 'STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND', 'DELETED', 'TOUCHED', 'OK', 'ERROR', 'CLIENT_ERROR', 'SERVER_ERROR', 'VERSION'];

function startsFrame(direction, buf, i) {
  const l = line(buf, i);
  if (l === null) return false;
  if (direction === 'request') return parseRequestLine(l.text) !== null;
  const head = l.text.split(' ')[0];
  return RESPONSE_HEADS.includes(head) || /^\d+$/.test(head);
}

/** @type {import('@clovisor/decoder').PluginProtocol} */
const memcached = {
  name: 'memcached',
  portNames: ['memcached', 'memcache'],
  ports: [11211],
  detect(bytes) {
    const l = line(bytes, 0);
    return l !== null && parseRequestLine(l.text) !== null;
  },
  newState() {
    return { request: newDirectionState(), response: newDirectionState() };
  },
  findFrameBoundary(direction, buffer, from) {
    for (let i = from; i < buffer.length; i++) {
      if ((i === 0 || (buffer[i - 2] === 13 && buffer[i - 1] === 10)) && startsFrame(direction, buffer, i)) return i;
    }
    return -1;
  },
  parseFrame(direction, buffer, state) {
    return direction === 'request' ? parseRequest(buffer, state.request) : parseResponse(buffer, state.response);
  },
  absorbGap(direction, length, state) {
    const st = state[direction];
    if (st.frame === null || st.remaining === 0) return 0;
    const take = Math.min(length, st.remaining);
    st.remaining -= take;
    return take;
  },
  abandon(direction, _buffer, state) {
    const frame = state[direction].frame;
    state[direction] = newDirectionState();
    return frame;
  },
  stitch(requests, responses, final) {
    const transactions = [];
    let r = 0;
    let q = 0;
    for (; q < requests.length; q++) {
      const request = requests[q];
      if (request.frame.noreply) { transactions.push({ request, response: null, notes: ['noreply'] }); continue; }
      if (r < responses.length) { transactions.push({ request, response: responses[r++], notes: [] }); continue; }
      if (!final) break;
      transactions.push({ request, response: null, notes: [] });
    }
    const leftoverResponses = responses.slice(r);
    // Without a request to own them, responses wait for the next round, until the flow ends.
    const orphans = final ? leftoverResponses.length : 0;
    return {
      transactions,
      leftover: { requests: requests.slice(q), responses: orphans > 0 ? [] : leftoverResponses },
      orphanResponses: orphans,
    };
  },
  describe(exchange) {
    const req = exchange.request.frame;
    const attributes = {
      'memcached.command': req.command,
      'memcached.key_count': String(req.keys.length),
    };
    if (req.keys.length > 0) attributes['memcached.key'] = req.keys[0];
    if (req.noreply) attributes['memcached.noreply'] = 'true';
    const res = exchange.response?.frame;
    if (res) {
      attributes['memcached.result'] = res.result;
      if (res.values > 0) attributes['memcached.hits'] = String(res.values);
      if (res.message) attributes['memcached.error'] = res.message;
    }
    return { attributes };
  },
};

export default memcached;
