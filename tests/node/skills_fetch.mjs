// Seed 002's JavaScript client, as the seed writes it, against a running daemon:
//
//     node skills_fetch.mjs BASE_URL
//
// The sample passes fetch a path, which a browser resolves against the page's URL;
// here the page is BASE_URL. Below the marked line is the seed's code, unchanged.
const base = process.argv[2];
const fetchFromPage = globalThis.fetch;
globalThis.fetch = (resource, init) => fetchFromPage(new URL(resource, base), init);

// ---- seed 002: "JavaScript (EventSource not applicable for POST — use fetch)" ----
const response = await fetch('/v1/skills/my.skill/execute/stream', {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', 'x-api-key': 'KEY' },
  body: JSON.stringify({ inputs: { text: 'hello' } }),
});

const reader = response.body.getReader();
const decoder = new TextDecoder();
let buffer = '';

while (true) {
  const { done, value } = await reader.read();
  if (done) break;
  buffer += decoder.decode(value, { stream: true });
  const lines = buffer.split('\n');
  buffer = lines.pop();
  for (const line of lines) {
    if (line.startsWith('data: ')) {
      const event = JSON.parse(line.slice(6));
      console.log(event.type, event.message);
    }
  }
}
