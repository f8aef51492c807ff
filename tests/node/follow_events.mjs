// A real EventSource client (npm `eventsource`) following a stax stream.
// The first connection is cut after `cutAfterBytes` bytes (mid-frame, like a dropped
// link); the client must reconnect on its own with Last-Event-ID and miss nothing.
// Prints one JSON line per event: {id, event, data}; then {"connections": N}.
// usage: node follow_events.mjs URL CUT_AFTER_BYTES UNTIL_EVENT
import { EventSource } from 'eventsource';
import { cuttingFetch } from './cutting_fetch.mjs';

const [url, cutAfter, until] = process.argv.slice(2);

const log = { connections: 0, lastIds: [], statuses: [] };

const source = new EventSource(url, { fetch: cuttingFetch(cutAfter, log) });
const names = ['ping', 'run.started', 'run.completed', 'job.queued', 'job.started', 'job.status',
  'job.completed', 'step.started', 'step.log', 'step.completed', 'step.annotation'];
for (const name of names) {
  source.addEventListener(name, (event) => {
    process.stdout.write(JSON.stringify({ id: event.lastEventId, event: name, data: event.data }) + '\n');
    if (name === until) {
      source.close();
      process.stdout.write(JSON.stringify(log) + '\n');
      process.exit(0);
    }
  });
}
setTimeout(() => { process.stderr.write('timed out\n'); process.exit(2); }, 30000);
