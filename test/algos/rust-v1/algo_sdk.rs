//! In-tree reproduction of the public `sequence-algo-sdk` 0.1.0 crate (library `algo_sdk`),
//! so the node's tests can build a genuine ABI-version-1 bundle without crates.io.
//!
//! Names, field order, signatures and the `export_algo!` expansion follow the published
//! 0.1.0 source (github.com/Bai-Funds/algo-sdk, src/lib.rs). Two deliberate differences,
//! both invisible at the binary boundary: this is a module of the algorithm's own crate,
//! so macros name items through `$crate::algo_sdk::`; and the crate's `std` feature gates
//! are gone, because this file is only ever compiled for wasm32.
//!
//! The SDK is reproduced as a whole library surface, most of which a given algorithm
//! leaves unused.
#![allow(dead_code, non_snake_case, unused_macros)]

use core::mem::size_of;

/// One price level of a book side.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct Level {
    pub px_1e9: u64,
    pub sz_1e8: u64,
}

impl Level {
    pub const EMPTY: Self = Self { px_1e9: 0, sz_1e8: 0 };

    #[inline(always)]
    pub fn is_valid(&self) -> bool {
        self.px_1e9 > 0
    }
}

/// Top 20 levels each side, best first. (The crate's README claims 688 bytes; the
/// struct it actually defines is 656, which is what the host writes.)
#[derive(Clone, Copy)]
#[repr(C)]
pub struct L2Book {
    pub bids: [Level; 20],
    pub asks: [Level; 20],
    pub bid_ct: u8,
    pub ask_ct: u8,
    pub symbol_id: u16,
    pub _pad: u32,
    pub recv_ns: u64,
}

impl L2Book {
    pub const EMPTY: Self = Self {
        bids: [Level::EMPTY; 20],
        asks: [Level::EMPTY; 20],
        bid_ct: 0,
        ask_ct: 0,
        symbol_id: 0,
        _pad: 0,
        recv_ns: 0,
    };

    #[inline(always)]
    pub fn best_bid(&self) -> Option<&Level> {
        if self.bid_ct > 0 && self.bids[0].px_1e9 > 0 {
            Some(&self.bids[0])
        } else {
            None
        }
    }

    #[inline(always)]
    pub fn best_ask(&self) -> Option<&Level> {
        if self.ask_ct > 0 && self.asks[0].px_1e9 > 0 {
            Some(&self.asks[0])
        } else {
            None
        }
    }

    /// 0 when either side is empty.
    #[inline(always)]
    pub fn mid_px_1e9(&self) -> u64 {
        if self.bid_ct == 0 || self.ask_ct == 0 {
            return 0;
        }
        (self.bids[0].px_1e9 + self.asks[0].px_1e9) / 2
    }

    /// u64::MAX when either side is empty, so "spread too wide" checks fail safe.
    #[inline(always)]
    pub fn spread_1e9(&self) -> u64 {
        if self.bid_ct == 0 || self.ask_ct == 0 {
            return u64::MAX;
        }
        self.asks[0].px_1e9.saturating_sub(self.bids[0].px_1e9)
    }

    #[inline(always)]
    pub fn spread_bps(&self) -> u32 {
        let mid = self.mid_px_1e9();
        if mid == 0 {
            return u32::MAX;
        }
        ((self.spread_1e9() * 10_000) / mid) as u32
    }

    #[inline(always)]
    pub fn bid_depth_1e8(&self, levels: usize) -> u64 {
        let n = levels.min(self.bid_ct as usize).min(20);
        self.bids[..n].iter().map(|l| l.sz_1e8).sum()
    }

    #[inline(always)]
    pub fn ask_depth_1e8(&self, levels: usize) -> u64 {
        let n = levels.min(self.ask_ct as usize).min(20);
        self.asks[..n].iter().map(|l| l.sz_1e8).sum()
    }

    /// (bid - ask) / (bid + ask) over the top `levels`, in basis points.
    #[inline(always)]
    pub fn imbalance_bps(&self, levels: usize) -> i32 {
        let bid = self.bid_depth_1e8(levels);
        let ask = self.ask_depth_1e8(levels);
        let total = bid + ask;
        if total == 0 {
            return 0;
        }
        (((bid as i64 - ask as i64) * 10_000) / total as i64) as i32
    }
}

