import assert from 'node:assert/strict';
import {test} from 'node:test';
import {npyFloat32, rawMap} from '../src/npy';
import {safeFileName} from '../src/render/large';

/** A small .npy reader, as numpy.load reads version 1.0 (written here for the test). */
function parseNpy(bytes: Uint8Array): {descr: string; fortran: boolean; shape: number[]; data: Float32Array; headerEnd: number} {
  assert.deepEqual([...bytes.subarray(0, 6)], [0x93, ...Buffer.from('NUMPY')]);
  assert.deepEqual([bytes[6], bytes[7]], [1, 0]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = view.getUint16(8, true);
  const header = Buffer.from(bytes.subarray(10, 10 + len)).toString('latin1');
  assert.ok(header.endsWith('\n'));
  const descr = /'descr': '([^']+)'/.exec(header)![1];
  const fortran = /'fortran_order': (True|False)/.exec(header)![1] === 'True';
  const shape = /'shape': \(([^)]*)\)/
    .exec(header)![1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s)
    .map(Number);
  const headerEnd = 10 + len;
  const n = (bytes.length - headerEnd) / 4;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = view.getFloat32(headerEnd + i * 4, true);
  return {descr, fortran, shape, data, headerEnd};
}

test('a 2-D float32 map round-trips through the .npy bytes', () => {
  const values = Float32Array.from([0, -1.5, 2.25, 3e-8, 1e6, -0]);
  const npy = parseNpy(npyFloat32(values, [2, 3]));
  assert.equal(npy.descr, '<f4');
  assert.equal(npy.fortran, false);
  assert.deepEqual(npy.shape, [2, 3]);
  assert.deepEqual([...npy.data], [...values]);
  assert.equal(npy.headerEnd % 64, 0); // the data is aligned as numpy aligns it
});

test('a 1-D sequence has a one-element shape tuple', () => {
  const bytes = npyFloat32(Float32Array.from([1, 2, 3]), [3]);
  const header = Buffer.from(bytes.subarray(10, parseNpy(bytes).headerEnd)).toString('latin1');
  assert.match(header, /'shape': \(3,\)/);
  assert.deepEqual(parseNpy(bytes).shape, [3]);
});

test('a shape that does not hold the data is refused', () => {
  assert.throws(() => npyFloat32(new Float32Array(5), [2, 3]), /shape must hold the data's 5 values. Received: shape=\[2, 3\]/);
});

test('raw values are min + p/255 * (max - min), as float32', () => {
  const raw = rawMap(Uint8Array.from([0, 51, 255]), {min: -1, max: 4});
  assert.deepEqual([...raw], [-1, Math.fround(-1 + (51 / 255) * 5), 4]);
  assert.deepEqual([...rawMap(Uint8Array.from([0, 200]), {min: 2, max: 2})], [2, 2]);
});

test('download names keep letters, digits, dots, dashes and underscores only', () => {
  assert.equal(safeFileName('run_a_explain/gradcam_step4_sample0'), 'run_a_explain_gradcam_step4_sample0');
  assert.equal(safeFileName('<img src=x onerror=alert(1)>_t_step1'), 'img_src_x_onerror_alert_1__t_step1');
  assert.equal(safeFileName('../../etc/passwd'), 'etc_passwd');
  assert.equal(safeFileName('///'), 'tbexplain');
});
