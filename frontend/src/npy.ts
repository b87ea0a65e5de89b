/**
 * NumPy's .npy format (version 1.0) for float32 arrays, so a map can be
 * taken out of the tab and read with `numpy.load`.
 */

/** The .npy v1.0 bytes of `data` (float32, little-endian '<f4', C order) with `shape`. */
export function npyFloat32(data: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count !== data.length) {
    throw new Error(`shape must hold the data's ${data.length} values. Received: shape=[${shape.join(', ')}]`);
  }
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${dims}, }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces
  // and ended by a newline to a multiple of 64 bytes, as numpy writes it.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const start = 10 + header.length;
  for (let i = 0; i < data.length; i++) view.setFloat32(start + i * 4, data[i], true);
  return out;
}

/**
 * The raw values of an 8-bit map: byte p of a map with raw range
 * [min, max] is min + p / 255 * (max - min) (as the writer quantised it).
 */
export function rawMap(bytes: Uint8Array, range: {min: number; max: number}): Float32Array {
  const lo = Number(range.min);
  const span = Number(range.max) - lo;
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = lo + (bytes[i] / 255) * span;
  return out;
}
