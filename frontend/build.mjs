// Builds the tbexplain TensorBoard tab.
//   node build.mjs           bundle src/index.ts -> ../tbexplain_plugin/static/index.js
//   node build.mjs --tests   compile test/*.test.ts -> .test-build/*.test.mjs (for `node --test`)
//   node build.mjs --check   rebuild, then fail if tbexplain_plugin/static differs from git
// The bundle is deterministic: no timestamps, no sourcemap, fixed esbuild version.
import {build} from 'esbuild';
import {execFileSync} from 'node:child_process';
import {readdirSync, rmSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const staticDir = join(here, '..', 'tbexplain_plugin', 'static');
const args = new Set(process.argv.slice(2));

async function bundle() {
  await build({
    entryPoints: [join(here, 'src', 'index.ts')],
    outfile: join(staticDir, 'index.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: false,
    sourcemap: false,
    legalComments: 'inline',
    charset: 'utf8',
    logLevel: 'warning',
    banner: {js: '// tbexplain TensorBoard tab. Generated from frontend/src by `npm run build`; do not edit.'},
  });
}

async function buildTests() {
  const out = join(here, '.test-build');
  rmSync(out, {recursive: true, force: true});
  const tests = readdirSync(join(here, 'test')).filter((f) => f.endsWith('.test.ts'));
  await build({
    entryPoints: tests.map((f) => join(here, 'test', f)),
    outdir: out,
    outExtension: {'.js': '.mjs'},
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}

if (args.has('--tests')) {
  await buildTests();
} else {
  await bundle();
  if (args.has('--check')) {
    const root = join(here, '..');
    const status = execFileSync('git', ['status', '--porcelain', '--', 'tbexplain_plugin/static'], {
      cwd: root,
      encoding: 'utf8',
    });
    if (status.trim()) {
      console.error('tbexplain_plugin/static is out of date with frontend/src; run `npm run build` and commit:\n' + status);
      execFileSync('git', ['--no-pager', 'diff', '--stat', '--', 'tbexplain_plugin/static'], {cwd: root, stdio: 'inherit'});
      process.exit(1);
    }
    console.log('tbexplain_plugin/static matches the sources.');
  }
}
