// A real EventSource client (npm `eventsource`) following a stax stream.
// The first connection is cut after `cutAfterBytes` bytes (mid-frame, like a dropped
// link); the client must reconnect on its own with Last-Event-ID and miss nothing.
// Prints one JSON line per event: {id, event, data}; then {"connections": N}.
// usage: node follow_events.mjs URL CUT_AFTER_BYTES UNTIL_EVENT
import { EventSource } from 'eventsource';

const [url, cutAfter, until] = process.argv.slice(2);
let connections = 0;
const lastIds = [];

const cuttingFetch = async (input, init) => {
  connections += 1;
  lastIds.push(init?.headers?.['Last-Event-ID'] ?? init?.headers?.get?.('Last-Event-ID') ?? null);
  const response = await fetch(input, init);
  if (connections > 1) return response;
  const reader = response.body.getReader();
  let seen = 0;
  const body = new ReadableStream({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) { controller.close(); return; }
      const room = Number(cutAfter) - seen;
      seen += value.length;
      if (room <= value.length) {
        controller.enqueue(value.slice(0, Math.max(room, 0)));
        controller.error(new Error('connection cut by the test'));
        reader.cancel().catch(() => {});
        return;
      }
      controller.enqueue(value);
    },
  });
  return new Response(body, { status: response.status, headers: response.headers });
};

const source = new EventSource(url, { fetch: cuttingFetch });
const names = ['ping', 'run.started', 'run.completed', 'job.queued', 'job.started', 'job.status',
  'job.completed', 'step.started', 'step.log', 'step.completed', 'step.annotation'];
for (const name of names) {
  source.addEventListener(name, (event) => {
    process.stdout.write(JSON.stringify({ id: event.lastEventId, event: name, data: event.data }) + '\n');
    if (name === until) {
      source.close();
      process.stdout.write(JSON.stringify({ connections, lastIds }) + '\n');
      process.exit(0);
    }
  });
}
setTimeout(() => { process.stderr.write('timed out\n'); process.exit(2); }, 30000);
