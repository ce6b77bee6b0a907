//! TestQuoter: a deterministic ABI-version-1 bundle built the way a `sequence-algo-sdk`
//! 0.1 user builds one (`use algo_sdk::*`, `impl Algo`, `export_algo!`), so the node's
//! tests can assert exactly what it returns and logs.
//!
//! std rather than the README's `#![no_std]` + wee_alloc: rustc 1.63 cannot link a
//! no_std cdylib that uses `alloc` on stable (no default alloc error handler before
//! 1.68), and std on wasm32-unknown-unknown imports nothing and brings its own
//! allocator. With `-C panic=abort` a panic traps through `unreachable`.

extern crate alloc;

#[macro_use]
mod algo_sdk;

use algo_sdk::*;
use core::sync::atomic::{AtomicU64, Ordering};

const QUOTE_QTY_1E8: i64 = 1_000_000;
const BID_ORDER_ID: u64 = 1;
const ASK_ORDER_ID: u64 = 2;

// Reported at shutdown, so a test can check that every fill the host delivered reached
// the bundle.
static FILL_COUNT: AtomicU64 = AtomicU64::new(0);

struct TestQuoter {
    announced: bool,
}

impl Algo for TestQuoter {
    fn on_book(&mut self, book: &L2Book, state: &AlgoState, actions: &mut Actions) {
        if state.order_ct != 0 {
            return;
        }
        let (bid, ask) = match (book.best_bid(), book.best_ask()) {
            (Some(b), Some(a)) => (b.px_1e9, a.px_1e9),
            _ => return,
        };
        actions.buy(BID_ORDER_ID, QUOTE_QTY_1E8, bid);
        actions.sell(ASK_ORDER_ID, QUOTE_QTY_1E8, ask);
        if !self.announced {
            self.announced = true;
            log_info!("quoting bid={} ask={}", bid, ask);
        }
    }

    fn on_fill(&mut self, fill: &Fill, _state: &AlgoState) {
        FILL_COUNT.fetch_add(1, Ordering::Relaxed);
        log_info!("fill order={} qty={}", fill.order_id, fill.qty_1e8);
    }

    fn on_reject(&mut self, reject: &Reject) {
        log_warn!("reject order={} code={}", reject.order_id, reject.code);
    }

    fn on_shutdown(&mut self, state: &AlgoState, actions: &mut Actions) {
        let mut cancels = 0;
        for order in state.orders() {
            if !actions.cancel(order.order_id) {
                break;
            }
            cancels += 1;
        }
        log_info!(
            "shutdown fills={} cancels={}",
            FILL_COUNT.load(Ordering::Relaxed),
            cancels
        );
    }
}

export_algo!(TestQuoter { announced: false });
