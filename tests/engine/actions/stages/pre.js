import * as core from '@actions/core';

const name = core.getInput('name');
console.log(`pre ${name}`);
core.saveState('from_pre', `pre-of-${name}`);
