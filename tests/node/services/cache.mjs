// Drives the real @actions/cache client (v2 when ACTIONS_CACHE_SERVICE_V2 is set, else
// v1) with the environment the step got. Prints `RESULT <json>`; the client itself only
// warns on a failed save or restore, so its warnings are part of what a test reads.
//
// usage: node cache.mjs save KEY PATH...
//        node cache.mjs restore KEY RESTORE_KEYS(comma-separated, or -) PATH...
import * as cache from '@actions/cache';

const [command, key, ...rest] = process.argv.slice(2);
let result;
try {
  if (command === 'save') {
    result = { id: await cache.saveCache(rest, key) };
  } else if (command === 'restore') {
    const [restoreKeys, ...paths] = rest;
    const keys = restoreKeys === '-' ? [] : restoreKeys.split(',');
    result = { matched: (await cache.restoreCache(paths, key, keys)) ?? null };
  } else {
    throw new Error(`unknown command ${command}`);
  }
} catch (error) {
  console.log(`FAILED ${error.name}: ${error.message}`);
  process.exit(1);
}
console.log(`RESULT ${JSON.stringify(result)}`);
