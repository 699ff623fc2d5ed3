#!/usr/bin/env bash
# The README's test command: install what the tests need (test-setup.sh), then
# the project's checks and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-setup.sh
# shellcheck source=/dev/null
. .cache/test-env.sh
node bin/leakscan.js doctor
# Fast checks first: lint (ESLint with type-aware rules, Prettier) and the
# unit tier (no processes), then every test.
npm run lint
npm run test:unit
npm test
