// A fetch for EventSource that cuts its first connection after `cutAfter` bytes
// (mid-frame, like a dropped link) and records what each connection sent and got.
// `log.connections`, `log.lastIds` (the Last-Event-ID each request carried) and
// `log.statuses` tell the test how the client came back.
export function cuttingFetch(cutAfter, log) {
  return async (input, init) => {
    log.connections += 1;
    log.lastIds.push(init?.headers?.['Last-Event-ID'] ?? init?.headers?.get?.('Last-Event-ID') ?? null);
    const response = await fetch(input, init);
    log.statuses.push(response.status);
    if (log.connections > 1) return response;
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
}
