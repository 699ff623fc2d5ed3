// Run by `npm install` when the stack-capture addon could neither be
// downloaded nor built (no compiler, no Node headers): installing still
// succeeds, and leakscan captures stacks in JavaScript instead.
// `leakscan doctor` says which way is in use and why.
process.stderr.write(
  'leakscan: the native stack-capture addon was not built (see the node-pre-gyp output above); ' +
    'the JavaScript fallback will be used. Run `leakscan doctor` for details.\n',
);