pub mod Status {
    pub const PENDING: u8 = 0;
    pub const ACKED: u8 = 1;
    pub const PARTIAL: u8 = 2;
    pub const DEAD: u8 = 3;
}

/// An order as the host tracks it; `qty_1e8` is signed here (+ buy, - sell).
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct OpenOrder {
    pub order_id: u64,
    pub px_1e9: u64,
    pub qty_1e8: i64,
    pub filled_1e8: i64,
    pub side: i8,
    pub status: u8,
    pub _pad: [u8; 6],
}

impl OpenOrder {
    pub const EMPTY: Self = Self {
        order_id: 0,
        px_1e9: 0,
        qty_1e8: 0,
        filled_1e8: 0,
        side: 0,
        status: 0,
        _pad: [0; 6],
    };

    /// PENDING does not count as live: the venue has not acknowledged it yet.
    #[inline(always)]
    pub fn is_live(&self) -> bool {
        self.status == Status::ACKED || self.status == Status::PARTIAL
    }

    #[inline(always)]
    pub fn is_pending(&self) -> bool {
        self.status == Status::PENDING
    }

    #[inline(always)]
    pub fn remaining_1e8(&self) -> i64 {
        self.qty_1e8.abs() - self.filled_1e8.abs()
    }
}

pub const MAX_ORDERS: usize = 32;

/// The version-1 part of the host's state buffer. The host may append fields after
/// `_pad`; a 0.1 bundle never reads past byte 1320.
#[derive(Clone, Copy)]
#[repr(C)]
pub struct AlgoState {
    pub position_1e8: i64,
    pub avg_entry_1e9: u64,
    pub realized_pnl_1e9: i64,
    pub unrealized_pnl_1e9: i64,
    pub orders: [OpenOrder; MAX_ORDERS],
    pub order_ct: u8,
    pub _pad: [u8; 7],
}

#[derive(Debug, Clone, Copy, Default)]
pub struct PnlSnapshot {
    pub realized_1e9: i64,
    pub unrealized_1e9: i64,
    pub total_1e9: i64,
}

impl AlgoState {
    pub const EMPTY: Self = Self {
        position_1e8: 0,
        avg_entry_1e9: 0,
        realized_pnl_1e9: 0,
        unrealized_pnl_1e9: 0,
        orders: [OpenOrder::EMPTY; MAX_ORDERS],
        order_ct: 0,
        _pad: [0; 7],
    };

    /// The listed orders; `order_ct` is clamped so a bad host value cannot index past 32.
    #[inline(always)]
    pub fn orders(&self) -> &[OpenOrder] {
        &self.orders[..(self.order_ct as usize).min(MAX_ORDERS)]
    }

    #[inline(always)]
    pub fn is_flat(&self) -> bool {
        self.position_1e8 == 0
    }

    #[inline(always)]
    pub fn is_long(&self) -> bool {
        self.position_1e8 > 0
    }

    #[inline(always)]
    pub fn is_short(&self) -> bool {
        self.position_1e8 < 0
    }

    #[inline(always)]
    pub fn has_orders(&self) -> bool {
        self.order_ct > 0
    }

    #[inline(always)]
    pub fn live_order_count(&self) -> usize {
        self.orders().iter().filter(|o| o.is_live()).count()
    }

    #[inline(always)]
    pub fn find_order(&self, order_id: u64) -> Option<&OpenOrder> {
        self.orders().iter().find(|o| o.order_id == order_id)
    }

    #[inline(always)]
    pub fn open_buy_qty_1e8(&self) -> i64 {
        self.orders()
            .iter()
            .filter(|o| o.is_live() && o.side > 0)
            .map(|o| o.remaining_1e8())
            .sum()
    }

    #[inline(always)]
    pub fn open_sell_qty_1e8(&self) -> i64 {
        self.orders()
            .iter()
            .filter(|o| o.is_live() && o.side < 0)
            .map(|o| o.remaining_1e8())
            .sum()
    }

    #[inline(always)]
    pub fn total_pnl_1e9(&self) -> i64 {
        self.realized_pnl_1e9 + self.unrealized_pnl_1e9
    }

