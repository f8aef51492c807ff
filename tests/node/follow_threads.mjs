// A real EventSource client (npm `eventsource`) following an execution's thread stream
// (seed 000). The first connection is cut after CUT_AFTER_BYTES bytes (mid-frame, like
// a dropped link): the client must reconnect on its own with Last-Event-ID and miss
// nothing. When the finished execution's stream ends, it reconnects once more, gets
// 204 and must stop for good.
// Prints one JSON line per event: {id, event, data}; then
// {"connections", "lastIds", "statuses", "readyState"}.
// usage: node follow_threads.mjs URL CUT_AFTER_BYTES
import { EventSource } from 'eventsource';
import { cuttingFetch } from './cutting_fetch.mjs';

// The client waits 3 s before reconnecting (its default, as the server sends no
// `retry:`); shorten that one delay so the test stays fast.
const realSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = (fn, ms, ...args) => realSetTimeout(fn, ms === 3000 ? 20 : ms, ...args);

const [url, cutAfter] = process.argv.slice(2);

const log = { connections: 0, lastIds: [], statuses: [] };

const source = new EventSource(url, { fetch: cuttingFetch(cutAfter, log) });
const names = ['connected', 'thread_output', 'thread_blocked', 'thread_started', 'thread_completed',
  'thread_failed', 'thread_turn_complete', 'thread_status', 'thread_tool_running'];
for (const name of names) {
  source.addEventListener(name, (event) => {
    process.stdout.write(JSON.stringify({ id: event.lastEventId, event: name, data: event.data }) + '\n');
  });
}
source.addEventListener('error', () => {
  if (source.readyState !== source.CLOSED) return; // a cut: it reconnects by itself
  process.stdout.write(JSON.stringify({ ...log, readyState: source.readyState }) + '\n');
  process.exit(0);
});
realSetTimeout(() => { process.stderr.write('timed out\n'); process.exit(2); }, 30000);
