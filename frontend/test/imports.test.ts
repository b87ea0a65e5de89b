/**
 * The frontend's import graph as esbuild bundles it (type-only imports are
 * erased, so every edge is a runtime import): no circle, and the state knows
 * no view, renderer or registry.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {build} from 'esbuild';

// The tests run from frontend/.test-build/.
const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Module -> the modules it imports at run time, as paths under src/. */
async function importGraph(): Promise<Map<string, string[]>> {
  const result = await build({
    entryPoints: [`${SRC}index.ts`],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'browser',
    logLevel: 'silent',
  });
  const prefix = 'src/';
  const name = (path: string) => path.slice(path.indexOf(prefix) + prefix.length);
  const graph = new Map<string, string[]>();
  for (const [path, input] of Object.entries(result.metafile.inputs)) {
    graph.set(name(path), input.imports.filter((i) => !i.external).map((i) => name(i.path)));
  }
  return graph;
}

/** A circle of the graph (its modules, the first repeated at the end), or null. */
function findCircle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (m: string): string[] | null => {
    if (state.get(m) === 'done') return null;
    if (state.get(m) === 'open') return [...stack.slice(stack.indexOf(m)), m];
    state.set(m, 'open');
    stack.push(m);
    for (const n of graph.get(m) ?? []) {
      const circle = visit(n);
      if (circle) return circle;
    }
    stack.pop();
    state.set(m, 'done');
    return null;
  };
  for (const m of graph.keys()) {
    const circle = visit(m);
    if (circle) return circle;
  }
  return null;
}

/** Every module `from` imports, directly or not. */
function reachable(graph: ReadonlyMap<string, readonly string[]>, from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [...(graph.get(from) ?? [])];
  while (todo.length) {
    const m = todo.pop()!;
    if (!seen.has(m)) {
      seen.add(m);
      todo.push(...(graph.get(m) ?? []));
    }
  }
  return seen;
}

test('the circle finder finds a circle, and only one', () => {
  assert.deepEqual(findCircle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]])), ['a', 'b', 'c', 'a']);
  assert.equal(findCircle(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), null);
});

test('no module imports itself, directly or through others', async () => {
  const graph = await importGraph();
  assert.ok(graph.has('app.ts') && graph.has('layouts/index.ts') && graph.has('render/view.ts'), [...graph.keys()].join(' '));
  assert.equal(findCircle(graph)?.join(' -> ') ?? null, null);
});

test('the state imports no view, renderer or registry', async () => {
  const graph = await importGraph();
  const imported = [...reachable(graph, 'state.ts')];
  assert.deepEqual(
    imported.filter((m) => m.startsWith('render/') || m.startsWith('layouts/') || m === 'views.ts'),
    [],
  );
});
