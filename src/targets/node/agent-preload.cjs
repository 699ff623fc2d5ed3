// What `leakscan run` preloads into a Node program (NODE_OPTIONS --require):
// the agent (agent.js), run as a plain script. A CommonJS file whatever the
// package's "type", because `--require` of a file that Node reads as an ES
// module fails on Node before 20.19 and 22.12 (ERR_REQUIRE_ESM), and the
// program would not start at all. The agent gets this module's `require`
// for the built-in modules Node before 20.16 and 22.3 cannot hand it through
// process.getBuiltinModule.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { runInThisContext } = require('node:vm');

const file = join(__dirname, 'agent.js');
runInThisContext(`(function (require) {\n${readFileSync(file, 'utf8')}\n})`, { filename: file })(require);