    #[inline(always)]
    pub fn get_pnl(&self) -> PnlSnapshot {
        PnlSnapshot {
            realized_1e9: self.realized_pnl_1e9,
            unrealized_1e9: self.unrealized_pnl_1e9,
            total_1e9: self.total_pnl_1e9(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct Fill {
    pub order_id: u64,
    pub px_1e9: u64,
    pub qty_1e8: i64,
    pub recv_ns: u64,
    pub side: i8,
    pub _pad: [u8; 7],
}

impl Fill {
    #[inline(always)]
    pub fn since_ns(&self, start_ns: u64) -> u64 {
        self.recv_ns.saturating_sub(start_ns)
    }

    #[inline(always)]
    pub fn since_us(&self, start_ns: u64) -> u64 {
        self.since_ns(start_ns) / 1_000
    }

    #[inline(always)]
    pub fn since_ms(&self, start_ns: u64) -> u64 {
        self.since_ns(start_ns) / 1_000_000
    }
}

pub mod RejectCode {
    pub const UNKNOWN: u8 = 0;
    pub const INSUFFICIENT_BALANCE: u8 = 1;
    pub const INVALID_PARAMS: u8 = 2;
    pub const RATE_LIMIT: u8 = 3;
    pub const EXCHANGE_BUSY: u8 = 4;
    pub const NETWORK: u8 = 5;
    pub const AUTH: u8 = 6;
    pub const RISK: u8 = 100;
    pub const POSITION_LIMIT: u8 = 101;
    pub const KILL_SWITCH: u8 = 102;
    pub const PRICE_DEVIATION: u8 = 103;
    pub const DAILY_LOSS_LIMIT: u8 = 104;

    pub fn to_str(code: u8) -> &'static str {
        match code {
            INSUFFICIENT_BALANCE => "INSUFFICIENT_BALANCE",
            INVALID_PARAMS => "INVALID_PARAMS",
            RATE_LIMIT => "RATE_LIMIT",
            EXCHANGE_BUSY => "EXCHANGE_BUSY",
            NETWORK => "NETWORK",
            AUTH => "AUTH",
            RISK => "RISK_CHECK_FAILED",
            POSITION_LIMIT => "POSITION_LIMIT",
            KILL_SWITCH => "KILL_SWITCH",
            PRICE_DEVIATION => "PRICE_DEVIATION",
            DAILY_LOSS_LIMIT => "DAILY_LOSS_LIMIT",
            _ => "UNKNOWN",
        }
    }
}

#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct Reject {
    pub order_id: u64,
    pub code: u8,
    pub _pad: [u8; 7],
}

impl Reject {
    #[inline]
    pub fn reason(&self) -> &'static str {
        RejectCode::to_str(self.code)
    }
}

pub mod OrderType {
    pub const LIMIT: u8 = 0;
    pub const MARKET: u8 = 1;
    pub const IOC: u8 = 2;
    pub const FOK: u8 = 3;
    pub const POST_ONLY: u8 = 4;
}

/// Place or cancel. A cancel carries side 0, px 0, qty 0 and `is_cancel` 1; an
/// all-zero action is a no-op.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct Action {
    pub order_id: u64,
    pub px_1e9: u64,
    pub qty_1e8: i64,
    pub side: i8,
    pub is_cancel: u8,
    pub order_type: u8,
    pub _pad: [u8; 5],
}

impl Action {
    pub const NOOP: Self = Self {
        order_id: 0,
        px_1e9: 0,
        qty_1e8: 0,
        side: 0,
        is_cancel: 0,
        order_type: 0,
        _pad: [0; 5],
    };
}

pub const MAX_ACTIONS: usize = 16;

/// The algorithm-side buffer. Its layout stays inside the bundle: only `WasmActions`
/// crosses the boundary.
#[repr(C)]
pub struct Actions {
    actions: [Action; MAX_ACTIONS],
    len: usize,
}

impl Actions {
    #[inline(always)]
    pub const fn new() -> Self {
        Self { actions: [Action::NOOP; MAX_ACTIONS], len: 0 }
    }

