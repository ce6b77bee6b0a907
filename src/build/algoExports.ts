// Which wasm exports an algorithm needs, read from its source. The node probes a bundle's
// optional exports to decide what to wire up (NBBO feed, heartbeat timer, mesh inbox), so a
// bundle must export only the callbacks its algorithm actually implements.
//
// The scan parses algo.ts with the TypeScript compiler (AssemblyScript is TypeScript syntax),
// finds the classes that extend Algo, directly or through other classes in the same file,
// and maps the on* methods they declare to their exports.

import ts from 'typescript';
import { OPTIONAL_EXPORTS, REQUIRED_EXPORTS } from '../wasm/abi.ts';

type OptionalExport = (typeof OPTIONAL_EXPORTS)[number];

/** Each overridable callback with an optional export, and the SDK module that defines it. */
export const OPTIONAL_CALLBACKS: Readonly<Record<string, { exportName: OptionalExport; module: string }>> = {
  onInit: { exportName: 'algo_init', module: 'exports/init' },
  onMessage: { exportName: 'algo_on_message', module: 'exports/message' },
  onNbbo: { exportName: 'algo_on_nbbo', module: 'exports/nbbo' },
  onHeartbeat: { exportName: 'algo_on_heartbeat', module: 'exports/heartbeat' },
  onNodeStatus: { exportName: 'algo_on_node_status', module: 'exports/nodeStatus' },
  onKillSwitch: { exportName: 'algo_on_kill_switch', module: 'exports/killSwitch' },
};

/** Callbacks behind the version-1 exports, which every bundle has. */
const V1_CALLBACKS = ['onBook', 'onFill', 'onReject', 'onShutdown'];
export const V1_EXPORTS_MODULE = 'exports/v1';

export class AlgoSourceError extends Error {}

export interface AlgoExports {
  /** Every wasm export the bundle will have, version-1 set first. */
  exports: string[];
  /** SDK modules (relative to sdk/assemblyscript, no extension) that define them. */
  modules: string[];
}

/**
 * Scans an algorithm's entry source. Throws AlgoSourceError when no class extends Algo or
 * when a class declares an on* method that is not a callback (a misspelt callback would
 * otherwise never fire).
 */
export function scanAlgoExports(source: string, fileName: string): AlgoExports {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const classes = new Map<string, { base: string | undefined; node: ts.ClassDeclaration }>();
  for (const statement of file.statements) {
    if (ts.isClassDeclaration(statement) && statement.name) {
      classes.set(statement.name.text, { base: baseClassName(statement), node: statement });
    }
  }
  const algoClasses = [...classes.keys()].filter((name) => extendsAlgo(name, classes));
  if (algoClasses.length === 0) {
    throw new AlgoSourceError(`${fileName}: no class extends Algo (write \`class MyAlgo extends Algo { ... }\` and \`register(new MyAlgo())\`)`);
  }

  const declared = new Set<string>();
  for (const name of algoClasses) {
    for (const member of classes.get(name)!.node.members) {
      if (!ts.isMethodDeclaration(member) || !member.name || !ts.isIdentifier(member.name)) continue;
      const method = member.name.text;
      if (!/^on[A-Z]/.test(method)) continue;
      if (!(method in OPTIONAL_CALLBACKS) && !V1_CALLBACKS.includes(method)) {
        const { line, character } = file.getLineAndCharacterOfPosition(member.name.getStart(file));
        const known = [...V1_CALLBACKS, ...Object.keys(OPTIONAL_CALLBACKS)].join(', ');
        throw new AlgoSourceError(
          `${fileName}(${line + 1},${character + 1}): ${name}.${method} is not an Algo callback (callbacks: ${known}); rename it if it is a helper`,
        );
      }
      declared.add(method);
    }
  }

  const optional = Object.keys(OPTIONAL_CALLBACKS).filter((callback) => declared.has(callback));
  return {
    exports: [...REQUIRED_EXPORTS, ...optional.map((callback) => OPTIONAL_CALLBACKS[callback]!.exportName)],
    modules: [V1_EXPORTS_MODULE, ...optional.map((callback) => OPTIONAL_CALLBACKS[callback]!.module)],
  };
}

function baseClassName(node: ts.ClassDeclaration): string | undefined {
  for (const clause of node.heritageClauses ?? []) {
    if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
    const expression = clause.types[0]?.expression;
    if (!expression) return undefined;
    // `extends Algo` or `extends sdk.Algo`.
    if (ts.isIdentifier(expression)) return expression.text;
    if (ts.isPropertyAccessExpression(expression)) return expression.name.text;
  }
  return undefined;
}

function extendsAlgo(name: string, classes: Map<string, { base: string | undefined }>): boolean {
  const seen = new Set<string>();
  for (let current: string | undefined = name; current !== undefined && !seen.has(current); ) {
    seen.add(current);
    const base: string | undefined = classes.get(current)?.base;
    if (base === 'Algo') return true;
    current = base;
  }
  return false;
}
