// Drives the real @actions/artifact client (v2+ API, as upload-artifact and
// download-artifact v4+ use it) against the runner services, with the environment the
// step got. Prints one line `RESULT <json>`; exits 1 with the error on a failure.
//
// ARTIFACT_CLIENT names the package (default @actions/artifact, the current one;
// @actions/artifact-v2 is the 2.x that upload-artifact@v4 bundles).
//
// usage: node artifact.mjs upload NAME DIR [COMPRESSION_LEVEL]
//        node artifact.mjs upload-raw FILE
//        node artifact.mjs download NAME DEST
//        node artifact.mjs list
//        node artifact.mjs delete NAME
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

const { DefaultArtifactClient } = await import(process.env.ARTIFACT_CLIENT || '@actions/artifact');
const [command, ...args] = process.argv.slice(2);
const client = new DefaultArtifactClient();
let result;
try {
  if (command === 'upload') {
    const [name, dir, level] = args;
    const root = path.resolve(dir);
    result = await client.uploadArtifact(name, filesUnder(root), root, {
      compressionLevel: level === undefined ? 6 : Number(level),
    });
  } else if (command === 'upload-raw') {
    const file = path.resolve(args[0]);
    result = await client.uploadArtifact(path.basename(file), [file], path.dirname(file), {
      skipArchive: true,
    });
  } else if (command === 'download') {
    const [name, dest] = args;
    const { artifact } = await client.getArtifact(name);
    const download = await client.downloadArtifact(artifact.id, { path: path.resolve(dest) });
    result = { id: artifact.id, size: artifact.size, digest: artifact.digest, ...download };
  } else if (command === 'list') {
    result = await client.listArtifacts();
  } else if (command === 'delete') {
    result = await client.deleteArtifact(args[0]);
  } else {
    throw new Error(`unknown command ${command}`);
  }
} catch (error) {
  console.log(`FAILED ${error.name}: ${error.message}`);
  process.exit(1);
}
console.log(`RESULT ${JSON.stringify(result)}`);
