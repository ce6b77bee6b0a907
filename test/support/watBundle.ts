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

/**
 * A minimal version-1 bundle whose algo_on_book body is given: a bump allocator, the five
 * v1 exports, and `extra` appended inside the module (more exports, imports).
 */
export function v1Bundle(onBookBody: string, extra = ''): Uint8Array<ArrayBuffer> {
  return wat(`(module
    ${extra.includes('(import') ? extra : ''}
    (memory (export "memory") 2)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "algo_alloc") (param $size i32) (result i32)
      (local $p i32)
      (local.set $p (global.get $bump))
      (global.set $bump (i32.and (i32.add (i32.add (global.get $bump) (local.get $size)) (i32.const 7)) (i32.const -8)))
      (local.get $p))
    (func (export "algo_on_book") (param $book i32) (param $state i32) (result i32) ${onBookBody})
    (func (export "algo_on_fill") (param i32 i32))
    (func (export "algo_on_reject") (param i32))
    (func (export "algo_on_shutdown") (param i32) (result i32) (i32.const 0))
    ${extra.includes('(import') ? '' : extra}
  )`);
}
