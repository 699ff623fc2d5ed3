/**
 * CI annotations land on the repository's own files, whatever path the
 * runtime printed: an absolute path of the build machine, a path inside the
 * checkout, or a -trimpath module path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SourcePaths } from '../../src/report/source-paths.js';
import { gitProvenance, remoteUrl } from '../../src/report/git-provenance.js';
import { tempDir } from '../helpers/tmp.js';

function repository(): string {
  const root = tempDir('leakscan-repo-');
  const file = (path: string, text = '') => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  file('go.mod', 'module example.com/shop\n\ngo 1.26\n');
  file('cmd/api/main.go');
  file('internal/queue/worker.go');
  file('tools/loadgen/go.mod', 'module "example.com/shop/tools/loadgen"\n');
  file('tools/loadgen/main.go');
  file('node_modules/dep/go.mod', 'module example.com/not-ours\n');
  return root;
}

test('paths inside the checkout become relative', () => {
  const root = repository();
  const paths = new SourcePaths(root);
  assert.equal(paths.relativePath(join(root, 'internal/queue/worker.go')), 'internal/queue/worker.go');
});

test('-trimpath module paths map to the module folder, nested modules included', () => {
  const paths = new SourcePaths(repository());
  assert.equal(paths.relativePath('example.com/shop/internal/queue/worker.go'), 'internal/queue/worker.go');
  assert.equal(paths.relativePath('example.com/shop/tools/loadgen/main.go'), 'tools/loadgen/main.go');
  assert.equal(paths.relativePath('example.com/not-ours/x.go'), undefined, 'dependencies are not the repository');
  assert.equal(paths.relativePath('net/http/server.go'), undefined);
});

test("a build machine's absolute path maps to the same file in this checkout", () => {
  const paths = new SourcePaths(repository());
  assert.equal(paths.relativePath('/home/runner/work/shop/shop/internal/queue/worker.go'), 'internal/queue/worker.go');
  assert.equal(paths.relativePath('/usr/local/go/src/net/http/server.go'), undefined);
  assert.equal(paths.relativePath('/somewhere/else/main.go'), undefined, 'a bare file name in another folder is not enough');
});

test('provenance: the commit and an https URL for the remote, without credentials', () => {
  // Run from a git hook or `git rebase --exec`, GIT_DIR and friends point
  // at the repository being worked on: this test's git commands, and the
  // ones gitProvenance runs, must act on the temporary one only.
  for (const name of Object.keys(process.env)) if (name.startsWith('GIT_')) delete process.env[name];
  const root = repository();
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('-c', 'user.email=ci@example.com', '-c', 'user.name=ci', 'commit', '-q', '--allow-empty', '-m', 'x');
  assert.equal(gitProvenance(root), undefined, 'no remote, no provenance');
  git('remote', 'add', 'origin', 'https://token:secret@github.com/acme/shop.git');
  assert.deepEqual(gitProvenance(root), { repositoryUri: 'https://github.com/acme/shop', revisionId: git('rev-parse', 'HEAD'), branch: 'main' });
  assert.equal(remoteUrl('git@github.com:acme/shop.git'), 'https://github.com/acme/shop');
  assert.equal(remoteUrl('/srv/git/shop'), undefined);
});
