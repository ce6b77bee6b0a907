// Hedger: offsets the maker's fills on another venue. The maker sends each fill as 16
// bytes (i64 LE signed quantity, positive when the maker bought, then u64 LE price); the
// hedger accumulates the opposite quantity and works it off with IOC orders.

import {
  Actions,
  Algo,
  AlgoState,
  Fill,
  L2Book,
  log,
  Params,
  Reject,
  register,
  Side,
} from "../../sdk/assemblyscript/index";

const FILL_MESSAGE_BYTES: i32 = 16;
const FIRST_HEDGE_ID: u64 = 100;
const BPS: u64 = 10_000;

class Hedger extends Algo {
  maxSlippageBps: i64 = 20;
  /** Signed quantity (qty_1e8) still to trade: positive = buy. */
  pending: i64 = 0;
  nextId: u64 = FIRST_HEDGE_ID;
  /** The last hedge order placed, 0 before the first. */
  hedgeId: u64 = 0;
  bestBid: u64 = 0;
  bestAsk: u64 = 0;

  onInit(params: Params): void {
    this.maxSlippageBps = params.getInt("max_slippage_bps", this.maxSlippageBps);
    if (this.maxSlippageBps < 0 || this.maxSlippageBps >= <i64>BPS) {
      throw new Error("hedger: max_slippage_bps must be in 0..9999");
    }
  }

  onBook(book: L2Book, state: AlgoState, actions: Actions): void {
    this.bestBid = book.bestBid();
    this.bestAsk = book.bestAsk();
    this.hedge(state, actions);
  }

  onMessage(from: string, payload: Uint8Array, state: AlgoState, actions: Actions): void {
    if (payload.length != FILL_MESSAGE_BYTES) {
      log.warn("hedger: ignored a " + payload.length.toString() + "-byte message from " + from + "; expected 16");
      return;
    }
    const qty = load<i64>(payload.dataStart);
    this.pending -= qty;
    log.info("hedger: " + from + " filled " + qty.toString() + ", pending " + this.pending.toString());
    this.hedge(state, actions);
  }

  onFill(fill: Fill, state: AlgoState): void {
    this.pending -= fill.signedQty;
    log.info("hedger: hedge " + fill.orderId.toString() + " filled " + fill.signedQty.toString() + ", pending " + this.pending.toString());
  }

  onReject(reject: Reject): void {
    log.warn("hedger: hedge " + reject.orderId.toString() + " rejected, code " + reject.code.toString());
  }

  onShutdown(state: AlgoState, actions: Actions): void {
    actions.cancelAll(state);
  }

  private hedge(state: AlgoState, actions: Actions): void {
    if (this.pending == 0 || this.bestBid == 0 || this.bestAsk == 0) return;
    if (this.hedgeId != 0 && state.hasLiveOrder(this.hedgeId)) return;
    const buying = this.pending > 0;
    let qty = buying ? this.pending : -this.pending;
    const lot = <i64>state.lotSize;
    if (lot > 0) qty -= qty % lot;
    if (qty <= 0 || qty < <i64>state.minQty) return;
    const tick = state.tickSize;
    const slippage = <u64>this.maxSlippageBps;
    // Buy at most max_slippage_bps above the ask, sell at most that far below the bid: round
    // towards the book so the slippage cap holds on the tick grid.
    let px: u64;
    if (buying) {
      px = this.bestAsk / BPS * (BPS + slippage) + this.bestAsk % BPS * (BPS + slippage) / BPS;
      if (tick > 0) px -= px % tick;
    } else {
      px = this.bestBid / BPS * (BPS - slippage) + this.bestBid % BPS * (BPS - slippage) / BPS;
      if (tick > 0 && px % tick != 0) px += tick - px % tick;
    }
    const id = this.nextId;
    if (actions.ioc(id, buying ? Side.Buy : Side.Sell, px, qty)) {
      this.hedgeId = id;
      this.nextId = id + 1;
    }
  }
}

register(new Hedger());
