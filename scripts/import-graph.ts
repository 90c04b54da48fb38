import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Module → the modules it imports, both as paths relative to the root, for the project's own .ts/.tsx files. */
export type ImportGraph = Map<string, string[]>;

const SOURCE = /\.tsx?$/;
const TEST = /\.test\.tsx?$/;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return SOURCE.test(entry.name) && !TEST.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The file an import specifier names (relative, or `@/` from the root), or undefined for a package. */
function resolveSpecifier(root: string, from: string, specifier: string): string | undefined {
  const base = specifier.startsWith('@/') ? path.join(root, specifier.slice(2)) : specifier.startsWith('.') ? path.resolve(path.dirname(from), specifier) : undefined;
  if (base === undefined) return undefined;
  return [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')].find((candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile());
}

/** Every import (type-only ones included) among the non-test modules under `paths` (directories or files), read with TypeScript's own pre-processor. */
export function importGraph(root: string, paths: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  const files = paths.map((p) => path.join(root, p)).flatMap((p) => (fs.statSync(p).isDirectory() ? sourceFiles(p) : [p]));
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles.map((i) => resolveSpecifier(root, file, i.fileName)).filter((t): t is string => t !== undefined);
    graph.set(path.relative(root, file), [...new Set(targets.map((t) => path.relative(root, t)))]);
  }
  return graph;
}

/** Each import cycle once, as the modules along it (Tarjan's strongly connected components of more than one module, or a self-import). */
export function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)?.includes(node)) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

/** A rule: no module under `from` may import a module under any of `mayNotImport` (path prefixes from the root). */
export type LayerRule = { from: string; mayNotImport: readonly string[] };

/** The imports that break a rule, as `importer -> imported`. */
export function upwardImports(graph: ImportGraph, rules: readonly LayerRule[]): string[] {
  return [...graph].flatMap(([module, targets]) =>
    rules
      .filter((rule) => module.startsWith(rule.from))
      .flatMap((rule) => targets.filter((t) => rule.mayNotImport.some((p) => t.startsWith(p))).map((t) => `${module} -> ${t}`)),
  );
}