    #[inline(always)]
    pub fn clear(&mut self) {
        self.len = 0;
    }

    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline(always)]
    pub fn is_full(&self) -> bool {
        self.len >= MAX_ACTIONS
    }

    #[inline(always)]
    pub fn buy(&mut self, order_id: u64, qty_1e8: i64, px_1e9: u64) -> bool {
        self.order_typed(order_id, 1, qty_1e8, px_1e9, OrderType::LIMIT)
    }

    #[inline(always)]
    pub fn sell(&mut self, order_id: u64, qty_1e8: i64, px_1e9: u64) -> bool {
        self.order_typed(order_id, -1, qty_1e8, px_1e9, OrderType::LIMIT)
    }

    #[inline(always)]
    pub fn order(&mut self, order_id: u64, side: i8, qty_1e8: i64, px_1e9: u64) -> bool {
        self.order_typed(order_id, side, qty_1e8, px_1e9, OrderType::LIMIT)
    }

    #[inline(always)]
    pub fn market_buy(&mut self, order_id: u64, qty_1e8: i64) -> bool {
        self.order_typed(order_id, 1, qty_1e8, 0, OrderType::MARKET)
    }

    #[inline(always)]
    pub fn market_sell(&mut self, order_id: u64, qty_1e8: i64) -> bool {
        self.order_typed(order_id, -1, qty_1e8, 0, OrderType::MARKET)
    }

    #[inline(always)]
    pub fn ioc_buy(&mut self, order_id: u64, qty_1e8: i64, px_1e9: u64) -> bool {
        self.order_typed(order_id, 1, qty_1e8, px_1e9, OrderType::IOC)
    }

    #[inline(always)]
    pub fn ioc_sell(&mut self, order_id: u64, qty_1e8: i64, px_1e9: u64) -> bool {
        self.order_typed(order_id, -1, qty_1e8, px_1e9, OrderType::IOC)
    }

    #[inline(always)]
    pub fn fok_buy(&mut self, order_id: u64, qty_1e8: i64, px_1e9: u64) -> bool {
        self.order_typed(order_id, 1, qty_1e8, px_1e9, OrderType::FOK)
    }

    #[inline(always)]
    pub fn fok_sell(&mut self, order_id: u64, qty_1e8: i64, px_1e9: u64) -> bool {
        self.order_typed(order_id, -1, qty_1e8, px_1e9, OrderType::FOK)
    }

    #[inline(always)]
    pub fn post_only_buy(&mut self, order_id: u64, qty_1e8: i64, px_1e9: u64) -> bool {
        self.order_typed(order_id, 1, qty_1e8, px_1e9, OrderType::POST_ONLY)
    }

    #[inline(always)]
    pub fn post_only_sell(&mut self, order_id: u64, qty_1e8: i64, px_1e9: u64) -> bool {
        self.order_typed(order_id, -1, qty_1e8, px_1e9, OrderType::POST_ONLY)
    }

    /// Returns false, and records nothing, once 16 actions are queued.
    #[inline(always)]
    pub fn order_typed(
        &mut self,
        order_id: u64,
        side: i8,
        qty_1e8: i64,
        px_1e9: u64,
        order_type: u8,
    ) -> bool {
        if self.is_full() {
            return false;
        }
        self.actions[self.len] = Action {
            order_id,
            px_1e9,
            qty_1e8,
            side,
            is_cancel: 0,
            order_type,
            _pad: [0; 5],
        };
        self.len += 1;
        true
    }

    #[inline(always)]
    pub fn cancel(&mut self, order_id: u64) -> bool {
        if self.is_full() {
            return false;
        }
        self.actions[self.len] = Action { order_id, is_cancel: 1, ..Action::NOOP };
        self.len += 1;
        true
    }

    /// Cancels only ACKED and PARTIAL orders, as the real crate does: PENDING ones are
    /// skipped.
    #[inline(always)]
    pub fn cancel_all(&mut self, state: &AlgoState) {
        for o in state.orders() {
            if o.is_live() && !self.cancel(o.order_id) {
                break;
            }
        }
    }

    #[inline(always)]
    pub fn clear_at(&mut self, idx: usize) {
        if idx < self.len {
            self.actions[idx] = Action::NOOP;
        }
    }

    #[inline(always)]
    pub fn get(&self, idx: usize) -> Option<&Action> {
        self.actions[..self.len].get(idx)
    }

    #[inline(always)]
    pub fn iter(&self) -> impl Iterator<Item = &Action> {
        self.actions[..self.len].iter()
    }
}

impl Default for Actions {
    fn default() -> Self {
        Self::new()
    }
}

/// The trait every algorithm implements; all four methods are required in 0.1.
pub trait Algo: Send {
    fn on_book(&mut self, book: &L2Book, state: &AlgoState, actions: &mut Actions);
    fn on_fill(&mut self, fill: &Fill, state: &AlgoState);
    fn on_reject(&mut self, reject: &Reject);
    fn on_shutdown(&mut self, state: &AlgoState, actions: &mut Actions);
}

