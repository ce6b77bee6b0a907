import binaryen from 'binaryen';

/** Compiles WebAssembly text to a binary (binaryen's parser), for small hand-written test bundles. */
export function wat(text: string): Uint8Array<ArrayBuffer> {
  const module = binaryen.parseText(text);
  try {
    module.setFeatures(binaryen.Features.MVP | binaryen.Features.BulkMemory | binaryen.Features.SignExt);
    if (!module.validate()) throw new Error('invalid test module');
    return new Uint8Array(module.emitBinary());
  } finally {
    module.dispose();
  }
}

export interface V1Bodies {
  /** Body of algo_on_book(param $book i32) (param $state i32) (result i32). */
  onBook?: string;
  /** Body of algo_on_fill(param $fill i32) (param $state i32). */
  onFill?: string;
  /** Body of algo_on_reject(param $reject i32). */
  onReject?: string;
  /** Body of algo_on_shutdown(param $state i32) (result i32). */
  onShutdown?: string;
  /** Module fields added at the end (globals, more functions, exports). */
  fields?: string;
  /** Imports, placed first as the text format requires. */
  imports?: string;
}

/**
 * A minimal version-1 bundle with a bump allocator from address 1024 (the node's buffers
 * end below 4096, so test bodies may use 4096 and up as scratch) and the given bodies.
 */
export function v1Bundle(bodies: V1Bodies): Uint8Array<ArrayBuffer> {
  return wat(`(module
    ${bodies.imports ?? ''}
    (memory (export "memory") 2)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "algo_alloc") (param $size i32) (result i32)
      (local $p i32)
      (local.set $p (global.get $bump))
      (global.set $bump (i32.and (i32.add (i32.add (global.get $bump) (local.get $size)) (i32.const 7)) (i32.const -8)))
      (local.get $p))
    (func (export "algo_on_book") (param $book i32) (param $state i32) (result i32) ${bodies.onBook ?? '(i32.const 0)'})
    (func (export "algo_on_fill") (param $fill i32) (param $state i32) ${bodies.onFill ?? ''})
    (func (export "algo_on_reject") (param $reject i32) ${bodies.onReject ?? ''})
    (func (export "algo_on_shutdown") (param $state i32) (result i32) ${bodies.onShutdown ?? '(i32.const 0)'})
    ${bodies.fields ?? ''}
  )`);
}

/** WAT that writes one place action into the WasmActions at 4096 and leaves 4096 on the stack. */
export function placeAction(orderId: number, pxExpr: string, qty1e8: number, side: 1 | -1, orderType = 0): string {
  return `(i32.store (i32.const 4096) (i32.const 1))
    (i64.store (i32.const 4104) (i64.const ${orderId}))
    (i64.store (i32.const 4112) ${pxExpr})
    (i64.store (i32.const 4120) (i64.const ${qty1e8}))
    (i32.store8 (i32.const 4128) (i32.const ${side}))
    (i32.store8 (i32.const 4129) (i32.const 0))
    (i32.store8 (i32.const 4130) (i32.const ${orderType}))
    (i32.const 4096)`;
}
