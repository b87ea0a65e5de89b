/**
 * The golden manifests of `tests/fixtures/manifests/`: `expandManifest` gives
 * each fixture's rows from what /steps serves, as `metadata.manifest_items`
 * (Python, `tests/plugin/test_manifest_fixtures.py`) does.
 */
import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {expandManifest, WireManifest} from '../src/api';

// The tests run from frontend/.test-build/: the fixtures are in the repository's tests/.
const DIR = fileURLToPath(new URL('../../tests/fixtures/manifests/', import.meta.url));

interface Fixture {
  about: string;
  served: WireManifest;
  items: Record<string, unknown>[];
  target_name?: string;
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

test('there are golden manifests to read', () => {
  assert.ok(files.length >= 6, files.join(', '));
});

for (const file of files) {
  test(`the served manifest ${file} decodes to the fixture's rows`, () => {
    const fixture = JSON.parse(readFileSync(DIR + file, 'utf8')) as Fixture;
    const m = expandManifest(fixture.served);
    assert.deepEqual(m.items, fixture.items, fixture.about);
    assert.equal(m.target_name, fixture.target_name);
    assert.deepEqual([m.version, m.kind, m.shape], [fixture.served.version, fixture.served.kind, fixture.served.shape]);
  });
}