/// What `algo_on_book` / `algo_on_shutdown` return a pointer to.
#[repr(C)]
pub struct WasmActions {
    pub count: u32,
    pub _pad: u32,
    pub actions: [Action; MAX_ACTIONS],
}

impl WasmActions {
    pub const fn new() -> Self {
        Self { count: 0, _pad: 0, actions: [Action::NOOP; MAX_ACTIONS] }
    }

    /// Slots at and beyond `count` keep whatever an earlier callback left there, as in
    /// the real crate: a host must read only `count` entries.
    pub fn from_actions(&mut self, actions: &Actions) {
        self.count = actions.len as u32;
        self.actions[..actions.len].copy_from_slice(&actions.actions[..actions.len]);
    }
}

/// Defines the five ABI-v1 exports around one lazily constructed algorithm instance.
/// The instance is built on the first callback of any kind, not in `algo_alloc`.
/// Like the real macro, it needs `extern crate alloc;` at the crate root.
macro_rules! export_algo {
    ($init:expr) => {
        static mut ALGO: Option<alloc::boxed::Box<dyn $crate::algo_sdk::Algo>> = None;
        static mut ACTIONS: $crate::algo_sdk::Actions = $crate::algo_sdk::Actions::new();
        static mut WASM_OUT: $crate::algo_sdk::WasmActions = $crate::algo_sdk::WasmActions::new();

        #[inline(always)]
        fn init() {
            unsafe {
                if ALGO.is_none() {
                    ALGO = Some(alloc::boxed::Box::new($init));
                }
            }
        }

        #[no_mangle]
        pub extern "C" fn algo_on_book(book_ptr: u32, state_ptr: u32) -> u32 {
            init();
            unsafe {
                let book = &*(book_ptr as *const $crate::algo_sdk::L2Book);
                let state = &*(state_ptr as *const $crate::algo_sdk::AlgoState);
                ACTIONS.clear();
                if let Some(algo) = ALGO.as_mut() {
                    algo.on_book(book, state, &mut ACTIONS);
                }
                WASM_OUT.from_actions(&ACTIONS);
                &WASM_OUT as *const _ as u32
            }
        }

        #[no_mangle]
        pub extern "C" fn algo_on_fill(fill_ptr: u32, state_ptr: u32) {
            init();
            unsafe {
                let fill = &*(fill_ptr as *const $crate::algo_sdk::Fill);
                let state = &*(state_ptr as *const $crate::algo_sdk::AlgoState);
                if let Some(algo) = ALGO.as_mut() {
                    algo.on_fill(fill, state);
                }
            }
        }

        #[no_mangle]
        pub extern "C" fn algo_on_reject(reject_ptr: u32) {
            init();
            unsafe {
                let reject = &*(reject_ptr as *const $crate::algo_sdk::Reject);
                if let Some(algo) = ALGO.as_mut() {
                    algo.on_reject(reject);
                }
            }
        }

        #[no_mangle]
        pub extern "C" fn algo_on_shutdown(state_ptr: u32) -> u32 {
            init();
            unsafe {
                let state = &*(state_ptr as *const $crate::algo_sdk::AlgoState);
                ACTIONS.clear();
                if let Some(algo) = ALGO.as_mut() {
                    algo.on_shutdown(state, &mut ACTIONS);
                }
                WASM_OUT.from_actions(&ACTIONS);
                &WASM_OUT as *const _ as u32
            }
        }

        /// Memory from the bundle's global allocator; never freed, since the host keeps
        /// its buffers for the life of the instance. The size is raised to 1 because a
        /// zero-size request is undefined behaviour for an allocator.
        #[no_mangle]
        pub extern "C" fn algo_alloc(size: u32) -> u32 {
            let size = (size as usize).max(1);
            let layout = core::alloc::Layout::from_size_align(size, 8).unwrap();
            unsafe { alloc::alloc::alloc(layout) as u32 }
        }
    };
}

#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
}

// No `#[link(wasm_import_module)]`: rustc's default import module on wasm32 is `env`,
// which is exactly where a 0.1 bundle imports this from. The u8 level is an i32 in wasm.
extern "C" {
    fn host_log_impl(level: u8, ptr: *const u8, len: u32);
}

