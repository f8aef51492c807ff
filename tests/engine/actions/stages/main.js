import * as core from '@actions/core';

const name = core.getInput('name');
console.log(`main ${name} state=${core.getState('from_pre')}`);
core.saveState('from_main', `main-of-${name}`);
if (core.getInput('wait') === 'true') {
  console.log(`main ${name} waiting`);
  setInterval(() => {}, 1000);
} else if (core.getInput('fail') === 'true') {
  core.setFailed(`${name} failed`);
}
