import * as core from '@actions/core';

const who = core.getInput('who', { required: true });
const greeting = `${core.getInput('greeting word')}, ${who}!`;
console.log(greeting);
console.log(`python-version=${core.getInput('python-version')} event=${core.getInput('event')} token=[${core.getInput('token')}]`);
const names = Object.keys(process.env).filter((name) => name.startsWith('INPUT_')).sort();
console.log(`inputs: ${names.join(' ')}`);
console.log(`action=${process.env.GITHUB_ACTION} repository=${process.env.GITHUB_ACTION_REPOSITORY} ref=${process.env.GITHUB_ACTION_REF}`);
console.log(`path=${process.env.GITHUB_ACTION_PATH} cwd=${process.cwd()}`);
const secret = core.getInput('secret');
if (secret) {
  const derived = `${secret}-derived`; // not shown before the action masks it
  core.setSecret(derived);
  console.log(`the secret is ${derived}`);
}
core.setOutput('greeting', greeting);
core.exportVariable('GREETED', who);
core.addPath(`${process.env.GITHUB_ACTION_PATH}/bin`);
await core.summary.addRaw(`greeted ${who}`).write();