pub mod log {
    use super::LogLevel;
    use core::fmt::Write;

    /// Formatted lines are cut at 128 bytes, possibly inside a UTF-8 sequence, as in the
    /// real crate; the host has to decode leniently.
    struct LogBuf {
        buf: [u8; 128],
        pos: usize,
    }

    impl Write for LogBuf {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let n = s.len().min(self.buf.len() - self.pos);
            self.buf[self.pos..self.pos + n].copy_from_slice(&s.as_bytes()[..n]);
            self.pos += n;
            Ok(())
        }
    }

    #[inline(always)]
    fn send(level: LogLevel, msg: &[u8]) {
        unsafe { super::host_log_impl(level as u8, msg.as_ptr(), msg.len() as u32) }
    }

    pub fn trace(msg: &str) {
        send(LogLevel::Trace, msg.as_bytes());
    }

    pub fn debug(msg: &str) {
        send(LogLevel::Debug, msg.as_bytes());
    }

    pub fn info(msg: &str) {
        send(LogLevel::Info, msg.as_bytes());
    }

    pub fn warn(msg: &str) {
        send(LogLevel::Warn, msg.as_bytes());
    }

    pub fn error(msg: &str) {
        send(LogLevel::Error, msg.as_bytes());
    }

    pub fn log_fmt(level: LogLevel, args: core::fmt::Arguments<'_>) {
        let mut buf = LogBuf { buf: [0; 128], pos: 0 };
        let _ = buf.write_fmt(args);
        send(level, &buf.buf[..buf.pos]);
    }

    pub fn info_fmt(args: core::fmt::Arguments<'_>) {
        log_fmt(LogLevel::Info, args);
    }

    pub fn warn_fmt(args: core::fmt::Arguments<'_>) {
        log_fmt(LogLevel::Warn, args);
    }

    pub fn error_fmt(args: core::fmt::Arguments<'_>) {
        log_fmt(LogLevel::Error, args);
    }

    pub fn debug_fmt(args: core::fmt::Arguments<'_>) {
        log_fmt(LogLevel::Debug, args);
    }
}

macro_rules! log_info {
    ($($arg:tt)*) => { $crate::algo_sdk::log::info_fmt(format_args!($($arg)*)) };
}

macro_rules! log_warn {
    ($($arg:tt)*) => { $crate::algo_sdk::log::warn_fmt(format_args!($($arg)*)) };
}

macro_rules! log_error {
    ($($arg:tt)*) => { $crate::algo_sdk::log::error_fmt(format_args!($($arg)*)) };
}

macro_rules! log_debug {
    ($($arg:tt)*) => { $crate::algo_sdk::log::debug_fmt(format_args!($($arg)*)) };
}

// Layout checks against ABI.md. rustc 1.63 has no `offset_of!`, so each struct is built
// in a const with a distinct sentinel per field, reinterpreted as bytes, and each
// sentinel is looked for at its documented offset. The transmute also fails to compile
// if the compiler inserted any implicit padding (uninitialised bytes).

const fn le(b: &[u8], at: usize, n: usize) -> u64 {
    let mut v = 0u64;
    let mut i = 0;
    while i < n {
        v |= (b[at + i] as u64) << (8 * i);
        i += 1;
    }
    v
}

const _: () = assert!(size_of::<Level>() == 16);
const _: () = assert!(size_of::<L2Book>() == 656);
const _: () = assert!(size_of::<OpenOrder>() == 40);
const _: () = assert!(size_of::<AlgoState>() == 1320);
const _: () = assert!(size_of::<Fill>() == 40);
const _: () = assert!(size_of::<Reject>() == 16);
const _: () = assert!(size_of::<Action>() == 32);
const _: () = assert!(size_of::<WasmActions>() == 520);
const _: () = assert!(core::mem::align_of::<WasmActions>() == 8);

