// Drives @actions/artifact 1.x (the v3 actions' client: the pipelines API under
// ACTIONS_RUNTIME_URL) with the environment the step got. Prints `RESULT <json>`.
//
// usage: node artifact_v1.mjs upload NAME DIR
//        node artifact_v1.mjs download NAME DEST
import artifact from '@actions/artifact-v1';
import fs from 'node:fs';
import path from 'node:path';

function filesUnder(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else out.push(full);
  }
  return out;
}

const [command, name, dir] = process.argv.slice(2);
const client = artifact.create();
let result;
try {
  if (command === 'upload') {
    const root = path.resolve(dir);
    result = await client.uploadArtifact(name, filesUnder(root), root, { continueOnError: false });
    if (result.failedItems.length) throw new Error(`failed items: ${result.failedItems}`);
  } else if (command === 'download') {
    result = await client.downloadArtifact(name, path.resolve(dir), { createArtifactFolder: false });
  } else {
    throw new Error(`unknown command ${command}`);
  }
} catch (error) {
  console.log(`FAILED ${error.name}: ${error.message}`);
  process.exit(1);
}
console.log(`RESULT ${JSON.stringify(result)}`);
