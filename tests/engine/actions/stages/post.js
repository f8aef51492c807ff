import * as core from '@actions/core';

console.log(`post ${core.getInput('name')} pre=${process.env.STATE_from_pre} main=${core.getState('from_main')}`);