const _: () = {
    let mut book = L2Book::EMPTY;
    book.bids[0].px_1e9 = 0x11;
    book.bids[0].sz_1e8 = 0x12;
    book.bids[19].px_1e9 = 0x13;
    book.asks[0].px_1e9 = 0x21;
    book.asks[1].sz_1e8 = 0x22;
    book.bid_ct = 0x31;
    book.ask_ct = 0x32;
    book.symbol_id = 0x3334;
    book._pad = 0x3536_3738;
    book.recv_ns = 0x0102_0304_0506_0708;
    let b: [u8; 656] = unsafe { core::mem::transmute(book) };
    assert!(le(&b, 0, 8) == 0x11);
    assert!(le(&b, 8, 8) == 0x12);
    assert!(le(&b, 304, 8) == 0x13);
    assert!(le(&b, 320, 8) == 0x21);
    assert!(le(&b, 344, 8) == 0x22);
    assert!(le(&b, 640, 1) == 0x31);
    assert!(le(&b, 641, 1) == 0x32);
    assert!(le(&b, 642, 2) == 0x3334);
    assert!(le(&b, 644, 4) == 0x3536_3738);
    assert!(le(&b, 648, 8) == 0x0102_0304_0506_0708);
};

const _: () = {
    let mut s = AlgoState::EMPTY;
    s.position_1e8 = 0x41;
    s.avg_entry_1e9 = 0x42;
    s.realized_pnl_1e9 = 0x43;
    s.unrealized_pnl_1e9 = 0x44;
    s.orders[1] = OpenOrder {
        order_id: 0x51,
        px_1e9: 0x52,
        qty_1e8: 0x53,
        filled_1e8: 0x54,
        side: 0x55,
        status: 0x56,
        _pad: [0x57; 6],
    };
    s.orders[31].order_id = 0x58;
    s.order_ct = 0x61;
    s._pad = [0x62; 7];
    let b: [u8; 1320] = unsafe { core::mem::transmute(s) };
    assert!(le(&b, 0, 8) == 0x41);
    assert!(le(&b, 8, 8) == 0x42);
    assert!(le(&b, 16, 8) == 0x43);
    assert!(le(&b, 24, 8) == 0x44);
    assert!(le(&b, 72, 8) == 0x51);
    assert!(le(&b, 80, 8) == 0x52);
    assert!(le(&b, 88, 8) == 0x53);
    assert!(le(&b, 96, 8) == 0x54);
    assert!(le(&b, 104, 1) == 0x55);
    assert!(le(&b, 105, 1) == 0x56);
    assert!(le(&b, 106, 1) == 0x57);
    assert!(le(&b, 32 + 31 * 40, 8) == 0x58);
    assert!(le(&b, 1312, 1) == 0x61);
    assert!(le(&b, 1313, 1) == 0x62);
};

const _: () = {
    let f = Fill { order_id: 0x71, px_1e9: 0x72, qty_1e8: 0x73, recv_ns: 0x74, side: 0x75, _pad: [0x76; 7] };
    let b: [u8; 40] = unsafe { core::mem::transmute(f) };
    assert!(le(&b, 0, 8) == 0x71);
    assert!(le(&b, 8, 8) == 0x72);
    assert!(le(&b, 16, 8) == 0x73);
    assert!(le(&b, 24, 8) == 0x74);
    assert!(le(&b, 32, 1) == 0x75);
    assert!(le(&b, 33, 1) == 0x76);

    let r = Reject { order_id: 0x81, code: 0x82, _pad: [0x83; 7] };
    let b: [u8; 16] = unsafe { core::mem::transmute(r) };
    assert!(le(&b, 0, 8) == 0x81);
    assert!(le(&b, 8, 1) == 0x82);
    assert!(le(&b, 9, 1) == 0x83);
};

const _: () = {
    let mut out = WasmActions::new();
    out.count = 0x91;
    out._pad = 0x92;
    out.actions[1] = Action {
        order_id: 0xA1,
        px_1e9: 0xA2,
        qty_1e8: 0xA3,
        side: 0x24,
        is_cancel: 0xA5,
        order_type: 0xA6,
        _pad: [0xA7; 5],
    };
    let b: [u8; 520] = unsafe { core::mem::transmute(out) };
    assert!(le(&b, 0, 4) == 0x91);
    assert!(le(&b, 4, 4) == 0x92);
    assert!(le(&b, 40, 8) == 0xA1);
    assert!(le(&b, 48, 8) == 0xA2);
    assert!(le(&b, 56, 8) == 0xA3);
    assert!(le(&b, 64, 1) == 0x24);
    assert!(le(&b, 65, 1) == 0xA5);
    assert!(le(&b, 66, 1) == 0xA6);
    assert!(le(&b, 67, 1) == 0xA7);
};
